"""Freshness checks and their sensor, with time frozen by the test (dagster's ``freeze_time``
patches the clock the checks, the sensor and the event log read)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import pytest
from checks_harness import Warehouse, failed, meta, stand_in
from dagster._core.test_utils import freeze_time

from fleet_platform.events.checks import build_sources_sending
from fleet_platform.freshness import (
    SENSOR_NAME,
    build_freshness_sensor,
    build_partition_freshness_check,
    build_reference_freshness_checks,
    due_partition,
)
from fleet_platform.partitions import ingest_days
from platform_shared.delta import WarehouseResource

FILES_DAILY = dg.AssetKey(["gold", "files_daily"])
REFERENCE = dg.AssetKey(["reference", "vehicles"])
LEDGER = dg.AssetKey(["ledger", "landed_files"])


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def test_due_partition_is_the_latest_day_ended_by_the_deadline():
    assert due_partition(ingest_days, at(21, 6)) == "2026-11-20"
    assert due_partition(ingest_days, at(21, 0)) == "2026-11-20"
    assert due_partition(ingest_days, at(20, 23, 59)) == "2026-11-19"
    assert due_partition(ingest_days, datetime(2024, 1, 1, 6, tzinfo=UTC)) is None


files_daily = stand_in(FILES_DAILY)
reference = stand_in(REFERENCE, partitioned=False)
partition_freshness = build_partition_freshness_check([files_daily], "0 6 * * *", "UTC")
(reference_freshness,) = build_reference_freshness_checks([reference], 26)


def materialize(instance: dg.DagsterInstance, when: datetime, asset, partition: str | None = None):
    with freeze_time(when):
        assert dg.materialize([asset], instance=instance, partition_key=partition).success


def evaluate(
    instance: dg.DagsterInstance, when: datetime, checks, assets, resources=None
) -> dict[str, dg.AssetCheckEvaluation]:
    """Run only ``checks`` at ``when``."""
    with freeze_time(when):
        result = dg.materialize(
            [*assets, *checks],
            instance=instance,
            selection=dg.AssetSelection.checks(*checks),
            resources=resources,
        )
    assert result.success
    return {
        f"{e.asset_key.to_user_string()}:{e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


def test_partition_freshness_fails_when_yesterday_is_missing_at_6_and_passes_once_done(
    instance: dg.DagsterInstance,
):
    name = "gold/files_daily:freshness_check"
    check = ([partition_freshness], [files_daily])

    # before 06:00 the 19th is due: never materialized
    result = evaluate(instance, at(21, 5), *check)[name]
    assert "Partition 2026-11-19 of gold/files_daily is overdue by 23.0 h" in failed(result)
    assert "It has never been materialized." in result.description

    materialize(instance, at(21, 5, 30), files_daily, "2026-11-20")
    result = evaluate(instance, at(21, 7), *check)[name]
    assert result.passed, result.description
    assert meta(result, "expected_partition") == "2026-11-20"
    assert meta(result, "dagster/fresh_until_timestamp") == at(22, 6).timestamp()

    # a day later the 21st is due and missing
    result = evaluate(instance, at(22, 6, 30), *check)[name]
    words = failed(result)
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert "Partition 2026-11-21 of gold/files_daily is overdue by 0.5 h" in words
    assert "due by 2026-11-22 06:00 UTC" in words
    assert "The last materialization was partition 2026-11-20 at 2026-11-21 05:30 UTC" in words
    assert meta(result, "dagster/overdue_seconds") == 1800
    assert meta(result, "last_materialized_partition") == "2026-11-20"


def test_partition_freshness_finds_the_due_partition_behind_a_later_one(
    instance: dg.DagsterInstance,
):
    materialize(instance, at(21, 5, 30), files_daily, "2026-11-20")
    materialize(instance, at(21, 6, 30), files_daily, "2026-11-21")  # the latest, not due
    result = evaluate(instance, at(21, 7), [partition_freshness], [files_daily])
    result = result["gold/files_daily:freshness_check"]
    assert result.passed, result.description
    assert "Partition 2026-11-20 of gold/files_daily was materialized at 2026-11-21 05:30 UTC" in (
        result.description
    )
    assert meta(result, "dagster/last_updated_timestamp") == at(21, 5, 30).timestamp()


def test_partition_freshness_deadline_in_another_time_zone(instance: dg.DagsterInstance):
    paris = build_partition_freshness_check([files_daily], "0 8 * * *", "Europe/Paris")
    materialize(instance, at(21, 6, 45), files_daily, "2026-11-20")
    # 08:00 Paris = 07:00 UTC in November: at 07:30 UTC the 20th is due, and there
    result = evaluate(instance, at(21, 7, 30), [paris], [files_daily])
    assert result["gold/files_daily:freshness_check"].passed
    assert "due by 2026-11-21 08:00 Europe/Paris" in (
        result["gold/files_daily:freshness_check"].description
    )


def test_reference_freshness_passes_within_26_hours_and_fails_after(
    instance: dg.DagsterInstance,
):
    name = "reference/vehicles:freshness_check"
    materialize(instance, at(20, 8), reference)
    check = ([reference_freshness], [reference])
    assert evaluate(instance, at(21, 9, 59), *check)[name].passed
    result = evaluate(instance, at(21, 11), *check)[name]
    assert "Asset is overdue for an update" in failed(result)
    assert meta(result, "dagster/last_updated_timestamp") == at(20, 8).timestamp()


def test_sensor_runs_new_and_expired_checks_and_waits_for_a_failed_one(
    instance: dg.DagsterInstance, warehouse: Warehouse
):
    ledger = stand_in(LEDGER)
    sources_sending = build_sources_sending(6)
    sensor = build_freshness_sensor(
        [partition_freshness, reference_freshness, sources_sending], running=False
    )
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    checks = [partition_freshness, reference_freshness, sources_sending]
    assets = [files_daily, reference, ledger]
    resources = {"warehouse": WarehouseResource(url=warehouse.url)}
    defs = dg.Definitions(assets=assets, asset_checks=checks, sensors=[sensor], resources=resources)

    def tick(when: datetime) -> set[str]:
        with freeze_time(when):
            data = sensor.evaluate_tick(
                dg.build_sensor_context(
                    instance=instance, sensor_name=SENSOR_NAME, definitions=defs
                )
            )
        return {
            key.to_user_string()
            for request in data.run_requests
            for key in request.asset_check_keys
        }

    everything = {
        "gold/files_daily:freshness_check",
        "reference/vehicles:freshness_check",
        "ledger/landed_files:sources_sending",
    }
    assert tick(at(21, 7)) == everything  # never evaluated
    results = evaluate(instance, at(21, 7), checks, assets, resources)
    assert not any(result.passed for result in results.values())
    assert tick(at(21, 8)) == set()  # failed: waits for a materialization

    materialize(instance, at(21, 8), files_daily, "2026-11-20")
    materialize(instance, at(21, 8), reference)
    assert tick(at(21, 8, 1)) == {
        "gold/files_daily:freshness_check",
        "reference/vehicles:freshness_check",
    }
    results = evaluate(instance, at(21, 8, 1), checks[:2], assets[:2])
    assert all(result.passed for result in results.values())
    assert tick(at(22, 5)) == set()  # both still fresh
    assert tick(at(22, 6, 1)) == {"gold/files_daily:freshness_check"}  # next deadline passed
    assert tick(at(22, 10, 1)) == {
        "gold/files_daily:freshness_check",
        "reference/vehicles:freshness_check",  # 26 h after 08:00 yesterday
    }
