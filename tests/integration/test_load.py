"""govdw.load and ingest_dir against a temporary DuckDB: replace, duplicate, forget, refresh."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

import govdw.discover
import govdw.extract
from govdw import datasets
from govdw.extract import Extraction, FileContext
from govdw.ingest import ingest_dir
from govdw.load import (
    create_table_sql,
    ensure_schema,
    file_states,
    forget_missing,
    known_hashes,
    mark_duplicate,
    write_result,
)
from govdw.types import FileEntry, ParseResult

MTIME = datetime(2024, 4, 2, 9, 0, 0)


def _entry(rel: str, sha: str = "a" * 64) -> FileEntry:
    return FileEntry(Path("/raw") / rel, rel, 100, MTIME, sha, "640522", None)


def _orders(rel: str, ids: list[str]) -> pa.Table:
    rows = [
        {"sha256": "a" * 64, "source_file": rel, "source_sheet": "工单", "source_row": 3 + i,
         "region_code": "640522", "source_order_id": oid, "received_at": datetime(2024, 3, 1, 8)}
        for i, oid in enumerate(ids)
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=datasets.HOTLINE.schema)


def _result(rel: str, ids: list[str]) -> ParseResult:
    return ParseResult(
        rel, "a" * 64, "loaded", dataset="hotline", file_kind="xlsx",
        exported_at=datetime(2024, 4, 1, 10), tables={"hotline_orders": _orders(rel, ids)},
        sheets=["工单"], rows=len(ids),
    )  # fmt: skip


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the landing schema."""
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def test_ddl_derived_from_arrow_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Every landing table exists with the Arrow schema's columns and DuckDB types."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = 'landing' order by 1"
    ).fetchall()
    assert sorted(t[0] for t in tables) == sorted(datasets.landing_tables())
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'landing' and table_name = 'evaluations' order by ordinal_position"
    ).fetchall()
    assert cols[3:5] == [("source_row", "INTEGER"), ("region_code", "VARCHAR")]
    assert cols[-3:] == [
        ("rating", "TINYINT"),
        ("rating_label", "VARCHAR"),
        ("comment_masked", "VARCHAR"),
    ]
    assert create_table_sql("cell_issues", datasets.landing_tables()["cell_issues"]).startswith(
        'create table if not exists landing.cell_issues ("sha256" varchar, "source_file" varchar'
    )
    ensure_schema(con)  # idempotent


