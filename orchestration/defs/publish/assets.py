"""`published_warehouse`: atomic copy of the build database, made after dbt and checks passed."""

from collections.abc import Sequence

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from govdw.publish import publish, table_row_counts
from orchestration.lib.resources import WRITER_POOL, GovdwPaths


def build_publish_asset(upstream: Sequence[AssetKey]) -> AssetsDefinition:
    """The publish asset depending on every dbt asset in `upstream`."""

    @asset(
        name="published_warehouse",
        group_name="publish",
        deps=list(upstream),
        pool=WRITER_POOL,
        kinds={"duckdb"},
    )
    def published_warehouse(context: AssetExecutionContext, paths: GovdwPaths) -> MaterializeResult:
        """The warehouse analysts query, replaced atomically only when the whole run succeeded."""
        done = publish(paths.build_db_path(), paths.warehouse_path())
        target = done.path
        counts = table_row_counts(target)
        if done.how == "unchanged":
            context.log.info(f"{target} already holds this build: nothing copied")
        else:
            context.log.info(f"published {target} ({done.size_bytes} bytes, copy: {done.how})")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(target)),
                "size_bytes": done.size_bytes,
                "copy": done.how,
                "row_counts": MetadataValue.json(counts),
                **{f"rows_{name}": n for name, n in counts.items() if name.startswith("fct_")},
            }
        )

    return published_warehouse
