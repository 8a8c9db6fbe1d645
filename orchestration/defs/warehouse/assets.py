"""dbt models as assets, one Dagster group per dbt folder (`staging`, `intermediate`, `marts`,
`audit`; seeds in `seeds`): one `dbt build` per run, skipped if nothing changed."""

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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


def _own(manifest: Mapping[str, Any], uid: str, node: Mapping[str, Any]) -> bool:
    """Whether a manifest node belongs to the project itself (not to dbt or a package)."""
    project = manifest.get("metadata", {}).get("project_name") or "govdw"
    return str(node.get("package_name") or uid.split(".")[1]) == project


def landing_sources(manifest: Mapping[str, Any]) -> dict[str, str]:
    """The project's sources in schema landing: table name -> unique id."""
    return {
        node["name"]: uid
        for uid, node in manifest.get("sources", {}).items()
        if _own(manifest, uid, node) and node.get("schema") == "landing"
    }


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


def _models_digest(manifest: Mapping[str, Any]) -> str:
    """Digest of every own dbt node's checksum (models, seeds, tests, sources, macros)."""

    def checksum(node: Mapping[str, Any]) -> str:
        value = node.get("checksum") or ""
        return str(value.get("checksum", "") if isinstance(value, Mapping) else value)

    nodes = sorted(
        f"{uid}:{checksum(node)}"
        for section in ("nodes", "sources", "macros", "unit_tests")
        for uid, node in manifest.get(section, {}).items()
        if _own(manifest, uid, node)
    )
    return hashlib.md5("|".join(nodes).encode()).hexdigest()


def _landing_digests(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, str]:
    """landing table -> digest of what its rows come from: the path and sha256 of each file
    that has rows in it, and the parser version (a table without `source_file` digests its
    whole content)."""
    columns = dict(
        con.execute(
            "select table_name, list(column_name) from information_schema.columns "
            "where table_schema = 'landing' group by table_name"
        ).fetchall()
    )
    version = ""
    if "ingest_state" in columns:
        version = con.execute(
            "select coalesce(any_value(value), '') from landing.ingest_state "
            "where key = 'parser_version'"
        ).fetchall()[0][0]
    digests = {}
    for table in tables:
        if table not in columns:
            digests[table] = "missing"  # dbt's build fails on it, or it appears: a change
            continue
        if "source_file" in columns[table]:
            sql = (
                "select md5(coalesce(string_agg(f.file_path || ':' || f.sha256, '|' "
                "order by f.file_path), '')) from landing.files f where f.file_path in "
                f"(select distinct source_file from landing.{table})"
            )
        else:
            sql = (
                "select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) "
                f"from landing.{table} t"
            )
        digests[table] = f"{con.execute(sql).fetchall()[0][0]}-{version}"
    return digests


def build_fingerprint(db: BuildDatabase, manifest_path: Path) -> dict[str, Any] | None:
    """What a dbt build's result depends on: per landing table, the files its rows come from
    (and the parser version); and every own dbt node's checksum. None when the build database
    has no landing tables yet."""
    if not db.paths.build_db_path().exists():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables = sorted(landing_sources(manifest))
    with db.connect() as con:
        try:
            landing = _landing_digests(con, tables)
        except duckdb.Error:
            return None
    return {"models": _models_digest(manifest), "landing": landing}


def _read_marker(marker: Path) -> dict[str, Any] | None:
    try:
        saved = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


