"""The daily sync as Dagster assets: thin shells around ``source.rules`` and ``sync.rules``.

Each asset reads its inputs from the register warehouse (Delta), calls the pure rules,
writes its table with replace-the-day and reports what a user wants to see in the UI.
"""

import datetime as dt
import json
from collections import Counter
from typing import Any

import dagster as dg
import polars as pl

from asset_register.central.base import (
    CentralRegister,
    CentralRegisterError,
    RequestStats,
    iter_assets,
)
from asset_register.central.resource import CentralRegisterResource
from asset_register.source.resource import RegisterSourceResource
from asset_register.source.rules import split_source
from asset_register.sync.rules import (
    RETIRE_REMOVED,
    PushReport,
    compute_changes,
    judge_mass_retire,
    plan_push,
    push_plan,
)
from asset_register.sync.warehouse import (
    TABLE_SCHEMAS,
    RegisterWarehouseResource,
    assets_frame,
    frame_assets,
    to_json,
)

KEY_PREFIX = "register"
GROUP = "asset_register"
OWNERS = ["team:platform"]
SNAPSHOT = dg.AssetKey([KEY_PREFIX, "source_register_snapshot"])
CHANGES = dg.AssetKey([KEY_PREFIX, "register_changes"])
CENTRAL_STATE = dg.AssetKey([KEY_PREFIX, "central_register_state"])
PLAN = dg.AssetKey([KEY_PREFIX, "register_push_plan"])
PUSH = dg.AssetKey([KEY_PREFIX, "register_push"])
PREVIEW_COLUMNS = ["source_id", "resource_type", "environment", "lifecycle_status", "owner"]


class PushPlanConfig(dg.Config):
    """Run config of ``register_push_plan``."""

    allow_mass_retire: bool = False
    """Allow this one run to retire more than the mass-retire limit (operator decision)."""


def run_day(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> dt.date:
    """The partition (snapshot day) this step runs for."""
    key = (
        context.partition_key
        if context.has_partition_key
        else context.run.tags.get("dagster/partition")
    )
    if not key:
        raise dg.Failure("the asset register sync runs per day: give a partition (YYYY-MM-DD)")
    return dt.date.fromisoformat(key)


def markdown_preview(frame: pl.DataFrame, columns: list[str], rows: int = 10) -> dg.MetadataValue:
    """A small markdown table of the first rows."""
    shown = frame.select([c for c in columns if c in frame.columns]).head(rows)
    if shown.is_empty():
        return dg.MetadataValue.md("_(none)_")
    header = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns) + "\n"
    body = "".join(
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |\n"
        for row in shown.iter_rows()
    )
    return dg.MetadataValue.md(header + body)


