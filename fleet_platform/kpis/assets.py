"""Gold KPI assets, one per table of contracts/fleet.md, built by one factory."""

from datetime import date

import dagster as dg

from fleet_platform.assets_common import (
    BRONZE_KEY,
    GROUP,
    LEDGER_KEY,
    OWNERS,
    REFERENCE_KEY,
    SILVER_KEY,
    WAREHOUSE_POOL,
    engine_kinds,
    key_of,
)
from fleet_platform.engines.resources import EngineResource
from fleet_platform.kpis.tables import GOLD_TABLES, VIN_DAYS, GoldTable, Scope
from fleet_platform.partitions import ingest_days
from platform_shared.delta import WarehouseResource
from platform_shared.metadata import markdown_table

_INPUT_KEYS = {
    "ledger": LEDGER_KEY,
    "bronze": BRONZE_KEY,
    "silver": SILVER_KEY,
    "vin_days": key_of(VIN_DAYS.table),
}


def gold_asset(spec: GoldTable) -> dg.AssetsDefinition:
    """A daily-partitioned asset that (re)builds its table's rows for one ingest date."""

    @dg.asset(
        key=key_of(spec.table),
        description=spec.description,
        # roll-ups also follow the reference: a refresh updates vin_known before them
        deps=[_INPUT_KEYS[name] for name in spec.inputs]
        + ([REFERENCE_KEY] if spec.scope is Scope.ROLLUP else []),
        partitions_def=ingest_days,
        group_name=GROUP,
        owners=OWNERS,
        kinds=engine_kinds(),
        pool=WAREHOUSE_POOL,
        tags={"fleet/scope": spec.scope.value},
    )
    def _gold(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, engine: EngineResource
    ):
        tables = warehouse.tables()
        frame = engine.gold(context, spec, tables, date.fromisoformat(context.partition_key))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(frame),
                "scope": spec.scope.value,
                "engine": engine.kind,
                "table": tables.url(spec.table.path),
                "preview": markdown_table(frame),
            }
        )

    return _gold


gold_assets = [gold_asset(spec) for spec in (VIN_DAYS, *GOLD_TABLES)]
