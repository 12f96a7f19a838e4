"""Helpers the fleet tests share, as fixtures."""

from collections.abc import Callable

import pyarrow.parquet as pq
import pytest

from fleet_platform.events.tables import Table
from platform_shared.delta import DeltaWarehouse

Codecs = Callable[[DeltaWarehouse, Table], set[str]]


def _codecs(warehouse: DeltaWarehouse, which: Table) -> set[str]:
    """The compression of every column chunk of the table's current Parquet files (pyarrow
    names Parquet's LZ4_RAW "LZ4")."""
    table = warehouse.table(which.path)
    assert table is not None
    return {
        metadata.row_group(group).column(column).compression
        for uri in table.file_uris()
        for metadata in [pq.ParquetFile(uri.removeprefix("file://")).metadata]
        for group in range(metadata.num_row_groups)
        for column in range(metadata.num_columns)
    }


@pytest.fixture
def codecs() -> Codecs:
    """How a table's current files are compressed (:func:`_codecs`)."""
    return _codecs
