"""The register warehouse: Delta tables under ``REGISTER_WAREHOUSE_URL`` (folder or S3).

Every table is partitioned by ``snapshot_date``. Daily tables are written with
replace-the-day (overwrite with a predicate on the day), so re-running a day replaces it and
the Delta history keeps what it replaced; receipts are appended (every push attempt stays).
"""

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
import polars as pl
from deltalake import DeltaTable

from asset_register.source.rules import ASSET_FIELDS
from platform_shared.storage import StorageRoot

_ASSET_COLUMNS: dict[str, Any] = {name: pl.String for name in ASSET_FIELDS}
_ASSET_COLUMNS["content_hash"] = pl.String

TABLE_SCHEMAS: dict[str, dict[str, Any]] = {
    "snapshots": {"snapshot_date": pl.Date, **_ASSET_COLUMNS, "updated_at": pl.String},
    "invalid_records": {
        "snapshot_date": pl.Date,
        "source_id": pl.String,
        "reasons": pl.List(pl.String),
        "messages": pl.String,
        "record": pl.String,
    },
    "changes": {
        "snapshot_date": pl.Date,
        "source_id": pl.String,
        "change": pl.String,
        "before": pl.String,
        "after": pl.String,
        "detail": pl.String,
    },
    "central_states": {"snapshot_date": pl.Date, **_ASSET_COLUMNS},
    "push_plans": {
        "snapshot_date": pl.Date,
        "action": pl.String,
        "source_id": pl.String,
        "reason": pl.String,
        "record": pl.String,
        "replaces_hash": pl.String,
    },
    "push_receipts": {
        "snapshot_date": pl.Date,
        "run_id": pl.String,
        "batch": pl.Int64,
        "operation": pl.String,
        "idempotency_key": pl.String,
        "items": pl.Int64,
        "outcome": pl.String,
        "upserted": pl.Int64,
        "unchanged": pl.Int64,
        "retired": pl.Int64,
        "rejected": pl.String,
        "message": pl.String,
        "pushed_at": pl.Datetime("us", "UTC"),
    },
}


def to_json(value: Any) -> str:
    """Stable JSON text for a record or tags (sorted keys, non-ASCII as itself)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def assets_frame(records: Iterable[Mapping[str, Any]], day: dt.date, table: str) -> pl.DataFrame:
    """Records (``tags`` as dicts) as rows of an asset-shaped table for one day."""
    schema = TABLE_SCHEMAS[table]
    rows = [
        {
            **{name: record.get(name) for name in schema if name != "snapshot_date"},
            "tags": to_json(record.get("tags") or {}),
            "snapshot_date": day,
        }
        for record in records
    ]
    return pl.DataFrame(rows, schema=schema)


def frame_assets(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Inverse of :func:`assets_frame`: records with ``tags`` as dicts."""
    keep = [*ASSET_FIELDS, "content_hash"]
    return [{**row, "tags": json.loads(row["tags"])} for row in frame.select(keep).to_dicts()]


class RegisterWarehouse:
    """The register's Delta tables below one root and deployment prefix."""

    def __init__(self, url: str, prefix: str) -> None:
        self.root = StorageRoot.from_url(url)
        self.prefix = prefix

    def uri(self, table: str) -> str:
        return self.root.join(self.prefix, table)

    def _exists(self, table: str) -> bool:
        return DeltaTable.is_deltatable(self.uri(table), self.root.storage_options())

    def _frame(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(list(TABLE_SCHEMAS[table])).cast(TABLE_SCHEMAS[table])

    def replace_day(self, table: str, frame: pl.DataFrame, day: dt.date) -> str:
        """Replace ``table``'s rows of ``day`` with ``frame`` (the previous version stays in
        the Delta history); returns the table's URI."""
        self._frame(table, frame).write_delta(
            self.uri(table),
            mode="overwrite",
            storage_options=self.root.storage_options(),
            delta_write_options={
                "predicate": f"snapshot_date = '{day.isoformat()}'",
                "partition_by": ["snapshot_date"],
            },
        )
        return self.uri(table)

    def append(self, table: str, frame: pl.DataFrame) -> str:
        self._frame(table, frame).write_delta(
            self.uri(table),
            mode="append",
            storage_options=self.root.storage_options(),
            delta_write_options={"partition_by": ["snapshot_date"]},
        )
        return self.uri(table)

    def scan(self, table: str) -> pl.LazyFrame:
        """The whole table, or an empty frame of its schema when it doesn't exist yet."""
        if not self._exists(table):
            return pl.LazyFrame(schema=TABLE_SCHEMAS[table])
        return pl.scan_delta(self.uri(table), storage_options=self.root.storage_options())

    def read_day(self, table: str, day: dt.date) -> pl.DataFrame:
        return self.scan(table).filter(pl.col("snapshot_date") == day).collect()

    def previous_day(self, table: str, day: dt.date) -> dt.date | None:
        """The latest day before ``day`` that ``table`` holds."""
        latest = (
            self.scan(table)
            .filter(pl.col("snapshot_date") < day)
            .select(pl.col("snapshot_date").max())
            .collect()
            .item()
        )
        return latest

    def version(self, table: str) -> int | None:
        """Current Delta version of ``table`` (``None`` when missing)."""
        if not self._exists(table):
            return None
        return DeltaTable(self.uri(table), storage_options=self.root.storage_options()).version()


class RegisterWarehouseResource(dg.ConfigurableResource):
    """Root URL of the register warehouse and this deployment's prefix below it."""

    url: str
    prefix: str

    def open(self) -> RegisterWarehouse:
        return RegisterWarehouse(self.url, self.prefix)
