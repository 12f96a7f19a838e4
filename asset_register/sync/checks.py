"""Asset checks of the sync: unique ids, invalid share, the blocking mass-retire guard, the
read-back after the push, and freshness of every asset (with its sensor)."""

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
import polars as pl

from asset_register.central.base import iter_assets
from asset_register.central.resource import CentralRegisterResource
from asset_register.sync.assets import (
    PLAN,
    PUSH,
    SNAPSHOT,
    latest_plan_metadata,
    open_register,
    run_day,
)
from asset_register.sync.rules import compare_central, judge_mass_retire
from asset_register.sync.warehouse import RegisterWarehouseResource, frame_assets


def partitioned_check(
    partitions: dg.PartitionsDefinition, **kwargs: Any
) -> Callable[[Callable[..., dg.AssetCheckResult]], dg.AssetChecksDefinition]:
    """``@asset_check`` per day partition (so the UI shows results per day); partitioned
    checks are a Dagster preview feature, whose notice is silenced here, once."""

    def apply(fn: Callable[..., dg.AssetCheckResult]) -> dg.AssetChecksDefinition:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return dg.asset_check(partitions_def=partitions, **kwargs)(fn)

    return apply


def build_quality_checks(
    partitions: dg.PartitionsDefinition,
    max_invalid_share: float,
    mass_retire_max_share: float,
    mass_retire_min_count: int,
) -> list[dg.AssetChecksDefinition]:
    """The data-quality and safety checks for one deployment's settings."""

    @partitioned_check(partitions, asset=SNAPSHOT, blocking=True)
    def snapshot_unique_source_ids(
        context: dg.AssetCheckExecutionContext, register_warehouse: RegisterWarehouseResource
    ) -> dg.AssetCheckResult:
        """Every source_id occurs once in the day's snapshot (a duplicate would make the
        push ambiguous); blocks the rest of the sync when it fails."""
        snapshot = register_warehouse.open().read_day("snapshots", run_day(context))
        duplicates = snapshot["source_id"].value_counts().filter(pl.col("count") > 1)
        ids = duplicates["source_id"].to_list()
        return dg.AssetCheckResult(
            passed=not ids,
            metadata={"duplicates": len(ids), "examples": ", ".join(map(str, ids[:10]))},
            description=f"{len(ids)} source_ids occur more than once" if ids else None,
        )

    @partitioned_check(partitions, asset=SNAPSHOT)
    def snapshot_invalid_share(
        context: dg.AssetCheckExecutionContext, register_warehouse: RegisterWarehouseResource
    ) -> dg.AssetCheckResult:
        """At most REGISTER_MAX_INVALID_SHARE of the source's records are invalid (a warning:
        invalid records are reported and left as they are in the central register)."""
        warehouse = register_warehouse.open()
        day = run_day(context)
        valid = warehouse.read_day("snapshots", day).height
        invalid = warehouse.read_day("invalid_records", day).height
        share = invalid / (valid + invalid) if valid + invalid else 0.0
        return dg.AssetCheckResult(
            passed=share <= max_invalid_share,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"invalid": invalid, "read": valid + invalid, "share": share},
            description=(
                f"{invalid} of {valid + invalid} source records are invalid ({share:.1%});"
                f" limit {max_invalid_share:.1%}. Fix them in the source register; see the"
                " invalid_records table for the reasons."
            ),
        )

    @partitioned_check(partitions, asset=PLAN, blocking=True)
    def mass_retire_guard(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        """Blocks the push when the plan retires more than REGISTER_MASS_RETIRE_MAX_SHARE of
        our active central records and more than REGISTER_MASS_RETIRE_MIN_COUNT records,
        unless run config `allow_mass_retire: true` on register_push_plan allows it."""
        meta = latest_plan_metadata(context, run_day(context))
        verdict = judge_mass_retire(
            int(meta["retiring_active"]),
            int(meta["central_active"]),
            mass_retire_max_share,
            mass_retire_min_count,
            bool(meta["allow_mass_retire"]),
        )
        return dg.AssetCheckResult(
            passed=not verdict.blocked,
            metadata={
                "retiring_active": verdict.retiring,
                "central_active": verdict.central_active,
                "allow_mass_retire": bool(meta["allow_mass_retire"]),
            },
            description=verdict.message,
        )

    @partitioned_check(partitions, asset=PUSH)
    def central_matches_snapshot(
        context: dg.AssetCheckExecutionContext,
        central_register: CentralRegisterResource,
        register_warehouse: RegisterWarehouseResource,
    ) -> dg.AssetCheckResult:
        """Read-back: after the push the central register equals the day's snapshot: every
        valid record field for field, every other record of ours retired, records invalid in
        the source exactly as they were."""
        day = run_day(context)
        warehouse = register_warehouse.open()
        register = open_register(central_register)
        try:
            after = [r for page in iter_assets(register, central_register.page_size) for r in page]
        finally:
            register.close()
        problems = compare_central(
            frame_assets(warehouse.read_day("snapshots", day)),
            warehouse.read_day("invalid_records", day)["source_id"].to_list(),
            frame_assets(warehouse.read_day("central_states", day)),
            after,
        )
        return dg.AssetCheckResult(
            passed=not problems,
            metadata={"differences": len(problems), "central_records": len(after)},
            description="; ".join(problems) if problems else "central register equals snapshot",
        )

    return [
        snapshot_unique_source_ids,
        snapshot_invalid_share,
        mass_retire_guard,
        central_matches_snapshot,
    ]


def build_freshness_checks(
    assets: Sequence[dg.AssetsDefinition], deadline_cron: str, timezone: str, running: bool
) -> tuple[list[dg.AssetChecksDefinition], dg.SensorDefinition]:
    """A freshness check on every asset (the day's partition materialized by the deadline)
    and the sensor that evaluates them.

    These builders are superseded by ``FreshnessPolicy`` in Dagster 1.13, which is evaluated
    per asset, not per partition; the checks say "today's partition is late", so we keep them
    (and silence the supersession notice here, once).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        checks = list(
            dg.build_time_partition_freshness_checks(
                assets=list(assets), deadline_cron=deadline_cron, timezone=timezone
            )
        )
        sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name="asset_register_freshness_sensor",
            default_status=(
                dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
            ),
        )
    return checks, sensor
