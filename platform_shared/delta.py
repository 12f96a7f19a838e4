"""Delta Lake tables below a warehouse root (polars + delta-rs), the one way both code
locations read and write their tables.

Writers retry a commit they lost to a concurrent writer (delta-rs commits with
conditional PUTs, so two writers can't both win, NOTES.md).
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeVar

import dagster as dg
import polars as pl
from deltalake import ColumnProperties, DeltaTable, WriterProperties
from deltalake.exceptions import CommitFailedError, SchemaMismatchError, TableNotFoundError

from platform_shared.delta_files import Codec, write_files
from platform_shared.storage import StorageRoot

T = TypeVar("T")
_COMMIT_ATTEMPTS = 5


def _writer(unindexed: Sequence[str], codec: Codec = Codec.ZSTD) -> WriterProperties:
    """delta-rs's writer properties: ``codec``, and no Parquet statistics for ``unindexed``
    columns (long or random text nobody filters on; statistics cost a comparison per value,
    measured 8 to 14 % of a write)."""
    bare = ColumnProperties(statistics_enabled="NONE")
    columns = dict.fromkeys(unindexed, bare) if unindexed else None
    return WriterProperties(**codec.delta_rs, column_properties=columns)


def sql_dates(column: str, days: Iterable[date]) -> str:
    """A delta-rs predicate ``column IN ('YYYY-MM-DD', …)`` built from date objects only."""
    values = sorted({day.isoformat() for day in days})
    if not values:
        return "false"
    if not column.isidentifier():
        raise ValueError(f"{column!r} is not a column name")
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class DeltaWarehouse:
    """The tables of one warehouse root, addressed as ``<layer>/<name>``."""

    def __init__(self, root: StorageRoot) -> None:
        self.root = root

    def url(self, table: str) -> str:
        return self.root.join(table)

    def _options(self) -> dict[str, str] | None:
        return self.root.storage_options()

    def table(self, table: str, version: int | None = None) -> DeltaTable | None:
        """The table as of ``version`` (its latest when None); None before its first commit."""
        try:
            return DeltaTable(self.url(table), version=version, storage_options=self._options())
        except TableNotFoundError:
            return None

    def version(self, table: str) -> int | None:
        """The table's current version; None before its first commit."""
        existing = self.table(table)
        return None if existing is None else existing.version()

    def scan(
        self, table: str, schema: Mapping[str, pl.DataType], version: int | None = None
    ) -> pl.LazyFrame:
        """The table (as of ``version``, else its latest) as a LazyFrame; an empty frame
        of ``schema`` if it doesn't exist yet."""
        existing = self.table(table, version)
        if existing is None:
            return pl.LazyFrame(schema=dict(schema))
        return pl.scan_delta(existing)  # the table opened once (its log read once)

    def _retry(self, commit: Callable[[], T]) -> T:
        for attempt in range(_COMMIT_ATTEMPTS):
            try:
                return commit()
            except CommitFailedError:
                if attempt == _COMMIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def _write(
        self,
        table: str,
        frame: pl.DataFrame,
        mode: str,
        options: dict,
        unindexed: Sequence[str] = (),
        codec: Codec = Codec.ZSTD,
    ) -> None:
        writer = _writer(unindexed, codec)
        self._retry(
            lambda: frame.write_delta(
                self.url(table),
                mode=mode,
                storage_options=self._options(),
                delta_write_options={"writer_properties": writer, **options},
            )
        )

    def append(
        self,
        table: str,
        frame: pl.DataFrame,
        partition_by: list[str] | None = None,
        unindexed: Sequence[str] = (),
        codec: Codec = Codec.ZSTD,
    ) -> None:
        """Append rows (creating the table, even from an empty frame, on first write);
        ``unindexed`` columns get no Delta statistics, the files are compressed with
        ``codec``. polars writes the files of an existing table and delta-rs commits them
        (``platform_shared.delta_files``); the rows must have the table's columns, and are
        cast to its types."""
        existing = self.table(table)
        if existing is None:
            options = {"partition_by": partition_by} if partition_by else {}
            self._write(table, frame, "append", options, unindexed, codec)
            return
        if frame.is_empty():
            return
        rows = _as_table(frame, existing, table)
        actions = write_files(
            self.url(table), self._options(), rows, partition_by or [], unindexed, codec
        )

        first = iter([existing])

        def commit() -> None:
            # the table as opened for this append; after a lost commit, its newest version
            latest = next(first, None) or self.table(table) or existing
            latest.create_write_transaction(
                actions, mode="append", schema=latest.schema(), partition_by=partition_by
            )

        self._retry(commit)

    def replace_where(
        self,
        table: str,
        frame: pl.DataFrame,
        predicate: str,
        partition_by: list[str] | None = None,
    ) -> None:
        """Replace the rows matching ``predicate`` by ``frame`` in one commit."""
        if self.table(table) is None:
            self.append(table, frame, partition_by)
            return
        options: dict[str, object] = {"predicate": predicate}
        if partition_by:
            options["partition_by"] = partition_by
        self._write(table, frame, "overwrite", options)

    def delete_where(self, table: str, predicate: str, codec: Codec = Codec.ZSTD) -> int:
        """Delete matching rows (the files rewritten with ``codec``); returns how many were
        deleted."""
        existing = self.table(table)
        if existing is None:
            return 0
        writer = _writer((), codec)
        metrics = self._retry(lambda: existing.delete(predicate, writer_properties=writer))
        return int(metrics.get("num_deleted_rows", 0))

    def delete_matching(
        self, table: str, keys: pl.DataFrame, on: list[str], codec: Codec = Codec.ZSTD
    ) -> int:
        """Delete the rows whose ``on`` columns equal a row of ``keys`` (a merge: no values
        are spliced into SQL; the files rewritten with ``codec``)."""
        if keys.is_empty() or self.table(table) is None:
            return 0
        predicate = _merge_predicate(on)
        source = keys.select(on).unique()
        options = _merge_options(predicate, codec)
        metrics = self._retry(
            lambda: (
                source.write_delta(
                    self.url(table),
                    mode="merge",
                    storage_options=self._options(),
                    delta_merge_options=options,
                )
                .when_matched_delete()
                .execute()
            )
        )
        return int(metrics.get("num_target_rows_deleted", 0))

    def update_matching(
        self, table: str, values: pl.DataFrame, on: list[str], codec: Codec = Codec.ZSTD
    ) -> int:
        """Set the other columns of ``values`` on the rows whose ``on`` columns match a row
        of ``values`` (a merge; the files rewritten with ``codec``); returns how many rows
        were updated."""
        if values.is_empty() or self.table(table) is None:
            return 0
        options = _merge_options(_merge_predicate(on), codec)
        updates = {column: f"s.{column}" for column in values.columns if column not in on}
        metrics = self._retry(
            lambda: (
                values.write_delta(
                    self.url(table),
                    mode="merge",
                    storage_options=self._options(),
                    delta_merge_options=options,
                )
                .when_matched_update(updates)
                .execute()
            )
        )
        return int(metrics.get("num_target_rows_updated", 0))


