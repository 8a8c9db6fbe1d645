"""The pipeline job (ingest + dbt + publish) and the `nightly_load` schedule."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from orchestration.lib.raw_files import RAW_FILES, sync_partitions
from orchestration.lib.resources import GovdwPaths

PIPELINE_JOB = "govdw_pipeline"

pipeline_job = define_asset_job(
    PIPELINE_JOB,
    # The reports group (dashboard, exports, monthly 通报) runs in its own job: it only reads the
    # published file, and its monthly partitions cannot share this job's raw-file partitions.
    selection=AssetSelection.all(include_sources=False) - AssetSelection.groups("reports"),
    partitions_def=RAW_FILES,
    description="Ingest raw files (one run for many partitions), dbt build, checks, publish.",
)


def full_range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags selecting every partition in `keys` (insertion order) as one single-run range."""
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


@schedule(
    name="nightly_load",
    job=pipeline_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.STOPPED,
    description="02:00 Beijing time: load every raw file (single run), dbt build, publish.",
)
def nightly_load(context: ScheduleEvaluationContext, paths: GovdwPaths) -> RunRequest | SkipReason:
    """Sync partitions with the raw folder, then request all of them in one run."""
    # Files dropped while the sensor was off still get loaded tonight.
    sync_partitions(context.instance, paths.raw_path())
    keys = list(context.instance.get_dynamic_partitions(RAW_FILES.name or "raw_files"))
    if not keys:
        return SkipReason(f"no data files in {paths.raw_path()}")
    return RunRequest(
        run_key=None,
        tags=full_range_tags(keys),
    )
