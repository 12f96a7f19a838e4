"""Prices and thresholds of the cost assets, read from the environment in this one place.

| variable | default | meaning |
|---|---|---|
| ``FLEET_COST_REGION`` | ``AWS_REGION``, else ``eu-west-1`` | region whose storage prices apply |
| ``FLEET_STORAGE_PRICES`` | see ``DEFAULT_STORAGE_PRICES`` | JSON ``{region: {storage class: EUR per GB-month}}``, merged over the defaults |
| ``FLEET_MAX_COST_PER_MILLION_EVENTS_EUR`` | ``0.50`` | ``cost_per_million_events`` check: the day's cost per million clean events |

Compute prices are ``FLEET_COMPUTE_PRICES`` (``fleet_platform.settings``), already applied
by ``gold/processing_usage_daily``.

Storage prices are EUR per GB-month with GB = 2**30 bytes (how AWS bills S3). The defaults
are the AWS list prices of eu-west-1 (S3, first 50 TB; ``LOCAL`` is a gp3 EBS volume, the
disk of a machine that keeps the landing in a folder), in USD taken 1:1 as EUR, as
``FLEET_COMPUTE_PRICES`` does: set the variable to the prices of your contract. A day is
12/365 of a month.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_REGION = "eu-west-1"
LOCAL_CLASS = "LOCAL"
DEFAULT_STORAGE_PRICES: dict[str, dict[str, float]] = {
    "eu-west-1": {
        "STANDARD": 0.023,
        "INTELLIGENT_TIERING": 0.023,
        "STANDARD_IA": 0.0125,
        "ONEZONE_IA": 0.01,
        "GLACIER_IR": 0.004,
        "GLACIER": 0.0036,
        "DEEP_ARCHIVE": 0.00099,
        LOCAL_CLASS: 0.088,
    },
}
DEFAULT_MAX_COST_PER_MILLION_EVENTS_EUR = 0.50
BYTES_PER_GB = 2**30
MONTHS_PER_DAY = 12 / 365


@dataclass(frozen=True)
class CostSettings:
    region: str
    storage_prices: dict[str, float]
    max_cost_per_million_events_eur: float

    def storage_price(self, storage_class: str) -> float:
        """EUR per GB-month of a storage class; raises with the setting to change."""
        if storage_class not in self.storage_prices:
            known = ", ".join(sorted(self.storage_prices)) or "none"
            raise ValueError(
                f"no price for storage class {storage_class} in {self.region} (known: "
                f"{known}): add it to FLEET_STORAGE_PRICES, e.g. "
                f'{{"{self.region}": {{"{storage_class}": 0.0125}}}}'
            )
        return self.storage_prices[storage_class]


def _storage_prices(env: Mapping[str, str], region: str) -> dict[str, float]:
    prices = {name: dict(classes) for name, classes in DEFAULT_STORAGE_PRICES.items()}
    text = env.get("FLEET_STORAGE_PRICES", "").strip()
    if text:
        try:
            for name, classes in json.loads(text).items():
                prices.setdefault(name, {}).update({k: float(v) for k, v in classes.items()})
        except (ValueError, AttributeError, TypeError) as error:
            raise ValueError(
                "FLEET_STORAGE_PRICES must be a JSON object of region to {storage class: "
                f"EUR per GB-month}}: {error}"
            ) from None
    if region not in prices:
        raise ValueError(
            f"no storage prices for region {region}: set FLEET_STORAGE_PRICES, e.g. "
            f'{{"{region}": {{"STANDARD": 0.023}}}}, or FLEET_COST_REGION'
        )
    return prices[region]


def cost_settings(environ: Mapping[str, str] | None = None) -> CostSettings:
    """Cost settings from the environment, with the defaults above."""
    env = os.environ if environ is None else environ
    region = (
        env.get("FLEET_COST_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    ) or DEFAULT_REGION
    threshold = env.get("FLEET_MAX_COST_PER_MILLION_EVENTS_EUR", "").strip()
    try:
        maximum = float(threshold) if threshold else DEFAULT_MAX_COST_PER_MILLION_EVENTS_EUR
    except ValueError:
        raise ValueError(
            f"FLEET_MAX_COST_PER_MILLION_EVENTS_EUR={threshold!r} is not a number of EUR"
        ) from None
    return CostSettings(region, _storage_prices(env, region), maximum)
