"""The alert sensors of one code location: what each location's definitions call."""

import os
import re
from collections.abc import Mapping

import dagster as dg

from platform_shared.alerts.check_failures import check_failure_email_sensor
from platform_shared.alerts.run_failures import run_failure_email_sensor
from platform_shared.alerts.settings import SettingsError
from platform_shared.deployment import Deployment, get_deployment

STATUS_ENV_VAR = "ALERT_SENSORS_DEFAULT_STATUS"
_STATUS_BY_NAME = {
    "running": dg.DefaultSensorStatus.RUNNING,
    "stopped": dg.DefaultSensorStatus.STOPPED,
}


def default_alert_status(environ: Mapping[str, str] | None = None) -> dg.DefaultSensorStatus:
    """RUNNING in staging and production, STOPPED locally; ``ALERT_SENSORS_DEFAULT_STATUS``
    (running | stopped) overrides both.

    Locally a developer's daemon should not mail anybody unasked; in a shared deployment a
    failure nobody hears about is the risk, so alerting is on unless switched off.
    """
    env = os.environ if environ is None else environ
    text = env.get(STATUS_ENV_VAR, "").strip().lower()
    if text:
        if text not in _STATUS_BY_NAME:
            raise SettingsError(f"{STATUS_ENV_VAR}={text!r} is not one of running, stopped")
        return _STATUS_BY_NAME[text]
    if get_deployment(dict(env)) is Deployment.LOCAL:
        return dg.DefaultSensorStatus.STOPPED
    return dg.DefaultSensorStatus.RUNNING


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
