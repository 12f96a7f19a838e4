"""The cost domain as one ``Definitions`` entry of the fleet location: its assets, checks,
the ``platform_cost`` job and its daily schedule."""

import dagster as dg

from fleet_platform.cost.assets import platform_cost_daily, storage_footprint_daily
from fleet_platform.cost.checks import build_cost_checks
from fleet_platform.partitions import ingest_days, yesterday_schedule
from fleet_platform.settings import fleet_settings
from fleet_platform.usage.assets import COMPUTE_PROFILE_TAG

COST_JOB = "platform_cost"

platform_cost = dg.define_asset_job(
    COST_JOB,
    selection=[storage_footprint_daily, platform_cost_daily],
    partitions_def=ingest_days,
    tags={COMPUTE_PROFILE_TAG: fleet_settings().compute_profile},
    description="Measure the day's storage footprint and price the day's storage and compute.",
)


platform_cost_daily_schedule = yesterday_schedule(
    "platform_cost_daily_schedule",
    platform_cost,
    "45 0 * * *",
    "At 00:45 UTC, yesterday's footprint and cost (after processing_usage_daily_schedule "
    "has counted yesterday's runs at 00:15).",
)


cost_assets = [storage_footprint_daily, platform_cost_daily]
cost_checks = build_cost_checks()
cost_jobs = [platform_cost]
cost_schedules = [platform_cost_daily_schedule]
