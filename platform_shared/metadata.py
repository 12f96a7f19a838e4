"""Metadata a user reads in the Dagster UI: previews, counts, locations."""

from collections.abc import Mapping

import dagster as dg
import polars as pl


def markdown_table(frame: pl.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """The first ``rows`` rows as a markdown table (long cells shortened)."""
    head = frame.head(rows)
    lines = [
        "| " + " | ".join(head.columns) + " |",
        "|" + "---|" * len(head.columns),
    ]
    for row in head.iter_rows():
        cells = ("" if value is None else str(value) for value in row)
        lines.append("| " + " | ".join(cell[:60].replace("|", "\\|") for cell in cells) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def counts_markdown(counts: Mapping[str, int], header: tuple[str, str]) -> dg.MetadataValue:
    """A two-column markdown table of counts, largest first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    frame = pl.DataFrame(ordered, schema=list(header), orient="row")
    return markdown_table(frame, rows=len(ordered))
