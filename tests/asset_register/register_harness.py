"""Run one day's sync through the code location's Definitions, as the CLI and schedule do."""

import datetime as dt

import dagster as dg

from asset_register.cli import SyncOutcome, run_sync
from asset_register.definitions import build_definitions
from asset_register.settings import RegisterSettings
from asset_register.sync.warehouse import RegisterWarehouse


def sync(
    env: dict[str, str], day: str, instance: dg.DagsterInstance, allow_mass_retire: bool = False
) -> SyncOutcome:
    defs = build_definitions(RegisterSettings.from_env(env))
    return run_sync(defs, dt.date.fromisoformat(day), allow_mass_retire, instance)


def warehouse(env: dict[str, str]) -> RegisterWarehouse:
    settings = RegisterSettings.from_env(env)
    return RegisterWarehouse(settings.warehouse_url, settings.warehouse_prefix)
