"""The fleet's daily partitions: one per ingest date (the landing folder's UTC date)."""

import dagster as dg

from fleet_platform.settings import fleet_settings

# Folders up to tomorrow (UTC) are valid landing dates, so partitions run to tomorrow.
ingest_days = dg.DailyPartitionsDefinition(
    start_date=fleet_settings().start_date, timezone="UTC", end_offset=2
)
