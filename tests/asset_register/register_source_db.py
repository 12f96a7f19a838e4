"""A source register in a test (the ``source_db`` fixture's value)."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from asset_register.source.reader import create_engine
from asset_register.source.rules import SOURCE_FIELDS


@dataclass
class SourceDb:
    """A source register in a test: a SQLite file or a fresh PostgreSQL schema."""

    kind: str
    url: str
    schema: str | None
    table: str = "asset_register"

    @property
    def table_setting(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def engine(self) -> sa.Engine:
        return create_engine(self.url)

    def _target(self) -> sa.TableClause:
        return sa.table(self.table, *(sa.column(f) for f in SOURCE_FIELDS), schema=self.schema)

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Replace the table's content with ``rows``."""
        engine = self.engine()
        try:
            with engine.begin() as connection:
                connection.execute(sa.delete(self._target()))
                if rows:
                    connection.execute(sa.insert(self._target()), rows)
        finally:
            engine.dispose()
