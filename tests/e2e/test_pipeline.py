"""End to end: `govdw sample` then `govdw run`; the warehouse matches the seed figures."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from contract_columns import CONTRACT_COLUMNS  # tests/ is on sys.path (rootdir conftest)

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SCALE = "0.003"
SEED = "7"


def _govdw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(BIN / "govdw"), *args], capture_output=True, text=True, env=env, timeout=900
    )
    assert result.returncode == 0, (
        f"govdw {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A sample written and run once for the whole module."""
    base = tmp_path_factory.mktemp("e2e")
    raw, warehouse, truth = base / "raw", base / "warehouse" / "govdw.duckdb", base / "truth.json"
    env = {**os.environ, "DAGSTER_HOME": str(base / "dagster"), "GOVDW_PII_KEY": "e2e-key"}
    (base / "dagster").mkdir()
    _govdw(
        "sample",
        "--raw-dir",
        str(raw),
        "--scale",
        SCALE,
        "--seed",
        SEED,
        "--truth",
        str(truth),
        env=env,
    )
    first = _govdw("run", "--raw-dir", str(raw), "--warehouse", str(warehouse), env=env)
    yield {
        "base": base,
        "raw": raw,
        "warehouse": warehouse,
        "env": env,
        "first": first,
        "truth": json.loads(truth.read_text(encoding="utf-8")),
    }


def _query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_run_prints_a_summary(pipeline: dict[str, Any]) -> None:
    """The summary names files loaded/duplicate/quarantined, fact rows and the warehouse path."""
    out = pipeline["first"].stdout
    for word in ("loaded", "duplicate", "quarantined", "fct_hotline_orders", "mismatch"):
        assert word in out, out
    assert str(pipeline["warehouse"]) in out


def test_every_contract_table_and_column(pipeline: dict[str, Any]) -> None:
    """Each published table is reachable unqualified and has the contract's columns."""
    for table, columns in CONTRACT_COLUMNS.items():
        got = {row[0] for row in _query(pipeline["warehouse"], f"describe {table}")}
        assert columns <= got, f"{table} misses {sorted(columns - got)}"


def test_file_statuses(pipeline: dict[str, Any]) -> None:
    """The duplicate and the damaged file are recognised, and so is an export left without
    records at this small scale (never `loaded`); every other file loads."""
    rows = _query(pipeline["warehouse"], "select status, count(*) from audit_files group by 1")
    counts = dict(rows)
    expected = [f["status"] for f in pipeline["truth"]["files"].values()]
    assert counts.get("duplicate") == expected.count("duplicate") == 1
    assert counts.get("quarantined") == expected.count("quarantined") >= 1
    errors = _query(
        pipeline["warehouse"], "select file_path, error from audit_files where status='quarantined'"
    )
    assert all(error for _, error in errors)
    assert not _query(
        pipeline["warehouse"], "select * from audit_files where file_path like '%~$%'"
    )


LANDING_TABLE = {
    "hotline": "hotline_orders",
    "service": "service_cases",
    "evaluation": "evaluations",
}


def test_every_file_lands_as_the_truth_says(pipeline: dict[str, Any]) -> None:
    """Each file's status, and each detail file's landed rows, equal what the generator wrote."""
    files = pipeline["truth"]["files"]
    status = dict(_query(pipeline["warehouse"], "select file_path, status from audit_files"))
    landed: dict[str, int] = {}
    for table in LANDING_TABLE.values():
        landed |= dict(
            _query(
                pipeline["warehouse"],
                f"select source_file, count(*) from landing.{table} group by 1",
            )
        )
    wrong = []
    for path, f in sorted(files.items()):
        if f["status"] == "ignored":
            if path in status:
                wrong.append((path, "lock file recorded"))
            continue
        if status.get(path) != f["status"]:
            wrong.append((path, f"status {status.get(path)} != {f['status']}"))
        elif f["dataset"] in LANDING_TABLE and landed.get(path, 0) != f["rows"]:
            wrong.append((path, f"rows {landed.get(path, 0)} != {f['rows']}"))
    assert not wrong, wrong[:20]