def test_write_result_replaces_a_files_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Reloading a file replaces its rows and its files row; other files are untouched."""
    write_result(con, _entry("640522/a.xlsx"), _result("640522/a.xlsx", ["1", "2", "3"]))
    write_result(con, _entry("640522/b.xlsx", "b" * 64), _result("640522/b.xlsx", ["9"]))
    write_result(con, _entry("640522/a.xlsx"), _result("640522/a.xlsx", ["1", "4"]))
    rows = con.execute(
        "select source_file, source_row, source_order_id from landing.hotline_orders order by 1, 2"
    ).fetchall()
    assert rows == [("640522/a.xlsx", 3, "1"), ("640522/a.xlsx", 4, "4"), ("640522/b.xlsx", 3, "9")]
    files = con.execute(
        "select file_path, status, rows, dataset, file_kind, sheets, exported_at, size_bytes "
        "from landing.files order by 1"
    ).fetchall()
    assert files == [
        ("640522/a.xlsx", "loaded", 2, "hotline", "xlsx", "工单", datetime(2024, 4, 1, 10), 100),
        ("640522/b.xlsx", "loaded", 1, "hotline", "xlsx", "工单", datetime(2024, 4, 1, 10), 100),
    ]
    assert known_hashes(con) == {"a" * 64: "640522/a.xlsx", "b" * 64: "640522/b.xlsx"}


def test_quarantine_removes_old_rows(con: duckdb.DuckDBPyConnection) -> None:
    """A file that turns bad loses its earlier rows and carries the error."""
    write_result(con, _entry("640522/a.xlsx"), _result("640522/a.xlsx", ["1"]))
    bad = ParseResult("640522/a.xlsx", "a" * 64, "quarantined", error="640522/a.xlsx: broken")
    write_result(con, _entry("640522/a.xlsx"), bad)
    assert con.execute("select count(*) from landing.hotline_orders").fetchone() == (0,)
    assert con.execute("select status, rows, error from landing.files").fetchall() == [
        ("quarantined", 0, "640522/a.xlsx: broken")
    ]


def test_duplicate_and_forget(con: duckdb.DuckDBPyConnection) -> None:
    """mark_duplicate records the original; forget_missing drops every trace of gone files."""
    write_result(con, _entry("640522/a.xlsx"), _result("640522/a.xlsx", ["1"]))
    mark_duplicate(con, _entry("640522/copy.xlsx"), "640522/a.xlsx")
    assert file_states(con) == {
        "640522/a.xlsx": ("a" * 64, "loaded"),
        "640522/copy.xlsx": ("a" * 64, "duplicate"),
    }
    assert forget_missing(con, {"640522/copy.xlsx"}) == ["640522/a.xlsx"]
    assert con.execute("select count(*) from landing.hotline_orders").fetchone() == (0,)
    assert con.execute("select file_path, duplicate_of from landing.files").fetchall() == [
        ("640522/copy.xlsx", "640522/a.xlsx")
    ]


# --- ingest_dir end to end (in-process parsing, stand-in extractor) -------------------------


def _fake_extract(sheets: list[Any], ctx: FileContext) -> Extraction:
    """One order per CSV line after the header: (id, status)."""
    rows = [
        {"sha256": ctx.sha256, "source_file": ctx.rel_path, "source_sheet": "csv",
         "source_row": i + 1, "region_code": ctx.region_code,
         "file_modified_at": ctx.file_modified_at, "source_order_id": r["c0"], "status": r["c1"]}
        for i, r in enumerate(sheets[0].grid.to_pylist()) if i > 0
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=datasets.HOTLINE.schema)
    return Extraction("hotline", None, {"hotline_orders": table}, ["csv"], len(rows), [], {})


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_ingest_dir_lifecycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Load, no-op re-run, reload on edit, duplicates, forgetting deleted files, full refresh."""
    monkeypatch.setattr(govdw.extract, "extract", _fake_extract)
    raw, db = tmp_path / "raw", tmp_path / "build" / "b.duckdb"
    _write(raw / "640522" / "a.csv", "工单编号,状态\nA1,已办结\nA2,办理中\n")
    _write(raw / "640522" / "z_copy.csv", "工单编号,状态\nA1,已办结\nA2,办理中\n")
    _write(raw / "640522" / "empty.csv", "")
    _write(raw / "misc" / "b.csv", "工单编号,状态\nB1,已办结\n")

    first = ingest_dir(raw, db, workers=0)
    assert (first.files_seen, first.parsed, first.loaded, first.duplicate, first.quarantined) == (
        4, 2, 1, 1, 2
    )  # fmt: skip
    assert (first.unchanged, first.changed, first.rows_by_table) == (0, True, {"hotline_orders": 2})
    with duckdb.connect(str(db), read_only=True) as c:
        files = c.execute(
            "select file_path, status, rows, duplicate_of, error from landing.files order by 1"
        ).fetchall()
    assert files[0] == ("640522/a.csv", "loaded", 2, None, None)
    assert files[1] == (
        "640522/empty.csv",
        "quarantined",
        0,
        None,
        "640522/empty.csv: the file is empty (0 bytes)",
    )
    assert files[2] == ("640522/z_copy.csv", "duplicate", 0, "640522/a.csv", None)
    assert files[3][:3] == ("misc/b.csv", "quarantined", 0)
    assert files[3][4].startswith("misc/b.csv: ")

    # A re-run reads no file whose size and mtime are unchanged, and writes nothing.
    hashed: list[Path] = []
    real_hash = govdw.discover.sha256_file

    def counting_hash(path: Path) -> str:
        hashed.append(path)
        return real_hash(path)

    monkeypatch.setattr(govdw.discover, "sha256_file", counting_hash)
    stamp = db.stat().st_mtime_ns
    again = ingest_dir(raw, db, workers=0)
    assert (again.parsed, again.unchanged, again.duplicate, again.changed) == (0, 3, 1, False)
    assert hashed == [] and db.stat().st_mtime_ns == stamp

    _write(raw / "640522" / "a.csv", "工单编号,状态\nA1,已办结\n")
    (raw / "640522" / "empty.csv").unlink()
    third = ingest_dir(raw, db, workers=0)
    # The copy no longer matches a.csv, so it is parsed and loaded in its own right.
    assert (third.parsed, third.loaded, third.duplicate, third.changed, third.forgotten) == (
        2, 2, 0, True, ["640522/empty.csv"]
    )  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as c:
        orders = c.execute(
            "select source_file, source_order_id from landing.hotline_orders order by 1, 2"
        ).fetchall()
    assert orders == [
        ("640522/a.csv", "A1"),
        ("640522/z_copy.csv", "A1"),
        ("640522/z_copy.csv", "A2"),
    ]
    # Latest export wins, but not silently: the newer a.csv holds one record fewer.
    fewer = "this export holds 1 records, the one it replaced held 2 (1 fewer); latest export wins"
    assert [f.warnings for f in third.files if f.rel_path == "640522/a.csv"] == [[fewer]]
    with duckdb.connect(str(db), read_only=True) as c:
        warned = c.execute(
            "select file_path, warnings from landing.files where warnings is not null"
        ).fetchall()
    assert warned == [("640522/a.csv", fewer)]

    shutil.rmtree(raw / "misc")
    refreshed = ingest_dir(raw, db, workers=0, full_refresh=True)
    assert (refreshed.parsed, refreshed.loaded, refreshed.unchanged) == (2, 2, 0)


