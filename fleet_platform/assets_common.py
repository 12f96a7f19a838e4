"""What every fleet asset shares: group, owners, asset keys of the contract's tables."""

import dagster as dg

from fleet_platform.events.tables import BRONZE, LEDGER, REFERENCE, SILVER, Table
from fleet_platform.settings import fleet_settings

GROUP = "fleet"
OWNERS = ["team:fleet-data"]
WAREHOUSE_POOL = "fleet_warehouse"


def key_of(table: Table) -> dg.AssetKey:
    """The asset key of a table: its path below the warehouse root (``silver/bus_events``)."""
    return dg.AssetKey(table.path.split("/"))


REFERENCE_KEY = key_of(REFERENCE)
LEDGER_KEY = key_of(LEDGER)
BRONZE_KEY = key_of(BRONZE)
SILVER_KEY = key_of(SILVER)


def engine_kinds() -> set[str]:
    """The kinds of an asset whose rules run on the configured engine (``FLEET_ENGINE``)."""
    return {fleet_settings().engine, "delta"}
