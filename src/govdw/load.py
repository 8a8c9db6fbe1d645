"""The single writer of the `landing` schema: Arrow tables in, one transaction per file.

DDL is derived from the Arrow schemas of the dataset registry (`govdw.datasets`, which adds the
shared tables of `govdw.landing`), read when it is needed, so the loader, the extractor and dbt
cannot disagree about a column. Rows go in through registered Arrow tables (`insert … select`),
never row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from govdw import datasets
from govdw.landing import FILES
from govdw.types import FileEntry, Fingerprint, ParseResult

if TYPE_CHECKING:
    # Only the connection type: this module (imported by the parsing workers through
    # govdw.ingest) is handed its connections and never imports DuckDB itself.
    import duckdb

SCHEMA = "landing"

_DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "varchar",
    pa.large_string(): "varchar",
    pa.int8(): "tinyint",
    pa.int16(): "smallint",
    pa.int32(): "integer",
    pa.int64(): "bigint",
    pa.float32(): "float",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp",
}


def duckdb_type(dtype: pa.DataType) -> str:
    """The DuckDB column type for an Arrow type used in a landing schema."""
    try:
        return _DUCKDB_TYPES[dtype]
    except KeyError:
        raise ValueError(f"no DuckDB type mapped for Arrow type {dtype}") from None


def create_table_sql(name: str, schema: pa.Schema) -> str:
    """`create table if not exists landing.<name> (…)` derived from an Arrow schema."""
    cols = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in schema)
    return f"create table if not exists {SCHEMA}.{name} ({cols})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `landing` and every landing table that does not exist yet."""
    con.execute(f"create schema if not exists {SCHEMA}")
    for name, schema in datasets.landing_tables().items():
        con.execute(create_table_sql(name, schema))
    # A build database made before the warnings column: add it (null for the old rows).
    con.execute(f"alter table {SCHEMA}.files add column if not exists warnings varchar")


def _ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"create table if not exists {SCHEMA}.ingest_state (key varchar primary key, value varchar)"
    )