def test_file_changed_while_read_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that changes while parsed is quarantined this run and parsed again on the next,
    even when its bytes by then equal those seen at discovery."""
    raw, db = tmp_path / "raw", tmp_path / "b.duckdb"
    path = raw / "640522" / "a.csv"
    original = "工单编号,状态\nA1,已办结\nA2,办理中\n"
    _write(path, original)
    calls: list[str] = []

    def rewriting(sheets: list[Any], ctx: FileContext) -> Extraction:
        calls.append(ctx.rel_path)
        if len(calls) == 1:
            _write(path, original + "A3,办理中\n")  # still being copied in
        return _fake_extract(sheets, ctx)

    monkeypatch.setattr(govdw.extract, "extract", rewriting)
    first = ingest_dir(raw, db, workers=0)
    assert (first.loaded, first.quarantined) == (0, 1)
    with duckdb.connect(str(db), read_only=True) as c:
        state = c.execute("select status, rows, error from landing.files").fetchall()
        orders = c.execute("select count(*) from landing.hotline_orders").fetchone()
    assert state == [
        (
            "quarantined",
            0,
            "640522/a.csv: file changed while it was read; it will be read again on the next run",
        )
    ]
    assert orders == (0,)
    _write(path, original)  # back to the bytes the first run discovered
    second = ingest_dir(raw, db, workers=0)
    assert (second.parsed, second.loaded, second.unchanged) == (1, 1, 0)
    assert len(calls) == 2


def test_old_files_table_gains_warnings_column() -> None:
    """A build database from before the warnings column gets it added by ensure_schema."""
    connection = duckdb.connect()
    connection.execute("create schema landing")
    connection.execute("create table landing.files (file_path varchar, sha256 varchar)")
    ensure_schema(connection)
    cols = [r[0] for r in connection.execute("describe landing.files").fetchall()]
    assert cols == ["file_path", "sha256", "warnings"]


def test_file_warnings_check_is_a_warning() -> None:
    """The Dagster check on audit_files lists files with warnings, severity WARN."""
    from dagster import AssetCheckSeverity

    from orchestration.defs.warehouse.checks import file_warnings_result

    connection = duckdb.connect()
    connection.execute("create table audit_files (file_path varchar, warnings varchar)")
    connection.execute(
        "insert into audit_files values ('640522/a.csv', 'this export holds 1 records, the one "
        "it replaced held 2 (1 fewer); latest export wins'), ('640522/b.csv', null)"
    )
    result = file_warnings_result(connection)
    assert (result.passed, result.severity) == (False, AssetCheckSeverity.WARN)
    assert result.metadata["files_with_warnings"].value == 1
    assert result.metadata["fewer_records_than_replaced"].value == 1
