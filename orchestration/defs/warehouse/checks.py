"""Data checks beyond dbt's tests: reconciliation mismatches and file warnings (WARN), and
non-empty facts (blocking)."""

from collections.abc import Sequence

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from govdw import datasets
from orchestration.lib.resources import WRITER_POOL, BuildDatabase

#: Fact table -> the landing table that feeds it (from the dataset registry). A fact must hold
#: rows when its landing table does: an empty fact then means a broken transform, never
#: published. (A raw folder without any evaluation exports legitimately yields an empty
#: fct_evaluations; that passes.)
FACT_TABLES = datasets.fact_sources()


def reconciliation_result(con: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    """WARN result: how many reported totals disagree with the detail rows, with examples."""
    row = con.execute("select count(*) from audit_reconciliation where not is_match").fetchone()
    mismatches = int(row[0]) if row else 0
    examples = con.execute(
        "select source_file, source_sheet, coalesce(subject, '(column total)'), metric, "
        "reported_total, computed_total from audit_reconciliation where not is_match "
        "order by source_file, source_sheet, metric limit 50"
    ).fetchall()
    lines = [
        f"- `{f}` [{s}] {subj} {m}: reported {r}, computed {c}" for f, s, subj, m, r, c in examples
    ]
    return AssetCheckResult(
        passed=mismatches == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "mismatches": mismatches,
            "examples": MetadataValue.md("\n".join(lines) or "none"),
        },
    )


def file_warnings_result(con: duckdb.DuckDBPyConnection) -> AssetCheckResult:
    """WARN result: files whose audit_files row carries warnings (e.g. a newer export with fewer
    records than the one it replaced: latest export wins), listed with their warnings."""
    rows = con.execute(
        "select file_path, warnings from audit_files "
        "where warnings is not null and warnings <> '' order by file_path"
    ).fetchall()
    fewer = sum(1 for _, w in rows if "latest export wins" in w)
    lines = [
        f"- `{path}`: " + "; ".join(w for w in warnings.splitlines() if w)
        for path, warnings in rows[:200]
    ]
    return AssetCheckResult(
        passed=not rows,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "files_with_warnings": len(rows),
            "fewer_records_than_replaced": fewer,
            "files": MetadataValue.md("\n".join(lines) or "none"),
        },
    )


def build_checks(models: Sequence[str]) -> list[AssetChecksDefinition]:
    """Checks for the models that exist in this dbt project."""
    checks: list[AssetChecksDefinition] = []
    if "audit_reconciliation" in models:

        @asset_check(
            asset="audit_reconciliation",
            name="reconciliation_mismatches",
            blocking=False,
            pool=WRITER_POOL,
            description="Reported totals that do not match the sum of their details (warning).",
        )
        def reconciliation_mismatches(
            context: AssetCheckExecutionContext, build_db: BuildDatabase
        ) -> AssetCheckResult:
            """Count totals in audit_reconciliation whose reported and computed values differ."""
            with build_db.connect() as con:
                return reconciliation_result(con)

        checks.append(reconciliation_mismatches)

    if "audit_files" in models:

        @asset_check(
            asset="audit_files",
            name="file_warnings",
            blocking=False,
            pool=WRITER_POOL,
            description=(
                "Files loaded with warnings, e.g. a newer export holding fewer records than the "
                "one it replaced (latest export wins); a warning, not a failure."
            ),
        )
        def file_warnings(
            context: AssetCheckExecutionContext, build_db: BuildDatabase
        ) -> AssetCheckResult:
            """List the files whose audit_files row carries warnings."""
            with build_db.connect() as con:
                return file_warnings_result(con)

        checks.append(file_warnings)

    for table, landing in FACT_TABLES.items():
        if table in models:
            checks.append(_facts_non_empty(table, landing))
    return checks


def _count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if not exists or not exists[0]:
        return None
    row = con.execute(f'select count(*) from {schema}."{table}"').fetchone()
    return int(row[0]) if row else 0


def facts_result(con: duckdb.DuckDBPyConnection, table: str, landing: str) -> AssetCheckResult:
    """ERROR result: the fact table is missing, or empty while its landing table has rows."""
    count = _count(con, "main", table)
    landing_rows = _count(con, "landing", landing) or 0
    passed = count is not None and (count > 0 or landing_rows == 0)
    if count is None:
        why = f"{table} does not exist in the build database: dbt did not build it"
    elif not passed:
        why = f"{table} is empty although landing.{landing} holds {landing_rows} rows"
    else:
        why = None
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        metadata={"rows": count or 0, "landing_rows": landing_rows},
        description=why,
    )


def _facts_non_empty(table: str, landing: str) -> AssetChecksDefinition:
    @asset_check(
        asset=table,
        name="facts_non_empty",
        blocking=True,
        pool=WRITER_POOL,
        description=f"{table} holds rows whenever landing.{landing} does (blocks publish).",
    )
    def facts_non_empty(
        context: AssetCheckExecutionContext, build_db: BuildDatabase
    ) -> AssetCheckResult:
        """Error (blocking publish) when the fact table is missing or wrongly empty."""
        with build_db.connect() as con:
            return facts_result(con, table, landing)

    return facts_non_empty
