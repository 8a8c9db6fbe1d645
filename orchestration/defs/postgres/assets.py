"""`postgres_warehouse`: the same warehouse on PostgreSQL, after the DuckDB one is published.

Only in the code location when GOVDW_TARGET=postgres (`govdw run --target postgres`). One step,
because each part needs the one before it and none is worth a Dagster asset of its own: the
landing tables from the Parquet hand-off the ingest wrote, `dbt build --target postgres` into the
build schemas (from scratch: the last run's build schemas were published or are dropped), the
blocking checks (facts non-empty, and every table of the DuckDB warehouse built from the same
landing rows holding as many rows on PostgreSQL), then the schema swap
(`govdw.engines.postgres`). Any failure leaves the published PostgreSQL schemas as they were.
"""

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
from govdw.engines.postgres import (
    CheckReport,
    PostgresError,
    connect,
    drop_build_schemas,
    load_landing,
    publish_checked,
)
from govdw.publish import table_row_counts
from orchestration.lib.resources import WRITER_POOL, GovdwPaths
from orchestration.lib.target_build import build_failures, shown

#: The Dagster group of the PostgreSQL stage.
POSTGRES_GROUP = "postgres"
#: The dbt target (dbt_project/profiles.yml) the stage builds.
DBT_TARGET = "postgres"
_UNCHANGED = "the published PostgreSQL schemas are unchanged"


def run_dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, manifest: Path) -> None:
    """`dbt build --target postgres`; PostgresError naming the failed nodes when it fails."""
    failed = build_failures(context, dbt, manifest, DBT_TARGET)
    if failed:
        raise PostgresError(
            f"dbt build --target {DBT_TARGET} failed: {shown(failed)}. Fix the models for "
            "PostgreSQL (dbt_project/; the failed build stays in the govdw_build* schemas to "
            "inspect) and run again"
        )


def _report_text(report: CheckReport) -> str:
    return "\n".join(
        f"- {'ok' if r.passed else 'FAILED' if r.blocking else 'warning'} {r.name}: {r.detail}"
        for r in report.results
    )


def build_postgres_asset(upstream: AssetKey, manifest: Path) -> AssetsDefinition:
    """The PostgreSQL stage, downstream of `upstream` (the published DuckDB warehouse)."""

    @asset(
        name="postgres_warehouse",
        group_name=POSTGRES_GROUP,
        deps=[upstream],
        pool=WRITER_POOL,
        kinds={"postgres", "dbt"},
    )
    def postgres_warehouse(
        context: AssetExecutionContext, paths: GovdwPaths, dbt: DbtCliResource
    ) -> MaterializeResult:
        """The warehouse on PostgreSQL: landing from the hand-off, dbt build, checks, swap."""
        pg = settings.postgres()
        paths.export_dbt_env()
        step = "connecting"
        try:
            conn = connect(pg)
        except PostgresError as exc:
            raise PostgresError(f"{exc}; {_UNCHANGED}") from exc
        try:
            step = "dropping the last failed build"
            if dropped := drop_build_schemas(conn, pg.build_schema):
                context.log.info(f"dropped the build schemas of a failed run: {dropped}")
            step = "loading the landing tables from the Parquet hand-off"
            nul_values: dict[str, int] = {}
            rows = load_landing(
                conn, settings.landing_parquet_path(paths.build_db_path()), nul_values=nul_values
            )
            context.log.info(f"landing loaded: {rows}")
            altered = [
                f"landing.{table}: {n} text values held NUL bytes, removed on PostgreSQL "
                "(its text cannot hold them; DuckDB keeps them)"
                for table, n in sorted(nul_values.items())
            ]
            for line in altered:
                context.log.warning(line)
            step = "dbt build"
            run_dbt_build(context, dbt, manifest)
            step = "the checks and the publish swap"
            expected = table_row_counts(paths.warehouse_path())
            report, done = publish_checked(conn, pg, expected_rows=expected)
            context.log.info(_report_text(report))
            if done is None:
                failed = "; ".join(f"{r.name}: {r.detail}" for r in report.failures)
                raise PostgresError(
                    f"checks failed on {pg.build_schema}: {failed}. The build stays in the "
                    f"{pg.build_schema}* schemas to inspect"
                )
        except PostgresError as exc:
            raise PostgresError(f"{exc}; {_UNCHANGED}") from exc
        except Exception as exc:
            detail = getattr(exc, "pgerror", None) or str(exc) or type(exc).__name__
            raise PostgresError(
                f"PostgreSQL stage failed while {step}: {' '.join(str(detail).split())}; "
                f"{_UNCHANGED}"
            ) from exc
        finally:
            conn.close()
        published = sorted(v for k, v in done.schemas.items() if k != "landing")
        context.log.info(
            f"published {', '.join(published)} on {pg.host}:{pg.port}/{pg.database} "
            f"(waited {done.waited_seconds:.1f} s for readers)"
        )
        return MaterializeResult(
            metadata={
                "database": f"{pg.host}:{pg.port}/{pg.database}",
                "published": MetadataValue.json(published),
                "schemas": MetadataValue.json(done.schemas),
                "landing_rows": MetadataValue.json(rows),
                "rows": MetadataValue.json(
                    {t: n for t, n in expected.items() if t.startswith("fct_")}
                ),
                "warnings": MetadataValue.json(
                    altered + [f"{r.name}: {r.detail}" for r in report.warnings]
                ),
                "checks": MetadataValue.md(_report_text(report)),
                "waited_seconds": round(done.waited_seconds, 2),
                "reader_role": pg.reader_role,
            }
        )

    return postgres_warehouse
