"""The Dagster code location: every definition loads, validates, and a one-run load publishes.

The pipeline test uses a two-model fake dbt project and a fake ingester, so it exercises the
orchestration itself (single-run partition range, dbt skip, blocking checks, publish) quickly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from govdw.publish import table_row_counts
from govdw.types import FileOutcome, IngestSummary
from orchestration.lib.raw_files import sync_partitions
from orchestration.lib.resources import FULL_REFRESH_TAG, GovdwPaths

REPO = Path(__file__).resolve().parents[2]


def test_defs_load_with_every_definition() -> None:
    """The real code location has the ingest/publish assets, checks, sensor, schedule and job."""
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {"landing_files", "published_warehouse"} <= keys
    assert {
        "fct_hotline_orders",
        "fct_service_cases",
        "fct_evaluations",
        "fct_reported_stats",
        "audit_reconciliation",
        "audit_files",
        "mart_region_month",
    } <= keys
    graph = defs.resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {
        ("landing_files", "quarantined_files"),
        ("audit_reconciliation", "reconciliation_mismatches"),
        ("fct_hotline_orders", "facts_non_empty"),
        ("fct_service_cases", "facts_non_empty"),
        ("fct_evaluations", "facts_non_empty"),
        ("fct_reported_stats", "facts_non_empty"),
    } <= checks
    assert defs.resolve_sensor_def("raw_files_sensor").minimum_interval_seconds == 60
    nightly = defs.resolve_schedule_def("nightly_load")
    assert (nightly.cron_schedule, nightly.execution_timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert defs.resolve_job_def("govdw_pipeline").name == "govdw_pipeline"
    groups = {
        k.to_user_string(): graph.get(k).group_name
        for k in (AssetKey("landing_files"), AssetKey("fct_hotline_orders"))
    }
    assert groups == {"landing_files": "ingest", "fct_hotline_orders": "marts"}
    assert graph.get(AssetKey("published_warehouse")).group_name == "publish"
    assert AssetKey("fct_hotline_orders") in graph.get(AssetKey("published_warehouse")).parent_keys


def test_dagster_definitions_validate() -> None:
    """`dagster definitions validate` passes from the repo root (what `dagster dev` loads)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation." in result.stderr + result.stdout


# ------------------------------------------------------------------ a tiny pipeline, end to end


FAKE_SOURCES = """\
version: 2
sources:
  - name: landing
    schema: landing
    meta:
      dagster:
        asset_key: ["landing_files"]
    tables:
      - name: hotline_orders
      - name: reconciliation
"""


def _write_fake_dbt_project(root: Path) -> Path:
    project = root / "fake_dbt"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: fake\nversion: '1.0.0'\nconfig-version: 2\nprofile: fake\n"
        "models:\n  fake:\n    +materialized: table\n",
        encoding="utf-8",
    )
    (project / "profiles.yml").write_text(
        "fake:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('GOVDW_BUILD_DB') }}\"\n      threads: 1\n",
        encoding="utf-8",
    )
    (project / "models" / "sources.yml").write_text(FAKE_SOURCES, encoding="utf-8")
    (project / "models" / "fct_hotline_orders.sql").write_text(
        "select source_order_id from {{ source('landing', 'hotline_orders') }}\n", encoding="utf-8"
    )
    (project / "models" / "audit_reconciliation.sql").write_text(
        "select * from {{ source('landing', 'reconciliation') }}\n", encoding="utf-8"
    )
    return project


