"""The default engine: the shared rules on polars LazyFrames, in the run's own process."""

from collections.abc import Sequence

import narwhals as nw
import polars as pl

from fleet_platform.engines.base import Aggregation, TableSlice
from fleet_platform.rules.clean import classify
from platform_shared.delta import DeltaWarehouse


class PolarsEngine:
    """Reads slices with ``scan_delta`` (partition pruning from the filter) and runs the
    rules lazily; rows keep their processing order."""

    name = "polars"

    def __init__(self, warehouse: DeltaWarehouse) -> None:
        self.warehouse = warehouse

    def scan(self, part: TableSlice) -> pl.LazyFrame:
        frame = self.warehouse.scan(part.table.path, part.table.schema, part.version)
        if part.column is None:
            return frame
        return frame.filter(pl.col(part.column).is_in(part.days))

    def classify(
        self,
        rows: pl.DataFrame,
        known_vins: pl.DataFrame,
        kept: TableSlice,
        kept_in_run: pl.DataFrame,
    ) -> pl.DataFrame:
        kept_ids = pl.concat([self.scan(kept).select("event_id"), kept_in_run.lazy()])
        # The rows are in memory already: the in-memory engine classifies them with about
        # a third less CPU than the streaming one (measured), in the same memory.
        return classify(rows, known_vins.lazy(), kept_ids).collect(engine="in-memory")

    def aggregate(self, build: Aggregation, inputs: Sequence[TableSlice]) -> pl.DataFrame:
        frames = [nw.from_native(self.scan(part)) for part in inputs]
        return build(*frames).to_native().collect()
