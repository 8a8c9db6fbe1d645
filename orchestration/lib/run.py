"""One pipeline run in this process, as `govdw run` starts it: the writer lock, the Dagster
instance (dead runs recovered, the writer pool waited for), the raw-file partitions synced, the
pipeline job executed in-process, and what came of it (`RunResult`).

Messages for a person come out through `notify(text, to_stderr)`; ingest progress events go to
the listener `make_progress` makes; dbt's output goes to the run's log file (`progress.RunLog`).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    ExecuteInProcessResult,
    JobDefinition,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.utils import make_new_run_id

from govdw import runlock, runstate, settings
from govdw.publish import remove_stale_temp_files
from govdw.summary import PublishedSummary, published_summary
from orchestration.defs.jobs import PIPELINE_JOB
from orchestration.lib import progress as run_progress
from orchestration.lib.instance import (
    ensure_instance_yaml,
    fix_pool_wait_spin,
    process_tags,
    recover_dead_runs,
    writer_holders,
)
from orchestration.lib.progress import RunLog, fmt_seconds
from orchestration.lib.raw_files import RAW_FILES_PARTITIONS, partition_key, sync_partitions
from orchestration.lib.resources import FULL_REFRESH_TAG, WHOLE_FOLDER_TAG, WRITER_POOL

#: The assets of the PostgreSQL and Spark stages (orchestration/defs/postgres/, …/spark/).
POSTGRES_ASSET = "postgres_warehouse"
SPARK_ASSET = "spark_warehouse"

#: Receives one line for a person: (text, whether it belongs on stderr).
Notify = Callable[[str, bool], None]


class RunRefused(Exception):
    """The run could not start (e.g. no data files); the message says what to do."""


class RunStopped(Exception):
    """A signal ended the wait for another run: nothing was changed."""

    def __init__(self, stop: runlock.Interrupted, waiting_for: str, warehouse: Path) -> None:
        """`stop`: the signal's exception; `waiting_for`: whom the run was waiting for."""
        super().__init__(
            f"stopped by {stop} while waiting for {waiting_for}; nothing was changed, the "
            f"previous warehouse (if any) is in place at {warehouse}"
        )
        self.stop = stop
        self.waiting_for = waiting_for
        self.exit_code: int = stop.exit_code


@dataclass(frozen=True)
class RunResult:
    """What one pipeline run did."""

    run_id: str
    success: bool
    #: The run's full log (dbt's output).
    log: Path
    warehouse: Path
    #: Files parsed this run (loaded or quarantined) and files skipped as unchanged.
    parsed: int = 0
    unchanged: int = 0
    #: Whether dbt's build was skipped (nothing changed since the last passing build).
    dbt_skipped: bool = False
    #: The published warehouse's figures (None when the run failed).
    summary: PublishedSummary | None = None
    #: What failed, in words, when the run did not succeed.
    failure: str = ""
    #: Whether the failure was SIGINT/SIGTERM cancelling the run.
    interrupted: bool = False
    #: Set when nothing changed since this earlier successful run: no Dagster run was started.
    same_as: runstate.LastRun | None = None
    #: What the PostgreSQL stage published (GOVDW_TARGET=postgres): the metadata of
    #: `postgres_warehouse` (database, published schemas, rows, warnings); None without it.
    postgres: dict[str, Any] | None = None
    #: What the Spark stage published (GOVDW_TARGET=spark): database, build, tables; else None.
    spark: dict[str, Any] | None = None
    #: The asset whose step failed first, when the run failed in one ('' otherwise).
    failed_step: str = ""


# ------------------------------------------------------------------- reading the run's events


def materialization_metadata(result: Any, asset: str) -> dict[str, Any]:
    """Metadata values of the run's materializations of `asset`, merged."""
    meta: dict[str, Any] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key == AssetKey(asset):
            meta.update({k: getattr(v, "value", v) for k, v in mat.metadata.items()})
    return meta