#: truth measure -> (fact table, date column, filter) for per region-month counts.
MONTHLY = {
    "orders_received": ("fct_hotline_orders", "received_at", "true"),
    "orders_closed": ("fct_hotline_orders", "received_at", "is_closed"),
    "orders_overdue": ("fct_hotline_orders", "received_at", "is_overdue"),
    "cases_accepted": ("fct_service_cases", "accepted_at", "true"),
    "evaluations_total": ("fct_evaluations", "evaluated_at", "true"),
    "evaluations_very_satisfied": ("fct_evaluations", "evaluated_at", "rating = 5"),
}


@pytest.mark.parametrize("measure", sorted(MONTHLY))
def test_region_month_counts_match_truth(pipeline: dict[str, Any], measure: str) -> None:
    """Every region-month count in the facts equals the generator's truth (latest export wins)."""
    table, column, where = MONTHLY[measure]
    got = {
        (region, month): n
        for region, month, n in _query(
            pipeline["warehouse"],
            f"select region_code, strftime({column}, '%Y-%m'), count(*) from {table} "
            f"where {where} group by all",
        )
    }
    want = {
        (region, month): figures[measure]
        for region, months in pipeline["truth"]["region_month"].items()
        for month, figures in months.items()
        if figures.get(measure)
    }
    diff = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    extra = {k: n for k, n in got.items() if k not in want}
    assert not diff and not extra, (sorted(diff.items())[:10], sorted(extra.items())[:10])


def test_wuqia_2023_04_hotline(pipeline: dict[str, Any]) -> None:
    """乌恰县 2023-04: 143 orders, 122 closed, 88.65% timely (125/141), 2 overdue."""
    row = _query(
        pipeline["warehouse"],
        "select orders_received, orders_closed, orders_overdue, close_rate, receipt_rate "
        "from mart_region_month where region_code='653024' and month=date '2023-04-01'",
    )
    assert len(row) == 1
    received, closed, overdue, close_rate, receipt_rate = row[0]
    assert (received, closed, overdue) == (143, 122, 2)
    assert round(close_rate, 4) == 0.8511
    assert round(receipt_rate, 4) == 0.8865
    types = dict(
        _query(
            pipeline["warehouse"],
            "select appeal_type, count(*) from fct_hotline_orders where region_code='653024' "
            "and received_at >= '2023-04-01' and received_at < '2023-05-01' group by 1",
        )
    )
    assert types == {"求助": 102, "投诉": 36, "咨询": 5}
    categories = dict(
        _query(
            pipeline["warehouse"],
            "select category, count(*) from fct_hotline_orders where region_code='653024' "
            "and received_at >= '2023-04-01' and received_at < '2023-05-01' group by 1",
        )
    )
    assert categories["民生保障"] == 48 and categories["公共服务"] == 29
    assert categories["住房保障"] == 26 and categories["农林水土"] == 3
    overdue_units = _query(
        pipeline["warehouse"],
        "select handling_unit, count(*) from fct_hotline_orders where region_code='653024' "
        "and received_at >= '2023-04-01' and received_at < '2023-05-01' and is_overdue group by 1",
    )
    assert overdue_units == [("乌恰县住建局", 2)]


def test_wuqia_unit_receipt_rates(pipeline: dict[str, Any]) -> None:
    """Per-unit timely-receipt rates of the 乌恰县 April 2023 report."""
    rates = dict(
        _query(
            pipeline["warehouse"],
            "select handling_unit, round(receipt_rate, 4) from mart_unit_scorecard "
            "where region_code='653024' and month=date '2023-04-01'",
        )
    )
    assert rates["乌恰县税务局"] == 0.5
    assert rates["乌恰县黑孜苇乡"] == 0.5
    assert rates["乌恰县医疗保障局"] == 0.6
    assert rates["乌恰县住建局"] == 0.8182
    assert rates["乌恰县市场监督管理局"] == 0.8333
    assert rates["乌恰县人力资源和社会保障局"] == 0.9474


