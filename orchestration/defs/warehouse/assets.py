"""dbt models as assets (group `warehouse`): one `dbt build` per run, skipped when nothing changed."""


import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DagsterEventType,
    EventRecordsFilter,
    Output,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.lib.resources import FULL_REFRESH_TAG, WRITER_POOL, GovdwPaths

LANDING = AssetKey("landing_files")


class GovdwDbtTranslator(DagsterDbtTranslator):
    """Asset keys equal table names; every dbt node lands in the `warehouse` group."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        """Models and seeds are keyed by their table name; sources keep their meta asset_key."""
        if dbt_resource_props.get("resource_type") in {"model", "seed", "snapshot"}:
            return AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """All dbt assets form the `warehouse` group."""
        return "warehouse"


def model_names(manifest_path: Path) -> list[str]:
    """Names of the models in the manifest (the tables dbt builds in the build database)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    )


def landing_changed_in_run(context: AssetExecutionContext) -> bool | None:
    """What this run's `landing_files` materialization said about `changed` (None: not in this run)."""
    records = context.instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION, asset_key=LANDING),
        limit=1,
        ascending=False,
    )
    for record in records:
        if record.run_id != context.run_id:
            continue
        mat = record.asset_materialization
        value = mat.metadata.get("changed") if mat else None
        if value is not None:
            return bool(getattr(value, "value", value))
    return None


def missing_models(build_db: Path, names: list[str]) -> list[str]:
    """Models of `names` that do not exist yet as tables or views in the build database."""
    if not build_db.exists():
        return list(names)
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        existing = {
            row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
    finally:
        con.close()
    return [name for name in names if name not in existing]


def build_dbt_assets(project: DbtProject, manifest_path: Path) -> AssetsDefinition:
    """The dbt multi-asset for `project`; runs `dbt build` once per run."""
    names = model_names(manifest_path)

    @dbt_assets(
        manifest=manifest_path,
        project=project,
        # Every landing source maps to the one `landing_files` asset (the ingester writes them all).
        dagster_dbt_translator=GovdwDbtTranslator(
            settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
        ),
        pool=WRITER_POOL,
        name="warehouse_dbt",
    )
    def warehouse_dbt(
        context: AssetExecutionContext, dbt: DbtCliResource, paths: GovdwPaths
    ) -> Iterator[Any]:
        """The dbt models: staging, intermediate, facts, dims, marts and audit tables."""
        paths.export_dbt_env()
        full_refresh = context.run.tags.get(FULL_REFRESH_TAG, "").lower() == "true"
        changed = landing_changed_in_run(context)
        if changed is False and not full_refresh:
            missing = missing_models(paths.build_db_path(), names)
            if not missing:
                # dbt costs ~9 s per build here; with identical landing tables it would rebuild
                # identical tables, so the run goes straight to the checks and publish.
                context.log.info(
                    "skipping dbt build: no landing table changed in this run and every model "
                    "already exists in the build database"
                )
                for output_name in context.selected_output_names:
                    yield Output(
                        None,
                        output_name=output_name,
                        metadata={"dbt_skipped": "no landing table changed in this run"},
                    )
                return
            context.log.info(f"running dbt although nothing changed: missing models {missing[:5]}")
        args = ["build", *(["--full-refresh"] if full_refresh else [])]
        yield from dbt.cli(args, context=context).stream()

    return warehouse_dbt
