"""`landing_files`: raw files (one partition each) parsed into the build DB's landing tables."""

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
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

from orchestration.lib import progress
from orchestration.lib.raw_files import RAW_FILES, partition_key, rel_paths_for_keys
from orchestration.lib.resources import FULL_REFRESH_TAG, WRITER_POOL, GovdwPaths

#: Per-file details go into run-level metadata only up to this many files (the UI stays usable);
#: every file always gets its own per-partition metadata and a row in audit_files.
_MAX_TABLE_FILES = 200

#: Landing tables whose row counts are reported.
_ROW_TABLES = ("hotline_orders", "service_cases", "evaluations", "reported_stats", "reconciliation")


def _get(obj: Any, name: str, default: Any = None) -> Any:
    # IngestSummary / ParseResult may be dataclasses or dicts: read either.
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def file_results(summary: Any) -> list[Any]:
    """The per-file results of an IngestSummary, whatever the attribute is called."""
    for name in ("files", "results", "file_results", "per_file"):
        value = _get(summary, name)
        if isinstance(value, Mapping):
            return list(value.values())
        if isinstance(value, Iterable) and not isinstance(value, str | bytes):
            return list(value)
    return []


def file_row(result: Any) -> dict[str, Any]:
    """One file's outcome as plain values: path, status, dataset, region, sheet, rows, problems."""
    report = _get(result, "report") or {}
    tables = _get(result, "tables") or {}
    rows = _get(result, "rows")
    if rows is None:
        rows = sum(
            getattr(tables.get(name), "num_rows", 0) for name in _ROW_TABLES if name in tables
        )
    problems = _get(result, "error") or _get(report, "problems") or ""
    if isinstance(problems, list | tuple):
        problems = "; ".join(str(p) for p in problems)
    sheet = _get(result, "sheets") or _get(report, "sheet") or _get(report, "sheets") or ""
    if isinstance(sheet, list | tuple):
        sheet = ", ".join(str(s) for s in sheet)
    return {
        "file": str(_get(result, "rel_path") or _get(result, "file_path") or ""),
        "status": str(_get(result, "status") or ""),
        "dataset": str(_get(result, "dataset") or ""),
        "region": str(_get(result, "region_code") or _get(report, "region_code") or ""),
        "sheet": str(sheet),
        "rows": int(rows or 0),
        "problems": str(problems),
    }


def landing_file_rows(build_db: Path, rel_paths: list[str]) -> dict[str, dict[str, Any]]:
    """Dataset, region and sheets of files as recorded in landing.files (read after the ingest)."""
    if not rel_paths or not build_db.exists():
        return {}
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        con.execute("create temp table wanted (file_path varchar)")
        con.executemany("insert into wanted values (?)", [[p] for p in rel_paths])
        found = con.execute(
            "select f.file_path, f.dataset, f.region_code, f.sheets from landing.files as f "
            "join wanted as w on f.file_path = w.file_path"
        ).fetchall()
    except duckdb.Error:
        return {}  # an older build DB without landing.files: the summary still stands
    finally:
        con.close()
    return {
        path: {"dataset": ds or "", "region": region or "", "sheet": sheets or ""}
        for path, ds, region, sheets in found
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


def summary_metadata(summary: Any, rows: list[dict[str, Any]], elapsed: float) -> dict[str, Any]:
    """Run-level metadata of one ingest: counts, rows per landing table, and the per-file table."""
    rows_by_table = dict(_get(summary, "rows_by_table") or {})
    meta: dict[str, Any] = {
        "files": int(_get(summary, "files_seen", len(rows)) or 0),
        "loaded": int(_get(summary, "loaded", 0) or 0),
        "duplicate": int(_get(summary, "duplicate", 0) or 0),
        "quarantined": int(_get(summary, "quarantined", 0) or 0),
        "unchanged": int(_get(summary, "unchanged", 0) or 0),
        "changed": bool(_get(summary, "changed", True)),
        "rows_by_table": MetadataValue.json({k: int(v) for k, v in rows_by_table.items()}),
        "elapsed_seconds": round(elapsed, 2),
    }
    for table, count in rows_by_table.items():
        meta[f"rows_{table}"] = int(count)
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
    from govdw.ingest import ingest_dir

    raw_dir = paths.raw_path()
    all_keys = set(context.instance.get_dynamic_partitions(RAW_FILES.name or "raw_files"))
    keys = list(context.partition_keys)
    # A run over every known file also forgets files gone from raw/ (only=None).
    only = None if set(keys) >= all_keys else rel_paths_for_keys(raw_dir, keys)
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
    summary = ingest_dir(
        raw_dir, paths.build_db_path(), full_refresh=full_refresh, progress=on_progress, only=only
    )
    rows = [file_row(r) for r in file_results(summary)]
    extra = landing_file_rows(paths.build_db_path(), [r["file"] for r in rows])
    rows = [r | {k: v for k, v in extra.get(r["file"], {}).items() if v} for r in rows]
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
