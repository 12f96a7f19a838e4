"""What every gateway format provides, and the row faults they share.

A gateway turns a frame of events (:data:`~fleet_platform.simulate.events.EVENT_SCHEMA`)
into rows, vectorised (a text line for pcm and intellibus, a status's JSON text for
rfms), and rows into one file's text. Each format also breaks a clean row in the ways
the contract names, one fault per row: :attr:`Gateway.row_faults` maps a variant name
to the :class:`~fleet_platform.rules.reasons.RowRejection` a correct pipeline reports.
"""

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import polars as pl

from fleet_platform.rules.reasons import RowRejection, Source
from fleet_platform.simulate.events import TypeScheme

BLANK = ""
"""A blank line in a line format: skipped and not counted by the contract."""

INVALID_VIN_VARIANTS = (
    "vin_letter_i",
    "vin_letter_o",
    "vin_letter_q",
    "vin_16_chars",
    "vin_18_chars",
)


def invalid_vin(vin: str, variant: str, rng: random.Random) -> str:
    """``vin`` broken so that after trim + upper-case it fails ``^[A-HJ-NPR-Z0-9]{17}$``."""
    position = rng.randrange(3, 17)
    if variant.startswith("vin_letter_"):
        return vin[:position] + variant[-1].upper() + vin[position + 1 :]
    if variant == "vin_16_chars":
        return vin[:-1]
    if variant == "vin_18_chars":
        return vin + str(rng.randrange(10))
    raise ValueError(f"unknown invalid-VIN variant {variant!r}")


def dirty_vin(vin: str, rng: random.Random) -> str:
    """A VIN as a sloppy gateway sends it: lower case and padded; still valid after
    trim + upper-case."""
    return " " * rng.randint(0, 2) + vin.lower() + " " * rng.randint(1, 2)


def decimal_text(column: pl.Expr, digits: int) -> pl.Expr:
    """A float column as the shortest text of its value rounded to ``digits`` (null
    stays null): ``12.0``, ``44.35``."""
    return column.round(digits).cast(pl.String)


def utc_time(t_ms: pl.Expr) -> pl.Expr:
    """Epoch milliseconds as a UTC datetime."""
    return pl.from_epoch(t_ms, time_unit="ms").dt.replace_time_zone("UTC")


class Gateway(ABC):
    """One gateway shard's format; its style is fixed per (seed, shard)."""

    source: ClassVar[Source]
    extension: ClassVar[str]
    """Uncompressed file extension; ``.gz`` is appended for compressed files."""
    gzip_share: ClassVar[float]
    """Share of this gateway's files that are gzip-compressed."""
    scheme: ClassVar[TypeScheme]
    line_based: ClassVar[bool]
    """Line formats can carry blank lines."""
    row_faults: ClassVar[dict[str, RowRejection]]

    def __init__(self, shard: int, seed: int) -> None:
        self.shard = shard
        self.name = f"{self.source.value}-gw{shard:02d}"
        self.style_rng = random.Random(f"style:{seed}:{self.source}:{shard}")

    @abstractmethod
    def rows(self, events: pl.DataFrame) -> list[str]:
        """The rows a healthy gateway writes for ``events``, in order."""

    def dirty_row(self, row: str, vin: str, rng: random.Random) -> str:
        """``row`` with a lower-case, padded VIN: sloppy but must be kept as clean."""
        return row.replace(vin, dirty_vin(vin, rng), 1)

    @abstractmethod
    def faulty_row(
        self, row: str, event: dict[str, Any], variant: str, rng: random.Random, landing_day: date
    ) -> str:
        """Clean ``row`` (of ``event``, a row of the events frame) with exactly one
        fault, ``variant`` of :attr:`row_faults`, in a file of ``landing_day``."""

    @abstractmethod
    def render(self, rows: Sequence[str], received_at_s: int) -> str:
        """The text of one file holding ``rows`` in order."""

    def fault_available(self, variant: str, landing_day: date) -> bool:
        """Whether ``variant`` can be made on ``landing_day`` (all can, by default)."""
        return True
