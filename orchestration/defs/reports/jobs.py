"""`reports_job`: the reports group, run on demand (or after a load) apart from the pipeline."""

from dagster import AssetSelection, define_asset_job

from orchestration.defs.reports.assets import REPORTS_GROUP

REPORTS_JOB = "reports_job"

reports_job = define_asset_job(
    REPORTS_JOB,
    selection=AssetSelection.groups(REPORTS_GROUP),
    description="Dashboard, Parquet exports and the monthly 通报 from the published warehouse.",
)
