"""Gold KPI assets, one per table of contracts/fleet.md, built by one factory."""

from datetime import date

import dagster as dg
import narwhals as nw
import polars as pl

from fleet_platform.assets_common import (
    BRONZE_KEY,
    GROUP,
    LEDGER_KEY,
    OWNERS,
    REFERENCE_KEY,
    SILVER_KEY,
    WAREHOUSE_POOL,
    key_of,
)
from fleet_platform.events.tables import BRONZE, LEDGER, SILVER
from fleet_platform.kpis.tables import GOLD_TABLES, VIN_DAYS, GoldTable, Scope
from fleet_platform.partitions import ingest_days
from platform_shared.delta import DeltaWarehouse, WarehouseResource, sql_dates
from platform_shared.metadata import markdown_table

_INPUT_KEYS = {
    "ledger": LEDGER_KEY,
    "bronze": BRONZE_KEY,
    "silver": SILVER_KEY,
    "vin_days": key_of(VIN_DAYS.table),
}


def _input(tables: DeltaWarehouse, name: str, day: date) -> pl.LazyFrame:
    """One input of a gold table: the day's rows, or every day's for ``vin_days``."""
    if name == "vin_days":
        return tables.scan(VIN_DAYS.table.path, VIN_DAYS.table.schema)
    table, column = {
        "ledger": (LEDGER, "partition_date"),
        "bronze": (BRONZE, "ingest_date"),
        "silver": (SILVER, "ingest_date"),
    }[name]
    return tables.scan(table.path, table.schema).filter(pl.col(column) == day)


def build_gold(spec: GoldTable, tables: DeltaWarehouse, day: date) -> pl.DataFrame:
    """Compute the rows partition ``day`` writes, and write them."""
    inputs = [nw.from_native(_input(tables, name, day)) for name in spec.inputs]
    frame = spec.table.conform(spec.build(*inputs).to_native().collect())
    predicate = sql_dates(spec.day_column, [day]) if spec.scope is Scope.INGEST_DAY else "true"
    tables.replace_where(spec.table.path, frame, predicate, list(spec.table.partition_by))
    return frame


def gold_asset(spec: GoldTable) -> dg.AssetsDefinition:
    """A daily-partitioned asset that (re)builds its table's rows for one ingest date."""

    @dg.asset(
        key=key_of(spec.table),
        description=spec.description,
        # roll-ups also follow the reference: a refresh updates vin_known before them
        deps=[_INPUT_KEYS[name] for name in spec.inputs]
        + ([REFERENCE_KEY] if spec.scope is Scope.ROLLUP else []),
        partitions_def=ingest_days,
        group_name=GROUP,
        owners=OWNERS,
        kinds={"polars", "delta"},
        pool=WAREHOUSE_POOL,
        tags={"fleet/scope": spec.scope.value},
    )
    def _gold(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        tables = warehouse.tables()
        frame = build_gold(spec, tables, date.fromisoformat(context.partition_key))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(frame),
                "scope": spec.scope.value,
                "table": tables.url(spec.table.path),
                "preview": markdown_table(frame),
            }
        )

    return _gold


gold_assets = [gold_asset(spec) for spec in (VIN_DAYS, *GOLD_TABLES)]
