"""The one switch between environments: ``DAGSTER_DEPLOYMENT`` = local | staging | production.

On Dagster+ the deployment name (``DAGSTER_CLOUD_DEPLOYMENT_NAME``) maps onto it when
``DAGSTER_DEPLOYMENT`` is not set: ``prod``/``production`` → production, anything else
(``staging``, branch deployments) → staging. Each domain picks its resources from a dict
keyed by :class:`Deployment`; nothing else reads these variables.
"""

import os
from enum import StrEnum


class Deployment(StrEnum):
    LOCAL = "local"
    STAGING = "staging"
    PRODUCTION = "production"


_DAGSTER_CLOUD_NAMES = {"prod": Deployment.PRODUCTION, "production": Deployment.PRODUCTION}


def get_deployment(environ: dict[str, str] | None = None) -> Deployment:
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
