"""The Parquet hand-off (`govdw.handoff`): the landing tables as one Parquet file per source file
and table, partitioned by dataset / region / year, kept in step with the landing schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from landing_fixture import (  # tests/integration is on sys.path (rootdir-less layout)
    APRIL_FILE,
    HAIYUAN_FILE,
    MAY_FILE,
    build_landing_db,
    forget_files,
    hotline_orders,
    load_file,
    reexport,
)

from govdw import datasets, handoff
from govdw.ingest import ingest_dir
from govdw.sample import write_families
from govdw.sample.families import wuqia


def _sorted_rows(table: pa.Table) -> list[tuple]:
    return sorted(
        (tuple(row.values()) for row in table.to_pylist()),
        key=lambda r: tuple((v is None, str(v)) for v in r),
    )


def _landing(db: Path, name: str) -> pa.Table:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(f"select * from landing.{name}").to_arrow_table()
    finally:
        con.close()


def _sync(db: Path, root: Path) -> handoff.SyncResult:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return handoff.sync(con, root)
    finally:
        con.close()


@pytest.fixture()
def landing_db(tmp_path: Path) -> Path:
    db = tmp_path / "build.duckdb"
    build_landing_db(db)
    return db


def _mtimes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*.parquet")
        if p.name != handoff.SCHEMA_FILE
    }


def test_every_landing_table_reads_back_equal(landing_db: Path, tmp_path: Path) -> None:
    root = tmp_path / "handoff"
    result = _sync(landing_db, root)
    assert result.written_files == len(_landing(landing_db, "files"))
    for name, schema in datasets.landing_tables().items():
        back = handoff.read_table(root, name)
        assert back.schema.equals(schema), name
        assert _sorted_rows(back) == _sorted_rows(_landing(landing_db, name).cast(schema)), name
        # The schema file is there even for a table without rows, and any engine's glob reads it.
        assert (root / name / handoff.SCHEMA_FILE).exists()
        con = duckdb.connect()
        count = con.execute(f"select count(*) from read_parquet('{root / name}/**/*.parquet')")
        assert count.fetchone()[0] == back.num_rows  # type: ignore[index]


def test_layout_is_dataset_region_year_one_file_per_source_file(
    landing_db: Path, tmp_path: Path
) -> None:
    root = tmp_path / "handoff"
    _sync(landing_db, root)
    april = handoff.file_id(APRIL_FILE)
    found = [p.relative_to(root).parts for p in root.rglob(f"{april}.parquet")]
    tables = {parts[0] for parts in found}
    assert "hotline_orders" in tables and "files" in tables
    for table, dataset, region, year, _name in found:
        assert (dataset, region) == ("hotline", "653024"), table
        assert year == "2023", table  # the earliest received_at of the April export
    # A source file has one file per table: its rows are not split across files.
    rows = handoff.read_table(root, "hotline_orders").to_pylist()
    by_file = {r["source_file"] for r in rows}
    assert len(list((root / "hotline_orders").rglob("*.parquet"))) == len(by_file) + 1


def test_a_re_export_replaces_exactly_its_own_rows(landing_db: Path, tmp_path: Path) -> None:
    root = tmp_path / "handoff"
    _sync(landing_db, root)
    before = _mtimes(root)
    assert _sync(landing_db, root).written_files == 0  # nothing changed: nothing rewritten
    assert _mtimes(root) == before

    first = next(r for r in hotline_orders() if r["source_file"] == MAY_FILE)
    load_file(
        landing_db,
        MAY_FILE,
        {"hotline_orders": [reexport(first, MAY_FILE, 2, status="已办结")]},
        dataset="hotline",
        exported_at=dt.datetime(2023, 5, 9),
        modified_at=dt.datetime(2023, 5, 9),
    )
    result = _sync(landing_db, root)
    assert result.written_files == 1
    after = _mtimes(root)
    may = handoff.file_id(MAY_FILE)
    changed = {p for p in after if before.get(p) != after[p]}
    assert changed and all(may in p for p in changed)
    assert {p for p in before if p not in after} <= {p for p in before if may in p}
    back = [r for r in handoff.read_table(root, "hotline_orders").to_pylist()]
    mine = [r for r in back if r["source_file"] == MAY_FILE]
    assert [(r["source_row"], r["status"]) for r in mine] == [(2, "已办结")]
    assert _sorted_rows(handoff.read_table(root, "hotline_orders")) == _sorted_rows(
        _landing(landing_db, "hotline_orders")
    )


def test_a_file_gone_from_raw_takes_its_parquet_files_with_it(
    landing_db: Path, tmp_path: Path
) -> None:
    root = tmp_path / "handoff"
    _sync(landing_db, root)
    gone = handoff.file_id(HAIYUAN_FILE)
    assert list(root.rglob(f"{gone}.parquet"))
    forget_files(landing_db, {HAIYUAN_FILE})
    result = _sync(landing_db, root)
    assert result.removed_files == 1
    assert not list(root.rglob(f"{gone}.parquet"))
    files = handoff.read_table(root, "files").column("file_path").to_pylist()
    assert HAIYUAN_FILE not in files and MAY_FILE in files


def test_an_interrupted_sync_is_finished_by_the_next(
    landing_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "handoff"
    calls = {"n": 0}
    real = handoff._Writers.write

    def failing(self: handoff._Writers, relative: str, table: pa.Table) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(self, relative, table)

    monkeypatch.setattr(handoff._Writers, "write", failing)
    with pytest.raises(OSError, match="disk full"):
        _sync(landing_db, root)
    assert not list(root.rglob("*.tmp")), "temporary files are removed on failure"
    monkeypatch.undo()
    _sync(landing_db, root)
    for name in datasets.landing_tables():
        assert _sorted_rows(handoff.read_table(root, name)) == _sorted_rows(
            _landing(landing_db, name).cast(datasets.landing_tables()[name])
        ), name


def test_ingest_writes_the_handoff_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    write_families(raw, [wuqia], scale=0.001, seed=7)
    db = tmp_path / "b.duckdb"
    root = tmp_path / "handoff"
    summary = ingest_dir(raw, db, workers=1, handoff_root=root)
    assert summary.loaded and summary.handoff_files == len(summary.files)
    for name in datasets.landing_tables():
        assert handoff.read_table(root, name).num_rows == _landing(db, name).num_rows, name
    assert ingest_dir(raw, db, workers=1, handoff_root=root).handoff_files == 0
    # Off by default with DuckDB; on for the other targets, at settings.landing_parquet_path.
    monkeypatch.delenv("GOVDW_HANDOFF", raising=False)
    monkeypatch.setenv("GOVDW_TARGET", "duckdb")
    assert ingest_dir(raw, db, workers=1).handoff_files is None
    monkeypatch.setenv("GOVDW_TARGET", "postgres")
    monkeypatch.setenv("GOVDW_LANDING_PARQUET", str(tmp_path / "elsewhere"))
    assert ingest_dir(raw, db, workers=1).handoff_files == len(summary.files)
    assert handoff.read_table(tmp_path / "elsewhere", "files").num_rows == len(summary.files)
