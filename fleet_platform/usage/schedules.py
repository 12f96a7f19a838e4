"""Schedules of processing usage."""

from datetime import timedelta

import dagster as dg

from fleet_platform.jobs import processing_usage


@dg.schedule(
    name="processing_usage_daily_schedule",
    job=processing_usage,
    cron_schedule="15 0 * * *",
    execution_timezone="UTC",
    description="At 00:15 UTC, counts the runs that started yesterday (all finished by then).",
)
def processing_usage_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
    return dg.RunRequest(partition_key=yesterday.isoformat())
