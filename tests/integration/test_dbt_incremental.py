"""Incremental facts: after landing changes, `dbt build` equals a `--full-refresh` build.

One module fixture, three dbt invocations: a first build of the tiny fixture landing; then the
landing changes exactly as the ingester changes it (govdw.load: a new export that supersedes an
order, a re-exported file whose rows are replaced, a file deleted from raw/); then an incremental
`dbt build` of that database and a `dbt build --full-refresh` of a copy of it, side by side. Every
published table, and each fact's increment state, must come out identical. Before the
incremental build every fact row is marked (a suffix on source_sheet): rows the increment did not
rebuild keep the mark, which shows that exactly the keys of the changed files were rebuilt. A
fourth, small invocation (`dbt run` of one fact with a changed var) shows that a logic change
rebuilds every key.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from landing_fixture import (  # tests/integration is on sys.path (rootdir-less layout)
    APRIL_FILE,
    EVAL_FILE_2,
    HAIYUAN_FILE,
    MAY_FILE,
    OLD_FILE,
    WUQIA,
    build_landing_db,
    evaluations,
    forget_files,
    hotline_orders,
    load_file,
    reexport,
    service_cases,
)

REPO = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO / "dbt_project"
BIN = Path(sys.executable).parent

JUNE_FILE = f"{WUQIA}/c_june.xlsx"  # a newer export of order A2
CASES_NOV_FILE = f"{WUQIA}/cases_nov.xlsx"  # a newer export of case C3
MARK = " #kept"

#: fact -> (expression naming a row, the rows no landing change touches)
FACTS = {
    "fct_hotline_orders": ("coalesce(source_order_id, '-')", {"A3", "H1"}),
    "fct_evaluations": ("coalesce(source_evaluation_id, '-')", {"E2", "E3"}),
    "fct_service_cases": ("source_case_id", {"C1", "C2", "C4"}),
}


def change_landing(db: Path) -> None:
    """New, re-exported and deleted files, written by the ingester's own loader functions."""
    orders = {(r["source_file"], r["source_order_id"]): r for r in hotline_orders()}
    evals = {(r["source_file"], r["source_evaluation_id"]): r for r in evaluations()}
    cases = {r["source_case_id"]: r for r in service_cases()}
    # A newer export supersedes A2 of the May export: closed now.
    load_file(
        db,
        JUNE_FILE,
        {
            "hotline_orders": [
                reexport(
                    orders[(MAY_FILE, "A2")],
                    JUNE_FILE,
                    2,
                    status="已办结",
                    closed_at=dt.datetime(2023, 5, 20, 10),
                )
            ]
        },
        dataset="hotline",
        exported_at=dt.datetime(2023, 6, 1, 9),
        modified_at=dt.datetime(2023, 6, 1, 10),
    )
    # The April export, re-exported: A1 is no longer in it (the May version stays and now is
    # A1's only version), a new order A7 is.
    load_file(
        db,
        APRIL_FILE,
        {
            "hotline_orders": [
                reexport(
                    orders[(APRIL_FILE, "A1")],
                    APRIL_FILE,
                    2,
                    source_order_id="A7",
                    received_at=dt.datetime(2023, 4, 25, 9),
                )
            ]
        },
        dataset="hotline",
        exported_at=dt.datetime(2023, 4, 30, 18),
        modified_at=dt.datetime(2023, 6, 2),
    )
    # The 2022 export deleted from raw/: its order without an id and A6 vanish.
    assert forget_files(db, {OLD_FILE}) == [OLD_FILE]
    # The second evaluation export, re-exported: E4 re-rated, E5 and the row without an id
    # gone, E6 new; E1 (also in the first export) still wins from here.
    e4 = evals[(EVAL_FILE_2, "E4")]
    load_file(
        db,
        EVAL_FILE_2,
        {
            "evaluations": [
                evals[(EVAL_FILE_2, "E1")],
                reexport(e4, EVAL_FILE_2, 3, rating=4, rating_label="满意"),
                reexport(
                    e4, EVAL_FILE_2, 4, source_evaluation_id="E6", rating=2, rating_label="不满意"
                ),
            ]
        },
        dataset="evaluation",
        exported_at=dt.datetime(2023, 5, 3),
        modified_at=dt.datetime(2023, 5, 3),
    )
    # A newer case export: C3 completed.
    load_file(
        db,
        CASES_NOV_FILE,
        {
            "service_cases": [
                reexport(
                    cases["C3"],
                    CASES_NOV_FILE,
                    2,
                    status="已办结",
                    completed_at=dt.datetime(2023, 10, 20, 10),
                )
            ]
        },
        dataset="service",
        exported_at=dt.datetime(2023, 11, 1, 9),
        modified_at=dt.datetime(2023, 11, 1, 9),
    )