def check_metadata(result: Any, check_name: str) -> list[dict[str, Any]]:
    """Each evaluation of the check `check_name`: passed, asset and its metadata values."""
    found = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.check_name == check_name:
            found.append(
                {
                    "passed": evaluation.passed,
                    "asset": evaluation.asset_key.to_user_string(),
                    **{k: getattr(v, "value", v) for k, v in evaluation.metadata.items()},
                }
            )
    return found


def failure_message(result: Any) -> str:
    """What failed in words: the failing steps' error messages, and failed blocking checks."""

    def cause(err: Any) -> str:
        # Dagster wraps the asset's exception ("Error occurred while materializing ..."): the
        # first error of the chain raised by our code says what went wrong (no space at PATH…).
        chain: list[Any] = []
        while err is not None and len(chain) < 20:
            chain.append(err)
            err = err.cause or err.context
        own = [e for e in chain if not str(e.cls_name or "").startswith("Dagster")] or chain
        text = own[0].message.strip()
        name = str(own[0].cls_name or "")
        # "govdw.publish.PublishError: could not publish …" -> "could not publish …"
        return re.sub(rf"^[\w.]*\b{re.escape(name)}: ", "", text) if name else text

    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            err = event.step_failure_data.error
            message = cause(err) if err else "unknown error"
            lines.append(f"step {event.step_key} failed: {message}")
    for check in check_metadata(result, "facts_non_empty"):
        if not check["passed"]:
            lines.append(f"check facts_non_empty failed on {check['asset']}")
    return "\n".join(lines) or "the Dagster run failed (see `govdw ui` for the run's logs)"


def dbt_skipped(result: Any) -> bool:
    """Whether the run's dbt assets reported that the build was skipped."""
    return any(
        "dbt_skipped" in event.event_specific_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    )


# ---------------------------------------------------------------------------------------- run


def _ignore(text: str, to_stderr: bool) -> None:
    pass


def _acquire_writer_lock(
    home: Path, run_id: str, warehouse: Path, notify: Notify
) -> tuple[runlock.WriterLock, str]:
    """Take the writer lock of `home`, waiting for its holder; returns it and whom it waited for."""
    # One writer per Dagster home: a lock the kernel drops when its holder dies (even SIGKILL).
    lock = runlock.WriterLock(home)
    waiting_for = "another run"

    def tell(holder: dict[str, Any] | None, waited: float) -> None:
        nonlocal waiting_for
        waiting_for = runlock.describe(holder)
        if waited:
            notify(f"  still waiting for {waiting_for} ({fmt_seconds(waited)})", True)
        else:
            notify(
                f"  waiting for {waiting_for} to finish: one run writes at a time "
                f"(lock {lock.path}; Ctrl-C or SIGTERM stops waiting, changing nothing)",
                True,
            )

    try:
        with runlock.stop_on_signals():
            lock.acquire(runlock.this_process(run_id=run_id, warehouse=str(warehouse)), tell)
    except runlock.Interrupted as stop:
        raise RunStopped(stop, waiting_for, warehouse) from None
    return lock, waiting_for


def _recover_and_wait(
    instance: DagsterInstance, warehouse: Path, waiting_for: str, notify: Notify
) -> None:
    """Recover what killed runs left behind, then wait until no run holds the writer pool."""
    try:
        with runlock.stop_on_signals():
            # Runs left STARTED by a killed govdw run: mark failed, free their slots.
            for note in recover_dead_runs(instance):
                notify(f"  {note}", False)
            for leftover in remove_stale_temp_files(warehouse):
                notify(f"  removed {leftover} (left by a publish that was killed)", False)
            # A run launched from the UI, sensor or schedule may hold the writer pool.
            waited, told, told_at = 0.0, "", 0.0
            for delay in runlock.backoff():
                holders = writer_holders(instance, WRITER_POOL)
                if not holders:
                    break
                waiting_for = ", ".join(h.describe() for h in holders)
                if waiting_for != told or waited - told_at >= 60:
                    notify(
                        f"  waiting for {waiting_for} to release the writer slot "
                        f"({fmt_seconds(waited)} so far; Ctrl-C stops waiting)",
                        True,
                    )
                    told, told_at = waiting_for, waited
                time.sleep(delay)
                waited += delay
    except runlock.Interrupted as stop:
        raise RunStopped(stop, waiting_for, warehouse) from None