def latest_plan_metadata(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, day: dt.date
) -> dict[str, Any]:
    """Metadata of the day's latest ``register_push_plan`` materialization (this run's when
    it made one): what the mass-retire guard and the push judge."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=PLAN, asset_partitions=[day.isoformat()]), limit=1
    ).records
    if not records:
        raise dg.Failure(f"no push plan for {day}: materialize register_push_plan first")
    materialization = records[0].asset_materialization
    assert materialization is not None
    return {k: v.value for k, v in materialization.metadata.items()}


def build_sync_assets(
    partitions: dg.PartitionsDefinition, mass_retire_max_share: float, mass_retire_min_count: int
) -> list[dg.AssetsDefinition]:
    """The five sync assets for one deployment's partitions and mass-retire limits."""
    common: dict[str, Any] = {
        "key_prefix": [KEY_PREFIX],
        "group_name": GROUP,
        "owners": OWNERS,
        "partitions_def": partitions,
        "pool": "asset_register_warehouse",
    }

    @dg.asset(kinds={"sql", "delta", "polars"}, **common)
    def source_register_snapshot(
        context: dg.AssetExecutionContext,
        register_source: RegisterSourceResource,
        register_warehouse: RegisterWarehouseResource,
    ) -> dg.MaterializeResult:
        """The source register as it stood on the day: one row per valid record, in the
        central register's canonical form with its content_hash.

        Read from the source SQL table through the configured column mapping and validated
        record by record (contracts/register.md, "Source register"). Invalid records are
        stored apart in `invalid_records` with their reasons and are never pushed.
        Re-running a day replaces that day's snapshot; the Delta history keeps the old one.
        """
        day = run_day(context)
        rows = register_source.read_rows()
        validated = split_source(rows)
        updated_at = {r.get("asset_id"): r.get("updated_at") for r in rows}
        records = [{**r, "updated_at": updated_at[r["source_id"]]} for r in validated.valid]
        warehouse = register_warehouse.open()
        snapshot = assets_frame(records, day, "snapshots")
        uri = warehouse.replace_day("snapshots", snapshot, day)
        invalid = pl.DataFrame(
            [
                {
                    "snapshot_date": day,
                    "source_id": bad.source_id,
                    "reasons": sorted({str(p.reason) for p in bad.problems}),
                    "messages": "; ".join(str(p) for p in bad.problems),
                    "record": json.dumps(dict(bad.row), default=str, ensure_ascii=False),
                }
                for bad in validated.invalid
            ],
            schema=TABLE_SCHEMAS["invalid_records"],
        )
        warehouse.replace_day("invalid_records", invalid, day)
        reasons = Counter(str(p.reason) for bad in validated.invalid for p in bad.problems)
        statuses = Counter(r["lifecycle_status"] for r in validated.valid)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(validated.valid),
                "read": len(rows),
                "valid": len(validated.valid),
                "invalid": len(validated.invalid),
                "active": statuses["active"],
                "decommissioned": statuses["retired"],
                "invalid_reasons": dict(reasons),
                "table": dg.MetadataValue.path(uri),
                "invalid_table": dg.MetadataValue.path(warehouse.uri("invalid_records")),
                "preview": markdown_preview(snapshot, PREVIEW_COLUMNS),
                "invalid_preview": markdown_preview(invalid, ["source_id", "messages"]),
            }
        )

    @dg.asset(deps=[SNAPSHOT], kinds={"delta", "polars"}, **common)
    def register_changes(
        context: dg.AssetExecutionContext, register_warehouse: RegisterWarehouseResource
    ) -> dg.MaterializeResult:
        """What changed in the source register since the previous snapshot: added, changed
        (before and after), decommissioned, removed and invalid records, one row each.

        Compared with the latest snapshot before this day (contracts/register.md, "What a
        day's sync must guarantee"); kept per day so any past day's changes can be shown.
        """
        day = run_day(context)
        warehouse = register_warehouse.open()
        previous = warehouse.previous_day("snapshots", day)
        previous_valid = frame_assets(warehouse.read_day("snapshots", previous)) if previous else []
        previous_invalid = (
            warehouse.read_day("invalid_records", previous)["source_id"].drop_nulls().to_list()
            if previous
            else []
        )
        invalid = warehouse.read_day("invalid_records", day).select("source_id", "messages")
        changes = compute_changes(
            frame_assets(warehouse.read_day("snapshots", day)),
            list(invalid.iter_rows()),
            previous_valid,
            previous_invalid,
        )
        frame = pl.DataFrame(
            [
                {
                    "snapshot_date": day,
                    "source_id": c.source_id,
                    "change": str(c.change),
                    "before": None if c.before is None else to_json(c.before),
                    "after": None if c.after is None else to_json(c.after),
                    "detail": c.detail,
                }
                for c in changes
            ],
            schema=TABLE_SCHEMAS["changes"],
        )
        uri = warehouse.replace_day("changes", frame, day)
        kinds = Counter(str(c.change) for c in changes)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(changes),
                **{kind: kinds[kind] for kind in ("added", "changed", "decommissioned")},
                **{kind: kinds[kind] for kind in ("removed", "invalid")},
                "previous_snapshot": str(previous) if previous else "none (first snapshot)",
                "table": dg.MetadataValue.path(uri),
                "preview": markdown_preview(frame, ["source_id", "change", "detail"]),
            }
        )

    @dg.asset(kinds={"http", "delta"}, **common)
    def central_register_state(
        context: dg.AssetExecutionContext,
        central_register: CentralRegisterResource,
        register_warehouse: RegisterWarehouseResource,
    ) -> dg.MaterializeResult:
        """What the central register holds for our system before the day's push, active and
        retired, read page by page (GET /v1/systems/{system}/assets).

        Stored per day so the plan, the read-back check and people can see the starting point.
        """
        day = run_day(context)
        register = open_register(central_register)
        try:
            records = [
                r for page in iter_assets(register, central_register.page_size) for r in page
            ]
        finally:
            register.close()
        warehouse = register_warehouse.open()
        frame = assets_frame(records, day, "central_states")
        uri = warehouse.replace_day("central_states", frame, day)
        statuses = Counter(r["lifecycle_status"] for r in records)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(records),
                "active": statuses["active"],
                "retired": statuses["retired"],
                "requests": register.stats.requests,
                "retries": register.stats.retries,
                "table": dg.MetadataValue.path(uri),
                "preview": markdown_preview(frame, PREVIEW_COLUMNS),
            }
        )

    @dg.asset(deps=[SNAPSHOT, CENTRAL_STATE], kinds={"delta", "polars"}, **common)
    def register_push_plan(
        context: dg.AssetExecutionContext,
        config: PushPlanConfig,
        register_warehouse: RegisterWarehouseResource,
    ) -> dg.MaterializeResult:
        """The upserts and retirements that make the central register equal the day's
        snapshot.

        Records whose content_hash the central register already holds are skipped; a
        decommissioned record is upserted as retired; a record that disappeared from the
        source is retired; a record invalid in the source is left as it is
        (contracts/register.md, "Pushing"). The blocking mass-retire guard checks this plan;
        run config `allow_mass_retire: true` lets one run through.
        """
        day = run_day(context)
        warehouse = register_warehouse.open()
        invalid_ids = warehouse.read_day("invalid_records", day)["source_id"].to_list()
        central_records = frame_assets(warehouse.read_day("central_states", day))
        plan = plan_push(
            frame_assets(warehouse.read_day("snapshots", day)), invalid_ids, central_records
        )
        central = {r["source_id"]: r["content_hash"] for r in central_records}
        rows = [
            {"action": "upsert", "source_id": r["source_id"], "reason": str(why),
             "record": to_json(r), "replaces_hash": central.get(r["source_id"])}
            for r, why in plan.upserts
        ] + [
            {"action": "retire", "source_id": i, "reason": RETIRE_REMOVED, "record": None,
             "replaces_hash": central[i]}
            for i in plan.retirements
        ]  # fmt: skip
        frame = pl.DataFrame(
            [{**row, "snapshot_date": day} for row in rows], schema=TABLE_SCHEMAS["push_plans"]
        )
        uri = warehouse.replace_day("push_plans", frame, day)
        verdict = judge_mass_retire(
            plan.retiring_active,
            plan.central_active,
            mass_retire_max_share,
            mass_retire_min_count,
            config.allow_mass_retire,
        )
        reasons = Counter(str(why) for _, why in plan.upserts)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(rows),
                "upserts": len(plan.upserts),
                "upserts_by_reason": dict(reasons),
                "retirements": len(plan.retirements),
                "unchanged": plan.unchanged,
                "invalid_left_untouched": plan.invalid_left_untouched,
                "central_active": plan.central_active,
                "retiring_active": plan.retiring_active,
                "allow_mass_retire": config.allow_mass_retire,
                "mass_retire_blocked": verdict.blocked,
                "mass_retire_verdict": verdict.message,
                "table": dg.MetadataValue.path(uri),
                "preview": markdown_preview(frame, ["action", "source_id", "reason"]),
            }
        )

    @dg.asset(deps=[PLAN], kinds={"http", "delta"}, **common)
    def register_push(
        context: dg.AssetExecutionContext,
        central_register: CentralRegisterResource,
        register_warehouse: RegisterWarehouseResource,
    ) -> dg.MaterializeResult:
        """Receipts of the day's push to the central register: one row per batch sent.

        The plan is sent in batches of at most 500 (upserts, then retirements), each with an
        Idempotency-Key derived from its items and reused on retry; after a 400 the rejected
        items are reported and the others re-sent as new batches (contracts/register.md,
        "Pushing"). A push that dies half way is completed by the next run, whose plan is
        recomputed from the central register's state.
        """
        day = run_day(context)
        plan_meta = latest_plan_metadata(context, day)
        if plan_meta.get("mass_retire_blocked"):
            raise dg.Failure(str(plan_meta.get("mass_retire_verdict")))
        warehouse = register_warehouse.open()
        plan = warehouse.read_day("push_plans", day)
        upserts = [json.loads(r) for r in plan.filter(pl.col("action") == "upsert")["record"]]
        retirements = plan.filter(pl.col("action") == "retire")["source_id"].to_list()
        replaces = dict(zip(plan["source_id"], plan["replaces_hash"], strict=True))
        register = open_register(central_register)
        report = PushReport()
        try:
            push_plan(register, upserts, retirements, report, replaces)
        except CentralRegisterError as error:
            raise dg.Failure(
                f"push stopped after {len(report.receipts)} batches: {error}",
                metadata=push_metadata(report, register.stats),
            ) from error
        finally:
            register.close()
            if report.receipts:
                warehouse.append("push_receipts", receipts_frame(report, day, context.run_id))
        return dg.MaterializeResult(
            metadata={
                **push_metadata(report, register.stats),
                "table": dg.MetadataValue.path(warehouse.uri("push_receipts")),
            }
        )

    return [
        source_register_snapshot,
        register_changes,
        central_register_state,
        register_push_plan,
        register_push,
    ]


