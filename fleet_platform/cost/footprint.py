"""Storage footprint and cost as pure functions: list a root, group its objects by layer and
storage class, price a day of storage, and put it together with compute usage and events.

No Dagster here; ``assets.py`` fetches the inputs and writes the tables.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from fleet_platform.cost.prices import BYTES_PER_GB, LOCAL_CLASS, MONTHS_PER_DAY, CostSettings
from platform_shared.storage import StorageRoot

LANDING, WAREHOUSE = "landing", "warehouse"
ROOT_LEVEL = "(root)"

STORAGE_FOOTPRINT_DAILY: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "root": pl.String(),
    "layer": pl.String(),
    "folder": pl.String(),
    "storage_class": pl.String(),
    "objects": pl.Int64(),
    "bytes": pl.Int64(),
}
PLATFORM_COST_DAILY: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "category": pl.String(),
    "item": pl.String(),
    "quantity": pl.Float64(),
    "unit": pl.String(),
    "unit_price_eur": pl.Float64(),
    "cost_eur": pl.Float64(),
}


@dataclass(frozen=True)
class StoredObject:
    """One object below a root: key relative to the root, size, storage class, last write."""

    key: str
    size: int
    storage_class: str
    last_modified: datetime


def list_stored(
    root: StorageRoot, s3_client: Callable[[], Any] | None = None
) -> Iterator[StoredObject]:
    """Every object below ``root``: a folder's files (class ``LOCAL``), or the S3 listing
    with each object's ``StorageClass`` (``STANDARD`` when S3 leaves it out)."""
    if not root.is_s3:
        base = Path(root.path)
        for directory, _, files in os.walk(base):
            for name in files:
                path = Path(directory, name)
                stat = path.stat()
                yield StoredObject(
                    key=path.relative_to(base).as_posix(),
                    size=stat.st_size,
                    storage_class=LOCAL_CLASS,
                    last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                )
        return
    if s3_client is None:
        raise ValueError(f"{root.url}: listing an S3 root needs an S3 client")
    prefix = f"{root.prefix}/" if root.prefix else ""
    paginator = s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=root.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield StoredObject(
                key=item["Key"].removeprefix(prefix),
                size=int(item["Size"]),
                storage_class=item.get("StorageClass") or "STANDARD",
                last_modified=item["LastModified"],
            )


def place(root_name: str, key: str) -> tuple[str, str]:
    """(layer, folder) of a key: the landing's layer is ``landing`` and its folder the
    source (first folder); the warehouse's layer is the first folder (``bronze``, ``gold`` …)
    and its folder the table. Objects directly below a root are in ``(root)``."""
    parts = key.split("/")
    if root_name == LANDING:
        return LANDING, parts[0] if len(parts) > 1 else ROOT_LEVEL
    if len(parts) == 1:
        return ROOT_LEVEL, ROOT_LEVEL
    return parts[0], parts[1] if len(parts) > 2 else ROOT_LEVEL


def end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), UTC)


def footprint(day: date, roots: dict[str, Iterable[StoredObject]]) -> pl.DataFrame:
    """Objects and bytes per root, layer, folder and storage class, of the objects written
    before the end of ``day`` (UTC) that exist when this runs."""
    cutoff = end_of(day)
    rows = [
        (root_name, *place(root_name, item.key), item.storage_class, item.size)
        for root_name, objects in roots.items()
        for item in objects
        if item.last_modified < cutoff
    ]
    frame = pl.DataFrame(
        rows,
        schema={"root": pl.String, "layer": pl.String, "folder": pl.String,
                "storage_class": pl.String, "size": pl.Int64},
        orient="row",
    )  # fmt: skip
    grouped = frame.group_by("root", "layer", "folder", "storage_class").agg(
        objects=pl.len().cast(pl.Int64), bytes=pl.col("size").sum().cast(pl.Int64)
    )
    return (
        grouped.with_columns(date=pl.lit(day, pl.Date))
        .select(list(STORAGE_FOOTPRINT_DAILY))
        .sort("root", "layer", "folder", "storage_class")
    )


def storage_cost(footprint_rows: pl.DataFrame, settings: CostSettings) -> pl.DataFrame:
    """One line per root and storage class: GB-months used by the day, times the price."""
    day_rows = footprint_rows.group_by("date", "root", "storage_class").agg(pl.col("bytes").sum())
    lines = [
        {
            "date": row["date"],
            "category": "storage",
            "item": f"{row['root']} {row['storage_class']}",
            "quantity": row["bytes"] / BYTES_PER_GB * MONTHS_PER_DAY,
            "unit": "GB-month",
            "unit_price_eur": settings.storage_price(row["storage_class"]),
        }
        for row in day_rows.iter_rows(named=True)
    ]
    frame = pl.DataFrame(
        lines, schema={k: v for k, v in PLATFORM_COST_DAILY.items() if k != "cost_eur"}
    )
    return frame.with_columns(cost_eur=pl.col("quantity") * pl.col("unit_price_eur"))


def compute_cost(usage_rows: pl.DataFrame) -> pl.DataFrame:
    """One line per compute profile, from ``gold/processing_usage_daily`` (already priced
    by FLEET_COMPUTE_PRICES): run minutes and their cost."""
    return usage_rows.select(
        "date",
        category=pl.lit("compute"),
        item=pl.col("compute_profile"),
        quantity=pl.col("minutes").cast(pl.Float64),
        unit=pl.lit("run-minute"),
        unit_price_eur=pl.when(pl.col("minutes") > 0).then(pl.col("cost_eur") / pl.col("minutes")),
        cost_eur=pl.col("cost_eur").cast(pl.Float64),
    )


def platform_cost(
    footprint_rows: pl.DataFrame, usage_rows: pl.DataFrame, settings: CostSettings
) -> pl.DataFrame:
    """The day's cost lines: storage by root and class, compute by profile."""
    lines = pl.concat(
        [storage_cost(footprint_rows, settings), compute_cost(usage_rows)], how="vertical_relaxed"
    )
    return lines.select(
        pl.col(name).cast(dtype) for name, dtype in PLATFORM_COST_DAILY.items()
    ).sort("category", "item")


def per_million(cost_eur: float, events: int) -> float | None:
    """EUR per million events; None when there were no events."""
    return cost_eur / events * 1_000_000 if events else None