def _sync_raw_files(instance: DagsterInstance, raw: Path, notify: Notify) -> list[str]:
    """Sync the raw-file partitions with `raw` and return their keys; refuse when there are none."""
    added, removed = sync_partitions(instance, raw)
    keys = list(instance.get_dynamic_partitions(RAW_FILES_PARTITIONS))
    if not keys:
        raise RunRefused(
            f"no data files in {raw}: drop exports under raw/<region>/ or run `govdw sample`"
        )
    notify(
        f"  {len(keys)} file(s) known ({len(added)} new, {len(removed)} gone); "
        "loading them in one run",
        False,
    )
    return keys


def _partitions_to_run(keys: list[str], since: runstate.SinceLastRun) -> list[str]:
    """The raw-file partitions the run materializes, in partition order.

    Every file, unless only raw files changed since the last successful run: then the smallest
    contiguous range holding the new and changed files (new files are added at the end, so one
    new file is a range of one), or the first file when files were only deleted. The ingester
    looks at the whole folder either way (`WHOLE_FOLDER_TAG`); this only spares Dagster the
    events of partitions whose outcome cannot have changed (two per file: ~1 s per 20 files).
    """
    if since.changed is None:
        return keys
    wanted = {partition_key(path) for path in since.changed}
    picked = [i for i, key in enumerate(keys) if key in wanted]
    if not picked:
        return keys[:1]
    return keys[picked[0] : picked[-1] + 1]


def _run_tags(keys: list[str], run_id: str, full_refresh: bool) -> dict[str, str]:
    """The run's tags: the partition range, this process, the whole-folder and full-refresh
    flags."""
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: keys[0],
        ASSET_PARTITION_RANGE_END_TAG: keys[-1],
        WHOLE_FOLDER_TAG: "true",
        **process_tags(run_id),
    }
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    return tags


def _run_log_path(home: Path, run_id: str) -> Path:
    """Where the run's full log goes, under the Dagster home's logs folder."""
    # Unique per run (run id in the name, created O_EXCL): two runs never share a log.
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return home / "logs" / f"run-{stamp}-{run_id[:8]}.log"


def _execute(
    job: JobDefinition,
    instance: DagsterInstance,
    tags: dict[str, str],
    run_id: str,
    log: Path,
    make_progress: Callable[[], Callable[[Any], None]] | None,
) -> ExecuteInProcessResult:
    """Execute the job in this process, its output into the run's log, progress to a listener."""
    run_progress.set_listener(make_progress() if make_progress else None)
    run_log = RunLog(log)
    # Every process of the run (ingest workers, dbt) carries the token: a later run can
    # stop the ones a killed run left behind, and nothing else.
    os.environ[runlock.RUN_ENV] = run_id
    # Dagster's event lines (tracebacks included) stay in the run's event log
    # (`govdw ui`); a failure is explained in a few lines instead.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    try:
        with contextlib.redirect_stdout(run_log):
            return job.execute_in_process(
                instance=instance,
                tags=tags,
                raise_on_error=False,
                run_config=quiet,
                run_id=run_id,
            )
    finally:
        run_progress.set_listener(None)
        run_log.close()
        os.environ.pop(runlock.RUN_ENV, None)


def _run_result(
    instance: DagsterInstance,
    result: ExecuteInProcessResult,
    run_id: str,
    log: Path,
    warehouse: Path,
) -> RunResult:
    """What the executed run did: its failure, or its counts and the published summary."""
    if not result.success:
        record = instance.get_run_by_id(run_id)
        stopped = record is not None and record.status in (
            DagsterRunStatus.CANCELED,
            DagsterRunStatus.CANCELING,
        )
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        return RunResult(
            run_id=result.run_id,
            success=False,
            log=log,
            warehouse=warehouse,
            failure=failure_message(result),
            interrupted=stopped,
            failed_step=str(failed[0] or "") if failed else "",
        )
    ingest = materialization_metadata(result, "landing_files")
    parsed = int(ingest.get("loaded", 0) or 0) + int(ingest.get("quarantined", 0) or 0)
    return RunResult(
        run_id=result.run_id,
        success=True,
        log=log,
        warehouse=warehouse,
        parsed=parsed,
        unchanged=int(ingest.get("unchanged", 0) or 0),
        dbt_skipped=dbt_skipped(result),
        # Read while this run still holds the lock: the warehouse it published.
        summary=published_summary(warehouse),
        postgres=materialization_metadata(result, POSTGRES_ASSET) or None,
        spark=materialization_metadata(result, SPARK_ASSET) or None,
    )


