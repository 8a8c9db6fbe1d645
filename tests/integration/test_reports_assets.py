"""Group `reports`: wired downstream of the published warehouse, out of the pipeline job, and
each asset writes its files next to the warehouse (asset logic run through `materialize`)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dagster import AssetKey, materialize
from report_fixtures import (  # tests/ is on sys.path (rootdir conftest)
    sample_warehouse,
    tiny_warehouse,
)

from orchestration.defs.reports.assets import (
    MONTHS,
    dashboard_html,
    monthly_bulletins,
    regions_with_data,
    table_exports,
)
from orchestration.lib.resources import GovdwPaths

REPORT_ASSETS = {"dashboard_html", "table_exports", "monthly_bulletins"}


def test_reports_group_is_wired_apart_from_the_pipeline() -> None:
    """Three assets in group reports after published_warehouse; run by reports_job only."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for name in REPORT_ASSETS:
        node = graph.get(AssetKey(name))
        assert node.group_name == "reports"
        assert node.parent_keys == {AssetKey("published_warehouse")}
    pipeline = defs.resolve_job_def("govdw_pipeline")
    in_pipeline = {k.to_user_string() for k in pipeline.asset_layer.executable_asset_keys}
    assert "published_warehouse" in in_pipeline and not in_pipeline & REPORT_ASSETS
    reports = defs.resolve_job_def("reports_job")
    assert {k.to_user_string() for k in reports.asset_layer.executable_asset_keys} == REPORT_ASSETS
    keys = MONTHS.get_partition_keys()
    assert keys[0] == "2015-01" and all(len(k) == 7 for k in keys)


class FakeBulletins:
    """Stands in for govdw.reports.bulletin: records calls, refuses the regions in `refuse`."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        """Nothing written yet."""
        self.calls: list[tuple[str, str]] = []
        self.refuse = refuse or set()

    def write_bulletin(
        self, warehouse: Path, region: str, period: str, out_dir: Path
    ) -> list[Path]:
        """One small file per call, or a ValueError for a refused region."""
        assert warehouse.is_file()
        self.calls.append((region, period))
        if region in self.refuse:
            raise ValueError(f"合计 of {region} disagrees with its details")
        path = out_dir / f"bulletin-{region}-{period}.docx"
        path.write_text("docx", encoding="utf-8")
        return [path]


def _fake_module(monkeypatch: pytest.MonkeyPatch, fake: FakeBulletins) -> None:
    module = ModuleType("govdw.reports.bulletin")
    module.write_bulletin = fake.write_bulletin  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "govdw.reports.bulletin", module)


def _materialize(warehouse: Path, month: str, raise_on_error: bool = True) -> Any:
    return materialize(
        [dashboard_html, table_exports, monthly_bulletins],
        partition_key=month,
        resources={"paths": GovdwPaths(warehouse=str(warehouse))},
        raise_on_error=raise_on_error,
    )


def test_report_assets_write_next_to_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dashboard, Parquet exports and one bulletin per region with orders in the month."""
    warehouse = tiny_warehouse(tmp_path / "wh" / "govdw.duckdb")
    fake = FakeBulletins()
    _fake_module(monkeypatch, fake)
    result = _materialize(warehouse, "2023-04")
    assert result.success
    reports = warehouse.parent / "reports"
    assert (reports / "dashboard.html").stat().st_size > 1_000_000  # plotly.js inline
    exports = reports / "exports" / "parquet"
    assert (exports / "dim_region.parquet").is_file()
    assert list((exports / "fct_hotline_orders").glob("region_code=653024/year=2023/*.parquet"))
    assert fake.calls == [("640522", "2023-04"), ("653024", "2023-04")]
    assert sorted(p.name for p in (reports / "bulletins" / "2023-04").iterdir()) == [
        "bulletin-640522-2023-04.docx",
        "bulletin-653024-2023-04.docx",
    ]
    metadata = {
        m.asset_key.to_user_string(): m.metadata
        for m in (
            e.event_specific_data.materialization for e in result.get_asset_materialization_events()
        )
    }
    assert metadata["monthly_bulletins"]["regions"].value == ["640522", "653024"]
    assert metadata["table_exports"]["files"].value > 10

    # A month without orders writes nothing and succeeds.
    fake.calls.clear()
    assert _materialize(warehouse, "2021-01").success
    assert fake.calls == [] and not (reports / "bulletins" / "2021-01").exists()


def test_one_refused_bulletin_fails_the_partition_after_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region the bulletin refuses fails the month, but every other region is written."""
    warehouse = tiny_warehouse(tmp_path / "wh" / "govdw.duckdb")
    fake = FakeBulletins(refuse={"640522"})
    _fake_module(monkeypatch, fake)
    result = _materialize(warehouse, "2023-04", raise_on_error=False)
    assert not result.success
    assert fake.calls == [("640522", "2023-04"), ("653024", "2023-04")]
    written = warehouse.parent / "reports" / "bulletins" / "2023-04"
    assert [p.name for p in written.iterdir()] == ["bulletin-653024-2023-04.docx"]
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    assert error is not None and "1 of 2 bulletin(s) for 2023-04 failed" in error.message
    assert "640522: 合计 of 640522 disagrees" in error.message


@pytest.mark.slow
def test_monthly_bulletins_on_the_sample(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The real govdw.reports.bulletin writes a .docx and an .xlsx per region of the month."""
    warehouse = sample_warehouse(tmp_path_factory)
    month = "2024-03"
    regions = regions_with_data(warehouse, month)
    assert len(regions) >= 5
    result = materialize(
        [monthly_bulletins],
        partition_key=month,
        resources={"paths": GovdwPaths(warehouse=str(warehouse))},
    )
    assert result.success
    out = warehouse.parent / "reports" / "bulletins" / month
    for code in regions:
        assert (out / f"bulletin-{code}-{month}.docx").stat().st_size > 0
        assert (out / f"bulletin-{code}-{month}-tables.xlsx").stat().st_size > 0