def _dbt(db: Path, out: Path, *args: str, command: str = "build") -> subprocess.Popen[str]:
    """Start `dbt build` (plus `args`) against the build database `db`; output under `out`."""
    env = {**os.environ, "GOVDW_BUILD_DB": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.Popen(
        [
            str(BIN / "dbt"),
            command,
            *args,
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(out / "target"),
            "--log-path",
            str(out / "logs"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _finish(process: subprocess.Popen[str], out: Path) -> dict[str, Any]:
    """Wait for a dbt run; its run_results.json, after checking that every node passed."""
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, f"dbt failed:\n{output[-6000:]}"
    results = json.loads((out / "target" / "run_results.json").read_text(encoding="utf-8"))
    failed = [r["unique_id"] for r in results["results"] if r["status"] not in ("success", "pass")]
    assert failed == []
    return results


def _execute(db: Path, *statements: str) -> None:
    con = duckdb.connect(str(db))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A first build, the landing changes, then an incremental and a full-refresh build."""
    base = tmp_path_factory.mktemp("dbt_incremental")
    db, full_db = base / "build.duckdb", base / "full_refresh.duckdb"
    build_landing_db(db)
    _finish(_dbt(db, base / "first"), base / "first")

    change_landing(db)
    _execute(
        db, *(f"update main.{fact} set source_sheet = source_sheet || '{MARK}'" for fact in FACTS)
    )
    shutil.copyfile(db, full_db)

    started = time.perf_counter()
    incremental = _dbt(db, base / "incremental")
    full = _dbt(full_db, base / "full", "--full-refresh")
    try:
        results = {"incremental": _finish(incremental, base / "incremental")}
        results["full"] = _finish(full, base / "full")
    finally:
        for process in (incremental, full):
            if process.poll() is None:
                process.kill()
                process.wait()
    print(
        f"incremental and full-refresh builds side by side: {time.perf_counter() - started:.1f} s"
    )

    # Which rows the increment left alone; then the marks go, for the comparison.
    kept: dict[str, set[str]] = {}
    con = duckdb.connect(str(db))
    try:
        for fact, (name, _) in FACTS.items():
            rows = con.execute(f"select {name} from main.{fact} where source_sheet like '%{MARK}'")
            kept[fact] = {row[0] for row in rows.fetchall()}
            con.execute(
                f"update main.{fact} set source_sheet = "
                f"left(source_sheet, length(source_sheet) - {len(MARK)}) "
                f"where source_sheet like '%{MARK}'"
            )
    finally:
        con.close()
    yield {"db": db, "full_db": full_db, "results": results, "kept": kept}


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """The published tables and the increment states of one attached database."""
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? "
        "and (table_schema = 'main' or table_name like '%increment_state') order by 1, 2",
        [catalog],
    ).fetchall()


def test_incremental_build_equals_full_refresh(builds: dict[str, Any]) -> None:
    """Every published table and every increment state: the same rows, both ways."""
    con = duckdb.connect(str(builds["db"]), read_only=True)
    try:
        con.execute(f"attach '{builds['full_db']}' as full_refresh (read_only)")
        mine = _tables(con, builds["db"].stem)
        theirs = _tables(con, "full_refresh")
        assert mine == theirs
        assert ("intermediate", "fct_evaluations__increment_state") in mine
        for schema, table in mine:
            ours, other = f'"{schema}"."{table}"', f'full_refresh."{schema}"."{table}"'
            for left, right in ((ours, other), (other, ours)):
                extra = con.execute(
                    f"select * from {left} except all select * from {right} limit 5"
                ).fetchall()
                assert extra == [], f"{schema}.{table}: rows only in {left}: {extra}"
        # The changes did reach the facts (not two equally stale builds).
        assert con.execute(
            "select source_order_id, status, source_file, version_count, is_received_timely "
            "from fct_hotline_orders order by 1"
        ).fetchall() == [
            ("A1", "已办结", MAY_FILE, 1, True),
            ("A2", "已办结", JUNE_FILE, 2, False),
            ("A3", "已办结", MAY_FILE, 1, False),
            ("A7", "办理中", APRIL_FILE, 1, True),
            ("H1", "待签收", HAIYUAN_FILE, 1, False),
        ]
        assert con.execute(
            "select coalesce(source_evaluation_id, '-'), rating from fct_evaluations order by 1"
        ).fetchall() == [("E1", 5), ("E2", 5), ("E3", 4), ("E4", 4), ("E6", 2)]
        assert con.execute(
            "select source_case_id, is_completed from fct_service_cases order by 1"
        ).fetchall() == [("C1", True), ("C2", True), ("C3", True), ("C4", False)]
    finally:
        con.close()


def test_only_keys_of_changed_files_are_rebuilt(builds: dict[str, Any]) -> None:
    """Rows of untouched keys were kept as they were; every key a changed file touches was not."""
    for fact, (_, untouched) in FACTS.items():
        assert builds["kept"][fact] == untouched, fact


def test_facts_ran_incrementally(builds: dict[str, Any]) -> None:
    """The incremental build compiled the increment filter; the full refresh did not."""
    for run, incremental in (("incremental", True), ("full", False)):
        nodes = {r["unique_id"]: r for r in builds["results"][run]["results"]}
        for fact in FACTS:
            code = nodes[f"model.govdw.{fact}"]["compiled_code"]
            assert (f"{fact}__increment_keys" in code) is incremental, (run, fact)


def test_a_logic_change_rebuilds_every_key(builds: dict[str, Any], tmp_path: Path) -> None:
    """A changed var (part of the compiled SQL) changes the fingerprint: every row is rebuilt."""
    db = tmp_path / "var_changed.duckdb"
    shutil.copyfile(builds["db"], db)
    _execute(db, f"update main.fct_hotline_orders set source_sheet = source_sheet || '{MARK}'")
    run = _dbt(
        db,
        tmp_path,
        "--select",
        "fct_hotline_orders",
        "--vars",
        "{timely_receipt_hours: 0}",
        command="run",
    )
    _finish(run, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        marked = con.execute(
            f"select count(*) from fct_hotline_orders where source_sheet like '%{MARK}'"
        ).fetchone()
        timely = con.execute(
            "select source_order_id from fct_hotline_orders where is_received_timely order by 1"
        ).fetchall()
    finally:
        con.close()
    assert marked == (0,)
    assert timely == []  # with 24 h, A1 and A7 (signed for 1 h after dispatch) were timely
