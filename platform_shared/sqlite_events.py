"""Dagster's SQLite event log with each database's connection kept open between events.

Dagster's ``SqliteEventLogStorage`` opens and closes a connection for every event it
stores. Closing the last connection to a WAL database checkpoints it into the database
file and syncs it to disk: about 10 ms per event on this project's machines, and a run of
``process_landed_files`` stores some 200 events (a third of a 9,000-bus day's
``fleet-platform process`` on a busy disk, measured). Kept open, an event is one append
to the write-ahead log. The databases, their layout and their locking are Dagster's own:
other processes (webserver, daemon, run workers) read and write them as before. One
difference: the webserver streams a running run's logs when the run's database file
changes, which now happens when the command closes it (at its end, or after ``_KEPT``
newer databases), so a console command's runs show their logs once it is done.

Each connection also starts in WAL mode with ``synchronous=NORMAL`` (:func:`write_ahead`),
those that create a new home's databases included (:func:`writing_ahead`); a run's new
database is a copy of an empty one Dagster made once per storage, and which index tables
exist is remembered: what Dagster otherwise redoes for every run or event.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from sqlite3 import Connection as SqliteConnection
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool, StaticPool

# Databases kept open: the index and the few runs of a command (older ones are closed).
_KEPT = 4


def write_ahead(connection: SqliteConnection, _record: object) -> None:
    """WAL from the first statement, and no sync per commit.

    Dagster switches a new database to WAL only after creating its tables and indexes, each
    a commit with its own syncs in rollback-journal mode: some 60 fsyncs per run's database
    (the command creates three). In WAL mode ``synchronous=NORMAL`` syncs at checkpoints
    only, SQLite's advice for WAL: a crash can't corrupt the database, a power cut may lose
    its last commits.
    """
    if not isinstance(connection, SqliteConnection):  # :func:`writing_ahead` sees every pool's
        return
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


def remembered_yes(known: set[str], question: str, ask: Callable[[], bool]) -> bool:
    """``ask()``, a yes remembered in ``known``.

    For the questions Dagster's SQLite storages ask their databases about their own layout,
    a query each time, some 150 in a small ``process``: whether a table or a column exists,
    whether a data migration is done. Migrations only ever add those, so a yes holds.
    """
    if question in known:
        return True
    if not ask():
        return False
    known.add(question)
    return True


@contextmanager
def writing_ahead() -> Iterator[None]:
    """Every SQLite connection opened meanwhile starts with :func:`write_ahead`.

    For the connections Dagster opens itself while it builds an instance's storage: a new
    home's ``runs.db``, ``index.db`` and ``schedules.db`` are each some 20 tables and indexes,
    a commit apiece, about 260 fsyncs in rollback-journal mode against about 40 (0.06 s of a
    small ``process`` on a quiet disk, several times that on a busy one).
    """
    db.event.listen(Pool, "connect", write_ahead)
    try:
        yield
    finally:
        db.event.remove(Pool, "connect", write_ahead)


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose connections stay open (one per database, the
    ``_KEPT`` most recently used), used under the storage's own lock."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._layout: set[str] = set()  # what the index database is known to have
        self._empty_run_database: bytes | None = None
        new_index = not Path(base_dir, f"{INDEX_SHARD_NAME}.db").exists()
        super().__init__(base_dir, inst_data)
        if new_index:  # just created, stamped and indexed: no need to check its revision again
            self._initialized_dbs.add(INDEX_SHARD_NAME)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> "KeptOpenSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,  # one connection, never closed between events
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", write_ahead)
            if shard not in self._initialized_dbs:
                path = Path(self.path_for_shard(shard))
                if path.exists():
                    self._initdb(engine)
                else:  # a new run's database (the engine connects on first use)
                    path.write_bytes(self._empty_database())
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > _KEPT:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def _empty_database(self) -> bytes:
        """A new run's database as Dagster creates it (tables, indexes, Alembic stamp), made
        once per storage, in memory: creating it takes some 30 ms of CPU (and, in a file, a
        checkpoint's fsyncs), copying it well under one. Its first connection (:func:`write_ahead`)
        switches the copy to WAL, as Dagster's own initialisation does."""
        if self._empty_run_database is None:
            engine = db.create_engine("sqlite://", poolclass=StaticPool)  # one in-memory database
            self._initdb(engine)
            with engine.connect() as conn:
                self._empty_run_database = conn.connection.driver_connection.serialize()
            engine.dispose()
        return self._empty_run_database

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has ``table_name`` (asked at every asset check event,
        through a new connection), a yes remembered."""
        ask = partial(super().has_table, table_name)
        return remembered_yes(self._layout, f"table {table_name}", ask)

    def has_secondary_index(self, name: str) -> bool:
        """Whether data migration ``name`` is done, a yes remembered."""
        ask = partial(super().has_secondary_index, name)
        return remembered_yes(self._layout, f"migration {name}", ask)

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        """Whether ``asset_keys`` has ``column_name`` (asked at every asset event), a yes
        remembered."""
        ask = partial(super()._has_asset_key_col_on_connection, conn, column_name)
        return remembered_yes(self._layout, f"column asset_keys.{column_name}", ask)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()
