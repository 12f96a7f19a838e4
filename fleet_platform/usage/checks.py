"""Checks of ``gold/processing_usage_daily`` (docs/checks.md): ``keys_unique`` and
``cost_is_minutes_times_price``."""

import dagster as dg
import polars as pl

from fleet_platform.assets_common import key_of
from fleet_platform.checks_common import (
    ERROR,
    check_day,
    daily_check,
    examples,
    keys_unique_check,
    read_rows,
    verdict,
)
from fleet_platform.settings import fleet_settings
from fleet_platform.usage.assets import USAGE
from platform_shared.delta import WarehouseResource

# Cost is minutes x price, not rounded; this absorbs float noise only.
_TOLERANCE_EUR = 1e-6


@daily_check(
    asset=key_of(USAGE),
    description=(
        "On every row of the partition's date: runs, minutes and cost_eur are not negative, "
        "and cost_eur = minutes x the compute profile's price per minute "
        "(FLEET_COMPUTE_PRICES)."
    ),
)
def cost_is_minutes_times_price(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    day = check_day(context)
    prices = fleet_settings().prices
    rows = read_rows(warehouse.tables(), USAGE, "date", [day])
    priced = rows.with_columns(
        price=pl.col("compute_profile").replace_strict(
            prices, default=None, return_dtype=pl.Float64
        )
    ).with_columns(expected_eur=pl.col("minutes") * pl.col("price"))
    checks = {
        "negative": pl.any_horizontal(pl.col("runs", "minutes", "cost_eur").fill_null(0) < 0),
        "unpriced": pl.col("price").is_null(),
        "mispriced": (pl.col("cost_eur") - pl.col("expected_eur")).abs() > _TOLERANCE_EUR,
    }
    counts = {name: priced.filter(expr.fill_null(False)).height for name, expr in checks.items()}
    words = {
        "negative": "have a negative runs, minutes or cost_eur",
        "unpriced": "have a compute profile without a price in FLEET_COMPUTE_PRICES",
        "mispriced": "have cost_eur different from minutes x price",
    }
    found = [f"{n} rows {words[name]}" for name, n in counts.items() if n]
    broken = priced.filter(pl.any_horizontal(e.fill_null(False) for e in checks.values()))
    return verdict(
        not found,
        severity=ERROR,
        ok=(
            f"{rows.height} rows of {day}: {float(rows['cost_eur'].sum()):.4f} EUR for "
            f"{float(rows['minutes'].sum()):.3f} minutes, each row minutes x price."
        ),
        problem=(
            f"gold/processing_usage_daily on {day}: {'; '.join(found)} (of {rows.height} "
            "rows). If the prices changed, re-materialize the partition; otherwise report "
            "the examples to the fleet data team."
        ),
        metadata={
            "rows": rows.height,
            **{f"rows_{name}": n for name, n in counts.items()},
            "cost_eur": float(rows["cost_eur"].sum()),
            "examples": examples(
                broken.select("compute_profile", "minutes", "cost_eur", "expected_eur")
            ),
        },
    )


def build_usage_checks() -> list[dg.AssetChecksDefinition]:
    """The checks of the processing-usage table."""
    return [
        keys_unique_check(key_of(USAGE), USAGE, ["date", "compute_profile"], "date"),
        cost_is_minutes_times_price,
    ]
