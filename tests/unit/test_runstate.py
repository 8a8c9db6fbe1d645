"""govdw.runstate: a run is skipped only when nothing it depended on changed since the last one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govdw import runstate

LAST = runstate.LastRun(run_id="r1", log="/logs/r1.log", finished_at="2026-11-29 10:00:00", files=2)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A raw folder with two files, a build database with its dbt marker and a warehouse."""
    monkeypatch.setenv("GOVDW_PII_KEY", "test-key")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    raw = tmp_path / "raw"
    (raw / "653024").mkdir(parents=True)
    (raw / "653024" / "a.csv").write_text("a\n", encoding="utf-8")
    (raw / "653024" / "b.csv").write_text("b\n", encoding="utf-8")
    build = tmp_path / "wh" / ".build" / "govdw_build.duckdb"
    build.parent.mkdir(parents=True)
    build.write_bytes(b"build")
    build.with_name(build.name + ".dbt-ok").write_text("{}", encoding="utf-8")
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    warehouse.write_bytes(b"published")
    before = runstate.raw_snapshot(raw)
    assert runstate.record(raw, build, warehouse, before, LAST)
    return {"raw": raw, "build": build, "warehouse": warehouse}


def _unchanged(world: dict[str, Path]) -> runstate.LastRun | None:
    return runstate.unchanged_since_last_run(world["raw"], world["build"], world["warehouse"])


def test_nothing_changed_gives_the_last_run(world: dict[str, Path]) -> None:
    assert _unchanged(world) == LAST


def _bump_mtime(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))


@pytest.mark.parametrize(
    "change",
    [
        "new file",
        "changed file",
        "same bytes, new mtime",
        "deleted file",
        "build written",
        "warehouse replaced",
        "dbt marker gone",
        "setting changed",
        "key changed",
    ],
)
def test_any_change_means_a_real_run(
    world: dict[str, Path], change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, build, warehouse = world["raw"], world["build"], world["warehouse"]
    if change == "new file":
        (raw / "653024" / "c.csv").write_text("c\n", encoding="utf-8")
    elif change == "changed file":
        (raw / "653024" / "a.csv").write_text("a2\n", encoding="utf-8")
    elif change == "same bytes, new mtime":
        _bump_mtime(raw / "653024" / "a.csv")
    elif change == "deleted file":
        (raw / "653024" / "b.csv").unlink()
    elif change == "build written":
        build.write_bytes(b"build, written by a run from the Dagster UI")
    elif change == "warehouse replaced":
        tmp = warehouse.with_name("other")
        tmp.write_bytes(b"published")
        os.replace(tmp, warehouse)
    elif change == "dbt marker gone":
        build.with_name(build.name + ".dbt-ok").unlink()
    elif change == "setting changed":
        monkeypatch.setenv("GOVDW_MAX_WORKERS", "1")
    elif change == "key changed":
        monkeypatch.setenv("GOVDW_PII_KEY", "another-key")
    assert _unchanged(world) is None


def test_another_warehouse_path_is_a_real_run(world: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "govdw.duckdb"
    assert runstate.unchanged_since_last_run(world["raw"], world["build"], other) is None


def test_forget_and_a_folder_changed_during_the_run(world: dict[str, Path]) -> None:
    """After `forget` nothing is unchanged; a run during which a file changed records nothing."""
    raw, build, warehouse = world["raw"], world["build"], world["warehouse"]
    runstate.forget(build)
    assert _unchanged(world) is None
    before = runstate.raw_snapshot(raw)
    (raw / "653024" / "a.csv").write_text("copied in while the run read it\n", encoding="utf-8")
    assert not runstate.record(raw, build, warehouse, before, LAST)
    assert _unchanged(world) is None


def test_a_damaged_record_is_ignored(world: dict[str, Path]) -> None:
    world["build"].with_name(world["build"].name + ".run-ok").write_text("{not json", "utf-8")
    assert _unchanged(world) is None


def test_only_raw_files_changed_names_them(world: dict[str, Path]) -> None:
    """New, changed and gone files are named when nothing else changed; anything else changed
    means every file is looked at (changed is None)."""
    raw = world["raw"]
    (raw / "653024" / "c.csv").write_text("c\n", encoding="utf-8")
    _bump_mtime(raw / "653024" / "a.csv")
    (raw / "653024" / "b.csv").unlink()
    since = runstate.since_last_run(raw, world["build"], world["warehouse"])
    assert (since.last, since.changed, since.gone) == (
        LAST,
        ["653024/a.csv", "653024/c.csv"],
        ["653024/b.csv"],
    )
    assert not since.nothing
    world["build"].write_bytes(b"written since")
    since = runstate.since_last_run(raw, world["build"], world["warehouse"])
    assert (since.last, since.changed) == (None, None)
