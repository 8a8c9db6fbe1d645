"""The PostgreSQL stage in the code location: the asset `postgres_warehouse` exists only when
GOVDW_TARGET=postgres (the default graph, snapshot in tests/data/asset_graph.txt, is DuckDB's)."""

from __future__ import annotations

import pytest
from dagster import AssetKey

from orchestration.definitions import build_defs


def test_the_postgres_stage_joins_the_graph_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GOVDW_TARGET=postgres adds `postgres_warehouse` (group postgres) after the DuckDB publish,
    in the pipeline job; the default graph has no PostgreSQL asset."""
    monkeypatch.delenv("GOVDW_TARGET", raising=False)
    keys = {k.to_user_string() for k in build_defs().resolve_all_asset_keys()}
    assert "postgres_warehouse" not in keys
    monkeypatch.setenv("GOVDW_TARGET", "postgres")
    defs = build_defs()
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey("postgres_warehouse"))
    assert node.group_name == "postgres"
    assert {k.to_user_string() for k in node.parent_keys} == {"published_warehouse"}
    job = defs.resolve_job_def("govdw_pipeline")
    assert AssetKey("postgres_warehouse") in job.asset_layer.selected_asset_keys
