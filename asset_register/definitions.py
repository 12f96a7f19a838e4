"""The ``asset_register`` code location: merges the domain modules, nothing else."""

import dagster as dg

from asset_register.settings import RegisterSettings
from asset_register.sync.definitions import build_sync_definitions
from platform_shared.alerts import alert_sensors


def build_definitions(settings: RegisterSettings) -> dg.Definitions:
    """The code location for one deployment's settings (tests build several side by side)."""
    return dg.Definitions.merge(
        build_sync_definitions(settings),
        dg.Definitions(sensors=alert_sensors("asset_register")),
    )


defs = build_definitions(RegisterSettings.from_env())
