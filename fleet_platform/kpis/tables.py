"""The gold tables: where each lives, what it is built from, and which rows a daily
partition replaces."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import narwhals as nw

from fleet_platform.events.tables import VIN_DAYS as VIN_DAYS_TABLE
from fleet_platform.events.tables import Table
from fleet_platform.rules import kpi_schema, kpis


class Scope(StrEnum):
    """How a materialization of partition D writes its table."""

    INGEST_DAY = "ingest_day"  # rows of ingest date D, from D's ledger / bronze / silver
    ROLLUP = "rollup"  # rows keyed by event date or VIN, rolled up from every day's vin_days


@dataclass(frozen=True)
class GoldTable:
    table: Table
    build: Callable[..., nw.LazyFrame]
    inputs: tuple[str, ...]  # names of the inputs ``build`` takes, in order
    scope: Scope
    day_column: str = "ingest_date"
    description: str = ""


VIN_DAYS = GoldTable(
    VIN_DAYS_TABLE,
    kpis.vin_days,
    ("silver",),
    Scope.INGEST_DAY,
    description=(
        "Per ingest date, event date, source and VIN: events and first/last event time "
        "of clean rows with date_status ok. The compact daily aggregate every event-date "
        "KPI rolls up from, so their cost grows with days x VINs, not with events."
    ),
)

GOLD_TABLES: tuple[GoldTable, ...] = (
    GoldTable(
        Table("gold/files_daily", kpi_schema.FILES_DAILY),
        kpis.files_daily,
        ("ledger",),
        Scope.INGEST_DAY,
        description=(
            "Files and rows received per ingest date and source, by fate: files_received "
            "counts every file version of the folder, rows_received = rows_rejected + "
            "rows_duplicate + rows_clean."
        ),
    ),
    GoldTable(
        Table("gold/rejected_files", kpi_schema.REJECTED_FILES),
        kpis.rejected_files,
        ("ledger",),
        Scope.INGEST_DAY,
        day_column="partition_date",
        description=(
            "One row per rejected file version: key, source, ingest date (null where the "
            "key gives none), reason, a detail that says what is wrong, size."
        ),
    ),
    GoldTable(
        Table("gold/rejected_rows_daily", kpi_schema.REJECTED_ROWS_DAILY),
        kpis.rejected_rows_daily,
        ("bronze",),
        Scope.INGEST_DAY,
        description="Rejected rows per ingest date, source and reason.",
    ),
    GoldTable(
        Table("gold/non_standard_dates_daily", kpi_schema.NON_STANDARD_DATES_DAILY),
        kpis.non_standard_dates_daily,
        ("bronze", "silver"),
        Scope.INGEST_DAY,
        description=(
            "Rows with a non-standard date per ingest date and source: unparseable (rejected "
            "as unparseable_time), future and before_2000 (clean rows with that status)."
        ),
    ),
    GoldTable(
        Table("gold/event_delays_daily", kpi_schema.EVENT_DELAYS_DAILY),
        kpis.event_delays_daily,
        ("silver",),
        Scope.INGEST_DAY,
        description=(
            "Delay between event and receipt per ingest date and source (clean rows, "
            "date_status ok): p50/p90/p99 (linear interpolation), max, over 1 h, over 24 h."
        ),
    ),
    GoldTable(
        Table("gold/events_daily", kpi_schema.EVENTS_DAILY),
        kpis.events_daily,
        ("vin_days",),
        Scope.ROLLUP,
        description="Clean events with date_status ok per event date (UTC) and source.",
    ),
    GoldTable(
        Table("gold/vins_daily", kpi_schema.VINS_DAILY),
        kpis.vins_daily,
        ("vin_days",),
        Scope.ROLLUP,
        description="Unique VINs per event date: all, known and unknown to the reference.",
    ),
    GoldTable(
        Table("gold/unknown_vins_daily", kpi_schema.UNKNOWN_VINS_DAILY),
        kpis.unknown_vins_daily,
        ("vin_days",),
        Scope.ROLLUP,
        description="Events and distinct VINs not in the reference, per event date and source.",
    ),
    GoldTable(
        Table("gold/unknown_vins", kpi_schema.UNKNOWN_VINS),
        kpis.unknown_vins,
        ("vin_days",),
        Scope.ROLLUP,
        description=("Every VIN not in the reference: first and last event time, events, sources."),
    ),
)


def gold_table(path: str) -> GoldTable:
    """The gold table (``vin_days`` included) stored at ``path`` below the warehouse root."""
    for spec in (VIN_DAYS, *GOLD_TABLES):
        if spec.table.path == path:
            return spec
    raise KeyError(f"{path!r} is not a gold table")
