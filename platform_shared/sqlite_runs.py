"""Dagster's SQLite run storage with its connections pooled.

``SqliteRunStorage`` creates an engine and opens ``runs.db`` for every query, some 80 in
one ``fleet-platform process``; closing the last connection checkpoints the write-ahead
log and syncs it. Here one engine pools them: each ``connect()`` is still its own
connection and transaction, as in Dagster, and the database, its layout and its locking
are Dagster's own.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.runs import SqliteRunStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection

from platform_shared.sqlite_events import write_ahead


class PooledSqliteRunStorage(SqliteRunStorage):
    """``SqliteRunStorage`` on one pooled engine (WAL, ``synchronous=NORMAL``)."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None:
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

    def dispose(self) -> None:
        self._pool.dispose()
        super().dispose()
