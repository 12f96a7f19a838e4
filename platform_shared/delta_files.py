"""Appends whose Parquet files polars writes and delta-rs commits.

delta-rs's own writer spends more CPU than polars' Parquet writer on the same rows (a
silver chunk: about a fifth more; bronze, mostly raw text: the same; bench/README.md), and
appends are most of what the ingest writes. So an append to an existing table writes one
file per partition with polars and commits the files as add actions, each with Delta
statistics as delta-rs writes them: ``numRecords`` and, for every column but the
``unindexed`` ones, its minimum, maximum and null count. Timestamps are truncated to
milliseconds, as delta-rs does and its readers expect; a text bound longer than
``_TEXT_BOUND`` characters is cut (a minimum) or left out (a maximum). The Parquet files
themselves carry polars' statistics for every column. A file written before a commit that
fails is never referenced; Delta's vacuum removes it.

A local table's files are written by polars straight to their place (through a buffer
they cost about 0.3 CPU s more a day, bench/README.md: the copies and their page
faults). On an object store a file is written to a buffer and uploaded whole through
delta-rs's own object store (``DeltaFileSystemHandler``, from its internal module: the
public pyarrow wrapper around it hands it buffers it refuses), so it goes where the
table is, with the table's storage options.
"""

import io
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
from deltalake._internal import DeltaFileSystemHandler
from deltalake.transaction import AddAction


class Codec(StrEnum):
    """How a table's Parquet files are compressed, by polars and by delta-rs alike."""

    # ZSTD level 1: slightly faster than delta-rs's default and half the bytes for raw text
    # (bronze), which is what S3 bills (measured).
    ZSTD = "zstd"
    # LZ4 (Parquet's LZ4_RAW): for a table written and read in bulk every run (silver):
    # about a fifth less CPU to write and a third less to read, for about 45 % more bytes
    # (bench/README.md).
    LZ4 = "lz4"

    @property
    def polars(self) -> dict[str, Any]:
        """``write_parquet`` options."""
        return _CODEC_OPTIONS[self][0]

    @property
    def delta_rs(self) -> dict[str, Any]:
        """``WriterProperties`` options."""
        return _CODEC_OPTIONS[self][1]


# (polars, delta-rs) options of each codec; polars' "lz4" is Parquet's LZ4_RAW too
_CODEC_OPTIONS: dict[Codec, tuple[dict[str, Any], dict[str, Any]]] = {
    Codec.ZSTD: (
        {"compression": "zstd", "compression_level": 1},
        {"compression": "ZSTD", "compression_level": 1},
    ),
    Codec.LZ4: ({"compression": "lz4"}, {"compression": "LZ4_RAW"}),
}

_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_NO_BOUNDS = (pl.List, pl.Array, pl.Struct, pl.Binary, pl.Null, pl.Categorical, pl.Enum)
_TEXT_BOUND = 64  # characters, as delta-rs keeps of a text minimum


def write_files(
    table_url: str,
    storage_options: dict[str, str] | None,
    frame: pl.DataFrame,
    partition_by: Sequence[str],
    unindexed: Sequence[str],
    codec: Codec = Codec.ZSTD,
) -> list[AddAction]:
    """Write ``frame`` as one Parquet file per partition below the table's root; returns
    the add actions that commit them."""
    options = {**codec.polars, "statistics": True}
    on_store = "://" in table_url  # a local table's URL is its folder's path
    write = (
        _store_writer(DeltaFileSystemHandler(table_url, storage_options), options)
        if on_store
        else _local_writer(table_url, options)
    )
    if not partition_by:
        return [_write_file(write, {}, frame, unindexed, codec)]
    parts = frame.partition_by(
        list(partition_by), as_dict=True, include_key=False, maintain_order=True
    )
    return [
        _write_file(write, dict(zip(partition_by, key, strict=True)), part, unindexed, codec)
        for key, part in parts.items()
    ]


# Writes rows as a Parquet file at a path below the table's root; returns its size in bytes.
_FileWriter = Callable[[str, pl.DataFrame], int]


def _local_writer(table_root: str, options: Mapping[str, Any]) -> _FileWriter:
    def write(path: str, rows: pl.DataFrame) -> int:
        target = Path(table_root, path)
        rows.write_parquet(target, mkdir=True, **options)
        return target.stat().st_size

    return write


def _store_writer(storage: DeltaFileSystemHandler, options: Mapping[str, Any]) -> _FileWriter:
    def write(path: str, rows: pl.DataFrame) -> int:
        buffer = io.BytesIO()
        rows.write_parquet(buffer, **options)
        data = buffer.getvalue()
        # closed only once written whole: on an object store, closing completes the upload
        out = storage.open_output_stream(path)
        out.write(data)
        out.close()
        return len(data)

    return write


def _write_file(
    write: _FileWriter,
    partition: Mapping[str, object],
    rows: pl.DataFrame,
    unindexed: Sequence[str],
    codec: Codec,
) -> AddAction:
    values = {column: _partition_text(value) for column, value in partition.items()}
    folders = [
        f"{column}={quote(text or _NULL_PARTITION, safe='')}" for column, text in values.items()
    ]
    path = "/".join([*folders, f"part-00000-{uuid.uuid4()}-c000.{codec}.parquet"])
    return AddAction(
        path=path,
        size=write(path, rows),
        partition_values=values,
        modification_time=int(time.time() * 1000),
        data_change=True,
        stats=file_stats(rows, unindexed),
    )


def _partition_text(value: object) -> str | None:
    """A partition value as Delta writes it in ``partitionValues``."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value
    raise TypeError(f"partition values are dates or non-empty text here, not {value!r}")


def file_stats(rows: pl.DataFrame, unindexed: Sequence[str] = ()) -> str:
    """A file's Delta statistics (the ``stats`` JSON of its add action)."""
    indexed = [name for name in rows.columns if name not in unindexed]
    bounded = [name for name in indexed if not isinstance(rows.schema[name], _NO_BOUNDS)]
    found = rows.select(
        *(pl.col(name).min().alias(f"min {name}") for name in bounded),
        *(pl.col(name).max().alias(f"max {name}") for name in bounded),
        *(pl.col(name).null_count().alias(f"nulls {name}") for name in indexed),
    ).row(0, named=True)
    stats: dict[str, Any] = {"numRecords": rows.height, "minValues": {}, "maxValues": {}}
    for name in bounded:
        for side, key in (("min", "minValues"), ("max", "maxValues")):
            value = _json_value(found[f"{side} {name}"], upper=side == "max")
            if value is not None:
                stats[key][name] = value
    stats["nullCount"] = {name: found[f"nulls {name}"] for name in indexed}
    return json.dumps(stats, separators=(",", ":"))


def _json_value(value: object, upper: bool) -> object:
    """A bound (``upper``: a maximum) as Delta statistics hold it; None for no bound (all
    null, NaN, a maximum text too long to keep whole)."""
    if isinstance(value, datetime):
        millis = value.microsecond // 1000
        zone = "Z" if value.tzinfo else ""
        utc = value.astimezone(UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{millis:03d}" if millis else "") + zone
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str) and len(value) > _TEXT_BOUND:
        return None if upper else value[:_TEXT_BOUND]  # a prefix is below the value
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    raise TypeError(f"no Delta statistics for a {type(value).__name__} column")
