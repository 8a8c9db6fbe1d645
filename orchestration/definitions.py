"""The govdw code location: assembles assets, checks, sensor, schedule and resources (`defs`)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from dagster import Definitions, in_process_executor

from govdw import settings
from orchestration.defs.ingest.assets import landing_files
from orchestration.defs.ingest.sensors import raw_files_sensor
from orchestration.defs.jobs import nightly_load, pipeline_job, reports_job
from orchestration.defs.postgres.assets import build_postgres_asset
from orchestration.defs.publish.assets import build_publish_asset
from orchestration.defs.reports.assets import dashboard_html, monthly_bulletins, table_exports
from orchestration.defs.spark.assets import build_spark_asset
from orchestration.defs.warehouse.assets import build_dbt_assets, model_names
from orchestration.defs.warehouse.checks import build_checks
from orchestration.lib.resources import BuildDatabase, GovdwPaths, dbt_executable
from orchestration.lib.warehouse_project import ensure_manifest, has_dbt_project, make_project


def build_defs(dbt_project_dir: Path | None = None, paths: GovdwPaths | None = None) -> Definitions:
    """All definitions for a dbt project folder (the repo's by default) and a paths resource."""
    from dagster_dbt import DbtCliResource

    project_dir = dbt_project_dir or settings.dbt_project_dir()
    assets: list[Any] = [landing_files]
    checks: list[Any] = []
    paths = paths or GovdwPaths()
    # Every asset and check opening DuckDB goes through `build_db`, made from these paths.
    resources: dict[str, object] = {"paths": paths, "build_db": BuildDatabase(paths=paths)}
    if has_dbt_project(project_dir):
        project = make_project(project_dir)
        manifest = ensure_manifest(project)
        dbt_defs = build_dbt_assets(project, manifest)
        assets.append(dbt_defs)
        checks.extend(build_checks(model_names(manifest)))
        resources["dbt"] = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
        upstream = list(dbt_defs.keys)
    else:
        warnings.warn(f"no dbt project in {project_dir}: warehouse assets omitted", stacklevel=2)
        upstream = []
    published = build_publish_asset(upstream)
    assets.append(published)
    if upstream and settings.target() == "postgres":
        # The PostgreSQL stage runs after the DuckDB warehouse is published (and checks its
        # tables against it); only in the graph when asked for, so the default graph is DuckDB's.
        assets.append(build_postgres_asset(published.key, manifest))
    if upstream and settings.target() == "spark":
        # The same for Spark: built from the Parquet hand-off, checked against DuckDB's tables.
        assets.append(build_spark_asset(published.key, manifest))
    assets.extend([dashboard_html, table_exports, monthly_bulletins])
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[pipeline_job, reports_job],
        sensors=[raw_files_sensor],
        schedules=[nightly_load],
        resources=resources,
        # One process per run: ingest already parses in worker processes, and steps sharing one
        # process can never hold the single-writer build database at the same time.
        executor=in_process_executor,
    )


defs = build_defs()