def _as_table(frame: pl.DataFrame, existing: DeltaTable, table: str) -> pl.DataFrame:
    """``frame``'s columns in the table's order and types; a missing or extra column, or a
    value that doesn't cast, is refused (as delta-rs's own append refuses it)."""
    schema = pl.scan_delta(existing).collect_schema()
    missing, extra = set(schema) - set(frame.columns), set(frame.columns) - set(schema)
    if missing or extra:
        raise SchemaMismatchError(
            f"{table}: rows lack {sorted(missing) or 'nothing'} and have extra "
            f"{sorted(extra) or 'nothing'}"
        )
    try:
        return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
    except pl.exceptions.InvalidOperationError as error:
        raise SchemaMismatchError(f"{table}: {error}") from error


def _merge_predicate(on: list[str]) -> str:
    return " AND ".join(f"t.{column} = s.{column}" for column in on)


def _merge_options(predicate: str, codec: Codec) -> dict[str, object]:
    """``delta_merge_options`` of a merge of source ``s`` into target ``t``."""
    return {
        "predicate": predicate,
        "source_alias": "s",
        "target_alias": "t",
        "writer_properties": _writer((), codec),
    }


class WarehouseResource(dg.ConfigurableResource):
    """A warehouse root (local folder or ``s3://bucket/prefix``) holding Delta tables."""

    url: str

    def tables(self) -> DeltaWarehouse:
        return DeltaWarehouse(StorageRoot.from_url(self.url))
