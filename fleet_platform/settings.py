"""Settings of the fleet location, read from the environment in one place.

| variable | default | meaning |
|---|---|---|
| ``FLEET_LANDING_URL`` | ``<data dir>/landing`` | landing root: folder or ``s3://bucket/prefix`` |
| ``FLEET_WAREHOUSE_URL`` | ``<data dir>/warehouse`` | warehouse root for the Delta tables |
| ``FLEET_START_DATE`` | ``2024-01-01`` | first daily partition (ingest date, UTC) |
| ``FLEET_ENGINE`` | ``polars`` | where the rules run: ``polars``, ``spark`` or ``databricks`` |
| ``FLEET_SPARK_MASTER`` | ``local[*]`` | Spark master of the ``spark`` engine |
| ``FLEET_SPARK_CONF`` | ``{}`` | JSON object of further Spark settings for the ``spark`` engine |
| ``DATABRICKS_*``, ``FLEET_DATABRICKS_*`` | — | the ``databricks`` engine, read by :func:`fleet_platform.engines.databricks.databricks_engine_resource` (docs/engines.md) |
| ``FLEET_COMPUTE_PROFILE`` | the engine's | compute profile runs are billed under (``local`` for polars) |
| ``FLEET_COMPUTE_PRICES`` | see ``DEFAULT_PRICES`` | JSON object: profile → EUR per run minute |
| ``FLEET_LATE_DAYS`` | ``7`` | how many days back the routine landing sensor lists |
| ``FLEET_SENSOR_INTERVAL_SECONDS`` | ``60`` | minimum interval between landing sensor ticks |
| ``FLEET_SWEEP_INTERVAL_HOURS`` | ``24`` | minimum interval between full sweeps of the landing |
| ``FLEET_SENSORS_DEFAULT_STATUS`` | by deployment | ``running`` / ``stopped``; default running except locally |
"""

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from platform_shared.paths import data_dir

V = TypeVar("V")

# EUR per minute of run time, by compute profile: list prices of the machines each profile
# runs on (local: a 2 vCPU / 8 GiB on-demand VM; ecs: a Fargate task of 2 vCPU / 8 GiB in
# eu-west-1; spark / databricks: a small jobs cluster incl. DBUs).
DEFAULT_PRICES: dict[str, float] = {
    "local": 0.0016,
    "ecs": 0.0019,
    "spark": 0.0150,
    "databricks": 0.0250,
}

ENGINES = ("polars", "spark", "databricks")
# The compute profile runs are billed under when FLEET_COMPUTE_PROFILE is not set.
_ENGINE_PROFILES = {"polars": "local", "spark": "spark", "databricks": "databricks"}


@dataclass(frozen=True)
class FleetSettings:
    landing_url: str
    warehouse_url: str
    start_date: str = "2024-01-01"
    engine: str = "polars"
    spark_master: str = "local[*]"
    spark_conf: dict[str, str] = field(default_factory=dict)
    compute_profile: str = "local"
    prices: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    late_days: int = 7
    sensor_interval_seconds: int = 60
    sweep_interval_hours: int = 24


def fleet_settings(environ: dict[str, str] | None = None) -> FleetSettings:
    """Settings from the environment, with the embedded defaults."""
    env = os.environ if environ is None else environ
    prices = dict(DEFAULT_PRICES)
    prices.update(json_object(env, "FLEET_COMPUTE_PRICES", "profile to EUR/minute", float))
    engine = (env.get("FLEET_ENGINE") or "polars").strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"FLEET_ENGINE={engine!r} is not one of {', '.join(ENGINES)}")
    return FleetSettings(
        landing_url=env.get("FLEET_LANDING_URL") or str(data_dir() / "landing"),
        warehouse_url=env.get("FLEET_WAREHOUSE_URL") or str(data_dir() / "warehouse"),
        start_date=env.get("FLEET_START_DATE") or "2024-01-01",
        engine=engine,
        spark_master=env.get("FLEET_SPARK_MASTER") or "local[*]",
        spark_conf=json_object(env, "FLEET_SPARK_CONF", "Spark settings", str),
        compute_profile=env.get("FLEET_COMPUTE_PROFILE") or _ENGINE_PROFILES[engine],
        prices=prices,
        late_days=int(env.get("FLEET_LATE_DAYS") or 7),
        sensor_interval_seconds=int(env.get("FLEET_SENSOR_INTERVAL_SECONDS") or 60),
        sweep_interval_hours=int(env.get("FLEET_SWEEP_INTERVAL_HOURS") or 24),
    )


def json_object(
    env: Mapping[str, str], name: str, meaning: str, value: Callable[[Any], V]
) -> dict[str, V]:
    """A JSON-object variable with its values converted by ``value`` (empty when unset)."""
    text = env.get(name)
    if not text:
        return {}
    try:
        return {str(key): value(item) for key, item in json.loads(text).items()}
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"{name} must be a JSON object of {meaning}: {error}") from None
