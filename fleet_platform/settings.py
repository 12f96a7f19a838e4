"""Settings of the fleet location, read from the environment in one place.

| variable | default | meaning |
|---|---|---|
| ``FLEET_LANDING_URL`` | ``<data dir>/landing`` | landing root: folder or ``s3://bucket/prefix`` |
| ``FLEET_WAREHOUSE_URL`` | ``<data dir>/warehouse`` | warehouse root for the Delta tables |
| ``FLEET_START_DATE`` | ``2024-01-01`` | first daily partition (ingest date, UTC) |
| ``FLEET_COMPUTE_PROFILE`` | ``local`` | compute profile runs are billed under |
| ``FLEET_COMPUTE_PRICES`` | see ``DEFAULT_PRICES`` | JSON object: profile → EUR per run minute |
| ``FLEET_LATE_DAYS`` | ``7`` | how many days back the routine landing sensor lists |
| ``FLEET_SENSOR_INTERVAL_SECONDS`` | ``60`` | minimum interval between landing sensor ticks |
| ``FLEET_SWEEP_INTERVAL_HOURS`` | ``24`` | minimum interval between full sweeps of the landing |
| ``FLEET_SENSORS_DEFAULT_STATUS`` | by deployment | ``running`` / ``stopped``; default running except locally |
"""

import json
import os
from dataclasses import dataclass, field

from platform_shared.paths import data_dir

# EUR per minute of run time, by compute profile: list prices of the machines each profile
# runs on (local: a 2 vCPU / 8 GiB on-demand VM; ecs: a Fargate task of 2 vCPU / 8 GiB in
# eu-west-1; spark / databricks: a small jobs cluster incl. DBUs).
DEFAULT_PRICES: dict[str, float] = {
    "local": 0.0016,
    "ecs": 0.0019,
    "spark": 0.0150,
    "databricks": 0.0250,
}


@dataclass(frozen=True)
class FleetSettings:
    landing_url: str
    warehouse_url: str
    start_date: str = "2024-01-01"
    compute_profile: str = "local"
    prices: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    late_days: int = 7
    sensor_interval_seconds: int = 60
    sweep_interval_hours: int = 24


def fleet_settings(environ: dict[str, str] | None = None) -> FleetSettings:
    """Settings from the environment, with the embedded defaults."""
    env = os.environ if environ is None else environ
    prices = dict(DEFAULT_PRICES)
    if env.get("FLEET_COMPUTE_PRICES"):
        try:
            prices.update({k: float(v) for k, v in json.loads(env["FLEET_COMPUTE_PRICES"]).items()})
        except (ValueError, AttributeError, TypeError) as error:
            raise ValueError(
                f"FLEET_COMPUTE_PRICES must be a JSON object of profile to EUR/minute: {error}"
            ) from None
    return FleetSettings(
        landing_url=env.get("FLEET_LANDING_URL") or str(data_dir() / "landing"),
        warehouse_url=env.get("FLEET_WAREHOUSE_URL") or str(data_dir() / "warehouse"),
        start_date=env.get("FLEET_START_DATE") or "2024-01-01",
        compute_profile=env.get("FLEET_COMPUTE_PROFILE") or "local",
        prices=prices,
        late_days=int(env.get("FLEET_LATE_DAYS") or 7),
        sensor_interval_seconds=int(env.get("FLEET_SENSOR_INTERVAL_SECONDS") or 60),
        sweep_interval_hours=int(env.get("FLEET_SWEEP_INTERVAL_HOURS") or 24),
    )
