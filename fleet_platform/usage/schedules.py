"""Schedules of processing usage."""

from fleet_platform.jobs import processing_usage
from fleet_platform.partitions import yesterday_schedule

processing_usage_daily_schedule = yesterday_schedule(
    "processing_usage_daily_schedule",
    processing_usage,
    "15 0 * * *",
    "At 00:15 UTC, counts the runs that started yesterday (all finished by then).",
)
