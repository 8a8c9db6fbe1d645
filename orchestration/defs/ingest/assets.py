"""`landing_files`: raw files (one partition each) parsed into the build DB's landing tables."""

import gc
import time
from typing import Any

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from govdw.types import FileOutcome, IngestSummary
from orchestration.lib import progress
from orchestration.lib.raw_files import (
    RAW_FILES,
    RAW_FILES_PARTITIONS,
    partition_key,
    rel_paths_for_keys,
)
from orchestration.lib.resources import FULL_REFRESH_TAG, WHOLE_FOLDER_TAG, WRITER_POOL, GovdwPaths

#: Per-file details go into run-level metadata only up to this many files (the UI stays usable);
#: every file always gets its own per-partition metadata and a row in audit_files.
_MAX_TABLE_FILES = 200


def file_row(outcome: FileOutcome) -> dict[str, Any]:
    """One file's outcome as plain values: path, status, dataset, region, sheet, rows, problems.

    Dataset, region and sheets are those its landing.files row holds (sheets joined with ',').
    """
    return {
        "file": outcome.rel_path,
        "status": outcome.status,
        "dataset": outcome.dataset or "",
        "region": outcome.region_code or "",
        "sheet": ",".join(outcome.sheets),
        "rows": outcome.rows,
        "problems": outcome.error or "",
    }


def _markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| file | status | dataset | region | sheet | rows | problems |\n"
        "|---|---|---|---|---|---|---|"
    )
    lines = [
        f"| {r['file']} | {r['status']} | {r['dataset']} | {r['region']} | {r['sheet']} "
        f"| {r['rows']} | {r['problems'].replace('|', '/')} |"
        for r in rows
    ]
    return "\n".join([head, *lines])


def summary_metadata(
    summary: IngestSummary, rows: list[dict[str, Any]], elapsed: float
) -> dict[str, Any]:
    """Run-level metadata of one ingest: counts, rows per landing table, and the per-file table."""
    rows_by_table = summary.rows_by_table
    meta: dict[str, Any] = {
        "files": summary.files_seen,
        "loaded": summary.loaded,
        "duplicate": summary.duplicate,
        "quarantined": summary.quarantined,
        "unchanged": summary.unchanged,
        "changed": summary.changed,
        "rows_by_table": MetadataValue.json(dict(rows_by_table)),
        "elapsed_seconds": round(elapsed, 2),
    }
    for table, count in rows_by_table.items():
        meta[f"rows_{table}"] = count
    if rows:
        shown = rows[:_MAX_TABLE_FILES]
        note = (
            ""
            if len(rows) <= _MAX_TABLE_FILES
            else f"\n\n(first {_MAX_TABLE_FILES} of {len(rows)})"
        )
        meta["file_results"] = MetadataValue.md(_markdown(shown) + note)
    return meta


def quarantine_check(rows: list[dict[str, Any]]) -> AssetCheckResult:
    """WARN check result listing the files quarantined in this run, with their reasons."""
    bad = [r for r in rows if r["status"] == "quarantined"]
    text = "\n".join(f"- `{r['file']}`: {r['problems'] or 'no reason given'}" for r in bad[:200])
    return AssetCheckResult(
        check_name="quarantined_files",
        passed=not bad,
        severity=AssetCheckSeverity.WARN,
        metadata={"quarantined": len(bad), "files": MetadataValue.md(text or "none")},
    )


@asset(
    name="landing_files",
    group_name="ingest",
    partitions_def=RAW_FILES,
    # Many files go in ONE run and are parsed in parallel inside it (a run per file costs ~2 s).
    backfill_policy=BackfillPolicy.single_run(),
    pool=WRITER_POOL,
    kinds={"python", "duckdb"},
    check_specs=[
        AssetCheckSpec(
            "quarantined_files",
            asset="landing_files",
            description="Files quarantined in this run, with reasons (a warning, not a failure).",
        )
    ],
)
def landing_files(context: AssetExecutionContext, paths: GovdwPaths) -> MaterializeResult:
    """Raw exports parsed into the landing tables of the build database (one partition per file)."""
    # Deferred: the parser stack (~0.4 s) loads when this asset runs, not each time Dagster loads
    # the code location. Called through the module, so tests can stand in for ingest_dir.
    from govdw import ingest

    raw_dir = paths.raw_path()
    all_keys = set(context.instance.get_dynamic_partitions(RAW_FILES_PARTITIONS))
    keys = list(context.partition_keys)
    # A run over every known file, or one tagged for the whole folder (`govdw run`), brings
    # every file up to date and forgets files gone from raw/ (only=None).
    whole = context.run.tags.get(WHOLE_FOLDER_TAG, "").lower() == "true"
    only = None if whole or set(keys) >= all_keys else rel_paths_for_keys(raw_dir, keys)
    full_refresh = context.run.tags.get(FULL_REFRESH_TAG, "").lower() == "true"
    context.log.info(
        f"ingesting {len(keys)} file(s) from {raw_dir} into {paths.build_db_path()}"
        + (" (full refresh)" if full_refresh else "")
    )
    started = time.monotonic()
    last_log = [0.0]

    def on_progress(event: Any) -> None:
        progress.emit(event)
        now = time.monotonic()
        if now - last_log[0] >= 5:  # a log line every 5 s keeps the event log small
            last_log[0] = now
            context.log.info(f"progress: {event}")

    paths.build_db_path().parent.mkdir(parents=True, exist_ok=True)
    summary = ingest.ingest_dir(
        raw_dir, paths.build_db_path(), full_refresh=full_refresh, progress=on_progress, only=only
    )
    # The landing tables passed through Arrow's allocator, which keeps freed memory for reuse:
    # hand it back before dbt runs beside this process (a run's peak is ingest's or dbt's, not
    # both).
    gc.collect()
    pa.default_memory_pool().release_unused()
    rows = [file_row(f) for f in summary.files]
    meta = summary_metadata(summary, rows, time.monotonic() - started)
    # Each partition (file) also carries its own outcome, visible on the partition's page.
    by_key = {partition_key(r["file"]): r for r in rows}
    for key in keys:
        row = by_key.get(key)
        if row is not None:
            context.add_asset_metadata(
                {k: v for k, v in row.items() if k != "file"} | {"path": row["file"]},
                partition_key=key,
            )
    return MaterializeResult(metadata=meta, check_results=[quarantine_check(rows)])
