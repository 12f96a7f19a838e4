"""Thresholds of the fleet's asset checks, read from the environment in this one place.

Every variable is optional; ``docs/checks.md`` says what each check verifies and what to do
when it fails. Shares are fractions (``0.05`` = 5 %), durations are hours.

| variable | default | check |
|---|---|---|
| ``FLEET_FRESHNESS_DEADLINE_CRON`` | ``0 6 * * *`` | ``freshness_check`` of every daily asset: the previous day's partition is materialized by the latest tick of this cron |
| ``FLEET_FRESHNESS_TIMEZONE`` | ``UTC`` | time zone of that cron |
| ``FLEET_REFERENCE_MAX_AGE_HOURS`` | ``26`` | ``freshness_check`` of ``reference/vehicles``: refreshed within this many hours |
| ``FLEET_MAX_SOURCE_SILENCE_HOURS`` | ``6`` | ``sources_sending``: every source landed a file within this many hours |
| ``FLEET_MAX_REJECTED_FILE_SHARE`` | ``0.05`` | ``rejected_file_share``: rejected / received files of the day |
| ``FLEET_MAX_NON_STANDARD_DATE_SHARE`` | ``0.01`` | ``non_standard_date_share_14d``: non-standard dates / rows received, 14 ingest days |
| ``FLEET_MAX_UNKNOWN_VIN_SHARE`` | ``0.02`` | ``unknown_vin_share``: events of unknown VINs / events of the day |
| ``FLEET_MAX_DAILY_P99_DELAY_HOURS`` | ``6`` | ``p99_delay``: the day's p99 delay of every source |
| ``FLEET_MAX_P99_DELAY_120D_HOURS`` | ``24`` | ``p99_delay``: the largest daily p99 delay of the last 120 ingest days |

The freshness sensor (``fleet_freshness_checks_sensor``) runs by default in staging and
production and is stopped locally (``DAGSTER_DEPLOYMENT``, ``platform_shared.deployment``).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg
from dagster._utils.schedules import is_valid_cron_string

from platform_shared.deployment import default_sensor_status

# The contract's views (contracts/fleet.md, "Tables"): fixed by the contract, not settings.
NON_STANDARD_DATES_WINDOW_DAYS = 14
DELAY_WINDOW_DAYS = 120


class CheckSettingsError(ValueError):
    """A check setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class CheckSettings:
    freshness_deadline_cron: str = "0 6 * * *"
    freshness_timezone: str = "UTC"
    reference_max_age_hours: float = 26.0
    max_source_silence_hours: float = 6.0
    max_rejected_file_share: float = 0.05
    max_non_standard_date_share: float = 0.01
    max_unknown_vin_share: float = 0.02
    max_daily_p99_delay_hours: float = 6.0
    max_p99_delay_120d_hours: float = 24.0
    freshness_sensor_running: bool = False


def _number(env: Mapping[str, str], name: str, default: float, *, share: bool = False) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise CheckSettingsError(f"{name}: {text!r} is not a number") from None
    if value < 0 or (share and value > 1):
        bounds = "a fraction between 0 and 1 (0.05 = 5 %)" if share else "a number ≥ 0"
        raise CheckSettingsError(f"{name}: {text!r} must be {bounds}")
    return value


def check_settings(environ: Mapping[str, str] | None = None) -> CheckSettings:
    """Check thresholds from the environment (or ``environ``), with the documented defaults."""
    env = os.environ if environ is None else environ
    defaults = CheckSettings()
    cron = (env.get("FLEET_FRESHNESS_DEADLINE_CRON") or "").strip()
    cron = cron or defaults.freshness_deadline_cron
    if not is_valid_cron_string(cron):
        raise CheckSettingsError(f"FLEET_FRESHNESS_DEADLINE_CRON: {cron!r} is not a cron string")
    timezone = (env.get("FLEET_FRESHNESS_TIMEZONE") or "").strip() or defaults.freshness_timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CheckSettingsError(
            f"FLEET_FRESHNESS_TIMEZONE: {timezone!r} is not an IANA time zone"
        ) from None
    return CheckSettings(
        freshness_deadline_cron=cron,
        freshness_timezone=timezone,
        reference_max_age_hours=_number(
            env, "FLEET_REFERENCE_MAX_AGE_HOURS", defaults.reference_max_age_hours
        ),
        max_source_silence_hours=_number(
            env, "FLEET_MAX_SOURCE_SILENCE_HOURS", defaults.max_source_silence_hours
        ),
        max_rejected_file_share=_number(
            env, "FLEET_MAX_REJECTED_FILE_SHARE", defaults.max_rejected_file_share, share=True
        ),
        max_non_standard_date_share=_number(
            env,
            "FLEET_MAX_NON_STANDARD_DATE_SHARE",
            defaults.max_non_standard_date_share,
            share=True,
        ),
        max_unknown_vin_share=_number(
            env, "FLEET_MAX_UNKNOWN_VIN_SHARE", defaults.max_unknown_vin_share, share=True
        ),
        max_daily_p99_delay_hours=_number(
            env, "FLEET_MAX_DAILY_P99_DELAY_HOURS", defaults.max_daily_p99_delay_hours
        ),
        max_p99_delay_120d_hours=_number(
            env, "FLEET_MAX_P99_DELAY_120D_HOURS", defaults.max_p99_delay_120d_hours
        ),
        freshness_sensor_running=default_sensor_status("FLEET_SENSORS_DEFAULT_STATUS", env)
        is dg.DefaultSensorStatus.RUNNING,
    )
