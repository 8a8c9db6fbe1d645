"""Safe publish: copy the private build database onto the analysts' warehouse file atomically."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import duckdb

#: Copy in 8 MiB chunks: large enough to be fast, small enough to keep memory flat.
_CHUNK = 8 * 1024 * 1024


class PublishError(RuntimeError):
    """Publishing failed; the previously published warehouse is untouched."""


def _fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is on disk (POSIX).
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_synced(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(_CHUNK):
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())


def publish(build_db: Path, warehouse: Path) -> Path:
    """Checkpoint `build_db`, copy it next to `warehouse`, fsync, atomically replace `warehouse`.

    Readers holding the old file open keep reading the old version (the rename swaps the
    directory entry, not the inode they hold); a failure at any step leaves the old file in place.
    """
    build_db = Path(build_db)
    warehouse = Path(warehouse)
    if not build_db.exists():
        raise PublishError(
            f"cannot publish: the build database {build_db} does not exist (the pipeline did not "
            "write it); run `govdw run` again and look at the ingest step"
        )
    # CHECKPOINT folds the write-ahead log into the main file: the one file we copy is complete.
    con = duckdb.connect(str(build_db))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    # The temp file lives in the same folder so os.replace is a same-filesystem atomic rename.
    tmp = warehouse.parent / f".{warehouse.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        _copy_synced(build_db, tmp)
        # A leftover WAL of the old file would be replayed against the new one: drop it first.
        stale_wal = warehouse.with_name(warehouse.name + ".wal")
        with contextlib.suppress(FileNotFoundError):
            stale_wal.unlink()
        os.replace(tmp, warehouse)
        _fsync_dir(warehouse.parent)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise PublishError(
            f"could not publish {build_db} to {warehouse}: {exc}; the previous warehouse is "
            "unchanged (check free disk space and write permission on the folder)"
        ) from exc
    return warehouse


def table_row_counts(database: Path) -> dict[str, int]:
    """Row counts of every table and view in `database`'s main schema (opened read-only)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' order by table_name"
            ).fetchall()
        ]
        counts: dict[str, int] = {}
        for name in names:
            row = con.execute(f'select count(*) from main."{name}"').fetchone()
            counts[name] = int(row[0]) if row else 0
        return counts
    finally:
        con.close()
