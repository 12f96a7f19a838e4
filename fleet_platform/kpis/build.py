"""Build one gold table's rows for one daily partition, on any engine."""

from datetime import date

import polars as pl

from fleet_platform.engines.base import Engine, TableSlice
from fleet_platform.events.tables import BRONZE, LEDGER, SILVER
from fleet_platform.kpis.tables import VIN_DAYS, GoldTable, Scope
from platform_shared.delta import DeltaWarehouse, sql_dates

# What each input name of a GoldTable reads for partition D: the table and its day column.
_DAILY_INPUTS = {
    "ledger": (LEDGER, "partition_date"),
    "bronze": (BRONZE, "ingest_date"),
    "silver": (SILVER, "ingest_date"),
}


def gold_input(name: str, day: date) -> TableSlice:
    """One input of a gold table: the day's rows, or every day's for ``vin_days``."""
    if name == "vin_days":
        return TableSlice(VIN_DAYS.table)
    table, column = _DAILY_INPUTS[name]
    return TableSlice.of_days(table, column, [day])


def build_gold(
    spec: GoldTable, warehouse: DeltaWarehouse, engine: Engine, day: date
) -> pl.DataFrame:
    """Compute the rows partition ``day`` writes on ``engine``, write them, return them."""
    rows = engine.aggregate(spec.build, [gold_input(name, day) for name in spec.inputs])
    frame = spec.table.conform(rows)
    predicate = sql_dates(spec.day_column, [day]) if spec.scope is Scope.INGEST_DAY else "true"
    warehouse.replace_where(spec.table.path, frame, predicate, list(spec.table.partition_by))
    return frame


def partition_rows(spec: GoldTable, warehouse: DeltaWarehouse, day: date) -> pl.DataFrame:
    """The rows of gold table ``spec`` that partition ``day`` writes, read back from the
    warehouse (every row of a roll-up): what :func:`build_gold` returned, for a build that
    ran elsewhere."""
    rows = warehouse.scan(spec.table.path, spec.table.schema)
    if spec.scope is Scope.INGEST_DAY:
        rows = rows.filter(pl.col(spec.day_column) == day)
    return spec.table.conform(rows.collect())
