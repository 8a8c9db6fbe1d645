"""Assets of group `reports`: files made from the published warehouse, next to it.

They only read the published copy (through `govdw.query.open_published`), so they never hold
the build database's single writer and can run while the next load is building. They are kept
out of the `govdw_pipeline` job (`govdw run` stays as fast as before) and run by `reports_job`.
"""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    MonthlyPartitionsDefinition,
    asset,
)

from govdw.query import open_published
from orchestration.lib.resources import GovdwPaths

REPORTS_GROUP = "reports"
PUBLISHED = AssetKey("published_warehouse")

#: One partition per calendar month (`2023-04`, the bulletin's period format), from 2015 (the
#: earliest year dim_date must cover) to the last complete month, Beijing time.
MONTHS = MonthlyPartitionsDefinition(start_date="2015-01", fmt="%Y-%m", timezone="Asia/Shanghai")


def reports_dir(paths: GovdwPaths) -> Path:
    """`<warehouse folder>/reports`: where every report asset writes."""
    return paths.warehouse_path().parent / "reports"


# The govdw.reports modules are imported inside the assets: plotly and pyarrow.dataset add about
# 0.35 s to every load of the code location (each `govdw run`, each Dagster subprocess).


@asset(group_name=REPORTS_GROUP, deps=[PUBLISHED], kinds={"html"})
def dashboard_html(context: AssetExecutionContext, paths: GovdwPaths) -> MaterializeResult:
    """The offline HTML dashboard of the published warehouse (reports/dashboard.html)."""
    from govdw.reports.dashboard import write_dashboard

    path = write_dashboard(paths.warehouse_path(), reports_dir(paths) / "dashboard.html")
    context.log.info(f"wrote {path}")
    return MaterializeResult(
        metadata={"path": MetadataValue.path(str(path)), "size_bytes": path.stat().st_size}
    )


@asset(group_name=REPORTS_GROUP, deps=[PUBLISHED], kinds={"parquet"})
def table_exports(context: AssetExecutionContext, paths: GovdwPaths) -> MaterializeResult:
    """Every published table as Parquet for BI tools (facts by region_code and year)."""
    from govdw.reports.export import export_tables

    out_dir = reports_dir(paths) / "exports" / "parquet"
    written = export_tables(paths.warehouse_path(), "parquet", out_dir, None)
    tables = sorted({p.relative_to(out_dir).parts[0].removesuffix(".parquet") for p in written})
    context.log.info(f"wrote {len(written)} Parquet file(s) under {out_dir}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(out_dir)),
            "files": len(written),
            "tables": MetadataValue.json(tables),
        }
    )


def regions_with_data(warehouse: Path, month: str) -> list[str]:
    """Region codes with hotline orders received in `month` (`2023-04`)."""
    with open_published(warehouse) as con:
        rows = con.execute(
            "select distinct region_code from mart_region_month "
            "where strftime(month, '%Y-%m') = ? and orders_received > 0 order by region_code",
            [month],
        ).fetchall()
    return [str(code) for (code,) in rows]


@asset(group_name=REPORTS_GROUP, deps=[PUBLISHED], partitions_def=MONTHS, kinds={"docx", "xlsx"})
def monthly_bulletins(context: AssetExecutionContext, paths: GovdwPaths) -> MaterializeResult:
    """The month's 通报 (.docx + .xlsx) of every region with data (reports/bulletins/<month>)."""
    # Imported here: govdw.reports.bulletin is developed alongside and pulls in python-docx.
    from govdw.reports.bulletin import write_bulletin

    month = context.partition_key
    warehouse = paths.warehouse_path()
    out_dir = reports_dir(paths) / "bulletins" / month
    regions = regions_with_data(warehouse, month)
    written: list[Path] = []
    failed: dict[str, str] = {}
    # One region's refusal (e.g. a 合计 that disagrees with its details) never stops the others.
    for code in regions:
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            written.extend(write_bulletin(warehouse, code, month, out_dir))
        except ValueError as exc:
            failed[code] = str(exc)
            context.log.error(f"bulletin {code} {month}: {exc}")
    if failed:
        raise Failure(
            description=f"{len(failed)} of {len(regions)} bulletin(s) for {month} failed: "
            + "; ".join(f"{code}: {why}" for code, why in failed.items()),
            metadata={"written": MetadataValue.json([str(p) for p in written])},
        )
    if not regions:
        context.log.info(f"no region has hotline orders in {month}: nothing to write")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(out_dir)),
            "regions": MetadataValue.json(regions),
            "files": MetadataValue.json([p.name for p in written]),
        }
    )
