"""Which daily partitions have landed file versions the ledger has not seen yet."""

from datetime import date

import polars as pl

from fleet_platform.events.tables import LEDGER
from fleet_platform.landing.discovery import files_of_partition, landed_partition_dates
from fleet_platform.landing.store import LandedObject, LandingBackend
from platform_shared.delta import DeltaWarehouse


def pending_partitions(
    store: LandingBackend, warehouse: DeltaWarehouse, today: date
) -> dict[date, list[LandedObject]]:
    """Partition date → file versions not in the ledger (only partitions with some)."""
    ledger = warehouse.scan(LEDGER.path, LEDGER.schema).select("key", "file_version").collect()
    seen = set(zip(ledger["key"], ledger["file_version"], strict=True))
    pending: dict[date, list[LandedObject]] = {}
    for day in landed_partition_dates(store, today):
        new = [
            obj
            for obj in files_of_partition(store, day, today)
            if (obj.key, obj.version) not in seen
        ]
        if new:
            pending[day] = new
    return pending


def ledger_totals(warehouse: DeltaWarehouse) -> pl.DataFrame:
    """Files and rows by status over the whole ledger."""
    return (
        warehouse.scan(LEDGER.path, LEDGER.schema)
        .group_by("status")
        .agg(
            files=pl.len(),
            rows_received=pl.col("rows_received").sum(),
            rows_clean=pl.col("rows_clean").sum(),
            rows_duplicate=pl.col("rows_duplicate").sum(),
            rows_rejected=pl.col("rows_rejected").sum(),
        )
        .sort("status")
        .collect()
    )
