"""Harness of the check tests: hand-made rows written as Delta tables into a temp warehouse,
and a run that materializes a stand-in for the checked asset plus its checks (the checks run
after their asset in the same run, as in the real jobs)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from fleet_platform.events.tables import Table
from fleet_platform.partitions import ingest_days
from platform_shared.delta import DeltaWarehouse, WarehouseResource
from platform_shared.storage import StorageRoot

DAY = date(2026, 11, 20)


def stand_in(key: dg.AssetKey, partitioned: bool = True) -> dg.AssetsDefinition:
    """An asset with ``key`` that writes nothing: the test has written its table."""

    @dg.asset(key=key, partitions_def=ingest_days if partitioned else None)
    def _stand_in() -> dg.MaterializeResult:
        return dg.MaterializeResult()

    return _stand_in


class Warehouse:
    """A temp warehouse: write hand-made rows of a table, run checks against it."""

    def __init__(self, root: Path) -> None:
        self.url = str(root)
        self.tables = DeltaWarehouse(StorageRoot.from_url(self.url))

    def write(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Replace the table by ``rows`` (missing columns null, types from the schema)."""
        frame = pl.from_dicts(list(rows), schema=table.schema) if rows else None
        frame = frame if frame is not None else pl.DataFrame(schema=table.schema)
        self.tables.replace_where(table.path, table.conform(frame), "true")

    def run(
        self,
        checks: Iterable[dg.AssetChecksDefinition],
        assets: Iterable[dg.AssetsDefinition] = (),
        partition: date | None = DAY,
        instance: dg.DagsterInstance | None = None,
        resources: Mapping[str, Any] | None = None,
    ) -> dict[str, dg.AssetCheckEvaluation]:
        """Materialize ``assets`` (default: a stand-in for each checked asset) and ``checks``
        for ``partition``; the evaluations by ``asset:check``."""
        checks = list(checks)
        assets = list(assets) or [
            stand_in(key, partitioned=partition is not None)
            for key in sorted({k.asset_key for c in checks for k in c.check_keys}, key=str)
        ]
        result = dg.materialize(
            [*assets, *checks],
            partition_key=partition.isoformat() if partition else None,
            resources={"warehouse": WarehouseResource(url=self.url), **(resources or {})},
            instance=instance,
        )
        assert result.success
        return {
            f"{e.asset_key.to_user_string()}:{e.check_name}": e
            for e in result.get_asset_check_evaluations()
        }


def failed(evaluation: dg.AssetCheckEvaluation) -> str:
    """The failure's description (asserting that it failed)."""
    assert not evaluation.passed, evaluation.description
    return evaluation.description or ""


def meta(evaluation: dg.AssetCheckEvaluation, name: str) -> Any:
    """A metadata value of a check result, as a plain Python value."""
    return evaluation.metadata[name].value
