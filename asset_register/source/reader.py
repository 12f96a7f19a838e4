"""Read the source register with SQLAlchemy core (PostgreSQL or SQLite).

Table and column names come from settings, are validated as plain identifiers there and are
quoted by SQLAlchemy's dialect here; nothing is spliced into SQL text.
"""

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from asset_register.source.rules import SOURCE_FIELDS


def engine_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3 (the driver this project installs)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_engine(url: str) -> sa.Engine:
    """An engine for a source or central register URL (a SQLite file's folder is created)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(engine_url(url), pool_pre_ping=True)


def _as_text(value: Any) -> Any:
    """Timestamps become ISO text; other scalars keep their type (validation judges them)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def source_select(table: str, columns: Mapping[str, str], schema: str | None = None) -> sa.Select:
    """``SELECT <site column> AS <contract column>, ...`` over the mapped table."""
    source = sa.table(table, *(sa.column(columns[f]) for f in SOURCE_FIELDS), schema=schema)
    return sa.select(*(source.c[columns[f]].label(f) for f in SOURCE_FIELDS)).order_by(
        source.c[columns["asset_id"]]
    )


def read_source_rows(
    engine: sa.Engine, table: str, columns: Mapping[str, str], schema: str | None = None
) -> list[dict[str, Any]]:
    """Every row of the source register as a dict keyed by the contract's column names."""
    statement = source_select(table, columns, schema)
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=2000).execute(statement)
        return [{k: _as_text(v) for k, v in row._mapping.items()} for row in result]
