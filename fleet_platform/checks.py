"""Every asset check of the fleet location and the freshness sensor, for one set of
thresholds (``check_settings.py``); ``definitions.py`` adds ``fleet_checks`` as one entry.

Each asset has a ``freshness_check`` and at least one quality check; docs/checks.md lists
them all with their thresholds and what to do when one fails.
"""

from dataclasses import dataclass

import dagster as dg

from fleet_platform.check_settings import CheckSettings, check_settings
from fleet_platform.cost.definitions import cost_assets
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.events.checks import build_event_checks, build_sources_sending
from fleet_platform.freshness import (
    build_freshness_sensor,
    build_partition_freshness_check,
    build_reference_freshness_checks,
)
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.kpis.checks import build_kpi_checks
from fleet_platform.usage.assets import processing_usage_daily
from fleet_platform.usage.checks import build_usage_checks


@dataclass(frozen=True)
class FleetChecks:
    quality: list[dg.AssetChecksDefinition]
    freshness: list[dg.AssetChecksDefinition]
    sensor: dg.SensorDefinition

    @property
    def asset_checks(self) -> list[dg.AssetChecksDefinition]:
        return [*self.quality, *self.freshness]


def build_fleet_checks(settings: CheckSettings) -> FleetChecks:
    """The quality and freshness checks of every fleet asset, and the freshness sensor."""
    sources_sending = build_sources_sending(settings.max_source_silence_hours)
    freshness = [
        build_partition_freshness_check(
            [landed_events, *gold_assets, processing_usage_daily, *cost_assets],
            settings.freshness_deadline_cron,
            settings.freshness_timezone,
        ),
        *build_reference_freshness_checks([vehicles], settings.reference_max_age_hours),
    ]
    # sources_sending can only start failing when nothing lands: the sensor runs it then.
    sensor = build_freshness_sensor(
        [*freshness, sources_sending], settings.freshness_sensor_running
    )
    return FleetChecks(
        quality=[
            *build_event_checks(),
            sources_sending,
            *build_kpi_checks(settings),
            *build_usage_checks(),
        ],
        freshness=freshness,
        sensor=sensor,
    )


fleet_checks = build_fleet_checks(check_settings())