class FakeIngest:
    """Stands in for govdw.ingest.ingest_dir: one landing row per requested file."""

    def __init__(self) -> None:
        """Record every call."""
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        raw_dir: Path,
        build_db: Path,
        *,
        full_refresh: bool = False,
        workers: int | None = None,
        progress: Any = None,
        only: set[str] | None = None,
    ) -> IngestSummary:
        """Write landing.hotline_orders/reconciliation; `changed` only on the first call."""
        self.calls.append({"only": only, "full_refresh": full_refresh})
        files = sorted(only) if only is not None else ["640522/a.csv", "640522/b.csv"]
        first = len(self.calls) == 1
        con = duckdb.connect(str(build_db))
        con.execute("create schema if not exists landing")
        if first or full_refresh:
            con.execute("create or replace table landing.hotline_orders (source_order_id varchar)")
            con.execute(
                "create or replace table landing.reconciliation "
                "(source_file varchar, source_sheet varchar, subject varchar, metric varchar, "
                "reported_total double, computed_total double, is_match boolean)"
            )
            con.executemany("insert into landing.hotline_orders values (?)", [[f] for f in files])
            # The dbt asset fingerprints landing.files to know whether dbt must run again.
            con.execute(
                "create or replace table landing.files "
                "(file_path varchar, sha256 varchar, status varchar)"
            )
            con.executemany(
                "insert into landing.files values (?, ?, 'loaded')",
                [[f, f"sha-{f}"] for f in files],
            )
            con.execute(
                "insert into landing.reconciliation values "
                "('640522/a.csv', 'csv', null, 'orders_received', 3, 2, false)"
            )
        con.close()
        if progress:
            progress({"files_done": len(files), "files_total": len(files), "rows": len(files)})
        outcomes = [
            FileOutcome(rel_path=f, status="loaded" if first else "unchanged", rows=1, error=None)
            for f in files
        ]
        return IngestSummary(
            files_seen=len(files),
            loaded=len(files) if first else 0,
            duplicate=0,
            quarantined=0,
            unchanged=0 if first else len(files),
            rows_by_table={"hotline_orders": len(files)} if first else {},
            changed=first or full_refresh,
            files=outcomes,
        )


@pytest.mark.slow
def test_single_run_pipeline_publishes_and_skips_dbt_when_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files load in ONE run; a second run skips dbt; the warehouse holds dbt's tables."""
    import govdw.ingest
    from orchestration.definitions import build_defs

    raw = tmp_path / "raw"
    for name in ("a.csv", "b.csv"):
        (raw / "640522").mkdir(parents=True, exist_ok=True)
        (raw / "640522" / name).write_text(f"{name}\n", encoding="utf-8")
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    build_db = tmp_path / "build" / "govdw_build.duckdb"
    fake = FakeIngest()
    monkeypatch.setattr(govdw.ingest, "ingest_dir", fake)
    monkeypatch.setenv("GOVDW_BUILD_DB", str(build_db))
    paths = GovdwPaths(raw_dir=str(raw), warehouse=str(warehouse), build_db=str(build_db))
    defs = build_defs(_write_fake_dbt_project(tmp_path), paths)
    job = defs.resolve_job_def("govdw_pipeline")

    with instance_for_test() as instance:
        assert isinstance(instance, DagsterInstance)
        assert sync_partitions(instance, raw) == (["640522/a.csv", "640522/b.csv"], [])
        tags = {
            ASSET_PARTITION_RANGE_START_TAG: "640522/a.csv",
            ASSET_PARTITION_RANGE_END_TAG: "640522/b.csv",
        }
        first = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
        assert first.success
        # Every known partition in one run -> ingest over the whole folder (only=None).
        assert fake.calls == [{"only": None, "full_refresh": False}]
        assert table_row_counts(warehouse) == {"audit_reconciliation": 1, "fct_hotline_orders": 2}
        checks = {(e.asset_check_key.name, e.passed) for e in first.get_asset_check_evaluations()}
        assert checks == {
            ("quarantined_files", True),
            ("reconciliation_mismatches", False),
            ("facts_non_empty", True),
        }
        mats = {
            (m.asset_key.to_user_string(), m.partition)
            for m in (
                e.event_specific_data.materialization  # type: ignore[union-attr]
                for e in first.get_asset_materialization_events()
            )
        }
        assert ("landing_files", "640522/a.csv") in mats
        assert ("landing_files", "640522/b.csv") in mats

        second = job.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: "640522/b.csv",
                **{ASSET_PARTITION_RANGE_END_TAG: "640522/b.csv"},
            },
            raise_on_error=False,
        )
        assert second.success
        assert fake.calls[-1] == {"only": {"640522/b.csv"}, "full_refresh": False}
        logs = "\n".join(
            e.message or "" for e in second.all_events if e.event_type_value == "ENGINE_EVENT"
        ) + "\n".join(str(r.user_message) for r in instance.all_logs(second.run_id))
        assert "skipping dbt build: no landing file and no dbt model changed" in logs

        third = job.execute_in_process(
            instance=instance, tags={**tags, FULL_REFRESH_TAG: "true"}, raise_on_error=False
        )
        assert third.success
        assert fake.calls[-1] == {"only": None, "full_refresh": True}
        assert "skipping dbt build" not in "\n".join(
            str(r.user_message) for r in instance.all_logs(third.run_id)
        )


