"""The fleet assets through Dagster, on hand-made landed files: exact gold rows, re-runs
that change nothing, a late file processed alone, and a full refresh."""

import gzip
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from fleet_platform import jobs
from fleet_platform.assets_common import REFERENCE_KEY
from fleet_platform.engines.resources import PolarsEngineResource
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.events.tables import SILVER
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.landing.resource import LandingResource
from fleet_platform.usage.assets import processing_usage_daily
from platform_shared.delta import DeltaWarehouse, WarehouseResource
from platform_shared.storage import StorageRoot

DAY = date(2026, 11, 20)
KNOWN = "VFE1BUS0000000001"
UNKNOWN = "VFE1BUS0000000009"


def land(root: Path, key: str, data: bytes, received: datetime) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (received.timestamp(), received.timestamp()))


def pcm_line(vin: str, ts: str, type_: str = "POSITION") -> str:
    received_ms = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp() * 1000)
    return json.dumps({"vin": vin, "ts": ts, "recv_ts": received_ms, "type": type_})


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    received = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    land(
        root,
        "reference/vehicles.csv",
        f"vin,fleet_number,operator,country,model,energy,commissioned_on\n{KNOWN},1,RATP,FR,Citaro,diesel,2020-01-01\n".encode(),
        received,
    )
    lines = [
        pcm_line(KNOWN, "2026-11-20T08:00:00+01:00"),
        pcm_line(f" {KNOWN.lower()} ", "2026-11-20T07:00:00Z"),  # same identity: duplicate
        pcm_line(KNOWN, "2026-11-20T08:00:00"),  # no offset: unparseable_time
    ]
    land(root, f"pcm/{DAY}/a.jsonl", "\n".join(lines).encode(), received)
    csv = f"VIN;DATE;HEURE;CODE;VALEUR;UNITE\n{KNOWN};20/11/2026;08:30:00;ODO;12,5;km\n{UNKNOWN};20/11/2026;08:31:00;SPD;;km/h\n"
    land(root, f"intellibus/{DAY}/b.csv.gz", gzip.compress(csv.encode()), received)
    status = {
        "vin": UNKNOWN,
        "createdDateTime": "2026-11-20T09:00:00Z",
        "receivedDateTime": "2026-11-20T08:00:00Z",  # created an hour after receipt: future
        "triggerType": {"triggerType": "TIMER", "context": "RFMS"},
    }
    document = {"vehicleStatusResponse": {"vehicleStatuses": [status]}}
    land(root, f"rfms/{DAY}/c.json", json.dumps(document).encode(), received)
    land(root, f"pcm/{DAY}/d.txt", b"hello", received)
    land(root, "foo/x.bin", b"?", received)
    land(root, f"pcm/{DAY}/_SUCCESS", b"", received)
    return root


def materialize_day(landing: Path, warehouse: Path, instance: dg.DagsterInstance, **config):
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
        "engine": PolarsEngineResource(),
    }
    assert dg.materialize([vehicles], resources=resources, instance=instance).success
    run_config = {"ops": {"landed_events": {"config": config}}} if config else None
    result = dg.materialize(
        [landed_events, *gold_assets],
        resources=resources,
        instance=instance,
        partition_key=DAY.isoformat(),
        run_config=run_config,
    )
    assert result.success
    return result


def read(warehouse: Path, table: str) -> pl.DataFrame:
    return pl.read_delta(str(warehouse / table))


GOLD = [
    "gold/files_daily",
    "gold/rejected_files",
    "gold/rejected_rows_daily",
    "gold/events_daily",
    "gold/vins_daily",
    "gold/non_standard_dates_daily",
    "gold/event_delays_daily",
    "gold/unknown_vins_daily",
    "gold/unknown_vins",
]


def snapshot(warehouse: Path) -> dict[str, pl.DataFrame]:
    tables = {name: read(warehouse, name) for name in GOLD}
    tables["silver/bus_events"] = read(warehouse, "silver/bus_events").sort("event_id")
    tables["bronze/raw_bus_events"] = read(warehouse, "bronze/raw_bus_events").sort(
        "source_file", "row_number"
    )
    for name, frame in tables.items():
        tables[name] = frame.sort(frame.columns)
    return tables


