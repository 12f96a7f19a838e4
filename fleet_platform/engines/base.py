"""What every engine offers the assets: read table slices, classify rows, aggregate KPIs.

An :class:`Engine` is bound to one warehouse. It reads its inputs as
:class:`TableSlice` s (a table, optionally only the rows whose column is one of some
dates) in its own way, runs the shared narwhals rules on them, and returns a polars
frame: the assets write every table through :class:`platform_shared.delta.DeltaWarehouse`
whatever the engine, so the warehouse stays one set of Delta tables.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import narwhals as nw
import polars as pl

from fleet_platform.events.tables import Table

# A KPI function of fleet_platform.rules.kpis: narwhals frames in, one narwhals frame out.
Aggregation = Callable[..., nw.LazyFrame]


@dataclass(frozen=True)
class TableSlice:
    """The rows of ``table`` whose ``column`` is one of ``days`` (every row without a
    column), as of Delta ``version`` (the latest when None)."""

    table: Table
    column: str | None = None
    days: tuple[date, ...] = ()
    version: int | None = None

    @classmethod
    def of_days(
        cls, table: Table, column: str, days: Sequence[date], version: int | None = None
    ) -> "TableSlice":
        return cls(table, column, tuple(sorted(set(days))), version)


class Engine(Protocol):
    """The shared rules on one engine, against one warehouse."""

    name: str

    def classify(
        self,
        rows: pl.DataFrame,
        known_vins: pl.DataFrame,
        kept: TableSlice,
        kept_in_run: pl.DataFrame,
    ) -> pl.DataFrame:
        """Fate, reason and normalised values of parsed rows (``classify_frame``), given
        the known VINs and the ``event_id`` kept before: those of the slice of silver and
        those of ``kept_in_run`` (kept by this run and maybe not committed yet)."""
        ...

    def aggregate(self, build: Aggregation, inputs: Sequence[TableSlice]) -> pl.DataFrame:
        """A KPI table: ``build`` run on the inputs, collected."""
        ...
