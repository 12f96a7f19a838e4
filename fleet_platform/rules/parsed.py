"""Helpers every source parser shares to produce the ``PARSED_ROWS`` frame."""

import polars as pl

from fleet_platform.rules.decode import line_series
from fleet_platform.rules.schema import PARSED_ROWS


def numbered_lines(text: str, skip: int = 0) -> pl.DataFrame:
    """Non-blank lines after the first ``skip`` non-blank ones, numbered from 1.

    Blank lines are skipped and not counted (contracts/fleet.md).
    """
    lines = line_series(text)
    kept = lines.filter(lines.str.strip_chars() != "").slice(skip)
    return pl.DataFrame(
        {"row_number": pl.int_range(1, kept.len() + 1, eager=True, dtype=pl.Int64), "raw": kept}
    )


def finish(frame: pl.DataFrame) -> pl.DataFrame:
    """Select and type the ``PARSED_ROWS`` columns, in order."""
    return frame.select(pl.col(name).cast(dtype) for name, dtype in PARSED_ROWS.items())


def blank(text: object) -> bool:
    """A required value that is absent, null or only white space."""
    return text is None or (isinstance(text, str) and not text.strip())


def blank_expr(column: pl.Expr, stripped: bool = False) -> pl.Expr:
    """Vectorised :func:`blank` for a string column (``stripped``: its white space is
    stripped already, so it is not stripped again)."""
    text = column if stripped else column.str.strip_chars()
    return column.is_null() | (text == "")
