"""A published warehouse of the small default sample, built once per test process.

`govdw sample --scale 0.003 --seed 7` then `govdw run` (about a minute on two cores), shared by
the slow report tests (dashboard, analyst guide, report assets) so the pipeline runs once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SCALE = "0.003"
SEED = "7"

_built: dict[str, Path] = {}


def _govdw(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(BIN / "govdw"), *args], capture_output=True, text=True, env=env, timeout=900
    )
    assert result.returncode == 0, (
        f"govdw {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )


def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published DuckDB file of the small sample (built on first use in this process)."""
    if "warehouse" not in _built:
        base = tmp_path_factory.mktemp("sample-warehouse")
        raw, warehouse = base / "raw", base / "warehouse" / "govdw.duckdb"
        env = {**os.environ, "DAGSTER_HOME": str(base / "dagster"), "GOVDW_PII_KEY": "sample-key"}
        (base / "dagster").mkdir()
        _govdw("sample", "--raw-dir", str(raw), "--scale", SCALE, "--seed", SEED, env=env)
        _govdw("run", "--raw-dir", str(raw), "--warehouse", str(warehouse), env=env)
        _built["warehouse"] = warehouse
    return _built["warehouse"]


#: A hand-made published warehouse: every table the report code reads, a few rows each, with
#: text that must survive exports unchanged or made inert (formulas, leading zeros, markup).
TINY_SQL = """
create table dim_region as select * from (values
    ('653024', '乌恰县', '653000', 'county'),
    ('640522', '海原县', '640500', 'county'),
    ('653000', '克孜勒苏柯尔克孜自治州', '650000', 'city')
) as t(region_code, region_name, parent_code, level);
create table dim_date as
    select d::date as date_day, year(d) as year, month(d) as month, isodow(d) < 6 as is_working_day
    from range(date '2022-01-01', date '2024-01-01', interval 1 day) as r(d);
create table fct_hotline_orders as select * from (values
    ('k1', '653024', '00123', timestamp '2022-04-03 08:00', date '2022-04-01', '乌恰县住建局',
     '投诉', '城乡建设', true, false, 2, '=HYPERLINK("http://x","点我")', 'a/1.xlsx', 'Sheet1', 2),
    ('k2', '653024', 'A-2', timestamp '2023-04-05 09:30', date '2023-04-01', '乌恰县住建局',
     '咨询', '民生保障', false, true, null, '+8613800000000 已脱敏', 'a/2.xlsx', 'Sheet1', 3),
    ('k3', '653024', 'A-3', timestamp '2023-05-06 10:00', date '2023-05-01', '乌恰县人社局',
     '求助', '民生保障', true, false, 5, '<script>alert(1)</script>', 'a/2.xlsx', 'Sheet1', 4),
    ('k4', '640522', 'H-1', timestamp '2023-04-07 11:00', date '2023-04-01', '海原县水务局',
     '建议', '农林水土', true, false, 3, '-1 普通文本', 'h/1.csv', 'csv', 2),
    ('k5', '640522', 'H-2', null, null, '海原县水务局',
     '其他', null, false, false, null, '@某人', 'h/1.csv', 'csv', 3)
) as t(order_key, region_code, source_order_id, received_at, received_month, handling_unit,
       appeal_type, category, is_closed, is_overdue, handling_working_days, content_masked,
       source_file, source_sheet, source_row);
alter table fct_hotline_orders add column is_assigned boolean default true;
create table fct_service_cases as select * from (values
    ('c1', '653024', 'S1', '营业执照', timestamp '2023-04-01 09:00', true),
    ('c2', '640522', 'S2', '身份证', timestamp '2022-06-01 10:00', false)
) as t(case_key, region_code, source_case_id, item_name, accepted_at, is_completed);
create table fct_evaluations as select * from (values
    ('e1', '653024', timestamp '2023-04-02 10:00', 5, '非常满意'),
    ('e2', '653024', timestamp '2023-04-03 10:00', 2, '不满意')
) as t(evaluation_key, region_code, evaluated_at, rating, rating_label);
create table fct_reported_stats as select * from (values
    ('640522', 'hotline', '海原县', 'close_rate', '办结率', 0.8865,
     date '2023-01-01', date '2023-12-31')
) as t(region_code, dataset, subject, metric, metric_label, value, period_start, period_end);
create table mart_region_month as select * from (values
    ('653024', date '2022-04-01', 1, 1, 1, 1, 0, 1.0, 1, 1, 1.0, 1, 2, 0.5),
    ('653024', date '2023-04-01', 1, 1, 0, 0, 1, 0.0, 1, 0, 0.0, 1, 2, 0.5),
    ('653024', date '2023-05-01', 1, 1, 1, 1, 0, 1.0, 1, 1, 1.0, 0, 0, null),
    ('640522', date '2023-04-01', 1, 1, 1, 1, 0, 1.0, 1, 1, 1.0, 0, 0, null)
) as t(region_code, month, orders_received, orders_assigned, orders_closed,
       orders_closed_assigned, orders_overdue, close_rate, orders_dispatched,
       orders_received_timely, receipt_rate, cases_accepted, evaluations_total,
       satisfaction_rate);
create table mart_region_yoy as select * from (values
    ('653024', 2022, 'orders_received', 1.0, null, null),
    ('653024', 2023, 'orders_received', 2.0, 1.0, 1.0),
    ('653024', 2022, 'close_rate', 1.0, null, null),
    ('653024', 2023, 'close_rate', 0.5, 1.0, -0.5),
    ('653024', 2023, 'satisfaction_rate', 0.5, null, null),
    ('640522', 2023, 'orders_received', 1.0, null, null),
    ('640522', 2023, 'close_rate', 1.0, null, null)
) as t(region_code, year, metric, value, prior_year_value, yoy_change);
create table mart_region_comparison as select * from (values
    ('year', date '2023-01-01', 'county', 'orders_received', '653024', 2.0, 1, 1.0),
    ('year', date '2023-01-01', 'county', 'orders_received', '640522', 1.0, 2, 0.0),
    ('year', date '2023-01-01', 'county', 'close_rate', '640522', 1.0, 1, 1.0),
    ('year', date '2023-01-01', 'county', 'close_rate', '653024', 0.5, 2, 0.0),
    ('month', date '2023-04-01', 'county', 'close_rate', '640522', 1.0, 1, 1.0)
) as t(grain, period_start, level, metric, region_code, value, rank, percentile);
create table mart_unit_scorecard as select * from (values
    ('653024', '乌恰县住建局', date '2023-04-01', 1, 1, 0, 0, 0.0, 1, 1, 0, 0.0, null, 0, null),
    ('653024', '乌恰县人社局', date '2023-05-01', 1, 1, 1, 1, 1.0, 0, 1, 1, 1.0, 5.0, 1, 1.0),
    ('640522', '海原县水务局', date '2023-04-01', 1, 1, 1, 1, 1.0, 0, 1, 1, 1.0, 3.0, 0, null)
) as t(region_code, handling_unit, month, orders_received, orders_assigned, orders_closed,
       orders_closed_assigned, close_rate, orders_overdue, orders_dispatched,
       orders_received_timely, receipt_rate, median_handling_working_days, orders_rated,
       satisfaction_rate);
create table audit_files as select * from (values
    ('653024-乌恰县/a/1.xlsx', 'sha1', 10, '653024', 'hotline_orders', 'loaded', 1, null, null,
     timestamp '2024-01-01 00:00'),
    ('640522/坏<b>文件</b>.xlsx', 'sha2', 5, '640522', null, 'quarantined', 0,
     'the xlsx is damaged: re-export it', null, timestamp '2024-01-01 00:00'),
    ('640522/copy.xlsx', 'sha1', 10, '640522', 'hotline_orders', 'duplicate', 0, null,
     '653024-乌恰县/a/1.xlsx', timestamp '2024-01-01 00:00')
) as t(file_path, sha256, size_bytes, region_code, dataset, status, rows, error, duplicate_of,
       loaded_at);
create table audit_reconciliation as select * from (values
    ('h/summary.xlsx', 'Sheet1', null, 'orders_received', 3.0, 2.0, false),
    ('h/summary.xlsx', 'Sheet1', '海原县水务局', 'orders_closed', 1.0, 1.0, true)
) as t(source_file, source_sheet, subject, metric, reported_total, computed_total, is_match);
create view mart_hotline_view as select region_code, count(*) as orders
    from fct_hotline_orders group by all;
create table helper_not_published as select 1 as x;
create schema staging;
create table staging.stg_landing__files as select 1 as x;
"""


def tiny_warehouse(path: Path, *, warnings: bool = False, empty: bool = False) -> Path:
    """Write the tiny warehouse to `path`; `warnings` adds audit_files.warnings, `empty` keeps
    every table but no row."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(TINY_SQL)
    if warnings:
        con.execute("alter table audit_files add column warnings varchar")
        con.execute(
            "update audit_files set warnings = 'missing optional column 办结时间' "
            "where status = 'loaded'"
        )
    if empty:
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'main' and table_type = 'BASE TABLE'"
        ).fetchall():
            con.execute(f'delete from "{name}"')
    con.close()
    return path
