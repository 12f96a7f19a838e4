"""The alert sensors of one code location: what each location's definitions call."""

import re
from collections.abc import Mapping

import dagster as dg

from platform_shared.alerts.check_failures import check_failure_email_sensor
from platform_shared.alerts.run_failures import run_failure_email_sensor
from platform_shared.alerts.settings import SettingsError
from platform_shared.deployment import default_sensor_status

STATUS_ENV_VAR = "ALERT_SENSORS_DEFAULT_STATUS"


def default_alert_status(environ: Mapping[str, str] | None = None) -> dg.DefaultSensorStatus:
    """RUNNING in staging and production, STOPPED locally; ``ALERT_SENSORS_DEFAULT_STATUS``
    (running | stopped) overrides both."""
    try:
        return default_sensor_status(STATUS_ENV_VAR, environ)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def alert_sensors(
    location_name: str, *, default_status: dg.DefaultSensorStatus | None = None
) -> list[dg.SensorDefinition]:
    """The check-failure and run-failure e-mail sensors of the code location ``location_name``.

    Named ``<location>_check_failure_email`` and ``<location>_run_failure_email``; their
    default status is :func:`default_alert_status` unless given.
    """
    status = default_alert_status() if default_status is None else default_status
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", location_name)
    return [
        check_failure_email_sensor(
            f"{prefix}_check_failure_email", location_name, default_status=status
        ),
        run_failure_email_sensor(
            f"{prefix}_run_failure_email", location_name, default_status=status
        ),
    ]
