"""The fleet location's resources, picked per deployment from one dict."""

from fleet_platform.engines.resources import engine_resource
from fleet_platform.landing.resource import LandingResource
from fleet_platform.settings import fleet_settings
from platform_shared.delta import WarehouseResource
from platform_shared.deployment import Deployment, get_deployment


def fleet_resources() -> dict[str, object]:
    """Resources for the current deployment. Every deployment reads its landing and
    warehouse roots and its engine (``FLEET_ENGINE``) from the environment; the defaults
    are the embedded folders and polars."""
    settings = fleet_settings()
    common = {
        "landing": LandingResource(url=settings.landing_url),
        "warehouse": WarehouseResource(url=settings.warehouse_url),
        "engine": engine_resource(settings),
    }
    by_deployment = {deployment: common for deployment in Deployment}
    return by_deployment[get_deployment()]
