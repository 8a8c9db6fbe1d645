"""The Parquet hand-off: the landing tables as Parquet files that any engine can read.

DuckDB reads the landing schema of the build database directly. PostgreSQL (loaded by
`govdw.engines.postgres`) and Spark (dbt's on-run-start hook registers the folders as tables)
read this copy instead. The layout is one file per source file and landing table::

    <root>/<table>/<dataset>/<region>/<year>/<file_id>.parquet
    <root>/<table>/schema.parquet        zero rows: the table's exact Arrow schema
    <root>/_manifest.json                source file -> its token and the files written for it

`file_id` is derived from the source file's path under raw/, so a re-export of the same file
replaces exactly its own Parquet files, and a file that leaves raw/ takes its files with it.
`year` is the earliest year of the file's first event date (`received_at`, `accepted_at`,
`evaluated_at`, `period_start`: the first date column after the lineage columns of the
dataset's table), `unknown` for files without one. Each directory level is a plain name, not
`key=value`: the tables already hold `dataset` and `region_code` columns, and a reader globs
`<root>/<table>/**/*.parquet` (Spark: `recursiveFileLookup`).

`sync` brings the copy up to date from the landing schema after each ingest: it compares each
file's token (sha256, status and loaded_at of its landing.files row, and the format version)
with the manifest and rewrites only the files whose token changed. Each Parquet file is
written to a temporary name and renamed into place; the manifest is replaced last, so an
interrupted sync is finished by the next one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from govdw import datasets, landing

if TYPE_CHECKING:
    import duckdb

#: Changes whenever the layout or the way rows are written changes: every file is rewritten.
FORMAT_VERSION = "1"
MANIFEST = "_manifest.json"
SCHEMA_FILE = "schema.parquet"
UNKNOWN_YEAR = "unknown"
_DATE_TYPES = (pa.timestamp("us"), pa.date32())


@dataclass
class SyncResult:
    """What one `sync` did."""

    root: Path
    written_files: int = 0  # source files whose Parquet files were (re)written
    removed_files: int = 0  # source files gone from landing.files
    unchanged_files: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # rows written per landing table
    seconds: float = 0.0


def file_id(rel_path: str) -> str:
    """The stable name of a source file's Parquet files (its raw/ path, hashed)."""
    return hashlib.sha256(rel_path.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def _safe_part(value: str | None, fallback: str) -> str:
    text = (value or "").strip()
    if not text or text in {".", ".."} or "/" in text or "\\" in text or "\0" in text:
        return fallback
    return text


def year_column(schema: pa.Schema) -> str | None:
    """The first date or timestamp column after the lineage columns (None: the table has none)."""
    for f in schema:
        if f.name not in landing.LINEAGE_NAMES and f.type in _DATE_TYPES:
            return f.name
    return None


def table_paths(root: Path, table: str) -> list[Path]:
    """Every Parquet file of a landing table in the hand-off, `schema.parquet` first."""
    folder = root / table
    files = sorted(p for p in folder.rglob("*.parquet") if p.name != SCHEMA_FILE)
    schema = folder / SCHEMA_FILE
    return ([schema] if schema.exists() else []) + files


def read_table(root: Path, table: str) -> pa.Table:
    """A whole landing table read back from the hand-off, in its landing schema."""
    schema = datasets.landing_tables()[table]
    parts = [pq.read_table(p, schema=schema) for p in table_paths(root, table)]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _load_manifest(root: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _save_manifest(root: Path, files: dict[str, dict[str, object]]) -> None:
    tmp = root / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(
        json.dumps({"format": FORMAT_VERSION, "files": files}, ensure_ascii=False, sort_keys=True),
        encoding="utf-8",
    )
    os.replace(tmp, root / MANIFEST)


def _write_schemas(root: Path) -> None:
    for name, schema in datasets.landing_tables().items():
        target = root / name / SCHEMA_FILE
        if target.exists() and pq.read_schema(target).equals(schema):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{SCHEMA_FILE}.tmp")
        pq.write_table(schema.empty_table(), tmp)
        os.replace(tmp, target)


def _current_files(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None, str]]:
    """file_path -> (token, dataset, region_code) of every landing.files row."""
    rows = con.execute(
        "select file_path, sha256, status, cast(loaded_at as varchar), dataset, region_code "
        "from landing.files"
    ).fetchall()
    return {
        path: (f"{FORMAT_VERSION}|{sha}|{status}|{loaded}", dataset, region)
        for path, sha, status, loaded, dataset, region in rows
    }


def _file_years(con: duckdb.DuckDBPyConnection, changed: list[str]) -> dict[str, str]:
    """source file -> the earliest year of its first event date, over every table that has one."""
    years: dict[str, int] = {}
    for name, schema in datasets.landing_tables().items():
        column = year_column(schema)
        if column is None or name == "files":
            continue
        rows = con.execute(
            f'select source_file, min(year("{column}")) from landing.{name} '
            "where source_file in (select unnest(?)) group by source_file",
            [changed],
        ).fetchall()
        for path, year in rows:
            if year is not None:
                years[path] = min(years.get(path, year), int(year))
    return {path: f"{year:04d}" for path, year in years.items()}


def _relative(rel_path: str, table: str, dataset: str | None, region: str | None, year: str) -> str:
    return "/".join(
        (
            table,
            _safe_part(dataset, "none"),
            _safe_part(region, "none"),
            year,
            f"{file_id(rel_path)}.parquet",
        )
    )


class _Writers:
    """One open Parquet writer per (table, source file), each to a temporary name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.open: dict[str, pq.ParquetWriter] = {}
        self.tmp: dict[str, Path] = {}
        self.written: set[str] = set()

    def write(self, relative: str, table: pa.Table) -> None:
        writer = self.open.get(relative)
        if writer is None:
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            self.open[relative] = writer
            self.tmp[relative] = tmp
        writer.write_table(table)

    def commit(self) -> None:
        for relative, writer in self.open.items():
            writer.close()
            os.replace(self.tmp[relative], self.root / relative)
            self.written.add(relative)
        self.open.clear()
        self.tmp.clear()

    def abort(self) -> None:
        for relative, writer in self.open.items():
            writer.close()
            self.tmp[relative].unlink(missing_ok=True)
        self.open.clear()
        self.tmp.clear()


def _write_table(
    con: duckdb.DuckDBPyConnection,
    writers: _Writers,
    name: str,
    key: str,
    targets: dict[str, str],
) -> int:
    """Stream `landing.<name>` rows of the files in `targets` (source file -> relative path)."""
    schema = datasets.landing_tables()[name]
    cols = ", ".join(f'"{c}"' for c in schema.names)
    reader = con.sql(
        f'select {cols} from landing.{name} where "{key}" in (select unnest($files))',
        params={"files": sorted(targets)},
    ).to_arrow_reader(262_144)
    rows = 0
    for batch in reader:
        table = pa.Table.from_batches([batch]).cast(schema)
        files = table.column(key)
        for path in pc.unique(files).to_pylist():
            part = table.filter(pc.equal(files, path))
            writers.write(targets[path], part)
            rows += part.num_rows
    return rows


def sync(con: duckdb.DuckDBPyConnection, root: Path) -> SyncResult:
    """Bring the hand-off at `root` up to date with the landing schema behind `con`."""
    started = time.monotonic()
    result = SyncResult(root=root)
    root.mkdir(parents=True, exist_ok=True)
    _write_schemas(root)
    manifest = _load_manifest(root)
    current = _current_files(con)
    changed = sorted(
        p for p, (token, _, _) in current.items() if manifest.get(p, {}).get("token") != token
    )
    gone = sorted(set(manifest) - set(current))
    result.unchanged_files = len(current) - len(changed)
    if not changed and not gone:  # nothing to write, not even the manifest
        result.seconds = time.monotonic() - started
        return result
    years = _file_years(con, changed) if changed else {}
    new_entries: dict[str, dict[str, object]] = {}
    planned: dict[str, dict[str, str]] = {}  # table -> source file -> relative path
    planned_by_file: dict[str, set[str]] = {}
    for path in changed:
        _, dataset, region = current[path]
        year = years.get(path, UNKNOWN_YEAR)
        for name in datasets.landing_tables():
            relative = _relative(path, name, dataset, region, year)
            planned.setdefault(name, {})[path] = relative
            planned_by_file.setdefault(path, set()).add(relative)
    writers = _Writers(root)
    try:
        for name, targets in planned.items():
            key = "file_path" if name == "files" else "source_file"
            result.rows[name] = _write_table(con, writers, name, key, targets)
        writers.commit()
    except BaseException:
        writers.abort()
        raise
    # Remove what a source file had and no longer has: Parquet files of a table it has no rows in
    # now, files left behind when its year or region moved, and every file of a source file gone.
    for path in [*changed, *gone]:
        keep = planned_by_file.get(path, set()) & writers.written
        old = manifest.get(path, {}).get("files", [])
        stale = {*(old if isinstance(old, list) else []), *planned_by_file.get(path, set())}
        for relative in sorted(stale - keep):
            _remove(root, str(relative))
        if path in current:
            new_entries[path] = {"token": current[path][0], "files": sorted(keep)}
    files = {p: e for p, e in manifest.items() if p in current and p not in new_entries}
    files.update(new_entries)
    _save_manifest(root, files)
    result.written_files = len(changed)
    result.removed_files = len(gone)
    result.seconds = time.monotonic() - started
    return result


def _remove(root: Path, relative: str) -> None:
    """Remove one Parquet file of the hand-off and the folders it leaves empty."""
    target = (root / relative).resolve()
    if root.resolve() not in target.parents:
        return
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != root.resolve() and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def clear(root: Path) -> None:
    """Remove the whole hand-off (a full refresh writes it again)."""
    if root.exists():
        shutil.rmtree(root)
