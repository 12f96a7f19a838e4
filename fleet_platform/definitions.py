"""The ``fleet_platform`` code location: merges the domain modules, nothing else."""

import dagster as dg

from fleet_platform import jobs
from fleet_platform.checks import fleet_checks
from fleet_platform.cost.definitions import cost_assets, cost_checks, cost_jobs, cost_schedules
from fleet_platform.engines.resources import run_executor
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.landing.sensors import landing_sensors
from fleet_platform.resources import fleet_resources
from fleet_platform.settings import fleet_settings
from fleet_platform.usage.assets import processing_usage_daily
from fleet_platform.usage.schedules import processing_usage_daily_schedule
from platform_shared.alerts import alert_sensors

defs = dg.Definitions.merge(
    dg.Definitions(assets=[vehicles, landed_events]),
    dg.Definitions(assets=gold_assets),
    dg.Definitions(assets=[processing_usage_daily], schedules=[processing_usage_daily_schedule]),
    dg.Definitions(
        jobs=[jobs.process_landed_files, jobs.refresh_reference, jobs.processing_usage],
        resources=fleet_resources(),
        executor=run_executor(fleet_settings()),
    ),
    dg.Definitions(sensors=landing_sensors),
    dg.Definitions(asset_checks=fleet_checks.asset_checks, sensors=[fleet_checks.sensor]),
    dg.Definitions(sensors=alert_sensors("fleet_platform")),
    dg.Definitions(
        assets=cost_assets, asset_checks=cost_checks, jobs=cost_jobs, schedules=cost_schedules
    ),
)
