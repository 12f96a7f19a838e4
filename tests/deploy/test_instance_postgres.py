"""The production instance config (deploy/ecs/dagster.yaml) against the machine's
PostgreSQL: it loads, and a job of each code location runs on it, with the default run
launcher in place of EcsRunLauncher (no ECS here)."""

import datetime as dt
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import yaml
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from deploy_paths import INSTANCE_YAML

from asset_register.cli import run_sync
from asset_register.definitions import build_definitions
from asset_register.settings import RegisterSettings
from fleet_platform.engines.resources import PolarsEngineResource
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.landing.resource import LandingResource
from fleet_platform.usage.assets import processing_usage_daily
from platform_shared.delta import WarehouseResource

DAY = dt.date(2026, 11, 20)
VIN = "VFE1BUS0000000001"


def test_the_config_asks_for_ecs_runs_a_queue_with_limits_and_postgres():
    config = yaml.safe_load(INSTANCE_YAML.read_text())
    assert config["run_launcher"]["module"] == "dagster_aws.ecs"
    assert config["run_launcher"]["class"] == "EcsRunLauncher"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["storage"]["postgres"]["postgres_db"] == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "db_name": {"env": "DAGSTER_PG_DB"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "scheme": "postgresql+psycopg2",
    }


def test_the_instance_loads_on_postgres_with_per_location_limits(production_home: Path):
    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        concurrency = instance.get_concurrency_config()
        limits = {
            limit["value"]: limit["limit"]
            for limit in concurrency.run_queue_config.tag_concurrency_limits
            if limit["key"] == "dagster/code_location"
        }
        assert limits == {"fleet_platform": 4, "asset_register": 1}
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.pool_config.pool_granularity.value == "run"


def _land(root: Path, key: str, data: bytes) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    received = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp()
    os.utime(path, (received, received))


def test_a_fleet_day_and_its_processing_usage_run_on_postgres(
    production_home: Path, tmp_path: Path
):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _land(
        landing,
        "reference/vehicles.csv",
        b"vin,fleet_number,operator,country,model,energy,commissioned_on\n"
        + f"{VIN},1,RATP,FR,Citaro,diesel,2020-01-01\n".encode(),
    )
    received_ms = int(datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp() * 1000)
    lines = [
        json.dumps({"vin": VIN, "ts": ts, "recv_ts": received_ms, "type": "POSITION"})
        for ts in ("2026-11-20T08:00:00+01:00", "2026-11-20T08:02:00+01:00")
    ]
    _land(landing, f"pcm/{DAY}/a.jsonl", "\n".join(lines).encode())
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
        "engine": PolarsEngineResource(),
    }
    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        assert dg.materialize([vehicles], resources=resources, instance=instance).success
        day = dg.materialize(
            [landed_events, *gold_assets],
            resources=resources,
            instance=instance,
            partition_key=DAY.isoformat(),
        )
        assert day.success
        # Usage counts the runs by the UTC day they started: the day of this run.
        started = instance.get_run_record_by_id(day.run_id).start_time
        usage = dg.materialize(
            [processing_usage_daily],
            resources=resources,
            instance=instance,
            partition_key=datetime.fromtimestamp(started, UTC).date().isoformat(),
        )
        assert usage.success
        # Run records and asset events came back from PostgreSQL.
        assert instance.get_runs_count() == 3
        assert instance.get_latest_materialization_event(dg.AssetKey(["silver", "bus_events"]))
    events = pl.read_delta(str(warehouse / "gold" / "events_daily"))
    assert events.select("source", "events").rows() == [("pcm", 2)]
    runs = pl.read_delta(str(warehouse / "gold" / "processing_usage_daily"))
    # The day's run that processed events was found in PostgreSQL's run records.
    assert int(runs["runs"].sum()) == 1


def test_the_register_sync_runs_on_postgres(production_home: Path):
    settings = RegisterSettings.from_env({"PLATFORM_DATA_DIR": os.environ["PLATFORM_DATA_DIR"]})
    with dg.DagsterInstance.from_config(str(production_home)) as instance:
        outcome = run_sync(build_definitions(settings), DAY, instance=instance)
        assert outcome.success, outcome.errors
        assert outcome.counts["read"] == 200
        assert instance.get_runs_count() == 1