def stale_nodes(manifest: Mapping[str, Any], changed_tables: list[str]) -> set[str]:
    """Unique ids of the nodes downstream of the landing tables `changed_tables` (the models,
    tests and unit tests whose result may change when those tables change)."""
    children = manifest.get("child_map", {})
    sources = landing_sources(manifest)
    todo = [sources[table] for table in changed_tables if table in sources]
    seen: set[str] = set()
    while todo:
        uid = todo.pop()
        for child in children.get(uid, []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    # Unit tests hang off the model they test (they are not in child_map).
    for uid, test in manifest.get("unit_tests", {}).items():
        if set(test.get("depends_on", {}).get("nodes", [])) & seen:
            seen.add(uid)
    return seen


def unaffected_nodes(manifest: Mapping[str, Any], changed_tables: list[str]) -> list[str]:
    """Names (as dbt selects them) of the own models, seeds, tests and unit tests NOT downstream
    of `changed_tables`: what a build after those tables changed may leave as it is."""
    stale = stale_nodes(manifest, changed_tables)
    names = []
    for section in ("nodes", "unit_tests"):
        for uid, node in manifest.get(section, {}).items():
            if _own(manifest, uid, node) and uid not in stale:
                kind = uid.split(".")[0]
                if kind in ("model", "seed", "snapshot", "test"):
                    names.append(node["name"])
                elif kind == "unit_test":
                    names.append(f"unit_test:{node['name']}")
    return sorted(set(names))


@dataclass(frozen=True)
class DbtPlan:
    """What the run's dbt step does: skip, build everything, or build what changed tables feed."""

    skip: bool = False
    why: str = ""
    #: Landing tables whose rows changed since the last passing build ([] = build everything).
    changed_tables: list[str] = field(default_factory=list)


def dbt_plan(
    now: dict[str, Any] | None,
    last: dict[str, Any] | None,
    full_refresh: bool,
    models_missing: bool,
) -> DbtPlan:
    """Decide the dbt step from the fingerprint `now` and the last passing build's `last`."""
    if full_refresh or now is None or last is None or models_missing:
        return DbtPlan()
    if last.get("models") != now["models"] or set(last.get("landing", {})) != set(now["landing"]):
        return DbtPlan()  # a model, test or source changed: everything is built
    changed = sorted(t for t, digest in now["landing"].items() if last["landing"][t] != digest)
    if not changed:
        return DbtPlan(
            skip=True, why="no landing file and no dbt model changed since the last passing build"
        )
    return DbtPlan(changed_tables=changed)


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


#: dbt's parse state, kept in the target folder of each invocation.
_PARTIAL_PARSE = "partial_parse.msgpack"


def _target_path(context: AssetExecutionContext) -> Path:
    """A target folder of its own for this dbt invocation (as dagster-dbt names them)."""
    return (
        Path("target")
        / f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    )


def _restore_partial_parse(cache: Path, target: Path) -> None:
    """Seed the invocation's target folder with the parse state of this build database's last
    build. dbt re-parses the whole project when the profile differs from the one its parse state
    was made with, and the profile names the build database: one shared state would be made
    for another database as often as not (~4 s per build)."""
    if cache.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, target / _PARTIAL_PARSE)


def _keep_partial_parse(target: Path, cache: Path) -> None:
    """Keep the parse state of a passing build for the next build of the same database."""
    made = target / _PARTIAL_PARSE
    if made.is_file():
        tmp = cache.with_name(f"{cache.name}.tmp-{os.getpid()}")
        shutil.copyfile(made, tmp)
        os.replace(tmp, cache)


def _as_last_built(
    context: AssetExecutionContext, only: set[str] | None, metadata: dict[str, str]
) -> Iterator[Any]:
    """Outputs and passed checks for the selected dbt assets named in `only` (all when None)
    that stay as the last passing build made them (its tests passed on the same rows)."""
    keys = context.assets_def.keys_by_output_name
    for output_name in topological_outputs(context):
        if only is None or keys[output_name].path[-1] in only:
            yield Output(None, output_name=output_name, metadata=metadata)
    for check_key in context.selected_asset_check_keys:
        if only is None or check_key.asset_key.path[-1] in only:
            yield AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=check_key.name,
                passed=True,
                metadata=metadata,
            )


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
        last = _read_marker(marker)
        plan = dbt_plan(fingerprint, last, full_refresh, bool(missing_models(build_db, names)))
        if plan.skip:
            # dbt costs ~9 s per build here; the last build from these very landing rows and
            # models passed every test, so the run goes straight to the checks and publish.
            context.log.info(f"skipping dbt build: {plan.why}")
            yield from _as_last_built(context, None, {"dbt_skipped": plan.why})
            return
        marker.unlink(missing_ok=True)
        args = ["build", *(["--full-refresh"] if full_refresh else [])]
        if plan.changed_tables:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            keep = unaffected_nodes(manifest, plan.changed_tables)
            why = (
                "not downstream of the landing tables that changed "
                f"({', '.join(plan.changed_tables)}): as the last passing build made it"
            )
            context.log.info(
                f"dbt builds what the changed landing tables feed; {len(keep)} "
                "models and tests are left as the last passing build made them"
            )
            # The kept models are upstream-closed: reported first, before dbt's own events,
            # so every output is yielded (a missing one would skip the publish step).
            yield from _as_last_built(context, set(keep), {"dbt_unchanged": why})
            if keep:
                # Tests are kept or built by name: with dbt's default (eager) indirect
                # selection, excluding an unchanged model would also drop the tests it shares
                # with a rebuilt one (a relationships test on a fact and dim_region).
                args += ["--exclude", " ".join(keep), "--indirect-selection", "empty"]
        target = _target_path(context)
        parse_cache = paths.build_db_path().with_name(
            paths.build_db_path().name + ".dbt-partial-parse.msgpack"
        )
        _restore_partial_parse(parse_cache, Path(project.project_dir) / target)
        yield from dbt.cli(args, context=context, target_path=target).stream()
        # Reached only when dbt build (models and tests of severity error) succeeded.
        _keep_partial_parse(Path(project.project_dir) / target, parse_cache)
        if fingerprint is not None:
            marker.write_text(json.dumps(fingerprint), encoding="utf-8")

    return warehouse_dbt
