"""The dbt step's plan: skip, build everything, or build what the changed landing tables feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestration.defs.warehouse.assets import dbt_plan, stale_nodes, unaffected_nodes

NOW: dict[str, Any] = {
    "models": "m1",
    "landing": {"evaluations": "e1", "files": "f1", "hotline_orders": "h1"},
}

#: A small project: two landing tables, their staging models, facts, a mart over both, a seed.
MANIFEST: dict[str, Any] = {
    "metadata": {"project_name": "govdw"},
    "sources": {
        f"source.govdw.landing.{name}": {"name": name, "schema": "landing"}
        for name in ("evaluations", "hotline_orders", "files")
    },
    "child_map": {
        "source.govdw.landing.evaluations": ["model.govdw.stg_evaluations"],
        "source.govdw.landing.hotline_orders": ["model.govdw.stg_orders"],
        "source.govdw.landing.files": ["model.govdw.audit_files"],
        "model.govdw.stg_evaluations": ["model.govdw.fct_evaluations"],
        "model.govdw.stg_orders": ["model.govdw.fct_orders"],
        "model.govdw.fct_evaluations": [
            "model.govdw.mart_month",
            "test.govdw.unique_fct_evaluations_key.1",
        ],
        "model.govdw.fct_orders": ["model.govdw.mart_month", "test.govdw.unique_fct_orders_key.2"],
        "seed.govdw.calendar": ["model.govdw.mart_month"],
        "model.govdw.mart_month": [],
        "model.govdw.audit_files": [],
    },
    "nodes": {
        uid: {"name": uid.split(".")[2]}
        for uid in [
            "model.govdw.stg_evaluations",
            "model.govdw.stg_orders",
            "model.govdw.fct_evaluations",
            "model.govdw.fct_orders",
            "model.govdw.mart_month",
            "model.govdw.audit_files",
            "seed.govdw.calendar",
            "test.govdw.unique_fct_evaluations_key.1",
            "test.govdw.unique_fct_orders_key.2",
        ]
    },
    "unit_tests": {
        "unit_test.govdw.fct_orders.overdue": {
            "name": "overdue",
            "depends_on": {"nodes": ["model.govdw.fct_orders"]},
        }
    },
}


def test_first_build_full_refresh_missing_models_or_new_models_build_everything() -> None:
    assert dbt_plan(NOW, None, False, False).changed_tables == []
    assert not dbt_plan(NOW, None, False, False).skip
    assert not dbt_plan(NOW, NOW, True, False).skip
    assert not dbt_plan(NOW, NOW, False, True).skip
    edited = {**NOW, "models": "m2"}
    assert dbt_plan(edited, NOW, False, False) == dbt_plan(None, None, False, False)
    new_source = {**NOW, "landing": {**NOW["landing"], "reported_stats": "r1"}}
    assert not dbt_plan(new_source, NOW, False, False).changed_tables


def test_nothing_changed_skips() -> None:
    plan = dbt_plan(NOW, NOW, False, False)
    assert plan.skip and "no landing file" in plan.why


def test_changed_tables_are_named() -> None:
    now = {**NOW, "landing": {**NOW["landing"], "evaluations": "e2", "files": "f2"}}
    plan = dbt_plan(now, NOW, False, False)
    assert (plan.skip, plan.changed_tables) == (False, ["evaluations", "files"])


def test_only_what_the_changed_tables_feed_is_rebuilt() -> None:
    stale = stale_nodes(MANIFEST, ["evaluations"])
    assert stale == {
        "model.govdw.stg_evaluations",
        "model.govdw.fct_evaluations",
        "model.govdw.mart_month",
        "test.govdw.unique_fct_evaluations_key.1",
    }
    # everything else stays as the last passing build made it, unit tests included
    assert unaffected_nodes(MANIFEST, ["evaluations"]) == [
        "audit_files",
        "calendar",
        "fct_orders",
        "stg_orders",
        "unique_fct_orders_key",
        "unit_test:overdue",
    ]
    # a unit test follows the model it tests
    assert "unit_test.govdw.fct_orders.overdue" in stale_nodes(MANIFEST, ["hotline_orders"])


def test_parse_state_is_kept_per_build_database(tmp_path: Path) -> None:
    """A passing build's partial_parse.msgpack seeds the next invocation's own target folder."""
    from orchestration.defs.warehouse.assets import _keep_partial_parse, _restore_partial_parse

    cache = tmp_path / "build" / "govdw_build.duckdb.dbt-partial-parse.msgpack"
    cache.parent.mkdir()
    first, second = tmp_path / "target" / "a", tmp_path / "target" / "b"
    _restore_partial_parse(cache, first)  # nothing kept yet: dbt parses from scratch
    assert not first.exists()
    first.mkdir(parents=True)
    (first / "partial_parse.msgpack").write_bytes(b"parse state")
    _keep_partial_parse(first, cache)
    _restore_partial_parse(cache, second)
    assert (second / "partial_parse.msgpack").read_bytes() == b"parse state"
