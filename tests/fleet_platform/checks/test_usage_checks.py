"""Checks of gold/processing_usage_daily: cost = minutes x price, nothing negative, keys."""

from datetime import timedelta

import dagster as dg
import pytest
from checks_harness import DAY, Warehouse, failed, meta

from fleet_platform.settings import DEFAULT_PRICES
from fleet_platform.usage.assets import USAGE
from fleet_platform.usage.checks import build_usage_checks

COST = "gold/processing_usage_daily:cost_is_minutes_times_price"


def usage(profile: str, minutes: float, cost: float | None = None, day=DAY, runs: int = 2):
    price = DEFAULT_PRICES.get(profile, 0.0)
    return {
        "date": day,
        "compute_profile": profile,
        "runs": runs,
        "minutes": minutes,
        "cost_eur": minutes * price if cost is None else cost,
    }


@pytest.fixture(autouse=True)
def _default_prices(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("FLEET_COMPUTE_PRICES", raising=False)


def test_usage_checks_pass_when_cost_is_minutes_times_price(warehouse: Warehouse):
    warehouse.write(
        USAGE,
        [
            usage("local", 10.5),
            usage("ecs", 3.25),
            usage("local", 1, cost=99, day=DAY - timedelta(days=1)),  # not this partition
        ],
    )
    results = warehouse.run(build_usage_checks())
    cost = results[COST]
    assert cost.passed, cost.description
    assert meta(cost, "rows") == 2
    assert meta(cost, "cost_eur") == pytest.approx(10.5 * 0.0016 + 3.25 * 0.0019)
    assert results["gold/processing_usage_daily:keys_unique"].passed


def test_usage_checks_fail_on_wrong_cost_unknown_profile_and_negative_minutes(
    warehouse: Warehouse,
):
    warehouse.write(
        USAGE,
        [
            usage("local", 10, cost=0.02),  # 10 x 0.0016 = 0.016
            usage("gpu", 5, cost=1.0),  # no price for gpu
            usage("ecs", -1),
            usage("ecs", 2),  # (date, ecs) twice
        ],
    )
    results = warehouse.run(build_usage_checks())
    cost = results[COST]
    words = failed(cost)
    assert cost.severity == dg.AssetCheckSeverity.ERROR
    assert "1 rows have a negative runs, minutes or cost_eur" in words
    assert "1 rows have a compute profile without a price in FLEET_COMPUTE_PRICES" in words
    assert "1 rows have cost_eur different from minutes x price" in words
    assert meta(cost, "rows_mispriced") == 1 and meta(cost, "rows_unpriced") == 1
    assert "compute_profile=local, minutes=10.0, cost_eur=0.02" in meta(cost, "examples")
    keys = results["gold/processing_usage_daily:keys_unique"]
    assert "(date, compute_profile) occur more than once" in failed(keys)