def parser_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The parser version that made the landing rows (None when none is recorded)."""
    _ensure_state(con)
    row = con.execute(
        f"select value from {SCHEMA}.ingest_state where key = 'parser_version'"
    ).fetchone()
    return row[0] if row else None


def record_parser_version(con: duckdb.DuckDBPyConnection, version: str) -> None:
    """Record the parser version that makes the landing rows from now on."""
    _ensure_state(con)
    con.execute(
        f"insert or replace into {SCHEMA}.ingest_state values ('parser_version', ?)", [version]
    )


def _ensure_fingerprints(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"create table if not exists {SCHEMA}.file_fingerprints (file_path varchar primary key, "
        "size_bytes bigint, mtime_ns bigint, sha256 varchar)"
    )


def file_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, Fingerprint]:
    """file_path -> size, mtime and sha256 of each file as the last walk of raw/ hashed it."""
    _ensure_fingerprints(con)
    rows = con.execute(
        f"select file_path, size_bytes, mtime_ns, sha256 from {SCHEMA}.file_fingerprints"
    ).fetchall()
    return {path: Fingerprint(int(size), int(mtime), sha) for path, size, mtime, sha in rows}


def fingerprints_of(entries: list[FileEntry]) -> dict[str, Fingerprint]:
    """file_path -> fingerprint of each entry that was hashed (not the ones never opened)."""
    return {
        e.rel_path: Fingerprint(e.size_bytes, e.mtime_ns, e.sha256)
        for e in entries
        if e.sha256 and e.problem is None
    }


def record_fingerprints(con: duckdb.DuckDBPyConnection, entries: list[FileEntry]) -> None:
    """Replace the recorded fingerprints with those of `entries` (the files hashed this walk)."""
    _ensure_fingerprints(con)
    prints = fingerprints_of(entries)
    table = pa.table(
        {
            "file_path": pa.array(list(prints), pa.string()),
            "size_bytes": pa.array([f.size for f in prints.values()], pa.int64()),
            "mtime_ns": pa.array([f.mtime_ns for f in prints.values()], pa.int64()),
            "sha256": pa.array([f.sha256 for f in prints.values()], pa.string()),
        }
    )
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {SCHEMA}.file_fingerprints")
        con.register("_fingerprints", table)
        con.execute(f"insert into {SCHEMA}.file_fingerprints select * from _fingerprints")
        con.unregister("_fingerprints")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def known_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """sha256 -> file_path of every loaded file (the first path when several share bytes)."""
    rows = con.execute(
        f"select sha256, min(file_path) from {SCHEMA}.files where status = 'loaded' group by sha256"
    ).fetchall()
    return {sha: path for sha, path in rows}


@dataclass(frozen=True)
class FileState:
    """What landing.files holds about one file."""

    sha256: str
    status: str
    rows: int
    error: str | None
    dataset: str | None = None
    region_code: str | None = None
    sheets: str | None = None  # the sheet names joined with ','
    duplicate_of: str | None = None


def file_details(con: duckdb.DuckDBPyConnection) -> dict[str, FileState]:
    """file_path -> FileState of every file recorded in landing.files."""
    rows = con.execute(
        "select file_path, sha256, status, coalesce(rows, 0), error, dataset, region_code, sheets, "
        f"duplicate_of from {SCHEMA}.files"
    ).fetchall()
    return {
        path: FileState(sha, status, int(n), error, dataset, region, sheets, duplicate_of)
        for path, sha, status, n, error, dataset, region, sheets, duplicate_of in rows
    }


def file_states(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """file_path -> (sha256, status) of every file recorded in landing.files."""
    return {path: (d.sha256, d.status) for path, d in file_details(con).items()}


def _conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    """Select and cast `table` to exactly the landing schema (order and types)."""
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise ValueError(f"landing.{name}: result lacks columns {', '.join(missing)}")
    return table.select(schema.names).cast(schema)


def _files_row(
    entry: FileEntry,
    *,
    status: str,
    rows: int = 0,
    error: str | None = None,
    duplicate_of: str | None = None,
    dataset: str | None = None,
    file_kind: str | None = None,
    sheets: str | None = None,
    exported_at: datetime | None = None,
    warnings: list[str] | None = None,
) -> pa.Table:
    row = {
        "file_path": entry.rel_path,
        "sha256": entry.sha256,
        "size_bytes": entry.size_bytes,
        "region_code": entry.region_code,
        "dataset": dataset,
        "status": status,
        "rows": rows,
        "error": error,
        "duplicate_of": duplicate_of,
        "loaded_at": datetime.now().replace(microsecond=0),
        "file_modified_at": entry.modified_at,
        "file_kind": file_kind,
        "sheets": sheets,
        "exported_at": exported_at,
        "warnings": "\n".join(warnings) if warnings else None,
    }
    return pa.Table.from_pylist([row], schema=FILES)


def _insert(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    view = f"_govdw_in_{name}"
    con.register(view, table)
    try:
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(f"insert into {SCHEMA}.{name} ({cols}) select {cols} from {view}")
    finally:
        con.unregister(view)


def _replace_file(
    con: duckdb.DuckDBPyConnection,
    entry: FileEntry,
    tables: dict[str, pa.Table],
    files_row: pa.Table,
) -> None:
    schemas = datasets.landing_tables()
    per_file = datasets.per_file_tables()
    con.execute("begin transaction")
    try:
        for name in per_file:
            con.execute(f"delete from {SCHEMA}.{name} where source_file = ?", [entry.rel_path])
        for name, table in tables.items():
            if name not in per_file:
                raise ValueError(f"{entry.rel_path}: unknown landing table {name!r}")
            if table.num_rows:
                _insert(con, name, _conform(table, schemas[name], name))
        con.execute(f"delete from {SCHEMA}.files where file_path = ?", [entry.rel_path])
        _insert(con, "files", files_row)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def stored_dataset(result: ParseResult) -> str | None:
    """The dataset landing.files records for a parse result: a loaded file that names none but
    holds reported figures is a summary."""
    if result.status == "loaded" and result.dataset is None:
        return "summary" if "reported_stats" in result.tables else None
    return result.dataset


def write_result(con: duckdb.DuckDBPyConnection, entry: FileEntry, result: ParseResult) -> None:
    """Replace the file's rows in every landing table and its landing.files row, atomically."""
    loaded = result.status == "loaded"
    files_row = _files_row(
        entry,
        status=result.status,
        rows=result.rows if loaded else 0,
        error=result.error,
        dataset=stored_dataset(result),
        file_kind=result.file_kind,
        sheets=",".join(result.sheets) or None,
        exported_at=result.exported_at,
        warnings=list(getattr(result, "warnings", None) or []),
    )
    _replace_file(con, entry, result.tables if loaded else {}, files_row)


def mark_duplicate(con: duckdb.DuckDBPyConnection, entry: FileEntry, duplicate_of: str) -> None:
    """Record `entry` as a byte-for-byte copy of the loaded file `duplicate_of` (no rows)."""
    _replace_file(con, entry, {}, _files_row(entry, status="duplicate", duplicate_of=duplicate_of))


def mark_quarantined(
    con: duckdb.DuckDBPyConnection,
    entry: FileEntry,
    error: str,
    file_kind: str | None = None,
    warnings: list[str] | None = None,
) -> None:
    """Record `entry` as quarantined with a human-readable `error` (and drop any old rows)."""
    row = _files_row(
        entry, status="quarantined", error=error, file_kind=file_kind, warnings=warnings
    )
    _replace_file(con, entry, {}, row)


def forget_missing(con: duckdb.DuckDBPyConnection, present_rel_paths: set[str]) -> list[str]:
    """Remove every trace of files no longer under raw/; returns their paths, sorted."""
    known = [r[0] for r in con.execute(f"select file_path from {SCHEMA}.files").fetchall()]
    gone = sorted(set(known) - set(present_rel_paths))
    if not gone:
        return []
    per_file = datasets.per_file_tables()
    con.execute("begin transaction")
    try:
        for path in gone:
            for name in per_file:
                con.execute(f"delete from {SCHEMA}.{name} where source_file = ?", [path])
            con.execute(f"delete from {SCHEMA}.files where file_path = ?", [path])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return gone
