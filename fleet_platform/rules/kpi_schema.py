"""Column names and types of the gold KPI tables (contracts/fleet.md, "Tables").

The inputs (ledger, bronze, silver) are in ``schema.py``; these are what
``rules/kpis.py`` returns, so the gold assets, their writers and the tests agree.
Counts are Int64 on every engine (polars counts are u32, Spark's bigint).
"""

import polars as pl

from fleet_platform.rules.schema import UTC_TIME

FILES_DAILY: dict[str, pl.DataType] = {
    "ingest_date": pl.Date(),
    "source": pl.String(),
    "files_received": pl.Int64(),
    "files_rejected": pl.Int64(),
    "rows_received": pl.Int64(),
    "rows_rejected": pl.Int64(),
    "rows_duplicate": pl.Int64(),
    "rows_clean": pl.Int64(),
}

REJECTED_FILES: dict[str, pl.DataType] = {
    "key": pl.String(),
    "source": pl.String(),
    "ingest_date": pl.Date(),
    "reason": pl.String(),
    "detail": pl.String(),
    "size_bytes": pl.Int64(),
    "file_version": pl.String(),
    "partition_date": pl.Date(),
}

REJECTED_ROWS_DAILY: dict[str, pl.DataType] = {
    "ingest_date": pl.Date(),
    "source": pl.String(),
    "reason": pl.String(),
    "rows": pl.Int64(),
}

NON_STANDARD_DATES_DAILY: dict[str, pl.DataType] = {
    "ingest_date": pl.Date(),
    "source": pl.String(),
    "status": pl.String(),
    "rows": pl.Int64(),
}

EVENT_DELAYS_DAILY: dict[str, pl.DataType] = {
    "ingest_date": pl.Date(),
    "source": pl.String(),
    "events": pl.Int64(),
    "p50_s": pl.Float64(),
    "p90_s": pl.Float64(),
    "p99_s": pl.Float64(),
    "max_s": pl.Float64(),
    "over_1h": pl.Int64(),
    "over_24h": pl.Int64(),
}

# Not a contract table: the compact per-day VIN activity the event-date KPIs roll up from.
VIN_DAYS: dict[str, pl.DataType] = {
    "ingest_date": pl.Date(),
    "event_date": pl.Date(),
    "source": pl.String(),
    "vin": pl.String(),
    "vin_known": pl.Boolean(),
    "events": pl.Int64(),
    "first_event_time": UTC_TIME,
    "last_event_time": UTC_TIME,
}

EVENTS_DAILY: dict[str, pl.DataType] = {
    "event_date": pl.Date(),
    "source": pl.String(),
    "events": pl.Int64(),
}

VINS_DAILY: dict[str, pl.DataType] = {
    "event_date": pl.Date(),
    "unique_vins": pl.Int64(),
    "unique_known_vins": pl.Int64(),
    "unique_unknown_vins": pl.Int64(),
}

UNKNOWN_VINS_DAILY: dict[str, pl.DataType] = {
    "event_date": pl.Date(),
    "source": pl.String(),
    "events": pl.Int64(),
    "distinct_vins": pl.Int64(),
}

UNKNOWN_VINS: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "first_seen": UTC_TIME,
    "last_seen": UTC_TIME,
    "events": pl.Int64(),
    "sources": pl.List(pl.String()),
}

# Input of processing_usage_daily: one row per orchestrator run.
PROCESSING_RUNS: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "compute_profile": pl.String(),
    "started_at": UTC_TIME,
    "ended_at": UTC_TIME,
}

PROCESSING_USAGE_DAILY: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "compute_profile": pl.String(),
    "runs": pl.Int64(),
    "minutes": pl.Float64(),
    "cost_eur": pl.Float64(),
}
