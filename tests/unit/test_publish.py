"""govdw.publish: atomic replace keeps old readers working; a failed copy leaves the old file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from govdw import publish as publish_mod
from govdw.publish import PublishError, publish, table_row_counts


def _make_db(path: Path, values: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create or replace table t (v integer)")
    con.executemany("insert into t values (?)", [[v] for v in values])
    con.close()


def test_publish_copies_and_replaces(tmp_path: Path) -> None:
    """The warehouse gets the build DB's tables; no temp files are left behind."""
    build = tmp_path / "build" / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [1, 2, 3])
    assert publish(build, warehouse) == warehouse
    assert table_row_counts(warehouse) == {"t": 3}
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["govdw.duckdb"]


def test_reader_of_old_file_keeps_reading_old_data(tmp_path: Path) -> None:
    """An analyst's open read-only connection neither blocks the publish nor sees a torn file."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [1])
    publish(build, warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert reader.execute("select sum(v) from t").fetchone() == (1,)
        _make_db(build, [10, 20])
        publish(build, warehouse)
        # The old connection still reads the old version it has open.
        assert reader.execute("select sum(v) from t").fetchone() == (1,)
    finally:
        reader.close()
    fresh = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert fresh.execute("select sum(v) from t").fetchone() == (30,)
    finally:
        fresh.close()


def test_failed_copy_leaves_previous_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy failing half-way raises PublishError, keeps the old file and removes the temp file."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [5])
    publish(build, warehouse)
    _make_db(build, [7, 8])

    def broken_copy(src: Path, dst: Path) -> None:
        dst.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_mod, "_copy_synced", broken_copy)
    with pytest.raises(PublishError, match="No space left on device; the previous warehouse"):
        publish(build, warehouse)
    assert table_row_counts(warehouse) == {"t": 1}
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["govdw.duckdb"]


def test_missing_build_db_is_explained(tmp_path: Path) -> None:
    """Publishing a build DB that was never written names the file and what to do."""
    with pytest.raises(PublishError, match="does not exist"):
        publish(tmp_path / "nope.duckdb", tmp_path / "wh.duckdb")
