"""Column names and types of the contract's tables (contracts/fleet.md, "Tables").

One place for every schema, so parsers, assets, KPIs and tests agree.
"""

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")

MEASUREMENTS: dict[str, pl.DataType] = {
    "odometer_km": pl.Float64(),
    "speed_kmh": pl.Float64(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "soc_pct": pl.Float64(),
    "fuel_used_l": pl.Float64(),
    "engine_hours": pl.Float64(),
}

# What a source parser hands to the common rules: one row per non-blank row of a file.
# ``malformed`` / ``missing`` are the source-specific findings; ``time_ok`` is false when
# a required time did not parse in the source's format.
PARSED_ROWS: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "raw": pl.String(),
    "malformed": pl.Boolean(),
    "missing": pl.Boolean(),
    "time_ok": pl.Boolean(),
    "vin": pl.String(),
    "event_type": pl.String(),
    "event_time": UTC_TIME,
    "received_time": UTC_TIME,
    **MEASUREMENTS,
}

# Columns that say which landed file (and version) a row came from.
FILE_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String(),
    "ingest_date": pl.Date(),
    "source_file": pl.String(),
    "file_version": pl.String(),
}

RAW_BUS_EVENTS: dict[str, pl.DataType] = {
    **FILE_COLUMNS,
    "row_number": pl.Int64(),
    "raw": pl.String(),
    "fate": pl.String(),
    "reason": pl.String(),
}

BUS_EVENTS: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "source": pl.String(),
    "vin": pl.String(),
    "event_time": UTC_TIME,
    "received_time": UTC_TIME,
    "event_date": pl.Date(),
    "ingest_date": pl.Date(),
    "event_type": pl.String(),
    **MEASUREMENTS,
    "vin_known": pl.Boolean(),
    "date_status": pl.String(),
    "delay_s": pl.Float64(),
    "source_file": pl.String(),
    "file_version": pl.String(),
}

# The file ledger: one row per landed file version.
LANDED_FILES: dict[str, pl.DataType] = {
    "key": pl.String(),
    "file_version": pl.String(),
    "source": pl.String(),
    "ingest_date": pl.Date(),
    "partition_date": pl.Date(),
    "size_bytes": pl.Int64(),
    "received_time": UTC_TIME,
    "status": pl.String(),  # accepted | rejected
    "reason": pl.String(),
    "detail": pl.String(),
    "rows_received": pl.Int64(),
    "rows_rejected": pl.Int64(),
    "rows_duplicate": pl.Int64(),
    "rows_clean": pl.Int64(),
    "processed_at": UTC_TIME,
}
