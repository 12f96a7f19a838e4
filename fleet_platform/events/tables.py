"""Where each fleet table lives below the warehouse root, and its schema."""

from dataclasses import dataclass

import polars as pl

from fleet_platform.rules import kpi_schema, schema
from fleet_platform.rules.reference import VEHICLES
from platform_shared.delta_files import Codec


@dataclass(frozen=True)
class Table:
    """A Delta table: ``path`` below the warehouse root, its schema and partition columns."""

    path: str
    schema: dict[str, pl.DataType]
    partition_by: tuple[str, ...] = ()
    unindexed: tuple[str, ...] = ()  # written without Parquet statistics: nobody filters on them
    codec: Codec = Codec.ZSTD  # how its appended files are compressed

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The table's columns, in order, with their types."""
        return frame.select(pl.col(name).cast(dtype) for name, dtype in self.schema.items())


REFERENCE = Table("reference/vehicles", VEHICLES)
LEDGER = Table("ledger/landed_files", schema.LANDED_FILES, ("partition_date",))
BRONZE = Table("bronze/raw_bus_events", schema.RAW_BUS_EVENTS, ("ingest_date",), ("raw",))
# silver: written and read whole every run, so LZ4 (platform_shared.delta_files.Codec)
SILVER = Table("silver/bus_events", schema.BUS_EVENTS, ("event_date",), ("event_id",), Codec.LZ4)
VIN_DAYS = Table("silver/vin_days", kpi_schema.VIN_DAYS, ("ingest_date",))

# Tables that store each event's or VIN's vin_known: updated when the reference changes.
VIN_KNOWN_TABLES = (SILVER, VIN_DAYS)
