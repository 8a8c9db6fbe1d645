"""`spark_warehouse`: the same warehouse on Spark, after the DuckDB one is published.

Only in the code location when GOVDW_TARGET=spark (`govdw run --target spark`). One step:
`dbt build --target spark` into a database of this run's own (`govdw_b<run>`; dbt's on-run-start
hook registers the landing tables over the Parquet hand-off the ingest wrote), the blocking checks
(every table of the DuckDB warehouse built from the same landing rows holds as many rows on
Spark), then the publish: database `govdw` gets a view per table on this build
(`govdw.engines.spark`). Any failure leaves `govdw` as it was.
"""

import os
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import DbtCliResource

from govdw import settings
from govdw.engines.spark import (
    PUBLISHED,
    SparkError,
    build_database,
    checks,
    dbt_env,
    run_in_process,
)
from govdw.publish import table_row_counts
from orchestration.lib.resources import WRITER_POOL, GovdwPaths
from orchestration.lib.target_build import build_failures, shown

#: The Dagster group of the Spark stage.
SPARK_GROUP = "spark"
#: The dbt target (dbt_project/profiles.yml) the stage builds.
DBT_TARGET = "spark"
_UNCHANGED = f"the published Spark database {PUBLISHED} is unchanged"


def build_spark_asset(upstream: AssetKey, manifest: Path) -> AssetsDefinition:
    """The Spark stage, downstream of `upstream` (the published DuckDB warehouse)."""

    @asset(
        name="spark_warehouse",
        group_name=SPARK_GROUP,
        deps=[upstream],
        pool=WRITER_POOL,
        kinds={"spark", "dbt"},
    )
    def spark_warehouse(
        context: AssetExecutionContext, paths: GovdwPaths, dbt: DbtCliResource
    ) -> MaterializeResult:
        """The warehouse on Spark: dbt build over the Parquet hand-off, checks, publish."""
        paths.export_dbt_env()
        build_db = paths.build_db_path()
        database = build_database(context.run.run_id)
        env = dbt_env(build_db, database)
        warehouse = settings.spark_warehouse_path(build_db)
        warehouse.mkdir(parents=True, exist_ok=True)
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            failed = build_failures(context, dbt, manifest, DBT_TARGET)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if failed:
            raise SparkError(
                f"dbt build --target {DBT_TARGET} failed: {shown(failed)}. Fix the models for "
                f"Spark (dbt_project/; the failed build stays in database {database} to "
                f"inspect) and run again; {_UNCHANGED}"
            )
        expected = table_row_counts(paths.warehouse_path())
        try:
            counts = run_in_process("counts", warehouse, {"database": database})["counts"]
            results = checks(counts, expected, {})
            failures = [r for r in results if not r.passed]
            report = "\n".join(
                f"- {'ok' if r.passed else 'FAILED'} {r.name}: {r.detail}" for r in results
            )
            context.log.info(report)
            if failures:
                raise SparkError(
                    "checks failed on "
                    + database
                    + ": "
                    + "; ".join(f"{r.name}: {r.detail}" for r in failures[:5])
                    + f"; {_UNCHANGED}"
                )
            done = run_in_process("publish", warehouse, {"build": database})
        except SparkError:
            raise
        except Exception as exc:
            raise SparkError(f"Spark stage failed: {exc}; {_UNCHANGED}") from exc
        context.log.info(
            f"published {len(done['tables'])} views in {PUBLISHED} on build {database}; "
            f"dropped {done['dropped'] or 'no'} older builds"
        )
        return MaterializeResult(
            metadata={
                "database": PUBLISHED,
                "build": database,
                "warehouse": str(warehouse),
                "published": MetadataValue.json(done["tables"]),
                "dropped": MetadataValue.json(done["dropped"]),
                "rows": MetadataValue.json(
                    {t: n for t, n in counts.items() if t.startswith("fct_")}
                ),
                "checks": MetadataValue.md(report),
            }
        )

    return spark_warehouse