def test_empty_fact_blocks_publish(tmp_path: Path) -> None:
    """facts_non_empty fails (ERROR) for an empty fact whose landing table has rows."""
    from orchestration.defs.warehouse.checks import facts_result

    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    con.execute("create schema landing")
    con.execute("create table landing.evaluations as select 1 as x")
    con.execute("create table landing.service_cases as select 1 as x where false")
    con.execute("create table fct_evaluations as select 1 as x where false")
    con.execute("create table fct_service_cases as select 1 as x where false")
    bad = facts_result(con, "fct_evaluations", "evaluations")
    ok = facts_result(con, "fct_service_cases", "service_cases")
    missing = facts_result(con, "fct_hotline_orders", "hotline_orders")
    con.close()
    assert (bad.passed, bad.description) == (
        False,
        "fct_evaluations is empty although landing.evaluations holds 1 rows",
    )
    assert (ok.passed, ok.description) == (True, None)
    assert (missing.passed, missing.description) == (
        False,
        "fct_hotline_orders does not exist in the build database: dbt did not build it",
    )


NOT_NULL_TEST = """\
version: 2
models:
  - name: fct_hotline_orders
    columns:
      - name: source_order_id
        data_tests:
          - not_null
"""


@pytest.mark.slow
def test_failing_dbt_test_blocks_publish_and_keeps_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dbt test of severity error fails the run before publish: analysts keep the last
    good warehouse, byte for byte; the next good run publishes again."""
    import hashlib

    import govdw.ingest
    from orchestration.definitions import build_defs

    raw = tmp_path / "raw"
    (raw / "640522").mkdir(parents=True)
    for name in ("a.csv", "b.csv"):
        (raw / "640522" / name).write_text(f"{name}\n", encoding="utf-8")
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    build_db = tmp_path / "build" / "govdw_build.duckdb"
    monkeypatch.setattr(govdw.ingest, "ingest_dir", FakeIngest())
    monkeypatch.setenv("GOVDW_BUILD_DB", str(build_db))
    project = _write_fake_dbt_project(tmp_path)
    (project / "models" / "tests.yml").write_text(NOT_NULL_TEST, encoding="utf-8")
    paths = GovdwPaths(raw_dir=str(raw), warehouse=str(warehouse), build_db=str(build_db))
    job = build_defs(project, paths).resolve_job_def("govdw_pipeline")
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: "640522/a.csv",
        ASSET_PARTITION_RANGE_END_TAG: "640522/b.csv",
    }

    def digest() -> str:
        return hashlib.sha256(warehouse.read_bytes()).hexdigest()

    with instance_for_test() as instance:
        sync_partitions(instance, raw)
        assert job.execute_in_process(instance=instance, tags=tags, raise_on_error=False).success
        good = digest()

        # A changed file brings a row the test rejects (as a re-export with a blank id would).
        con = duckdb.connect(str(build_db))
        con.execute("insert into landing.hotline_orders values (null)")
        con.execute("update landing.files set sha256 = 'changed' where file_path = '640522/a.csv'")
        con.close()
        bad = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
        assert not bad.success
        failures = [e for e in bad.all_events if e.is_step_failure]
        assert {e.step_key for e in failures} == {"warehouse_dbt"}
        error = failures[0].step_failure_data.error
        assert error is not None and "not_null_fct_hotline_orders_source_order_id" in error.message
        published = [
            e
            for e in bad.get_asset_materialization_events()
            if e.event_specific_data.materialization.asset_key == AssetKey("published_warehouse")  # type: ignore[union-attr]
        ]
        assert not published
        assert digest() == good
        assert table_row_counts(warehouse)["fct_hotline_orders"] == 2

        # The bad row goes away: the next run builds, tests and publishes again.
        con = duckdb.connect(str(build_db))
        con.execute("delete from landing.hotline_orders where source_order_id is null")
        con.execute("update landing.files set sha256 = 'fixed' where file_path = '640522/a.csv'")
        con.close()
        assert job.execute_in_process(instance=instance, tags=tags, raise_on_error=False).success
        assert digest() != good
