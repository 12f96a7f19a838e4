"""The Spark engine: the shared rules on PySpark DataFrames (DESIGN.md, principle 3).

Reader: Spark reads the Parquet files of each Delta table's current snapshot (delta-rs
lists them, pruned to the slice's partitions), so no Delta connector is needed in Spark
(delta-spark can't be installed here, NOTES.md); on Databricks the same engine reads
Delta natively (:class:`DeltaReader`). Parsed rows go to Spark as Arrow; results come
back as Arrow and are written to Delta by the asset, like every engine's.
"""

from collections.abc import Sequence
from typing import Any, Protocol

import narwhals as nw
import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructType

from fleet_platform.engines.base import Aggregation, TableSlice
from fleet_platform.rules.clean import classify_frame
from platform_shared.delta import DeltaWarehouse

# Spark session settings the engine relies on: instants in UTC (event_date is the UTC
# date of event_time) and Arrow for the exchange with polars.
REQUIRED_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def spark_schema(schema: dict[str, pl.DataType]) -> StructType:
    """The Spark schema of a polars schema (through Arrow, as the data travels)."""
    return from_arrow_schema(pl.DataFrame(schema=schema).to_arrow().schema)


def to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    return spark.createDataFrame(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))


def to_polars(frame: DataFrame) -> pl.DataFrame:
    result = pl.from_arrow(frame.toArrow())  # a pa.Table, so a DataFrame
    assert isinstance(result, pl.DataFrame)
    return result


class SliceReader(Protocol):
    def read(self, spark: SparkSession, part: TableSlice) -> DataFrame: ...


class SnapshotParquetReader:
    """Reads a Delta table's current Parquet files with Spark's own Parquet reader.

    delta-rs never writes deletion vectors, so the snapshot's files are exactly the
    table's rows; partition values come from the Hive-style folders (``basePath``). The
    engine filters the rows; this only leaves out files that can't hold any.
    """

    def __init__(self, warehouse: DeltaWarehouse) -> None:
        self.warehouse = warehouse

    def read(self, spark: SparkSession, part: TableSlice) -> DataFrame:
        schema = spark_schema(part.table.schema)
        files = self._files(part)
        if not files:
            return spark.createDataFrame([], schema)
        root = _spark_url(self.warehouse.url(part.table.path))
        frame = spark.read.schema(schema).option("basePath", root).parquet(*map(_spark_url, files))
        return frame.select(*part.table.schema)

    def _files(self, part: TableSlice) -> list[str]:
        """The snapshot's files that may hold the slice's rows: pruned by partition values
        and by the file statistics in the Delta log (delta-rs)."""
        table = self.warehouse.table(part.table.path, part.version)
        if table is None or (part.column is not None and not part.days):
            return []
        if part.column is None:
            return table.file_uris()
        days = [day.isoformat() for day in part.days]
        return table.file_uris(file_pruning_predicate=[(part.column, "in", days)])


class DeltaReader:
    """Reads Delta tables natively (Databricks, or any Spark with Delta Lake)."""

    def __init__(self, warehouse: DeltaWarehouse) -> None:
        self.warehouse = warehouse

    def read(self, spark: SparkSession, part: TableSlice) -> DataFrame:
        if self.warehouse.table(part.table.path) is None:
            return spark.createDataFrame([], spark_schema(part.table.schema))
        url = _spark_url(self.warehouse.url(part.table.path))
        reader = spark.read.format("delta")
        if part.version is not None:
            reader = reader.option("versionAsOf", part.version)
        return reader.load(url).select(*part.table.schema)


def _spark_url(url: str) -> str:
    """Spark's Hadoop file systems know S3 as ``s3a://`` (hadoop-aws), local paths as is."""
    return "s3a://" + url.removeprefix("s3://") if url.startswith("s3://") else url


class SparkEngine:
    """The rules on a Spark session; slices read by ``reader``."""

    name = "spark"

    def __init__(self, spark: SparkSession, reader: SliceReader) -> None:
        self.spark = spark
        self.reader = reader

    def read(self, part: TableSlice) -> DataFrame:
        frame = self.reader.read(self.spark, part)
        if part.column is None:
            return frame
        return frame.filter(F.col(part.column).isin(list(part.days)))

    def classify(
        self,
        rows: pl.DataFrame,
        known_vins: pl.DataFrame,
        kept: TableSlice,
        kept_in_run: pl.DataFrame,
    ) -> pl.DataFrame:
        kept_ids = (
            self.read(kept)
            .select("event_id")
            .unionByName(to_spark(self.spark, kept_in_run.select("event_id")))
        )
        frames: list[Any] = [
            to_spark(self.spark, rows),
            to_spark(self.spark, known_vins.select("vin")),
            kept_ids,
        ]
        classified = classify_frame(*(nw.from_native(frame) for frame in frames))
        return to_polars(classified.to_native())

    def aggregate(self, build: Aggregation, inputs: Sequence[TableSlice]) -> pl.DataFrame:
        frames = [nw.from_native(self.read(part)) for part in inputs]
        return to_polars(build(*frames).to_native())
