"""The fleet's daily partitions: one per ingest date (the landing folder's UTC date)."""

from datetime import timedelta
from typing import Any

import dagster as dg

from fleet_platform.settings import fleet_settings

# Folders up to tomorrow (UTC) are valid landing dates, so partitions run to tomorrow.
ingest_days = dg.DailyPartitionsDefinition(
    start_date=fleet_settings().start_date, timezone="UTC", end_offset=2
)


def yesterday_schedule(name: str, job: Any, cron: str, description: str) -> dg.ScheduleDefinition:
    """A UTC schedule that runs ``job`` (an asset job of ``ingest_days``; dagster exports
    no public type for it) for the partition of the day before each tick."""

    @dg.schedule(
        name=name, job=job, cron_schedule=cron, execution_timezone="UTC", description=description
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
        return dg.RunRequest(partition_key=yesterday.isoformat())

    return _schedule