def test_a_day_gives_the_contracts_gold_rows(landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    with dg.instance_for_test() as instance:
        result = materialize_day(landing, warehouse, instance)

    files = read(warehouse, "gold/files_daily").sort("source")
    assert files.rows() == [
        (DAY, "intellibus", 1, 0, 2, 0, 0, 2),
        (DAY, "pcm", 2, 1, 3, 1, 1, 1),
        (DAY, "rfms", 1, 0, 1, 0, 0, 1),
    ]
    rejected = read(warehouse, "gold/rejected_files").sort("key")
    assert rejected.select("key", "source", "ingest_date", "reason").rows() == [
        ("foo/x.bin", None, None, "bad_key"),
        (f"pcm/{DAY}/d.txt", "pcm", DAY, "unsupported_format"),
    ]
    assert read(warehouse, "gold/rejected_rows_daily").rows() == [
        (DAY, "pcm", "unparseable_time", 1)
    ]
    assert read(warehouse, "gold/non_standard_dates_daily").sort("source").rows() == [
        (DAY, "pcm", "unparseable", 1),
        (DAY, "rfms", "future", 1),
    ]
    assert read(warehouse, "gold/events_daily").sort("source").rows() == [
        (DAY, "intellibus", 2),
        (DAY, "pcm", 1),
    ]
    assert read(warehouse, "gold/vins_daily").rows() == [(DAY, 2, 1, 1)]
    assert read(warehouse, "gold/unknown_vins_daily").rows() == [(DAY, "intellibus", 1, 1)]
    unknown = read(warehouse, "gold/unknown_vins")
    assert unknown.select("vin", "events", "sources").rows() == [(UNKNOWN, 1, ["intellibus"])]
    delays = read(warehouse, "gold/event_delays_daily").sort("source")
    # intellibus: received 09:00Z, events 07:30Z and 07:31Z (Paris is UTC+1 in November)
    assert delays.select("source", "events", "max_s", "over_1h").rows() == [
        ("intellibus", 2, 5400.0, 2),
        ("pcm", 1, 7200.0, 1),  # 08:00+01:00 is 07:00Z
    ]
    silver = read(warehouse, "silver/bus_events")
    assert sorted(silver["vin"].to_list()) == [KNOWN, KNOWN, UNKNOWN, UNKNOWN]
    ledger_meta = result.asset_materializations_for_node("landed_events")[0].metadata
    assert ledger_meta["files_rejected"].value == 2
    assert ledger_meta["dagster/row_count"].value == 5


def test_rerun_changes_nothing_and_a_late_file_is_processed_alone(landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    with dg.instance_for_test() as instance:
        materialize_day(landing, warehouse, instance)
        before = snapshot(warehouse)
        result = materialize_day(landing, warehouse, instance)
        after = snapshot(warehouse)
        assert (
            result.asset_materializations_for_node("landed_events")[0]
            .metadata["files_processed"]
            .value
            == 0
        )
        for name in before:
            assert before[name].equals(after[name]), name

        late = (
            pcm_line(KNOWN, "2026-11-20T10:00:00Z")
            + "\n"
            + pcm_line(KNOWN, "2026-11-20T08:00:00+01:00")
        )
        land(landing, f"pcm/{DAY}/late.jsonl", late.encode(), datetime(2026, 11, 22, tzinfo=UTC))
        result = materialize_day(landing, warehouse, instance)
    meta = result.asset_materializations_for_node("landed_events")[0].metadata
    assert meta["files_processed"].value == 1
    assert meta["rows_clean"].value == 1
    assert meta["rows_duplicate"].value == 1  # re-sent from a.jsonl
    pcm = read(warehouse, "gold/files_daily").filter(pl.col("source") == "pcm")
    assert pcm.select("files_received", "rows_received", "rows_duplicate", "rows_clean").row(0) == (
        3,
        5,
        2,
        2,
    )


def test_full_refresh_rebuilds_the_same_tables(landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    with dg.instance_for_test() as instance:
        materialize_day(landing, warehouse, instance)
        before = snapshot(warehouse)
        materialize_day(landing, warehouse, instance, full_refresh=True)
        after = snapshot(warehouse)
    for name in before:
        assert before[name].equals(after[name]), name


def test_a_changed_reference_brings_vin_known_and_the_kpis_up_to_date(
    landing: Path, tmp_path: Path, codecs
):
    warehouse = tmp_path / "warehouse"
    with dg.instance_for_test() as instance:
        materialize_day(landing, warehouse, instance)
        assert read(warehouse, "gold/vins_daily").rows() == [(DAY, 2, 1, 1)]
        reference = landing / "reference/vehicles.csv"
        reference.write_text(
            reference.read_text() + f"{UNKNOWN},2,RATP,FR,Citaro,electric,2021-01-01\n"
        )
        resources = {
            "landing": LandingResource(url=str(landing)),
            "warehouse": WarehouseResource(url=str(warehouse)),
            "engine": PolarsEngineResource(),
        }
        # the selection of the refresh_reference job, for the day's partition
        rollups = jobs.ROLLUP_KEYS
        refresh = dg.materialize(
            [vehicles, *gold_assets],
            selection=dg.AssetSelection.assets(REFERENCE_KEY, *rollups),
            resources=resources,
            instance=instance,
            partition_key=DAY.isoformat(),
        )
    assert refresh.success
    silver = read(warehouse, "silver/bus_events")
    assert silver.filter(pl.col("vin") == UNKNOWN)["vin_known"].to_list() == [True, True]
    assert read(warehouse, "gold/vins_daily").rows() == [(DAY, 2, 2, 0)]
    assert read(warehouse, "gold/unknown_vins").is_empty()
    meta = refresh.asset_materializations_for_node("reference__vehicles")[0].metadata
    assert meta["vins_changed"].value == 1
    # the silver files the update rewrote keep silver's codec
    assert codecs(DeltaWarehouse(StorageRoot.from_url(warehouse)), SILVER.path) == {"LZ4"}


def test_the_partition_job_reads_the_reference_before_its_ingest(landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
        "engine": PolarsEngineResource(),
    }
    with dg.instance_for_test() as instance:
        # the selection of the process_landed_files job, on a warehouse with no reference yet
        result = dg.materialize(
            [vehicles, landed_events, *gold_assets, processing_usage_daily],
            selection=jobs.process_landed_files.selection,
            resources=resources,
            instance=instance,
            partition_key=DAY.isoformat(),
        )
    assert result.success
    assert result.asset_materializations_for_node("reference__vehicles")
    silver = read(warehouse, "silver/bus_events")
    assert dict(silver.select("vin", "vin_known").unique().iter_rows()) == {
        KNOWN: True,
        UNKNOWN: False,
    }
    assert read(warehouse, "gold/vins_daily").rows() == [(DAY, 2, 1, 1)]
