"""Dagster's SQLite run storage with its connections pooled.

``SqliteRunStorage`` creates an engine and opens ``runs.db`` for every query, some 80 in
one ``fleet-platform process``; closing the last connection checkpoints the write-ahead
log and syncs it. Here one engine pools them: each ``connect()`` is still its own
connection and transaction, as in Dagster, and the database, its layout and its locking
are Dagster's own.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import sqlalchemy as db
from dagster._core.storage.runs import SqliteRunStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection

from platform_shared.sqlite_events import remembered_yes, write_ahead


class PooledSqliteRunStorage(SqliteRunStorage):
    """``SqliteRunStorage`` on one pooled engine (WAL, ``synchronous=NORMAL``)."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._layout: set[str] = set()  # what runs.db is known to have
        super().__init__(conn_string, inst_data)
        # A pooled connection may serve another thread later (never two at once).
        self._pool = db.create_engine(conn_string, connect_args={"check_same_thread": False})
        db.event.listen(self._pool, "connect", write_ahead)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> "PooledSqliteRunStorage":
        return cls.from_local(inst_data=inst_data, **config_value)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._pool.connect() as conn, conn.begin():
            yield conn

    def has_built_index(self, migration_name: str) -> bool:
        """Whether data migration ``migration_name`` is done, a yes remembered."""
        ask = partial(super().has_built_index, migration_name)
        return remembered_yes(self._layout, f"migration {migration_name}", ask)

    def has_run_stats_index_cols(self) -> bool:
        """Whether ``runs`` has its start and end time columns (asked at every run event), a
        yes remembered."""
        return remembered_yes(self._layout, "run stats columns", super().has_run_stats_index_cols)

    def has_backfill_id_column(self) -> bool:
        """Whether ``runs`` has ``backfill_id`` (asked at every new run), a yes remembered."""
        return remembered_yes(self._layout, "backfill_id column", super().has_backfill_id_column)

    def dispose(self) -> None:
        self._pool.dispose()
        super().dispose()
