"""`dbt build` on a tiny hand-made landing database: every rule of the models, checked by value.

One build per module (about 15 s here); every test reads the built file read-only, the way an
analyst reads the published warehouse. The fixture rows and the reasoning behind each expected
figure are in `landing_fixture.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from contract_columns import CONTRACT_COLUMNS  # tests/ is on sys.path (rootdir conftest)
from landing_fixture import (  # tests/integration is on sys.path (rootdir-less layout)
    APRIL_FILE,
    HAIYUAN,
    MAY_FILE,
    SUMMARY_FILE,
    WUQIA,
    build_landing_db,
)

REPO = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO / "dbt_project"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The fixture landing database, built once through `dbt build`."""
    base = tmp_path_factory.mktemp("dbt")
    db = base / "build.duckdb"
    build_landing_db(db)
    env = {
        **os.environ,
        "GOVDW_BUILD_DB": str(db),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(BIN / "dbt"),
            "build",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(base / "target"),
            "--log-path",
            str(base / "logs"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    print(f"dbt build on the fixture took {seconds:.1f} s")
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr}"
    run_results = json.loads((base / "target" / "run_results.json").read_text(encoding="utf-8"))
    yield {"db": db, "run_results": run_results, "seconds": seconds}


def _query(build: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(build["db"]), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_node_passed(build: dict[str, Any]) -> None:
    """Models, seeds, data tests and the six dbt unit tests all pass."""
    results = build["run_results"]["results"]
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert failed == []
    unit_tests = sorted(
        r["unique_id"].rsplit(".", 1)[-1]
        for r in results
        if r["unique_id"].startswith("unit_test.")
    )
    assert unit_tests == [
        "case_due_dates_skip_the_golden_week_and_count_make_up_days",
        "latest_export_wins",
        "overdue_orders_are_judged_at_export_time",
        "region_month_rates",
        "year_over_year_change",
    ]


def test_every_contract_table_and_column(build: dict[str, Any]) -> None:
    """Each published table is reachable unqualified, read-only, with the contract's columns."""
    for table, columns in CONTRACT_COLUMNS.items():
        got = {row[0] for row in _query(build, f"describe {table}")}
        assert columns <= got, f"{table} misses {sorted(columns - got)}"


def test_published_names_are_unique_across_schemas(build: dict[str, Any]) -> None:
    """No table or view name appears in two schemas; published ones live in `main`."""
    rows = _query(build, "select table_schema, table_name from information_schema.tables")
    names = [name for _, name in rows]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
    main = {name for schema, name in rows if schema == "main"}
    assert set(CONTRACT_COLUMNS) <= main
    assert {"audit_cell_issues"} <= main


def test_region_month_rates(build: dict[str, Any]) -> None:
    """乌恰县 2023-04: 3 orders, 2 assigned, 1 of them closed (+1 本级 closed): close rate 0.5."""
    rows = _query(
        build,
        "select orders_received, orders_assigned, orders_closed, orders_closed_assigned, "
        "orders_overdue, close_rate, orders_dispatched, orders_received_timely, receipt_rate, "
        "evaluations_total, evaluations_very_satisfied, evaluations_satisfied, "
        "evaluations_basic, evaluations_dissatisfied, evaluations_very_dissatisfied, "
        "round(satisfaction_rate, 6), round(very_satisfied_rate, 6), cases_accepted "
        f"from mart_region_month where region_code = '{WUQIA}' and month = date '2023-04-01'",
    )
    assert rows == [(3, 2, 2, 1, 1, 0.5, 2, 1, 0.5, 6, 2, 1, 1, 1, 1, 0.666667, 0.333333, 0)]


def test_region_month_rows(build: dict[str, Any]) -> None:
    """One row per region-month with any data; rates null without a denominator."""
    rows = _query(
        build,
        "select region_code, month, orders_received, cases_accepted, cases_completed, "
        "cases_overdue, evaluations_total, close_rate, receipt_rate, satisfaction_rate "
        "from mart_region_month order by region_code, month",
    )
    assert rows == [
        (HAIYUAN, dt.date(2023, 4, 1), 1, 0, 0, 0, 0, 0.0, None, None),
        (WUQIA, dt.date(2022, 4, 1), 2, 0, 0, 0, 0, 1.0, 1.0, None),
        (WUQIA, dt.date(2023, 4, 1), 3, 0, 0, 0, 6, 0.5, 0.5, 4 / 6),
        (WUQIA, dt.date(2023, 9, 1), 0, 4, 2, 2, 0, None, None, None),
    ]


def test_latest_export_wins(build: dict[str, Any]) -> None:
    """A1 comes from the May export (later 导出时间) although the April file is newer on disk."""
    rows = _query(
        build,
        "select status, closed_at, source_file, source_row, version_count, satisfaction_label "
        "from fct_hotline_orders where source_order_id = 'A1'",
    )
    assert rows == [("已办结", dt.datetime(2023, 4, 7, 16), MAY_FILE, 2, 2, "满意")]
    history = _query(
        build,
        "select version_number, is_latest, status, source_file "
        "from intermediate.int_order_status_history where source_order_id = 'A1' "
        "order by version_number",
    )
    assert history == [(1, False, "办理中", APRIL_FILE), (2, True, "已办结", MAY_FILE)]


def test_order_flags(build: dict[str, Any]) -> None:
    """Closed, assigned, timely, overdue (judged at export time) and working days per order."""
    rows = _query(
        build,
        "select coalesce(source_order_id, '-'), is_closed, is_assigned, is_dispatched, "
        "is_received_timely, is_overdue, handling_working_days from fct_hotline_orders "
        "order by 1",
    )
    assert rows == [
        ("-", True, True, True, True, False, 2),  # 2022-04-10 (Sun) -> 04-12: 11th, 12th
        ("A1", True, True, True, True, False, 3),  # 04-05 清明 skipped
        ("A2", False, True, True, False, True, None),  # open, exported 05-05 > due 04-10
        ("A3", True, False, False, False, False, 0),  # 本级, closed the same day
        ("A6", True, True, True, True, True, 7),  # closed 04-20 > due 04-15
        ("H1", False, True, False, False, False, None),  # no deadline: never overdue
    ]


def test_order_keys(build: dict[str, Any]) -> None:
    """Keys are md5(region|id), or md5(region|file|sheet|row) for an order without an id."""
    rows = _query(
        build,
        "select order_key = md5(region_code || '|' || coalesce(source_order_id, "
        "source_file || '|' || source_sheet || '|' || source_row)), has_source_id "
        "from fct_hotline_orders order by source_order_id nulls first",
    )
    assert rows == [(True, False)] + [(True, True)] * 5


def test_case_due_dates_cross_the_golden_week(build: dict[str, Any]) -> None:
    """Accepted 2023-09-28: due dates skip 09-29..10-06 and count the 10-07/08 make-up days."""
    rows = _query(
        build,
        "select source_case_id, due_date, is_completed, is_overdue from fct_service_cases "
        "order by source_case_id",
    )
    assert rows == [
        ("C1", dt.date(2023, 10, 9), True, False),
        ("C2", dt.date(2023, 10, 9), True, True),
        ("C3", dt.date(2023, 10, 11), False, False),
        ("C4", dt.date(2023, 10, 7), False, True),
    ]


def test_evaluations_count_an_id_once(build: dict[str, Any]) -> None:
    """E1 exported twice counts once; the evaluation without an id keeps its own key."""
    rows = _query(
        build,
        "select coalesce(source_evaluation_id, '-'), rating, rating_label, source_file "
        "from fct_evaluations order by 1",
    )
    assert rows == [
        ("-", 2, "不满意", f"{WUQIA}/eval2.xlsx"),
        ("E1", 5, "非常满意", f"{WUQIA}/eval2.xlsx"),
        ("E2", 5, "非常满意", f"{WUQIA}/eval1.xlsx"),
        ("E3", 4, "满意", f"{WUQIA}/eval1.xlsx"),
        ("E4", 3, "基本满意", f"{WUQIA}/eval2.xlsx"),
        ("E5", 1, "非常不满意", f"{WUQIA}/eval2.xlsx"),
    ]


def test_year_over_year(build: dict[str, Any]) -> None:
    """乌恰县 orders 2 -> 3 (+50%); close rate 1.0 -> 0.5 (-50%); 2022 has no prior year."""
    rows = _query(
        build,
        "select year, metric, value, prior_year_value, yoy_change from mart_region_yoy "
        f"where region_code = '{WUQIA}' and metric in ('orders_received', 'close_rate', "
        "'orders_overdue', 'evaluations_total') order by metric, year",
    )
    assert rows == [
        (2022, "close_rate", 1.0, None, None),
        (2023, "close_rate", 0.5, 1.0, -0.5),
        (2022, "evaluations_total", 0.0, None, None),
        (2023, "evaluations_total", 6.0, 0.0, None),  # prior 0: no ratio
        (2022, "orders_overdue", 1.0, None, None),
        (2023, "orders_overdue", 1.0, 1.0, 0.0),
        (2022, "orders_received", 2.0, None, None),
        (2023, "orders_received", 3.0, 2.0, 0.5),
    ]


def test_region_comparison(build: dict[str, Any]) -> None:
    """Counties ranked per period and metric: 1 = highest; percentile 1.0 = highest."""
    rows = _query(
        build,
        "select grain, period_start, level, region_code, value, rank, percentile "
        "from mart_region_comparison where metric = 'orders_received' "
        "and period_start in (date '2023-04-01', date '2023-01-01') order by grain, rank",
    )
    assert rows == [
        ("month", dt.date(2023, 4, 1), "county", WUQIA, 3.0, 1, 1.0),
        ("month", dt.date(2023, 4, 1), "county", HAIYUAN, 1.0, 2, 0.0),
        ("year", dt.date(2023, 1, 1), "county", WUQIA, 3.0, 1, 1.0),
        ("year", dt.date(2023, 1, 1), "county", HAIYUAN, 1.0, 2, 0.0),
    ]
    # A rate without a denominator is not ranked.
    assert _query(
        build,
        "select count(*) from mart_region_comparison where metric = 'receipt_rate' "
        f"and region_code = '{HAIYUAN}'",
    ) == [(0,)]


def test_unit_scorecard(build: dict[str, Any]) -> None:
    """乌恰县住建局 2023-04: 2 assigned, 1 closed in 3 working days, 1 overdue, receipt 0.5."""
    rows = _query(
        build,
        "select orders_assigned, orders_closed, close_rate, orders_overdue, orders_dispatched, "
        "orders_received_timely, receipt_rate, median_handling_working_days, orders_rated, "
        "satisfaction_rate from mart_unit_scorecard "
        f"where region_code = '{WUQIA}' and handling_unit = '乌恰县住建局' "
        "and month = date '2023-04-01'",
    )
    assert rows == [(2, 1, 0.5, 1, 2, 1, 0.5, 3.0, 1, 1.0)]
    assert _query(build, "select count(*) from mart_unit_scorecard") == [(5,)]


def test_audit_tables(build: dict[str, Any]) -> None:
    """File statuses, the source's reconciliation mismatch and the unparsed cell are published."""
    statuses = dict(_query(build, "select status, count(*) from audit_files group by 1"))
    assert statuses == {"loaded": 8, "duplicate": 1, "quarantined": 1}
    duplicate = _query(build, "select duplicate_of, rows from audit_files where status='duplicate'")
    assert duplicate == [(APRIL_FILE, 0)]
    mismatches = _query(
        build,
        "select source_file, subject, metric, reported_total, computed_total, is_match "
        "from audit_reconciliation order by metric",
    )
    assert mismatches == [
        (SUMMARY_FILE, None, "orders_assigned", 206.0, 208.0, False),
        (SUMMARY_FILE, None, "orders_closed", 180.0, 180.0, True),
    ]
    issues = _query(build, "select source_row, target_column, raw_value from audit_cell_issues")
    assert issues == [(3, "closed_at", "四月底")]


def test_reported_stats(build: dict[str, Any]) -> None:
    """Summary figures pass through with their period and lineage."""
    rows = _query(
        build,
        "select region_code, dataset, subject, metric, value, period_start, period_end, "
        "source_row from fct_reported_stats order by metric",
    )
    period = (dt.date(2017, 10, 27), dt.date(2017, 12, 31))
    assert rows == [
        (HAIYUAN, "hotline", "县民政局", "close_rate", 0.8865, *period, 4),
        (HAIYUAN, "hotline", "县民政局", "orders_assigned", 208.0, *period, 4),
    ]


def test_dim_date_calendar(build: dict[str, Any]) -> None:
    """2015-2030, official holidays and make-up workdays; weekends past 2026 are a fallback."""
    assert _query(build, "select count(*), min(date_day), max(date_day) from dim_date") == [
        (5844, dt.date(2015, 1, 1), dt.date(2030, 12, 31))
    ]
    golden_week = _query(
        build,
        "select date_day, is_working_day from dim_date "
        "where date_day between date '2023-10-05' and date '2023-10-09' order by 1",
    )
    assert [working for _, working in golden_week] == [False, False, True, True, True]
    assert _query(
        build, "select calendar_source, is_working_day from dim_date where date_day='2027-10-01'"
    ) == [("weekend-fallback", True)]


def test_dim_region(build: dict[str, Any]) -> None:
    """Regions come from the GB/T 2260 list, codes as text."""
    assert _query(
        build, f"select region_name, parent_code, level from dim_region where region_code='{WUQIA}'"
    ) == [("乌恰县", "653000", "county")]
    assert _query(build, "select parent_code from dim_region where region_code='110000'") == [
        (None,)
    ]


def test_sqlfluff_lint_is_clean() -> None:
    """`sqlfluff lint dbt_project` passes with the repository's .sqlfluff."""
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "dbt_project"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
