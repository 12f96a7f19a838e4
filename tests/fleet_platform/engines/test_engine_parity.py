"""The whole fleet pipeline through Dagster on polars and on Spark gives the same tables
(DESIGN.md, principle 3): the same landed files — two simulated days with every contract
fault, plus the hand-made corpus (DST overlap and gap, decimal comma, every rejection) —
materialized on each engine into its own warehouse; bronze, silver and every gold table
are compared row by row."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster_pyspark import LazyPySparkResource
from engine_corpus import land_corpus
from polars.testing import assert_frame_equal

from fleet_platform.engines.resources import EngineResource, PolarsEngineResource
from fleet_platform.engines.spark_resource import SparkEngineResource, spark_config
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.kpis.tables import GOLD_TABLES, VIN_DAYS
from fleet_platform.landing.resource import LandingResource
from fleet_platform.settings import fleet_settings
from fleet_platform.simulate.landing import simulate_landing
from fleet_platform.simulate.writer import FolderLandingWriter
from platform_shared.delta import WarehouseResource

TODAY = datetime.now(UTC).date()
DAYS = [TODAY - timedelta(days=2), TODAY - timedelta(days=1)]
TABLES = [
    "bronze/raw_bus_events",
    "silver/bus_events",
    VIN_DAYS.table.path,
    *(spec.table.path for spec in GOLD_TABLES),
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    summary = simulate_landing(FolderLandingWriter(root), DAYS, buses=8, fault_rate=0.05, seed=3)
    assert summary  # the simulator landed something
    land_corpus(root, DAYS[1])
    return root


def _process(landing: Path, warehouse: Path, engine: EngineResource) -> dict[str, pl.DataFrame]:
    """Materialize the reference, then each day's ingest and gold tables, in day order."""
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
        "engine": engine,
    }
    with dg.instance_for_test() as instance:
        assert dg.materialize([vehicles], resources=resources, instance=instance).success
        for day in DAYS:
            result = dg.materialize(
                [landed_events, *gold_assets],
                resources=resources,
                instance=instance,
                partition_key=day.isoformat(),
            )
            assert result.success
            engines = {
                event.materialization.metadata["engine"].value
                for event in result.get_asset_materialization_events()
            }
            assert engines == {engine.kind}
    return {table: pl.read_delta(str(warehouse / table)) for table in TABLES}


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    comparable = [c for c, t in frame.schema.items() if not isinstance(t, pl.List)]
    return frame.sort(comparable)


def test_polars_and_spark_give_the_same_tables(spark, landing: Path, tmp_path: Path) -> None:
    on_polars = _process(landing, tmp_path / "polars", PolarsEngineResource())
    spark_engine = SparkEngineResource(
        pyspark=LazyPySparkResource(spark_config=spark_config(fleet_settings({})))
    )
    on_spark = _process(landing, tmp_path / "spark", spark_engine)

    bronze = on_polars["bronze/raw_bus_events"]
    assert set(bronze["fate"]) == {"clean", "duplicate", "rejected"}
    assert set(bronze["reason"].drop_nulls()) == {
        "malformed_row",
        "missing_field",
        "invalid_vin",
        "unparseable_time",
    }
    assert not on_polars["gold/unknown_vins"].is_empty()
    assert not on_polars["gold/rejected_files"].is_empty()
    for table in TABLES:
        assert_frame_equal(_sorted(on_spark[table]), _sorted(on_polars[table]))