def test_wuhai_2023_evaluations(pipeline: dict[str, Any]) -> None:
    """乌海市 2023-01-01..10-31: 236,816 evaluations, 236,116 非常满意, 586, 113, 1, 0."""
    ratings = dict(
        _query(
            pipeline["warehouse"],
            "select rating, count(*) from fct_evaluations where region_code='150300' "
            "and evaluated_at >= '2023-01-01' and evaluated_at < '2023-11-01' group by 1",
        )
    )
    assert ratings == {5: 236116, 4: 586, 3: 113, 2: 1}
    assert sum(ratings.values()) == 236816


def test_haiyuan_2017_q4(pipeline: dict[str, Any]) -> None:
    """海原县 2017-10-27..12-31: 574 orders, 366 closed, 208 open, 80 overdue."""
    row = _query(
        pipeline["warehouse"],
        "select count(*), count(*) filter (where is_closed), count(*) filter (where is_overdue) "
        "from fct_hotline_orders where region_code='640522' "
        "and received_at >= '2017-10-27' and received_at < '2018-01-01'",
    )
    assert row == [(574, 366, 80)]


def test_haiyuan_reported_total_mismatch(pipeline: dict[str, Any]) -> None:
    """The seed table's 承办量 total says 206 while its details add to 208: the audit shows it."""
    rows = _query(
        pipeline["warehouse"],
        "select reported_total, computed_total, is_match from audit_reconciliation "
        "where metric='orders_assigned' and source_file like '640522/%' and reported_total=206",
    )
    assert rows == [(206.0, 208.0, False)]


def test_reported_figures_with_wan_units(pipeline: dict[str, Any]) -> None:
    """岳阳楼区 2022 `5萬` orders and 99.97% close rate become numbers and fractions."""
    rows = dict(
        _query(
            pipeline["warehouse"],
            "select metric, value from fct_reported_stats where region_code='430602' "
            "and metric in ('orders_received', 'close_rate')",
        )
    )
    assert rows["orders_received"] == 50000
    assert round(rows["close_rate"], 4) == 0.9997


# Bounded by letters too: hex digests and ids such as PJ150300202203000025 hold digit runs
# that are neither phone nor ID numbers.
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PII_SQL = "1[3-9][0-9]{9}|[0-9]{17}[0-9Xx]"


def test_no_personal_numbers_published(pipeline: dict[str, Any]) -> None:
    """No mobile or ID number survives in any text column of any published table."""
    con = duckdb.connect(str(pipeline["warehouse"]), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            hits = con.execute(
                f'select "{column}" from "{schema}"."{table}" '
                f"where regexp_matches(\"{column}\", '{PII_SQL}') limit 20"
            ).fetchall()
            leaked = [v for (v,) in hits if MOBILE.search(v) or ID18.search(v)]
            assert not leaked, f"{schema}.{table}.{column} leaks {leaked[:3]}"
    finally:
        con.close()


def test_rerun_with_nothing_new_parses_nothing(pipeline: dict[str, Any]) -> None:
    """A second run over the same folder parses no file and keeps the figures."""
    before = _query(pipeline["warehouse"], "select count(*) from fct_hotline_orders")
    reader = duckdb.connect(str(pipeline["warehouse"]), read_only=True)  # an analyst's session
    try:
        again = _govdw(
            "run",
            "--raw-dir",
            str(pipeline["raw"]),
            "--warehouse",
            str(pipeline["warehouse"]),
            env=pipeline["env"],
        )
        assert re.search(r"\b0 parsed\b|parsed 0\b|no file changed|nothing new", again.stdout), (
            again.stdout
        )
        assert "dbt build skipped" in again.stdout, again.stdout
        assert reader.execute("select count(*) from fct_hotline_orders").fetchall() == before
    finally:
        reader.close()
    assert _query(pipeline["warehouse"], "select count(*) from fct_hotline_orders") == before


def test_new_file_while_a_reader_holds_the_warehouse(pipeline: dict[str, Any]) -> None:
    """An analyst holding the published file open never blocks a run that adds a file."""
    raw: Path = pipeline["raw"]
    source = next(p for p in sorted((raw / "653024-乌恰县").rglob("*.xlsx")) if "~$" not in p.name)
    reader = duckdb.connect(str(pipeline["warehouse"]), read_only=True)
    try:
        old_files = reader.execute("select count(*) from audit_files").fetchall()[0][0]
        copy = raw / "653024-乌恰县" / "extra" / ("copy-" + source.name)
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, copy)
        _govdw(
            "run",
            "--raw-dir",
            str(raw),
            "--warehouse",
            str(pipeline["warehouse"]),
            env=pipeline["env"],
        )
        # the open session still reads the version it opened
        assert reader.execute("select count(*) from audit_files").fetchall()[0][0] == old_files
    finally:
        reader.close()
    new = _query(
        pipeline["warehouse"], "select status from audit_files where file_path like '%copy-%'"
    )
    assert new == [("duplicate",)]


