"""The fleet location's asset graph: a snapshot of what a user sees in the UI."""

import dagster as dg

from fleet_platform.definitions import defs

EXPECTED_ASSETS = {
    "reference/vehicles": None,
    "ledger/landed_files": "daily",
    "bronze/raw_bus_events": "daily",
    "silver/bus_events": "daily",
    "silver/vin_days": "daily",
    "gold/files_daily": "daily",
    "gold/rejected_files": "daily",
    "gold/rejected_rows_daily": "daily",
    "gold/events_daily": "daily",
    "gold/vins_daily": "daily",
    "gold/non_standard_dates_daily": "daily",
    "gold/event_delays_daily": "daily",
    "gold/unknown_vins_daily": "daily",
    "gold/unknown_vins": "daily",
    "gold/processing_usage_daily": "daily",
    "gold/storage_footprint_daily": "daily",
    "gold/platform_cost_daily": "daily",
}
COST_ASSETS = {"gold/storage_footprint_daily", "gold/platform_cost_daily"}


def _specs() -> dict[str, dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_asset_keys_and_partitions_are_the_contracts_tables():
    nodes = _specs()
    assert set(nodes) == set(EXPECTED_ASSETS)
    for key, partitioning in EXPECTED_ASSETS.items():
        partitions = nodes[key].partitions_def
        if partitioning is None:
            assert partitions is None, key
        else:
            assert isinstance(partitions, dg.DailyPartitionsDefinition), key
            assert partitions.start.strftime("%Y-%m-%d") == "2024-01-01"


def test_every_asset_is_described_owned_grouped_and_kinded():
    for key, node in _specs().items():
        assert node.description and len(node.description) > 40, key
        assert node.owners == ["team:fleet-data"], key
        assert node.group_name == ("fleet_cost" if key in COST_ASSETS else "fleet"), key
        assert {"polars", "delta"} <= set(node.kinds), key


def test_jobs_and_loadability():
    dg.Definitions.validate_loadable(defs)
    assert {job.name for job in defs.resolve_all_job_defs()} >= {
        "process_landed_files",
        "refresh_reference",
        "processing_usage",
    }
