"""Reference data, the file ledger, raw events (bronze) and clean events (silver)."""

from datetime import date

import dagster as dg
import polars as pl

from fleet_platform.assets_common import (
    BRONZE_KEY,
    GROUP,
    LEDGER_KEY,
    OWNERS,
    REFERENCE_KEY,
    SILVER_KEY,
    WAREHOUSE_POOL,
    engine_kinds,
)
from fleet_platform.engines.resources import EngineResource
from fleet_platform.events.ingest import IngestSummary
from fleet_platform.events.tables import BRONZE, LEDGER, REFERENCE, SILVER, VIN_KNOWN_TABLES
from fleet_platform.landing.resource import LandingResource
from fleet_platform.partitions import ingest_days
from fleet_platform.rules.keys import REFERENCE_KEY as REFERENCE_FILE
from fleet_platform.rules.reference import ReferenceError, parse_reference
from platform_shared.delta import DeltaWarehouse, WarehouseResource
from platform_shared.metadata import counts_markdown, markdown_table


@dg.asset(
    key=REFERENCE_KEY,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"polars", "delta"},
    pool=WAREHOUSE_POOL,
)
def vehicles(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The fleet's master data: one row per known VIN, from ``reference/vehicles.csv``.

    A VIN is known when it appears here after trimming and upper-casing
    (contracts/fleet.md, "Fleet reference"). A missing or unreadable file gives an empty
    table — every VIN is then unknown and no event is rejected for it — and the problem is
    shown in this materialization's metadata and by the reference's check.
    """
    problem = None
    try:
        frame = parse_reference(landing.read(REFERENCE_FILE))
    except FileNotFoundError:
        problem = f"{REFERENCE_FILE} is missing from the landing root"
    except ReferenceError as error:
        problem = str(error)
    if problem:
        context.log.warning(problem)
        frame = pl.DataFrame(schema=REFERENCE.schema)
    tables = warehouse.tables()
    before = set(tables.scan(REFERENCE.path, REFERENCE.schema).select("vin").collect()["vin"])
    tables.replace_where(REFERENCE.path, REFERENCE.conform(frame), "true")
    updated = update_vin_known(tables, before, set(frame["vin"]))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "problem": problem or "none",
            "vins_changed": updated["vins"],
            "silver_rows_updated": updated[SILVER.path],
            "table": tables.url(REFERENCE.path),
            "preview": markdown_table(frame, rows=5),
        }
    )


def update_vin_known(tables: DeltaWarehouse, before: set[str], after: set[str]) -> dict[str, int]:
    """Bring ``vin_known`` up to date in every table that stores it, for the VINs whose
    status the new reference changed (contracts/fleet.md, "Fleet reference")."""
    changed = sorted(before ^ after)
    values = pl.DataFrame(
        {"vin": changed, "vin_known": [vin in after for vin in changed]},
        schema={"vin": pl.String(), "vin_known": pl.Boolean()},
    )
    counts = {"vins": len(changed)}
    for table in VIN_KNOWN_TABLES:
        counts[table.path] = tables.update_matching(table.path, values, ["vin"], table.codec)
    return counts


class IngestConfig(dg.Config):
    """Run configuration of the ingest (shown in the UI's launchpad)."""

    full_refresh: bool = False
    """Forget what the ledger knows of this partition and rebuild it from landing."""


def _summary_metadata(summary: IngestSummary) -> dict[str, object]:
    return {
        "files_listed": summary.files_listed,
        "files_processed": summary.files_new,
        "files_rejected": summary.files_rejected,
        "rows_clean": summary.rows.get("clean", 0),
        "rows_duplicate": summary.rows.get("duplicate", 0),
        "rows_rejected": summary.rows.get("rejected", 0),
        "rows_repaired": summary.rows_repaired,
        "file_rejections": counts_markdown(summary.file_reasons, ("reason", "files")),
        "row_rejections": counts_markdown(summary.row_reasons, ("reason", "rows")),
    }


def _spec(key: dg.AssetKey, upstream: dg.AssetKey, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        description=description,
        deps=[upstream],
        group_name=GROUP,
        owners=OWNERS,
        kinds=engine_kinds(),
    )


@dg.multi_asset(
    specs=[
        _spec(
            LEDGER_KEY,
            REFERENCE_KEY,
            "The file ledger: one row per landed file version (key, version, status, "
            "reason, row counts by fate). A run processes only versions not in here.",
        ),
        _spec(
            BRONZE_KEY,
            LEDGER_KEY,
            "Every non-blank row of every accepted file as landed, with its fate "
            "(clean | duplicate | rejected) and rejection reason: where an operator "
            "looks at what was rejected and why (contracts/fleet.md, Tables).",
        ),
        _spec(
            SILVER_KEY,
            BRONZE_KEY,
            "One row per clean event: VIN normalised, times in UTC, date_status, "
            "delay_s, vin_known and a deterministic event_id; duplicates across files "
            "and days removed (first kept wins in processing order).",
        ),
    ],
    partitions_def=ingest_days,
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def landed_events(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
    engine: EngineResource,
):
    """Ingest one day's landed files into the ledger, bronze and silver."""
    day = date.fromisoformat(context.partition_key)
    tables = warehouse.tables()
    summary = engine.ingest(context, landing.backend(), tables, day, config.full_refresh)
    common = {**_summary_metadata(summary), "engine": engine.kind}
    ledger = (
        tables.scan(LEDGER.path, LEDGER.schema)
        .filter(pl.col("partition_date") == day)
        .select(
            files=pl.len(),
            rows_received=pl.col("rows_received").sum(),
            rows_clean=pl.col("rows_clean").sum(),
        )
        .collect()
        .row(0, named=True)
    )
    rejected = (
        tables.scan(BRONZE.path, BRONZE.schema)
        .filter((pl.col("ingest_date") == day) & (pl.col("fate") == "rejected"))
        .select("source_file", "row_number", "reason", "raw")
        .head(5)
        .collect()
    )
    yield dg.MaterializeResult(
        asset_key=LEDGER_KEY,
        metadata={**common, "dagster/row_count": ledger["files"], "table": tables.url(LEDGER.path)},
    )
    yield dg.MaterializeResult(
        asset_key=BRONZE_KEY,
        metadata={
            **common,
            "dagster/row_count": ledger["rows_received"],
            "table": tables.url(BRONZE.path),
            "rejected_preview": markdown_table(rejected),
        },
    )
    yield dg.MaterializeResult(
        asset_key=SILVER_KEY,
        metadata={
            "rows_added": common["rows_clean"],
            "engine": engine.kind,
            "dagster/row_count": ledger["rows_clean"],
            "table": tables.url(SILVER.path),
        },
    )
