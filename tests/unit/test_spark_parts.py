"""The Spark stage's parts that need no Spark: build names, the checks, and the session settings
agreeing with dbt's `spark` target (a session of ours must open dbt's warehouse and metastore)."""

from __future__ import annotations

from pathlib import Path

import yaml

from govdw import settings
from govdw.engines import spark

PROFILE = settings.dbt_project_dir() / "profiles.yml"


def test_each_run_builds_into_a_database_of_its_own() -> None:
    a = spark.build_database("33a7c280-1111-2222-3333-444455556666")
    assert a == "govdw_b33a7c280"
    assert spark.build_database("9f00aa11-0000") != a
    assert spark._BUILD_RE.match(a) and spark._BUILD_RE.match(f"{a}_staging")
    assert not spark._BUILD_RE.match(spark.PUBLISHED)  # the published database is never dropped


def test_checks_block_on_missing_tables_differing_counts_and_empty_facts() -> None:
    expected = {"fct_hotline_orders": 10, "dim_date": 5}
    ok = spark.checks({"fct_hotline_orders": 10, "dim_date": 5}, expected, {})
    assert all(r.passed for r in ok)
    bad = spark.checks({"fct_hotline_orders": 9}, expected, {"fct_service_cases": 3})
    failed = {r.name: r.detail for r in bad if not r.passed}
    assert failed == {
        "rows_match_duckdb:dim_date": "missing",
        "rows_match_duckdb:fct_hotline_orders": "9 rows on Spark, 10 on DuckDB",
        "fact_not_empty:fct_service_cases": "0 rows from 3 landing rows",
    }


def test_dbt_env_points_the_profile_at_the_build_folder(tmp_path: Path) -> None:
    build_db = tmp_path / ".build" / "govdw_build.duckdb"
    env = spark.dbt_env(build_db, "govdw_b00000001")
    assert env == {
        "GOVDW_SPARK_WAREHOUSE": str(settings.spark_warehouse_path(build_db)),
        "GOVDW_LANDING_PARQUET": str(settings.landing_parquet_path(build_db)),
        "GOVDW_SPARK_SCHEMA": "govdw_b00000001",
    }


def test_session_settings_are_the_spark_targets(tmp_path: Path) -> None:
    """Every server-side parameter of the profile has the same value in our session (after the
    profile's env_var defaults are replaced by the warehouse path), except the app name."""
    target = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))["govdw"]["outputs"]["spark"]
    assert target["method"] == "session"
    warehouse = tmp_path / "spark-warehouse"
    ours = spark.session_config(warehouse, memory="4g")
    for key, value in target["server_side_parameters"].items():
        text = " ".join(str(value).split())
        text = text.replace(
            "{{ env_var('GOVDW_SPARK_WAREHOUSE', '../warehouse/.build/spark-warehouse') }}",
            str(warehouse),
        ).replace("{{ env_var('GOVDW_SPARK_MEMORY', '4g') }}", "4g")
        if key == "spark.app.name":
            continue
        assert ours.get(key) == text, key
    assert set(ours) - set(target["server_side_parameters"]) == set()
