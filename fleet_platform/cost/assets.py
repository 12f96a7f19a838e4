"""Cost assets: ``gold/storage_footprint_daily`` and ``gold/platform_cost_daily``."""

from datetime import date

import dagster as dg
import polars as pl

from fleet_platform.assets_common import OWNERS, WAREHOUSE_POOL, key_of
from fleet_platform.checks_common import read_rows
from fleet_platform.cost.footprint import (
    LANDING,
    PLATFORM_COST_DAILY,
    STORAGE_FOOTPRINT_DAILY,
    WAREHOUSE,
    footprint,
    list_stored,
    per_million,
    platform_cost,
)
from fleet_platform.cost.prices import cost_settings
from fleet_platform.events.tables import Table
from fleet_platform.landing.resource import LandingResource
from fleet_platform.partitions import ingest_days
from fleet_platform.rules import kpi_schema
from fleet_platform.usage.assets import USAGE
from platform_shared.delta import WarehouseResource, sql_dates
from platform_shared.metadata import markdown_table
from platform_shared.storage import StorageRoot

# Its own group, so that process_landed_files (the "fleet" group) does not list the whole
# landing on every ingest run; the platform_cost job materializes it once a day.
COST_GROUP = "fleet_cost"
FOOTPRINT = Table("gold/storage_footprint_daily", STORAGE_FOOTPRINT_DAILY)
COST = Table("gold/platform_cost_daily", PLATFORM_COST_DAILY)
FILES = Table("gold/files_daily", kpi_schema.FILES_DAILY)


def _s3_client(landing: LandingResource):
    def client():
        from fleet_platform.landing.s3 import AdaptiveS3Resource  # S3 only (see resource.py)

        return AdaptiveS3Resource(max_attempts=landing.max_attempts).get_client()

    return client


@dg.asset(
    key=key_of(FOOTPRINT),
    partitions_def=ingest_days,
    group_name=COST_GROUP,
    owners=OWNERS,
    kinds={"polars", "delta"},
    pool=WAREHOUSE_POOL,
)
def storage_footprint_daily(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Bytes and objects stored per root (landing, warehouse), layer, folder and storage class.

    Lists the landing root (layer ``landing``, folder = source) and the warehouse root
    (layer = ``ledger``/``bronze``/``silver``/``gold``/``reference``, folder = table, Delta
    log included) and counts the objects written before the end of the partition's day
    (UTC) that still exist: on S3 with each object's storage class, in a folder as
    ``LOCAL``. Materialized the day after, it is that day's footprint; re-materialized
    later, objects deleted since are missing.
    """
    day = date.fromisoformat(context.partition_key)
    client = _s3_client(landing)
    roots = {
        LANDING: list_stored(StorageRoot.from_url(landing.url), client),
        WAREHOUSE: list_stored(StorageRoot.from_url(warehouse.url), client),
    }
    frame = FOOTPRINT.conform(footprint(day, roots))
    tables = warehouse.tables()
    tables.replace_where(FOOTPRINT.path, frame, sql_dates("date", [day]))
    by_root = frame.group_by("root").agg(pl.col("bytes").sum(), pl.col("objects").sum())
    totals = {row["root"]: row for row in by_root.iter_rows(named=True)}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "landing_bytes": int(totals.get(LANDING, {}).get("bytes", 0)),
            "landing_objects": int(totals.get(LANDING, {}).get("objects", 0)),
            "warehouse_bytes": int(totals.get(WAREHOUSE, {}).get("bytes", 0)),
            "warehouse_objects": int(totals.get(WAREHOUSE, {}).get("objects", 0)),
            "table": tables.url(FOOTPRINT.path),
            "preview": markdown_table(frame, rows=20),
        }
    )


def events_of_day(rows: pl.DataFrame) -> int:
    """Clean events of the day: ``rows_clean`` of ``gold/files_daily`` over the sources."""
    return int(rows["rows_clean"].sum()) if rows.height else 0


@dg.asset(
    key=key_of(COST),
    partitions_def=ingest_days,
    deps=[key_of(FOOTPRINT), key_of(USAGE), key_of(FILES)],
    group_name=COST_GROUP,
    owners=OWNERS,
    kinds={"polars", "delta"},
    pool=WAREHOUSE_POOL,
)
def platform_cost_daily(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """What the platform cost per day in EUR: storage by root and class, compute by profile.

    Storage: the day's ``gold/storage_footprint_daily`` in GB (2**30 bytes) x 12/365 of a
    month x the price per GB-month of its storage class in the region
    (``FLEET_STORAGE_PRICES``, ``FLEET_COST_REGION``). Compute: the run minutes and cost of
    ``gold/processing_usage_daily`` (``FLEET_COMPUTE_PRICES``). The metadata gives the day's
    total and its cost per million clean events (``gold/files_daily`` rows_clean), the
    number to watch over time.
    """
    day = date.fromisoformat(context.partition_key)
    settings = cost_settings()
    tables = warehouse.tables()
    lines = COST.conform(
        platform_cost(
            read_rows(tables, FOOTPRINT, "date", [day]),
            read_rows(tables, USAGE, "date", [day]),
            settings,
        )
    )
    tables.replace_where(COST.path, lines, sql_dates("date", [day]))
    events = events_of_day(read_rows(tables, FILES, "ingest_date", [day]))
    total = float(lines["cost_eur"].sum())
    by_category = dict(lines.group_by("category").agg(pl.col("cost_eur").sum()).iter_rows())
    per_million_events = per_million(total, events)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(lines),
            "cost_eur": total,
            "storage_cost_eur": float(by_category.get("storage", 0.0)),
            "compute_cost_eur": float(by_category.get("compute", 0.0)),
            "events": events,
            "cost_per_million_events_eur": (
                per_million_events if per_million_events is not None else dg.MetadataValue.null()
            ),
            "region": settings.region,
            "table": tables.url(COST.path),
            "preview": markdown_table(lines, rows=20),
        }
    )
