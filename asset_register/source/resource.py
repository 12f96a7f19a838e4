"""The Dagster resource that reads the source register."""

from typing import Any

import dagster as dg

from asset_register.source.demo import ensure_demo_source
from asset_register.source.reader import create_engine, read_source_rows


class RegisterSourceResource(dg.ConfigurableResource):
    """The source register: SQLAlchemy URL, table (and schema) and the column mapping
    (contract column → site column; identifiers validated in settings, quoted by SQLAlchemy)."""

    url: str
    table: str
    db_schema: str | None = None
    columns: dict[str, str]
    seed_demo: bool = False

    def read_rows(self) -> list[dict[str, Any]]:
        """All rows, keyed by the contract's column names (seeds the local demo if asked)."""
        if self.seed_demo:
            ensure_demo_source(self.url, self.table)
        engine = create_engine(self.url)
        try:
            return read_source_rows(engine, self.table, self.columns, self.db_schema)
        finally:
            engine.dispose()
