"""The cost assets on a landing and warehouse of known sizes (sparse files of whole GiB):
exact footprint rows, exact cost lines, cost per million events and its check."""

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import dagster as dg
import polars as pl
import pytest

from fleet_platform.cost.assets import platform_cost_daily, storage_footprint_daily
from fleet_platform.cost.checks import cost_per_million_events
from fleet_platform.cost.footprint import footprint, list_stored
from fleet_platform.cost.prices import cost_settings
from fleet_platform.engines.resources import PolarsEngineResource
from fleet_platform.landing.resource import LandingResource
from fleet_platform.rules import kpi_schema
from platform_shared.delta import DeltaWarehouse, WarehouseResource
from platform_shared.storage import StorageRoot

DAY = date(2026, 11, 20)
GIB = 2**30
DURING_DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def put(root: Path, key: str, size: int, when: datetime = DURING_DAY) -> None:
    """A file of ``size`` bytes (sparse: no disk used), last written at ``when``."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    put(landing, f"pcm/{DAY}/a.jsonl", 2 * GIB)
    put(landing, f"intellibus/{DAY}/b.csv.gz", GIB - 100)
    put(landing, "reference/vehicles.csv", 60)
    put(landing, "stray.bin", 40)
    put(landing, f"pcm/{DAY + timedelta(days=1)}/late.jsonl", 5 * GIB, DURING_DAY + timedelta(1))
    put(warehouse, "silver/bus_events/event_date=2026-11-20/part-0.parquet", GIB - 1000)
    put(warehouse, "silver/bus_events/_delta_log/00000000000000000000.json", 1000)
    return landing, warehouse


def resources(landing: Path, warehouse: Path) -> dict[str, object]:
    return {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
        "engine": PolarsEngineResource(),
    }


def test_footprint_counts_objects_and_bytes_per_layer_folder_and_class(roots):
    landing, warehouse = roots
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [storage_footprint_daily],
            resources=resources(landing, warehouse),
            instance=instance,
            partition_key=DAY.isoformat(),
        )
    assert result.success
    rows = pl.read_delta(str(warehouse / "gold" / "storage_footprint_daily"))
    assert rows.sort("root", "layer", "folder").rows() == [
        (DAY, "landing", "landing", "(root)", "LOCAL", 1, 40),
        (DAY, "landing", "landing", "intellibus", "LOCAL", 1, GIB - 100),
        (DAY, "landing", "landing", "pcm", "LOCAL", 1, 2 * GIB),  # tomorrow's file left out
        (DAY, "landing", "landing", "reference", "LOCAL", 1, 60),
        (DAY, "warehouse", "silver", "bus_events", "LOCAL", 2, GIB),
    ]
    metadata = result.asset_materializations_for_node("gold__storage_footprint_daily")[0].metadata
    assert metadata["landing_bytes"].value == 3 * GIB
    assert metadata["landing_objects"].value == 4
    assert metadata["warehouse_bytes"].value == GIB


def _usage_and_events(warehouse: Path) -> None:
    tables = DeltaWarehouse(StorageRoot.from_url(str(warehouse)))
    usage = pl.DataFrame(
        [(DAY, "ecs", 3, 10.0, 0.019)],
        schema=kpi_schema.PROCESSING_USAGE_DAILY,
        orient="row",
    )
    tables.append("gold/processing_usage_daily", usage)
    files = pl.DataFrame(
        [(DAY, "pcm", 10, 0, 600_010, 5, 5, 600_000), (DAY, "rfms", 4, 0, 400_000, 0, 0, 400_000)],
        schema=kpi_schema.FILES_DAILY,
        orient="row",
    )
    tables.append("gold/files_daily", files)


def test_cost_is_storage_by_class_plus_compute_and_per_million_events(
    roots, monkeypatch: pytest.MonkeyPatch
):
    landing, warehouse = roots
    # 0.365 EUR per GB-month: 0.012 EUR per GiB and day (x 12/365).
    monkeypatch.setenv("FLEET_STORAGE_PRICES", '{"eu-west-1": {"LOCAL": 0.365}}')
    monkeypatch.setenv("FLEET_COST_REGION", "eu-west-1")
    monkeypatch.setenv("FLEET_MAX_COST_PER_MILLION_EVENTS_EUR", "0.05")
    with dg.instance_for_test() as instance:
        assert dg.materialize(
            [storage_footprint_daily],
            resources=resources(landing, warehouse),
            instance=instance,
            partition_key=DAY.isoformat(),
        ).success
        _usage_and_events(warehouse)  # written now: not part of the day's footprint
        result = dg.materialize(
            [platform_cost_daily, cost_per_million_events],
            resources=resources(landing, warehouse),
            instance=instance,
            partition_key=DAY.isoformat(),
        )
    assert result.success
    lines = pl.read_delta(str(warehouse / "gold" / "platform_cost_daily")).sort("category", "item")
    expected = [
        ("compute", "ecs", 10.0, "run-minute", 0.0019, 0.019),
        ("storage", "landing LOCAL", 3 * 12 / 365, "GB-month", 0.365, 0.036),
        ("storage", "warehouse LOCAL", 12 / 365, "GB-month", 0.365, 0.012),
    ]
    assert lines["date"].to_list() == [DAY] * 3
    for row, want in zip(lines.drop("date").rows(), expected, strict=True):
        assert row[:2] == want[:2] and row[3] == want[3]
        assert row[2] == pytest.approx(want[2]) and row[4] == pytest.approx(want[4])
        assert row[5] == pytest.approx(want[5])

    metadata = result.asset_materializations_for_node("gold__platform_cost_daily")[0].metadata
    assert metadata["cost_eur"].value == pytest.approx(0.067)
    assert metadata["storage_cost_eur"].value == pytest.approx(0.048)
    assert metadata["compute_cost_eur"].value == pytest.approx(0.019)
    assert metadata["events"].value == 1_000_000
    assert metadata["cost_per_million_events_eur"].value == pytest.approx(0.067)

    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "cost_per_million_events"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description.startswith("0.0670 EUR per million events on 2026-11-20 is above 0.05")


def test_the_check_passes_under_the_threshold_and_without_events(
    roots, monkeypatch: pytest.MonkeyPatch
):
    landing, warehouse = roots
    monkeypatch.setenv("FLEET_STORAGE_PRICES", '{"eu-west-1": {"LOCAL": 0.365}}')
    monkeypatch.setenv("FLEET_MAX_COST_PER_MILLION_EVENTS_EUR", "0.10")
    _usage_and_events(warehouse)
    other_day = DAY - timedelta(days=1)  # no events, only what was stored by then (nothing)
    with dg.instance_for_test() as instance:
        for day in (DAY, other_day):
            result = dg.materialize(
                [storage_footprint_daily, platform_cost_daily, cost_per_million_events],
                resources=resources(landing, warehouse),
                instance=instance,
                partition_key=day.isoformat(),
            )
            [check] = result.get_asset_check_evaluations()
            assert check.passed, check.description
            if day == other_day:
                assert check.description.startswith("No clean events on 2026-11-19")
            else:
                assert check.description.startswith("0.0670 EUR per million events")


def test_s3_listing_keeps_each_objects_storage_class(bucket: str):
    client = boto3.client("s3")
    client.put_object(Bucket=bucket, Key=f"landing/pcm/{DAY}/a.jsonl", Body=b"x" * 100)
    client.put_object(
        Bucket=bucket,
        Key=f"landing/pcm/{DAY}/b.jsonl",
        Body=b"x" * 50,
        StorageClass="STANDARD_IA",
    )
    client.put_object(Bucket=bucket, Key="other/c.jsonl", Body=b"x" * 7)
    today = datetime.now(UTC).date()
    objects = list_stored(StorageRoot.from_url(f"s3://{bucket}/landing"), lambda: client)
    rows = footprint(today, {"landing": objects}).sort("storage_class")
    assert rows.drop("date").rows() == [
        ("landing", "landing", "pcm", "STANDARD", 1, 100),
        ("landing", "landing", "pcm", "STANDARD_IA", 1, 50),
    ]


def test_prices_default_to_eu_west_1_and_errors_say_what_to_set():
    settings = cost_settings({})
    assert settings.region == "eu-west-1"
    assert settings.storage_price("STANDARD") == 0.023
    assert settings.max_cost_per_million_events_eur == 0.50
    overridden = cost_settings({"FLEET_STORAGE_PRICES": '{"eu-west-1": {"STANDARD": 0.02}}'})
    assert overridden.storage_price("STANDARD") == 0.02
    assert overridden.storage_price("GLACIER_IR") == 0.004
    with pytest.raises(ValueError, match="FLEET_STORAGE_PRICES"):
        cost_settings({"AWS_REGION": "ap-south-2"})
    with pytest.raises(ValueError, match="FLEET_STORAGE_PRICES must be a JSON object"):
        cost_settings({"FLEET_STORAGE_PRICES": "[1]"})
    with pytest.raises(ValueError, match="add it to FLEET_STORAGE_PRICES"):
        settings.storage_price("REDUCED_REDUNDANCY")
