"""The one switch between environments: ``DAGSTER_DEPLOYMENT`` = local | staging | production.

On Dagster+ the deployment name (``DAGSTER_CLOUD_DEPLOYMENT_NAME``) maps onto it when
``DAGSTER_DEPLOYMENT`` is not set: ``prod``/``production`` → production, anything else
(``staging``, branch deployments) → staging. Each domain picks its resources from a dict
keyed by :class:`Deployment`; nothing else reads these variables.
"""

import os
from collections.abc import Mapping
from enum import StrEnum

import dagster as dg


class Deployment(StrEnum):
    LOCAL = "local"
    STAGING = "staging"
    PRODUCTION = "production"


_DAGSTER_CLOUD_NAMES = {"prod": Deployment.PRODUCTION, "production": Deployment.PRODUCTION}


def get_deployment(environ: Mapping[str, str] | None = None) -> Deployment:
    """Return the deployment this process runs in; raises on an unknown explicit value."""
    env = os.environ if environ is None else environ
    explicit = env.get("DAGSTER_DEPLOYMENT", "").strip().lower()
    if explicit:
        try:
            return Deployment(explicit)
        except ValueError:
            allowed = ", ".join(d.value for d in Deployment)
            raise ValueError(f"DAGSTER_DEPLOYMENT={explicit!r} is not one of {allowed}") from None
    cloud_name = env.get("DAGSTER_CLOUD_DEPLOYMENT_NAME", "").strip().lower()
    if cloud_name:
        return _DAGSTER_CLOUD_NAMES.get(cloud_name, Deployment.STAGING)
    return Deployment.LOCAL


_STATUS_BY_NAME = {
    "running": dg.DefaultSensorStatus.RUNNING,
    "stopped": dg.DefaultSensorStatus.STOPPED,
}


def default_sensor_status(
    override_variable: str, environ: Mapping[str, str] | None = None
) -> dg.DefaultSensorStatus:
    """RUNNING in staging and production, STOPPED locally; ``override_variable``
    (running | stopped) overrides both.

    Locally a developer's daemon should not launch runs or send mail unasked; in a shared
    deployment automation that nobody switched on is the risk, so it starts running.
    """
    env = os.environ if environ is None else environ
    text = env.get(override_variable, "").strip().lower()
    if text:
        if text not in _STATUS_BY_NAME:
            raise ValueError(f"{override_variable}={text!r} is not one of running, stopped")
        return _STATUS_BY_NAME[text]
    if get_deployment(dict(env)) is Deployment.LOCAL:
        return dg.DefaultSensorStatus.STOPPED
    return dg.DefaultSensorStatus.RUNNING
