"""Checks of the reference, ledger, bronze and silver: pass on good rows, fail in words and
numbers on broken ones."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
from checks_harness import DAY, Warehouse, failed, meta
from dagster._core.test_utils import freeze_time

from fleet_platform.events.assets import vehicles
from fleet_platform.events.checks import (
    build_event_checks,
    build_sources_sending,
)
from fleet_platform.events.tables import BRONZE, LEDGER, SILVER
from fleet_platform.landing.resource import LandingResource

ERROR = dg.AssetCheckSeverity.ERROR
HEADER = "vin,fleet_number,operator,country,model,energy,commissioned_on\n"


def checks_of(asset: str) -> list[dg.AssetChecksDefinition]:
    key = dg.AssetKey(asset.split("/"))
    return [c for c in build_event_checks() if any(k.asset_key == key for k in c.check_keys)]


def run_reference(warehouse: Warehouse, landing: Path) -> dict[str, dg.AssetCheckEvaluation]:
    return warehouse.run(
        checks_of("reference/vehicles"),
        assets=[vehicles],
        partition=None,
        resources={"landing": LandingResource(url=str(landing))},
    )


def test_reference_present_passes_with_vins(warehouse: Warehouse, tmp_path: Path):
    landing = tmp_path / "landing"
    (landing / "reference").mkdir(parents=True)
    (landing / "reference" / "vehicles.csv").write_text(
        HEADER + "VFE1BUS0000000001,1,RATP,FR,Citaro,diesel,2020-01-01\n"
        "VFE1BUS0000000002,2,RATP,FR,Citaro,diesel,2020-01-01\n"
    )
    results = run_reference(warehouse, landing)
    present = results["reference/vehicles:reference_present"]
    assert present.passed and meta(present, "vins") == 2
    assert results["reference/vehicles:keys_unique"].passed


def test_reference_present_fails_when_the_file_is_missing(warehouse: Warehouse, tmp_path: Path):
    landing = tmp_path / "landing"
    landing.mkdir()
    present = run_reference(warehouse, landing)["reference/vehicles:reference_present"]
    words = failed(present)
    assert present.severity == ERROR
    assert "holds 0 VINs: reference/vehicles.csv is missing from the landing root" in words
    assert "run the refresh_reference job" in words
    assert meta(present, "vins") == 0
    assert meta(present, "problem") == "reference/vehicles.csv is missing from the landing root"


def test_reference_present_fails_on_a_header_only_file(warehouse: Warehouse, tmp_path: Path):
    landing = tmp_path / "landing"
    (landing / "reference").mkdir(parents=True)
    (landing / "reference" / "vehicles.csv").write_text(HEADER)
    present = run_reference(warehouse, landing)["reference/vehicles:reference_present"]
    assert "reference/vehicles.csv names no VIN (header only)" in failed(present)


NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def landed(source: str, hours_ago: float, key: str | None = None) -> dict:
    return {
        "key": key or f"{source}/{DAY}/{hours_ago}.x",
        "file_version": "1",
        "source": source,
        "ingest_date": DAY,
        "partition_date": DAY,
        "received_time": NOW - timedelta(hours=hours_ago),
        "status": "accepted",
    }


def run_ledger(warehouse: Warehouse) -> dict[str, dg.AssetCheckEvaluation]:
    with freeze_time(NOW):
        return warehouse.run([build_sources_sending(6), *checks_of("ledger/landed_files")])


def test_sources_sending_passes_when_every_source_sent_within_6_hours(warehouse: Warehouse):
    warehouse.write(
        LEDGER,
        [landed("pcm", 1), landed("pcm", 30), landed("intellibus", 2), landed("rfms", 5)],
    )
    results = run_ledger(warehouse)
    sending = results["ledger/landed_files:sources_sending"]
    assert sending.passed, sending.description
    assert meta(sending, "hours_since_last_file") == {"pcm": 1.0, "intellibus": 2.0, "rfms": 5.0}
    # the freshness sensor evaluates it again when rfms (5 h ago) could pass 6 h
    assert meta(sending, "dagster/fresh_until_timestamp") == (NOW + timedelta(hours=1)).timestamp()
    assert results["ledger/landed_files:keys_unique"].passed


def test_sources_sending_fails_for_a_silent_source_and_one_never_seen(warehouse: Warehouse):
    warehouse.write(LEDGER, [landed("pcm", 1), landed("rfms", 8), landed("rfms", 8, "rfms/k")])
    results = run_ledger(warehouse)
    sending = results["ledger/landed_files:sources_sending"]
    words = failed(sending)
    assert sending.severity == ERROR
    assert "intellibus never sent a file" in words
    assert "rfms sent nothing for 8.0 h (last file received 2026-11-21 02:00 UTC)" in words
    assert "(limit 6 h)" in words
    assert meta(sending, "silent_sources") == "intellibus, rfms"
    assert "dagster/fresh_until_timestamp" not in sending.metadata


def test_ledger_keys_unique_fails_on_a_version_listed_twice(warehouse: Warehouse):
    warehouse.write(LEDGER, [landed("pcm", 1, "pcm/a"), landed("pcm", 2, "pcm/a")])
    result = run_ledger(warehouse)["ledger/landed_files:keys_unique"]
    assert "1 values of (key, file_version) occur more than once (2 rows)" in failed(result)
    assert "key=pcm/a, file_version=1, rows=2" in meta(result, "examples")


def bronze(row_number: int, fate: str | None, reason: str | None, day=DAY) -> dict:
    return {
        "source": "pcm",
        "ingest_date": day,
        "source_file": f"pcm/{day}/a.jsonl",
        "file_version": "1",
        "row_number": row_number,
        "raw": "{}",
        "fate": fate,
        "reason": reason,
    }


def test_bronze_every_row_has_a_fate(warehouse: Warehouse):
    good = [
        bronze(1, "clean", None),
        bronze(2, "duplicate", None),
        bronze(3, "rejected", "malformed_row"),
        bronze(1, None, None, day=DAY - timedelta(days=1)),  # not this partition
    ]
    warehouse.write(BRONZE, good)
    results = warehouse.run(checks_of("bronze/raw_bus_events"))
    fate = results["bronze/raw_bus_events:every_row_has_a_fate"]
    assert fate.passed and meta(fate, "rows") == 3
    assert results["bronze/raw_bus_events:keys_unique"].passed

    warehouse.write(
        BRONZE,
        [
            *good,
            bronze(4, None, None),
            bronze(5, "rejected", None),
            bronze(6, "rejected", "bogus"),
            bronze(7, "clean", "invalid_vin"),
            bronze(7, "clean", None),  # row 7 twice
        ],
    )
    results = warehouse.run(checks_of("bronze/raw_bus_events"))
    fate = results["bronze/raw_bus_events:every_row_has_a_fate"]
    words = failed(fate)
    assert fate.severity == ERROR
    assert "1 rows have no valid fate; 2 rows are rejected without a contract reason" in words
    assert "1 rows carry a reason but are not rejected (of 8 rows)" in words
    assert meta(fate, "rows_without_fate") == 1
    assert meta(fate, "rejected_without_reason") == 2
    assert meta(fate, "reason_without_rejection") == 1
    assert "row_number=4" in meta(fate, "examples")
    keys = results["bronze/raw_bus_events:keys_unique"]
    assert "(source_file, file_version, row_number) occur more than once" in failed(keys)


def test_silver_event_id_unique_within_the_partition(warehouse: Warehouse):
    yesterday = DAY - timedelta(days=1)
    rows = [
        {"event_id": "e1", "ingest_date": DAY, "event_date": DAY},
        {"event_id": "e2", "ingest_date": DAY, "event_date": DAY},
        {"event_id": "e3", "ingest_date": yesterday, "event_date": yesterday},
        {"event_id": "e3", "ingest_date": yesterday, "event_date": yesterday},
    ]
    warehouse.write(SILVER, rows)
    check = checks_of("silver/bus_events")
    assert warehouse.run(check)["silver/bus_events:keys_unique"].passed

    warehouse.write(SILVER, [*rows, {"event_id": "e2", "ingest_date": DAY, "event_date": DAY}])
    result = warehouse.run(check)["silver/bus_events:keys_unique"]
    words = failed(result)
    assert "silver/bus_events on 2026-11-20: 1 values of (event_id) occur more than once" in words
    assert meta(result, "duplicate_rows") == 2 and meta(result, "rows") == 3


def test_bronze_every_row_has_a_fate_lists_the_broken_rows_in_order(warehouse: Warehouse):
    warehouse.write(
        BRONZE,
        [
            bronze(1, "clean", None),
            bronze(2, "rejected", "bogus"),
            bronze(3, "clean", None),
            bronze(4, "duplicate", "invalid_vin"),
            bronze(5, "lost", None),
        ],
    )
    fate = warehouse.run(checks_of("bronze/raw_bus_events"))[
        "bronze/raw_bus_events:every_row_has_a_fate"
    ]
    assert "(of 5 rows)" in failed(fate)
    assert meta(fate, "rows") == 5
    file = f"source_file=pcm/{DAY}/a.jsonl"
    assert meta(fate, "examples") == "\n".join(
        [
            f"{file}, row_number=2, fate=rejected, reason=bogus",
            f"{file}, row_number=4, fate=duplicate, reason=invalid_vin",
            f"{file}, row_number=5, fate=lost, reason=None",
        ]
    )


def test_bronze_keys_unique_lists_repeated_keys_and_counts_null_ones(warehouse: Warehouse):
    rows = [bronze(n, "clean", None) for n in (1, 7, 7, 8, 8, 8, 9)]
    warehouse.write(BRONZE, [*rows, bronze(None, "clean", None)])
    keys = warehouse.run(checks_of("bronze/raw_bus_events"))["bronze/raw_bus_events:keys_unique"]
    key_text = "(source_file, file_version, row_number)"
    assert failed(keys).startswith(
        f"bronze/raw_bus_events on {DAY}: 2 values of {key_text} occur more than once "
        f"(5 rows); 1 rows have a null in {key_text} of 8 rows."
    )
    assert meta(keys, "rows") == 8 and meta(keys, "null_keys") == 1
    assert meta(keys, "duplicate_keys") == 2 and meta(keys, "duplicate_rows") == 5
    file = f"source_file=pcm/{DAY}/a.jsonl, file_version=1"
    assert meta(keys, "examples") == (f"{file}, row_number=8, rows=3\n{file}, row_number=7, rows=2")


def test_bronze_keys_unique_with_a_null_key_only(warehouse: Warehouse):
    warehouse.write(BRONZE, [bronze(1, "clean", None), bronze(None, "clean", None)])
    keys = warehouse.run(checks_of("bronze/raw_bus_events"))["bronze/raw_bus_events:keys_unique"]
    assert "1 rows have a null in (source_file, file_version, row_number) of 2 rows" in (
        failed(keys)
    )
    assert meta(keys, "duplicate_keys") == 0 and meta(keys, "examples") == "none"
