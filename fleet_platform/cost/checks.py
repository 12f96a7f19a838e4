"""Checks of the cost tables: ``keys_unique`` on both, and ``cost_per_million_events``."""

import dagster as dg
import polars as pl

from fleet_platform.assets_common import key_of
from fleet_platform.checks_common import (
    WARN,
    check_day,
    daily_check,
    keys_unique_check,
    read_rows,
    verdict,
)
from fleet_platform.cost.assets import COST, FILES, FOOTPRINT, events_of_day
from fleet_platform.cost.footprint import per_million
from fleet_platform.cost.prices import cost_settings
from platform_shared.delta import WarehouseResource


@daily_check(
    asset=key_of(COST),
    description=(
        "The day's cost (storage + compute, EUR) per million clean events stays at or below "
        "FLEET_MAX_COST_PER_MILLION_EVENTS_EUR (default 0.50): a rise means storage grows "
        "faster than traffic, runs got longer, or events stopped arriving."
    ),
)
def cost_per_million_events(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    day = check_day(context)
    maximum = cost_settings().max_cost_per_million_events_eur
    tables = warehouse.tables()
    lines = read_rows(tables, COST, "date", [day])
    events = events_of_day(read_rows(tables, FILES, "ingest_date", [day]))
    total = float(lines["cost_eur"].sum()) if lines.height else 0.0
    value = per_million(total, events)
    by_category = lines.group_by("category").agg(pl.col("cost_eur").sum()).sort("category")
    split = ", ".join(f"{c} {v:.4f} EUR" for c, v in by_category.iter_rows()) or "no cost lines"
    metadata = {
        "cost_eur": total,
        "events": events,
        "cost_per_million_events_eur": value if value is not None else dg.MetadataValue.null(),
        "threshold_eur": maximum,
    }
    if value is None:
        return verdict(
            True,
            severity=WARN,
            ok=f"No clean events on {day} ({total:.4f} EUR: {split}): nothing to divide by; "
            "ledger/landed_files:sources_sending watches for silent sources.",
            problem="",
            metadata=metadata,
        )
    return verdict(
        value <= maximum,
        severity=WARN,
        ok=(
            f"{value:.4f} EUR per million events on {day} ({total:.4f} EUR for {events:,} "
            f"events: {split}), at most {maximum:.2f}."
        ),
        problem=(
            f"{value:.4f} EUR per million events on {day} is above {maximum:.2f} "
            f"({total:.4f} EUR for {events:,} events: {split}). Look at "
            "gold/platform_cost_daily for the line that grew (a storage class, a compute "
            "profile) and at gold/storage_footprint_daily for the table behind it."
        ),
        metadata=metadata,
    )


def build_cost_checks() -> list[dg.AssetChecksDefinition]:
    """The checks of the cost tables."""
    return [
        keys_unique_check(
            key_of(FOOTPRINT),
            FOOTPRINT,
            ["date", "root", "layer", "folder", "storage_class"],
            "date",
        ),
        keys_unique_check(key_of(COST), COST, ["date", "category", "item"], "date"),
        cost_per_million_events,
    ]
