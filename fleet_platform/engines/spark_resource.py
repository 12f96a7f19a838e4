"""The ``spark`` engine resource: a Spark session through dagster-pyspark (``local[*]`` by
default, or a cluster's master)."""

from dagster_pyspark import LazyPySparkResource

from fleet_platform.engines.base import Engine
from fleet_platform.engines.resources import EngineResource
from fleet_platform.settings import FleetSettings
from platform_shared.delta import DeltaWarehouse


class SparkEngineResource(EngineResource):
    """The rules on a Spark session, reading the Delta snapshots' Parquet files."""

    pyspark: LazyPySparkResource

    def engine(self, warehouse: DeltaWarehouse) -> Engine:
        from fleet_platform.engines.spark_engine import SnapshotParquetReader, SparkEngine

        return SparkEngine(self.pyspark.spark_session, SnapshotParquetReader(warehouse))

    @property
    def kind(self) -> str:
        return "spark"


def spark_config(settings: FleetSettings) -> dict[str, str]:
    """Spark settings of the ``spark`` engine: the master, what the engine relies on, and
    ``FLEET_SPARK_CONF`` on top."""
    from fleet_platform.engines.spark_engine import REQUIRED_CONFIG

    return {
        "spark.master": settings.spark_master,
        "spark.app.name": "fleet-platform",
        "spark.ui.showConsoleProgress": "false",
        # Spark's 1 GiB default runs out on a day of 3,000 buses: a chunk's rows travel
        # through the driver (Arrow in, Arrow out).
        "spark.driver.memory": "4g",
        **settings.spark_conf,
        **REQUIRED_CONFIG,
    }


def spark_engine_resource(settings: FleetSettings) -> SparkEngineResource:
    """The ``spark`` engine resource on the settings' master and Spark settings."""
    return SparkEngineResource(pyspark=LazyPySparkResource(spark_config=spark_config(settings)))
