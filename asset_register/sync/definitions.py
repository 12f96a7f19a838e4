"""The sync domain's Definitions for one deployment's settings: assets, checks, resources,
the daily job and its schedule."""

import dagster as dg

from asset_register.central.resource import CentralRegisterResource
from asset_register.settings import RegisterSettings
from asset_register.source.resource import RegisterSourceResource
from asset_register.sync.assets import build_sync_assets
from asset_register.sync.checks import build_freshness_checks, build_quality_checks
from asset_register.sync.warehouse import RegisterWarehouseResource

SYNC_JOB = "asset_register_sync_job"
SYNC_SCHEDULE = "asset_register_daily_sync"


def daily_partitions(settings: RegisterSettings) -> dg.DailyPartitionsDefinition:
    """One partition per day in the register's time zone; today's exists (end_offset=1) so
    the 05:00 run snapshots the day it runs on."""
    return dg.DailyPartitionsDefinition(
        start_date=settings.start_date, timezone=settings.timezone, end_offset=1
    )


def build_resources(settings: RegisterSettings) -> dict[str, dg.ConfigurableResource]:
    """Resources picked from the settings (token as EnvVar, never a literal)."""
    return {
        "register_source": RegisterSourceResource(
            url=settings.source_url,
            table=settings.source_table,
            db_schema=settings.source_schema,
            columns=settings.source_columns,
            seed_demo=settings.seed_demo_source,
        ),
        "central_register": CentralRegisterResource(
            url=settings.central_url,
            system=settings.system,
            token=settings.central_token(),
            allowed_hosts=list(settings.allowed_hosts),
            page_size=settings.page_size,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
            max_backoff_seconds=settings.max_backoff_seconds,
        ),
        "register_warehouse": RegisterWarehouseResource(
            url=settings.warehouse_url, prefix=settings.warehouse_prefix
        ),
    }


def build_sync_definitions(settings: RegisterSettings) -> dg.Definitions:
    """Everything of the daily sync for one deployment."""
    partitions = daily_partitions(settings)
    assets = build_sync_assets(
        partitions, settings.mass_retire_max_share, settings.mass_retire_min_count
    )
    quality_checks = build_quality_checks(
        partitions,
        settings.max_invalid_share,
        settings.mass_retire_max_share,
        settings.mass_retire_min_count,
    )
    freshness_checks, freshness_sensor = build_freshness_checks(
        assets, settings.freshness_deadline_cron, settings.timezone, settings.schedule_running
    )
    job = dg.define_asset_job(
        SYNC_JOB,
        selection=dg.AssetSelection.assets(*assets).without_checks()
        | dg.AssetSelection.checks(*quality_checks),
        partitions_def=partitions,
        executor_def=dg.in_process_executor,
        description="Snapshot the source register and make the central register equal it.",
        tags={"asset_register/alert_subject": settings.alert_subject_tag},
    )
    schedule = dg.build_schedule_from_partitioned_job(
        job,
        name=SYNC_SCHEDULE,
        hour_of_day=settings.schedule_hour,
        minute_of_hour=settings.schedule_minute,
        default_status=(
            dg.DefaultScheduleStatus.RUNNING
            if settings.schedule_running
            else dg.DefaultScheduleStatus.STOPPED
        ),
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=[*quality_checks, *freshness_checks],
        jobs=[job],
        schedules=[schedule],
        sensors=[freshness_sensor],
        resources=build_resources(settings),
    )
