"""dbt models as assets, one Dagster group per dbt folder (`staging`, `intermediate`, `marts`,
`audit`; seeds in `seeds`): one `dbt build` per run, skipped if nothing changed."""

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Output,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.lib.resources import FULL_REFRESH_TAG, WRITER_POOL, BuildDatabase, GovdwPaths

#: The Dagster group of a dbt model is its top folder under models/: the layers of the project.
DBT_MODEL_GROUPS = ("staging", "intermediate", "marts", "audit")
#: The Dagster group of the dbt seeds (reference data: GB/T 2260 regions, working-day calendar).
DBT_SEED_GROUP = "seeds"
#: Every group holding dbt assets, upstream layer first.
DBT_GROUPS = (DBT_SEED_GROUP, *DBT_MODEL_GROUPS)

_GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def dbt_group_name(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The Dagster group of a dbt node: `seeds` for seeds, else the node's top folder under its
    resource path (`models/marts/x.sql` -> `marts`); None (Dagster's default group) for a node
    outside any folder or in a folder that is no valid group name."""
    if dbt_resource_props.get("resource_type") == "seed":
        return DBT_SEED_GROUP
    # fqn = [project, folder, ..., name]
    fqn = list(dbt_resource_props.get("fqn") or [])
    if len(fqn) >= 3 and _GROUP_NAME.match(str(fqn[1])):
        return str(fqn[1])
    return None


class GovdwDbtTranslator(DagsterDbtTranslator):
    """Asset keys equal table names; each dbt node's group is its dbt folder (dbt_group_name)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        """Models and seeds are keyed by their table name; sources keep their meta asset_key."""
        if dbt_resource_props.get("resource_type") in {"model", "seed", "snapshot"}:
            return AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The dbt folder of the node: staging, intermediate, marts, audit, or seeds."""
        return dbt_group_name(dbt_resource_props) or super().get_group_name(dbt_resource_props)


#: The project's own manifest nodes: their checksums decide whether dbt must run.
_OWN_NODES = ("model.govdw", "seed.govdw", "test.govdw", "source.govdw", "macro.govdw")


def model_names(manifest_path: Path) -> list[str]:
    """Names of the models in the manifest that dbt builds as tables or views in the build
    database (ephemeral models, inlined into others, are left out)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
        and node.get("config", {}).get("materialized") != "ephemeral"
    )


def build_fingerprint(db: BuildDatabase, manifest_path: Path) -> str | None:
    """What a dbt build's result depends on: every landing file's state and every dbt node's
    checksum. None when the build database has no landing tables yet."""
    if not db.paths.build_db_path().exists():
        return None
    with db.connect() as con:
        try:
            row = con.execute(
                "select md5(coalesce(string_agg(file_path || ':' || sha256 || ':' || status, '|' "
                "order by file_path), '')) from landing.files"
            ).fetchone()
        except duckdb.Error:
            return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = sorted(
        f"{uid}:{node.get('checksum', {}).get('checksum', '')}"
        for section in ("nodes", "sources", "macros")
        for uid, node in manifest.get(section, {}).items()
        if uid.startswith(_OWN_NODES)
    )
    models = hashlib.md5("|".join(nodes).encode()).hexdigest()
    return f"{row[0] if row else ''}-{models}"


def _marker(build_db: Path) -> Path:
    """File recording the fingerprint of the last dbt build that passed."""
    return build_db.with_name(build_db.name + ".dbt-ok")


def missing_models(db: BuildDatabase, names: list[str]) -> list[str]:
    """Models of `names` that do not exist yet as tables or views in the build database."""
    if not db.paths.build_db_path().exists():
        return list(names)
    with db.connect() as con:
        tables = con.execute("select table_name from information_schema.tables").fetchall()
    existing = {row[0] for row in tables}
    return [name for name in names if name not in existing]


def topological_outputs(context: AssetExecutionContext) -> list[str]:
    """The selected output names, upstream first (Dagster requires that order for outputs)."""
    assets_def = context.assets_def
    selected = set(context.selected_output_names)
    key_of = {name: key for name, key in assets_def.keys_by_output_name.items() if name in selected}
    name_of = {key: name for name, key in key_of.items()}
    graph = {
        name: {name_of[dep] for dep in assets_def.asset_deps.get(key, set()) if dep in name_of}
        for name, key in key_of.items()
    }
    return list(TopologicalSorter(graph).static_order())


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
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        paths: GovdwPaths,
        build_db: BuildDatabase,
    ) -> Iterator[Any]:
        """The dbt models: staging, intermediate, facts, dims, marts and audit tables."""
        paths.export_dbt_env()
        full_refresh = context.run.tags.get(FULL_REFRESH_TAG, "").lower() == "true"
        marker = _marker(paths.build_db_path())
        fingerprint = build_fingerprint(build_db, manifest_path)
        unchanged = (
            fingerprint is not None
            and marker.exists()
            and marker.read_text(encoding="utf-8") == fingerprint
            and not missing_models(build_db, names)
        )
        if unchanged and not full_refresh:
            # dbt costs ~9 s per build here; the last build from these very landing rows and
            # models passed every test, so the run goes straight to the checks and publish.
            why = "no landing file and no dbt model changed since the last passing build"
            context.log.info(f"skipping dbt build: {why}")
            for output_name in topological_outputs(context):
                yield Output(None, output_name=output_name, metadata={"dbt_skipped": why})
            for check_key in context.selected_asset_check_keys:
                yield AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=check_key.name,
                    passed=True,
                    metadata={"dbt_skipped": why},
                )
            return
        marker.unlink(missing_ok=True)
        args = ["build", *(["--full-refresh"] if full_refresh else [])]
        yield from dbt.cli(args, context=context).stream()
        # Reached only when dbt build (models and tests of severity error) succeeded.
        if fingerprint is not None:
            marker.write_text(fingerprint, encoding="utf-8")

    return warehouse_dbt
