"""Safe publish: copy the private build database onto the analysts' warehouse file atomically."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import psutil

from govdw import runlock
from govdw.digest import TableDigest, digest

#: Copy in 8 MiB chunks: large enough to be fast, small enough to keep memory flat.
_CHUNK = 8 * 1024 * 1024
_MIB = 1024 * 1024

#: `.<warehouse name>.tmp-<pid>-<hex>`: the temp copy made next to the warehouse by process pid.
_TMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)-[0-9a-f]+$")


class PublishError(RuntimeError):
    """Publishing failed; the previously published warehouse is untouched."""


def _fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is on disk (POSIX).
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: ioctl FICLONE (linux/fs.h): the destination shares the source's extents (copy-on-write).
_FICLONE = 0x40049409


def _clone(fin: BinaryIO, fout: BinaryIO) -> bool:
    """Make `fout` a copy-on-write clone of `fin` where the file system has it (btrfs, XFS with
    reflink, ...): no byte is copied. False where it has not (ext4, tmpfs, another device)."""
    try:
        fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
    except OSError:
        return False
    return True


#: copy_file_range errors that mean "not here" (then Python copies the bytes itself).
_NO_KERNEL_COPY = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


def _copy_in_kernel(fin: BinaryIO, fout: BinaryIO, size: int) -> bool:
    """Copy with copy_file_range: the kernel moves the bytes, no round trip through Python.
    False when the kernel refuses at the start (then nothing was written)."""
    copied = 0
    while copied < size:
        try:
            step = os.copy_file_range(fin.fileno(), fout.fileno(), min(size - copied, 1 << 30))
        except OSError as exc:
            if copied == 0 and exc.errno in (
                errno.EXDEV,
                errno.EINVAL,
                errno.ENOSYS,
                errno.EOPNOTSUPP,
            ):
                return False
            raise
        if step == 0:
            break
        copied += step
    if copied != size:
        raise OSError(errno.EIO, f"copied {copied} of {size} bytes", str(fout.name))
    return True


def _copy_synced(src: Path, dst: Path) -> str:
    """Copy `src` to the new file `dst` and fsync it; returns how: clone, kernel or chunks.

    The cheapest way the file system offers wins: a copy-on-write clone costs no copy at all, so
    publishing does not grow with the warehouse there; elsewhere the kernel copies the bytes."""
    with src.open("rb") as fin, dst.open("xb") as fout:
        size = os.fstat(fin.fileno()).st_size
        if _clone(fin, fout):
            how = "clone"
        elif _copy_in_kernel(fin, fout, size):
            how = "kernel"
        else:
            fout.seek(0)
            fout.truncate()
            while chunk := fin.read(_CHUNK):
                fout.write(chunk)
            how = "chunks"
        fout.flush()
        os.fsync(fout.fileno())
    return how


def _mib(n: int) -> int:
    return max(1, -(-n // _MIB))  # rounded up, never 0


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _unchanged(warehouse: Path) -> str:
    if warehouse.exists():
        return f"the previous warehouse {warehouse} is unchanged"
    return f"no warehouse was published at {warehouse}"


def explain(exc: BaseException, folder: Path, warehouse: Path, needed: int | None = None) -> str:
    """The cause of a failed publish in words, naming the path and what to do."""
    kept = _unchanged(warehouse)
    if isinstance(exc, MemoryError):
        return f"out of memory while publishing; close other programs and run again; {kept}"
    code = exc.errno if isinstance(exc, OSError) else None
    text = str(exc)
    where = Path(exc.filename) if isinstance(exc, OSError) and exc.filename else folder
    if code in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in text:
        free = _free_bytes(folder)
        detail = ""
        if needed is not None:
            short = needed - (free or 0) + max(_MIB, needed // 10)  # with some headroom
            detail = (
                f": the copy needs {_mib(needed)} MiB and {_mib(free or 0)} MiB are free; "
                f"free at least {_mib(short)} MiB there"
            )
        else:
            detail = ": free some space there"
        return (
            f"no space left on device at {folder}{detail} (or publish elsewhere with "
            f"--warehouse) and run again; {kept}"
        )
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {where}: the user running govdw cannot write there; "
            f"fix the folder's permissions or publish elsewhere with --warehouse; {kept}"
        )
    if code == errno.EROFS:
        return f"read-only file system at {folder}: publish elsewhere with --warehouse; {kept}"
    return f"{text} at {where}; {kept} (check free disk space and write permission there)"


def _belongs_to_live_process(tmp: Path, pid: int) -> bool:
    if not runlock.process_alive(pid):
        return False
    try:
        proc_started = runlock.process_start_time(pid)
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True
    try:
        modified = tmp.stat().st_mtime
    except FileNotFoundError:
        return True  # nothing to remove
    # A process started after the file was last written cannot be its writer (pid reused).
    return proc_started <= modified + 2.0


def remove_stale_temp_files(warehouse: Path) -> list[Path]:
    """Delete temp copies next to `warehouse` left by publishers that died (never a live one's)."""
    warehouse = Path(warehouse)
    removed: list[Path] = []
    try:
        entries = list(warehouse.parent.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return removed
    for entry in entries:
        match = _TMP_PATTERN.match(entry.name)
        if not match or match["name"] != warehouse.name or entry.is_symlink():
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or _belongs_to_live_process(entry, pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry)
    return removed


@dataclass(frozen=True)
class Published:
    """What one publish did."""

    path: Path
    #: How the build database reached `path`: "clone" (copy-on-write, no byte copied),
    #: "kernel" (copy_file_range), "chunks" (read and written through Python), or "unchanged"
    #: (`path` already held this very build: nothing was copied).
    how: str
    size_bytes: int


def _identity(path: Path) -> list[int] | None:
    """[size, mtime_ns, inode] of `path`: any write or replacement changes it."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _record_path(build_db: Path) -> Path:
    return build_db.with_name(build_db.name + ".published")


def _published_state(build_db: Path, warehouse: Path) -> dict[str, object]:
    return {
        "build": _identity(build_db),
        "warehouse_path": str(warehouse.resolve()),
        "warehouse": _identity(warehouse),
        "warehouse_wal": _identity(warehouse.with_name(warehouse.name + ".wal")),
    }


def _already_published(build_db: Path, warehouse: Path) -> bool:
    """Whether `warehouse` is the copy of `build_db` as it is now (recorded by the last publish)."""
    try:
        saved = json.loads(_record_path(build_db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    now = _published_state(build_db, warehouse)
    return now["build"] is not None and now["warehouse"] is not None and saved == now


def _remember_published(build_db: Path, warehouse: Path) -> None:
    record = _record_path(build_db)
    tmp = record.with_name(f"{record.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(_published_state(build_db, warehouse)), encoding="utf-8")
    os.replace(tmp, record)


def publish(build_db: Path, warehouse: Path) -> Published:
    """Checkpoint `build_db`, copy it next to `warehouse`, fsync, atomically replace `warehouse`.

    Readers holding the old file open keep reading the old version (the rename swaps the
    directory entry, not the inode they hold); a failure at any step leaves the old file in place,
    and the error names its cause (no space, permission, memory) and the path. When `warehouse`
    already is the copy of the build database as it stands (nothing written since the last
    publish), nothing is copied. The copy is a copy-on-write clone where the file system has it.
    """
    build_db = Path(build_db)
    warehouse = Path(warehouse)
    if not build_db.exists():
        raise PublishError(
            f"cannot publish: the build database {build_db} does not exist (the pipeline did not "
            "write it); run `govdw run` again and look at the ingest step"
        )
    # CHECKPOINT folds the write-ahead log into the main file: the one file we copy is complete.
    try:
        con = duckdb.connect(str(build_db))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except (duckdb.Error, OSError, MemoryError) as exc:
        raise PublishError(
            f"could not checkpoint the build database {build_db}: "
            + explain(exc, build_db.parent, warehouse)
        ) from exc

    if _already_published(build_db, warehouse):
        return Published(warehouse, "unchanged", warehouse.stat().st_size)
    _record_path(build_db).unlink(missing_ok=True)
    folder = warehouse.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(
            f"could not publish {warehouse}: " + explain(exc, folder, warehouse)
        ) from exc
    remove_stale_temp_files(warehouse)
    needed = build_db.stat().st_size
    free = _free_bytes(folder)
    if free is not None and free < needed:
        raise PublishError(
            explain(OSError(errno.ENOSPC, "No space left"), folder, warehouse, needed)
        )
    # The temp file lives in the same folder so os.replace is a same-filesystem atomic rename.
    tmp = folder / f".{warehouse.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        how = _copy_synced(build_db, tmp)
        runlock.pause_for_test("publish")
        # A leftover WAL of the old file would be replayed against the new one: drop it first.
        stale_wal = warehouse.with_name(warehouse.name + ".wal")
        with contextlib.suppress(FileNotFoundError):
            stale_wal.unlink()
        os.replace(tmp, warehouse)
        _fsync_dir(folder)
    except (OSError, MemoryError) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PublishError(
            f"could not publish {warehouse}: " + explain(exc, folder, warehouse, needed)
        ) from exc
    except BaseException:
        # Interrupted (SIGTERM/SIGINT): no warehouse-sized leftovers.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _remember_published(build_db, warehouse)
    return Published(warehouse, how, needed)


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The tables and views of `schema`, by name."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? "
        "order by table_name",
        [schema],
    ).fetchall()
    return [row[0] for row in rows]


def table_row_counts(database: Path) -> dict[str, int]:
    """Row counts of every table and view in `database`'s main schema (opened read-only)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        counts: dict[str, int] = {}
        for name in _tables(con, "main"):
            row = con.execute(f'select count(*) from main."{name}"').fetchone()
            counts[name] = int(row[0]) if row else 0
        return counts
    finally:
        con.close()


def _batches(cur: duckdb.DuckDBPyConnection, size: int = 50_000) -> Iterator[tuple[Any, ...]]:
    """The rows of a query result, fetched `size` at a time."""
    while rows := cur.fetchmany(size):
        yield from rows


def table_digests(
    database: Path, schema: str = "main", max_rows: int | None = None
) -> dict[str, TableDigest]:
    """The engine-neutral digest (`govdw.digest`) of every table and view in `schema`; a table
    of more than `max_rows` rows gets its row count only (`TableDigest.counted`)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        out = {}
        for name in _tables(con, schema):
            if max_rows is not None:
                rows = con.execute(f'select count(*) from {schema}."{name}"').fetchall()[0][0]
                if rows > max_rows:
                    out[name] = TableDigest.counted(rows)
                    continue
            cur = con.execute(f'select * from {schema}."{name}"')
            columns = [d[0] for d in cur.description or []]
            out[name] = digest(columns, _batches(cur))
        return out
    finally:
        con.close()
