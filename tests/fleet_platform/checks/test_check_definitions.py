"""Every fleet asset is watched: a freshness check and at least one quality check each, all
in the location's definitions and in the jobs that materialize their assets (a snapshot, so
an accidental change shows in review)."""

import dagster as dg

from fleet_platform.definitions import defs

EXPECTED_CHECKS = {
    "reference/vehicles": {"freshness_check", "reference_present", "keys_unique"},
    "ledger/landed_files": {"freshness_check", "sources_sending", "keys_unique"},
    "bronze/raw_bus_events": {"freshness_check", "every_row_has_a_fate", "keys_unique"},
    "silver/bus_events": {"freshness_check", "keys_unique"},
    "silver/vin_days": {"freshness_check", "keys_unique"},
    "gold/files_daily": {
        "freshness_check",
        "keys_unique",
        "rows_conserved",
        "rejected_file_share",
    },
    "gold/rejected_files": {"freshness_check", "keys_unique"},
    "gold/rejected_rows_daily": {"freshness_check", "keys_unique"},
    "gold/events_daily": {"freshness_check", "keys_unique"},
    "gold/vins_daily": {"freshness_check", "keys_unique"},
    "gold/non_standard_dates_daily": {
        "freshness_check",
        "keys_unique",
        "non_standard_date_share_14d",
    },
    "gold/event_delays_daily": {"freshness_check", "keys_unique", "p99_delay"},
    "gold/unknown_vins_daily": {"freshness_check", "keys_unique", "unknown_vin_share"},
    "gold/unknown_vins": {"freshness_check", "keys_unique"},
    "gold/processing_usage_daily": {
        "freshness_check",
        "keys_unique",
        "cost_is_minutes_times_price",
    },
    "gold/storage_footprint_daily": {"freshness_check", "keys_unique"},
    "gold/platform_cost_daily": {"freshness_check", "keys_unique", "cost_per_million_events"},
}
UNPARTITIONED = {"reference/vehicles:freshness_check", "reference/vehicles:reference_present"}
UNPARTITIONED |= {"reference/vehicles:keys_unique", "ledger/landed_files:sources_sending"}
UNPARTITIONED |= {f"{asset}:freshness_check" for asset in EXPECTED_CHECKS}


def _checks_by_asset(keys) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key in keys:
        found.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    return found


def test_every_contract_asset_has_freshness_and_quality_checks():
    graph = defs.resolve_asset_graph()
    found = _checks_by_asset(graph.asset_check_keys)
    assert {asset: found.get(asset) for asset in EXPECTED_CHECKS} == EXPECTED_CHECKS


def test_every_check_is_described_and_partitioned_like_its_asset():
    graph = defs.resolve_asset_graph()
    for check_key in graph.asset_check_keys:
        name = check_key.to_user_string()
        if check_key.asset_key.to_user_string() not in EXPECTED_CHECKS:
            continue
        node = graph.get(check_key)
        if name == "reference/vehicles:freshness_check":  # dagster's builder: its own words
            assert node.description == "Evaluates freshness for targeted asset."
        else:
            assert node.description and len(node.description) > 40, name
        if name in UNPARTITIONED:
            assert node.partitions_def is None, name
        else:
            assert node.partitions_def == graph.get(check_key.asset_key).partitions_def, name


def test_jobs_run_the_checks_of_the_assets_they_materialize():
    for job_name in ("process_landed_files", "refresh_reference", "processing_usage"):
        job = defs.resolve_job_def(job_name)
        layer = job.asset_layer.asset_graph
        materialized = {key.to_user_string() for key in layer.executable_asset_keys}
        checks = _checks_by_asset(layer.asset_check_keys)
        for asset in materialized & set(EXPECTED_CHECKS):
            assert checks.get(asset) == EXPECTED_CHECKS[asset], (job_name, asset)


def test_freshness_sensor_drives_freshness_and_source_silence():
    sensor = defs.resolve_sensor_def("fleet_freshness_checks_sensor")
    selected = sensor.asset_selection.resolve_checks(defs.resolve_asset_graph())
    assert {key.to_user_string() for key in selected} == {
        f"{asset}:freshness_check" for asset in EXPECTED_CHECKS
    } | {"ledger/landed_files:sources_sending"}
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED  # local by default