def open_register(resource: CentralRegisterResource) -> CentralRegister:
    """Open the client, turning a refused host into a step failure that says why."""
    try:
        return resource.open()
    except CentralRegisterError as error:
        raise dg.Failure(str(error)) from error


def push_metadata(report: PushReport, stats: RequestStats) -> dict[str, Any]:
    """What the push did, for the UI: counts per outcome and the client's requests."""
    rejected = report.rejected
    return {
        "batches": len(report.receipts),
        "upserted": report.total("upserted"),
        "unchanged": report.total("unchanged"),
        "retired": report.total("retired"),
        "rejected": len(rejected),
        "requests": stats.requests,
        "retries": stats.retries,
        "rejected_items": dg.MetadataValue.md(
            "".join(f"- `{i}`: {m}\n" for i, m in rejected[:20]) or "_(none)_"
        ),
    }


def receipts_frame(report: PushReport, day: dt.date, run_id: str) -> pl.DataFrame:
    """One ``push_receipts`` row per batch sent."""
    now = dt.datetime.now(dt.UTC)
    return pl.DataFrame(
        [
            {
                "snapshot_date": day,
                "run_id": run_id,
                "batch": r.batch,
                "operation": r.operation,
                "idempotency_key": r.idempotency_key,
                "items": r.items,
                "outcome": r.outcome,
                "upserted": r.upserted,
                "unchanged": r.unchanged,
                "retired": r.retired,
                "rejected": to_json([{"source_id": i, "message": m} for i, m in r.rejected]),
                "message": r.message,
                "pushed_at": now,
            }
            for r in report.receipts
        ],
        schema=TABLE_SCHEMAS["push_receipts"],
    )