def _unchanged_result(last: runstate.LastRun, warehouse: Path, notify: Notify) -> RunResult:
    """The result of a run that found nothing to do: the last run's, read from its warehouse."""
    notify(
        f"  nothing changed since run {last.run_id} ({last.finished_at}): no file new, changed "
        "or gone, same code, vocabulary and settings; nothing to parse, build or publish",
        False,
    )
    return RunResult(
        run_id=last.run_id,
        success=True,
        log=Path(last.log),
        warehouse=warehouse,
        unchanged=last.files,
        dbt_skipped=True,
        summary=published_summary(warehouse),
        same_as=last,
    )


def _record_success(
    raw: Path, warehouse: Path, before: dict[str, Any], result: RunResult, notify: Notify
) -> None:
    """Remember what this successful run saw, so an identical next run is skipped."""
    files = sum(1 for value in before.values() if not isinstance(value, str))
    last = runstate.LastRun(
        run_id=result.run_id, log=str(result.log), finished_at=runstate.now_text(), files=files
    )
    if not runstate.record(raw, settings.build_db_path(warehouse), warehouse, before, last):
        notify("  (the raw folder changed during the run: the next run looks at it again)", False)


def run_pipeline(
    raw: Path,
    warehouse: Path,
    defs: Definitions | Callable[[], Definitions],
    *,
    full_refresh: bool = False,
    make_progress: Callable[[], Callable[[Any], None]] | None = None,
    notify: Notify = _ignore,
) -> RunResult:
    """Run `defs`' pipeline job over every file in `raw` and publish `warehouse`.

    The environment (GOVDW_*, DAGSTER_HOME) must already point at `raw` and `warehouse`, as
    `defs` reads it; `defs` may be a function that loads them, called only when the job runs.
    When nothing changed since the last successful run (`govdw.runstate`), no job is started
    and the result says so (`same_as`). `make_progress` is called as the job starts, to make
    the listener of ingest progress events (see `progress.emit`). Raises `RunStopped` when a
    signal ends the wait for another run and `RunRefused` when there is nothing to load; a
    failed run is a `RunResult` with `success=False`.
    """
    home = settings.dagster_home()
    ensure_instance_yaml(home)
    build_db = settings.build_db_path(warehouse)
    run_id = make_new_run_id()
    lock, waiting_for = _acquire_writer_lock(home, run_id, warehouse, notify)
    try:
        since = (
            runstate.SinceLastRun(None, None, [])
            if full_refresh
            else runstate.since_last_run(raw, build_db, warehouse)
        )
        if since.nothing and since.last is not None:
            return _unchanged_result(since.last, warehouse, notify)
        before = runstate.raw_snapshot(raw)
        runstate.forget(build_db)
        job = (defs if isinstance(defs, Definitions) else defs()).resolve_job_def(PIPELINE_JOB)
        with DagsterInstance.get() as instance:
            _recover_and_wait(instance, warehouse, waiting_for, notify)
            fix_pool_wait_spin()
            keys = _sync_raw_files(instance, raw, notify)
            tags = _run_tags(_partitions_to_run(keys, since), run_id, full_refresh)
            log = _run_log_path(home, run_id)
            notify(f"  run {run_id}; full log: {log}", False)
            result = _execute(job, instance, tags, run_id, log, make_progress)
            outcome = _run_result(instance, result, run_id, log, warehouse)
        if outcome.success:
            _record_success(raw, warehouse, before, outcome, notify)
        return outcome
    finally:
        lock.release()
