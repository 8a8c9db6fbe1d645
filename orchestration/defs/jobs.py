"""The jobs and the schedule: `govdw_pipeline` (ingest + dbt + publish), `reports_job` (the
reports group) and the `nightly_load` schedule. Their names are defined once, here."""

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

from govdw import settings
from orchestration.defs.reports.assets import REPORTS_GROUP
from orchestration.lib.raw_files import RAW_FILES, RAW_FILES_PARTITIONS, sync_partitions
from orchestration.lib.resources import GovdwPaths

#: The job `govdw run`, the sensor and the schedule launch.
PIPELINE_JOB = "govdw_pipeline"
#: The job that makes the reports from the published warehouse.
REPORTS_JOB = "reports_job"
#: The schedule loading the raw folder every night.
NIGHTLY_SCHEDULE = "nightly_load"

pipeline_job = define_asset_job(
    PIPELINE_JOB,
    # Everything but the reports group (dashboard, exports, monthly 通报), whatever groups the
    # ingest, dbt and publish assets are in: reports only read the published file and run in
    # their own job, as their monthly partitions cannot share this job's raw-file partitions.
    selection=AssetSelection.all(include_sources=False) - AssetSelection.groups(REPORTS_GROUP),
    partitions_def=RAW_FILES,
    description="Ingest raw files (one run for many partitions), dbt build, checks, publish.",
)

reports_job = define_asset_job(
    REPORTS_JOB,
    selection=AssetSelection.groups(REPORTS_GROUP),
    description="Dashboard, Parquet exports and the monthly 通报 from the published warehouse.",
)


def full_range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags selecting every partition in `keys` (insertion order) as one single-run range."""
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


# STOPPED unless GOVDW_AUTOMATION=on, which `govdw serve` (production) sets: `dagster dev` and the
# tests never load behind the user's back. GOVDW_NIGHTLY_CRON moves the time (a test makes it fire
# within a minute, so the daemon itself ticks).
@schedule(
    name=NIGHTLY_SCHEDULE,
    job=pipeline_job,
    cron_schedule=settings.nightly_cron(),
    execution_timezone="Asia/Shanghai",
    default_status=(
        DefaultScheduleStatus.RUNNING
        if settings.automation_enabled()
        else DefaultScheduleStatus.STOPPED
    ),
    description="02:00 Beijing time: load every raw file (single run), dbt build, publish.",
)
def nightly_load(context: ScheduleEvaluationContext, paths: GovdwPaths) -> RunRequest | SkipReason:
    """Sync partitions with the raw folder, then request all of them in one run."""
    # Files dropped while the sensor was off still get loaded tonight.
    sync_partitions(context.instance, paths.raw_path())
    keys = list(context.instance.get_dynamic_partitions(RAW_FILES_PARTITIONS))
    if not keys:
        return SkipReason(f"no data files in {paths.raw_path()}")
    return RunRequest(
        run_key=None,
        tags=full_range_tags(keys),
    )
