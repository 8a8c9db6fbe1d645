"""`raw_files_sensor`: new or changed raw files become partitions, requested in as few runs."""

import hashlib
import json

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from govdw import settings
from govdw.types import Fingerprint
from orchestration.defs.jobs import PIPELINE_JOB
from orchestration.lib.raw_files import (
    RAW_FILES_PARTITIONS,
    contiguous_ranges,
    fingerprint_dir,
    partition_key,
)
from orchestration.lib.resources import GovdwPaths


def _load_cursor(cursor: str | None) -> dict[str, Fingerprint]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        return {rel: Fingerprint(int(v[0]), int(v[1]), str(v[2])) for rel, v in data.items()}
    except (ValueError, TypeError, IndexError, AttributeError):
        return {}  # an unreadable cursor only costs one full re-hash


def _dump_cursor(prints: dict[str, Fingerprint]) -> str:
    return json.dumps({rel: [f.size, f.mtime_ns, f.sha256] for rel, f in prints.items()})


def range_run_request(start: str, end: str, shas: list[str]) -> RunRequest:
    """One run over the partition range [start, end]; run_key ties it to the files' contents."""
    run_key = hashlib.sha1("|".join([start, end, *shas]).encode("utf-8")).hexdigest()
    if start == end:
        return RunRequest(run_key=run_key, partition_key=start)
    return RunRequest(
        run_key=run_key,
        tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end},
    )


# STOPPED by default: `govdw run` / `make run` is the documented way to load, and opening the UI
# should not start writing the build database behind the user's back. `govdw serve` (production)
# sets GOVDW_AUTOMATION=on, which starts it RUNNING; elsewhere turn it on in the UI (or
# `dagster sensor start raw_files_sensor`) to load drops into raw/ automatically.
@sensor(
    name="raw_files_sensor",
    job_name=PIPELINE_JOB,
    minimum_interval_seconds=60,
    default_status=(
        DefaultSensorStatus.RUNNING
        if settings.automation_enabled()
        else DefaultSensorStatus.STOPPED
    ),
    description="Adds new/changed raw files as partitions and requests exactly those files.",
)
def raw_files_sensor(
    context: SensorEvaluationContext, paths: GovdwPaths
) -> SensorResult | SkipReason:
    """Fingerprint the raw folder (sha256 cached by size+mtime) and request new/changed files."""
    previous = _load_cursor(context.cursor)
    current = fingerprint_dir(paths.raw_path(), previous)
    changed = sorted(rel for rel, fp in current.items() if previous.get(rel) != fp)
    # Only content matters: a touched file with the same bytes is not re-requested.
    changed = [
        rel for rel in changed if rel not in previous or previous[rel].sha256 != current[rel].sha256
    ]
    if not changed:
        if current != previous:
            context.update_cursor(_dump_cursor(current))
        return SkipReason("no new or changed files in the raw folder")

    name = RAW_FILES_PARTITIONS
    known = list(context.instance.get_dynamic_partitions(name))
    known_set = set(known)
    wanted_keys = {partition_key(rel) for rel in changed}
    new_keys = sorted(k for k in wanted_keys if k not in known_set)
    ordered = known + new_keys  # dynamic partitions keep insertion order
    sha_of_key = {partition_key(rel): current[rel].sha256 for rel in changed}
    requests = [
        range_run_request(
            start,
            end,
            [sha_of_key[k] for k in ordered[ordered.index(start) : ordered.index(end) + 1]],
        )
        for start, end in contiguous_ranges(ordered, wanted_keys)
    ]
    context.log.info(f"requesting {len(wanted_keys)} file(s) in {len(requests)} run(s)")
    return SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=(
            [AddDynamicPartitionsRequest(name, new_keys)] if new_keys else []
        ),
        cursor=_dump_cursor(current),
    )