def _table_digests(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Per main table: (rows, order-independent hash of the rows), run-time columns left out."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        digests = {}
        for table in tables:
            columns = [
                f'"{c}"'
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    "'main' and table_name = ? and column_name != 'loaded_at' "
                    "order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            row = con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(columns)})), 0) from main.{table}"
            ).fetchone()
            assert row is not None
            digests[table] = (int(row[0]), int(row[1]))
        return digests
    finally:
        con.close()


def test_deleted_file_rebuilds_only_what_it_fed_and_equals_a_full_build(
    pipeline: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting one evaluation export: dbt rebuilds the models its landing table feeds (the
    hotline versions are reported unchanged), the warehouse is published, and it equals a cold
    build of the same folder into another warehouse."""
    from dagster import AssetKey, DagsterInstance

    raw: Path = pipeline["raw"]
    gone = _query(
        pipeline["warehouse"],
        "select source_file from landing.evaluations group by 1 order by count(*) desc limit 1",
    )[0][0]
    (raw / gone).unlink()
    run = _govdw(
        "run", "--raw-dir", str(raw), "--warehouse", str(pipeline["warehouse"]), env=pipeline["env"]
    )
    run_id = re.search(r"run ([0-9a-f-]{36})", run.stdout)
    assert run_id, run.stdout
    monkeypatch.setenv("DAGSTER_HOME", pipeline["env"]["DAGSTER_HOME"])
    with DagsterInstance.get() as instance:

        def last_of(asset: str) -> tuple[str, set[str]]:
            event = instance.get_latest_materialization_event(AssetKey(asset))
            assert event is not None and event.asset_materialization is not None
            return event.run_id, set(event.asset_materialization.metadata)

        # rebuilt by dbt, vs reported as the last passing build made it
        assert last_of("fct_evaluations")[0] == run_id.group(1)
        assert "dbt_unchanged" not in last_of("fct_evaluations")[1]
        # the hotline chain up to its versions is not downstream of evaluations (the facts are,
        # through dim_date's range)
        assert last_of("int_hotline_orders_versioned") == (run_id.group(1), {"dbt_unchanged"})
        assert last_of("published_warehouse")[0] == run_id.group(1)
    assert _query(
        pipeline["warehouse"], "select count(*) from fct_evaluations where source_file = ?", [gone]
    ) == [(0,)]
    cold = pipeline["base"] / "cold" / "govdw.duckdb"
    _govdw("run", "--raw-dir", str(raw), "--warehouse", str(cold), env=pipeline["env"])
    assert _table_digests(pipeline["warehouse"]) == _table_digests(cold)
