"""Processing usage and cost, from Dagster's own run records."""

from datetime import UTC, date, datetime, time, timedelta

import dagster as dg
import polars as pl

from fleet_platform.assets_common import GROUP, OWNERS, SILVER_KEY, WAREHOUSE_POOL, key_of
from fleet_platform.events.tables import Table
from fleet_platform.partitions import ingest_days
from fleet_platform.rules import kpi_schema, kpis
from fleet_platform.settings import fleet_settings
from platform_shared.delta import WarehouseResource, sql_dates
from platform_shared.metadata import markdown_table

USAGE = Table("gold/processing_usage_daily", kpi_schema.PROCESSING_USAGE_DAILY)
COMPUTE_PROFILE_TAG = "fleet/compute_profile"
# A run that materialized events started at most this long before its materialization.
_LONGEST_RUN = timedelta(days=2)


def event_runs(instance: dg.DagsterInstance, day: date, default_profile: str) -> pl.DataFrame:
    """Runs started on ``day`` (UTC) that processed events (materialized silver)."""
    start = datetime.combine(day, time(), UTC)
    records_filter = dg.AssetRecordsFilter(
        asset_key=SILVER_KEY,
        after_timestamp=start.timestamp(),
        before_timestamp=(start + timedelta(days=1) + _LONGEST_RUN).timestamp(),
    )
    run_ids_seen: set[str] = set()
    cursor = None
    while True:
        page = instance.fetch_materializations(records_filter, limit=1000, cursor=cursor)
        run_ids_seen.update(record.run_id for record in page.records)
        if not page.has_more:
            break
        cursor = page.cursor
    run_ids = sorted(run_ids_seen)
    records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids)) if run_ids else []
    rows = [
        {
            "run_id": record.dagster_run.run_id,
            "compute_profile": record.dagster_run.tags.get(COMPUTE_PROFILE_TAG, default_profile),
            "started_at": datetime.fromtimestamp(record.start_time, UTC),
            "ended_at": datetime.fromtimestamp(record.end_time, UTC) if record.end_time else None,
        }
        for record in records
        if record.start_time and datetime.fromtimestamp(record.start_time, UTC).date() == day
    ]
    return pl.DataFrame(rows, schema=kpi_schema.PROCESSING_RUNS)


@dg.asset(
    key=key_of(USAGE),
    partitions_def=ingest_days,
    deps=[SILVER_KEY],
    group_name=GROUP,
    owners=OWNERS,
    kinds={"polars", "delta", "dagster"},
    pool=WAREHOUSE_POOL,
)
def processing_usage_daily(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Runs, run minutes and cost in EUR per day and compute profile.

    Counts the finished runs that processed events (materialized ``silver/bus_events``),
    on the UTC day each run started, from Dagster's run records; cost is minutes times
    the profile's price per minute (``FLEET_COMPUTE_PRICES``). A run still in progress is
    counted when the day's partition is materialized again after it ends.
    """
    day = date.fromisoformat(context.partition_key)
    settings = fleet_settings()
    runs = event_runs(context.instance, day, settings.compute_profile)
    frame = USAGE.conform(kpis.processing_usage_daily(runs, settings.prices))
    tables = warehouse.tables()
    tables.replace_where(USAGE.path, frame, sql_dates("date", [day]))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "runs": int(frame["runs"].sum()),
            "minutes": float(frame["minutes"].sum()),
            "cost_eur": float(frame["cost_eur"].sum()),
            "table": tables.url(USAGE.path),
            "preview": markdown_table(frame),
        }
    )
