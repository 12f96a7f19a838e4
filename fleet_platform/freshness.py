"""Freshness of every fleet asset, as asset checks, and the sensor that evaluates them.

* Daily-partitioned assets: ``freshness_check`` passes when the partition of the day before
  the deadline's day is materialized by the latest tick of ``FLEET_FRESHNESS_DEADLINE_CRON``
  (default ``0 6 * * *`` UTC: yesterday's ingest date by 06:00 today).

  Dagster's ``build_time_partition_freshness_checks`` can't say that here: it expects the
  *last* partition of the definition, and ``ingest_days`` runs to tomorrow
  (``end_offset=2``, folders up to tomorrow are valid landing dates), so at 06:00 on day D it
  would wait for partition D+1. This check is the same idea — same metadata
  (``dagster/fresh_until_timestamp`` …), so ``build_sensor_for_freshness_checks`` drives it —
  with "the latest partition whose day has ended by the deadline".
* ``reference/vehicles`` (unpartitioned): Dagster's ``build_last_update_freshness_checks``,
  refreshed within ``FLEET_REFERENCE_MAX_AGE_HOURS`` (default 26 h).
* The sensor ``fleet_freshness_checks_sensor`` runs a check when it never ran or when its
  last pass has expired (``dagster/fresh_until_timestamp``); a failed one is run again by the
  run that materializes its asset. It also drives ``ledger/landed_files:sources_sending``,
  which can only start failing when nothing lands (so no run would ever evaluate it).
"""

import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._time import get_current_datetime
from dagster._utils.schedules import get_latest_completed_cron_tick, get_next_cron_tick

FRESHNESS_CHECK = "freshness_check"
SENSOR_NAME = "fleet_freshness_checks_sensor"
# Metadata keys the freshness sensor reads (dagster's freshness-check conventions).
FRESH_UNTIL = "dagster/fresh_until_timestamp"
LATEST_CRON_TICK = "dagster/latest_cron_tick_timestamp"
LAST_UPDATED = "dagster/last_updated_timestamp"
OVERDUE_SECONDS = "dagster/overdue_seconds"


def due_partition(
    partitions_def: dg.TimeWindowPartitionsDefinition, deadline: datetime
) -> str | None:
    """The latest partition whose time window has ended by ``deadline`` (None before the
    first one has)."""
    current = partitions_def.get_partition_key_for_timestamp(deadline.timestamp())
    start = partitions_def.time_window_for_partition_key(current).start
    previous = partitions_def.get_prev_partition_window(start, respect_bounds=False)
    if previous is None or previous.start < partitions_def.start:
        return None
    return partitions_def.get_partition_key_for_timestamp(previous.start.timestamp())


def _partitions_by_key(
    assets: Sequence[dg.AssetsDefinition],
) -> dict[dg.AssetKey, dg.TimeWindowPartitionsDefinition]:
    found = {}
    for assets_def in assets:
        if not isinstance(assets_def.partitions_def, dg.TimeWindowPartitionsDefinition):
            raise ValueError(f"{assets_def.keys} are not partitioned by time windows")
        for key in assets_def.keys:
            found[key] = assets_def.partitions_def
    return found


def _at(timestamp: float, timezone: str) -> str:
    """A timestamp as the user reads it: ``2026-11-21 06:00 UTC``."""
    moment = datetime.fromtimestamp(timestamp, ZoneInfo(timezone))
    return f"{moment:%Y-%m-%d %H:%M} {timezone}"


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def build_partition_freshness_check(
    assets: Sequence[dg.AssetsDefinition], deadline_cron: str, timezone: str
) -> dg.AssetChecksDefinition:
    """``freshness_check`` on every asset of ``assets`` (daily partitions): the latest
    partition whose day has ended by the latest tick of ``deadline_cron`` is materialized."""
    partitions = _partitions_by_key(assets)
    params = {"deadline_cron": deadline_cron, "timezone": timezone}
    description = (
        f"The previous day's partition is materialized by the deadline (cron "
        f"'{deadline_cron}' {timezone}, FLEET_FRESHNESS_DEADLINE_CRON): at each tick, the "
        "latest ingest date that has ended must have been processed."
    )
    specs = [
        dg.AssetCheckSpec(FRESHNESS_CHECK, asset=key, description=description)
        for key in sorted(partitions, key=lambda k: k.to_user_string())
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name="fleet_partition_freshness_checks")
    def _freshness(context: dg.AssetCheckExecutionContext):
        now = get_current_datetime()
        now_local = now.astimezone(ZoneInfo(timezone))
        deadline = get_latest_completed_cron_tick(deadline_cron, now_local, timezone)
        fresh_until = get_next_cron_tick(deadline_cron, now_local, timezone).timestamp()
        check_keys = sorted(context.selected_asset_check_keys, key=str)
        latest = _latest_materializations(context.instance, [key.asset_key for key in check_keys])
        for check_key in check_keys:
            yield _evaluate_partition(
                context.instance,
                check_key.asset_key,
                partitions[check_key.asset_key],
                latest.get(check_key.asset_key),
                now.timestamp(),
                deadline,
                fresh_until,
                params,
            )

    return _freshness


def _latest_materializations(
    instance: dg.DagsterInstance, asset_keys: Sequence[dg.AssetKey]
) -> dict[dg.AssetKey, dg.EventLogRecord]:
    """Each asset's latest materialization (the materialized ones), in one query for all."""
    return {
        record.asset_entry.asset_key: record.asset_entry.last_materialization_record
        for record in instance.get_asset_records(list(asset_keys))
        if record.asset_entry.last_materialization_record is not None
    }


def _materialization_of(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    partition: str,
    latest: dg.EventLogRecord | None,
) -> dg.EventLogRecord | None:
    """The latest materialization of ``partition``: usually the asset's latest one, else
    looked up."""
    if latest is not None and latest.partition_key == partition:
        return latest
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition]), limit=1
    ).records
    return records[0] if records else None


def _evaluate_partition(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    latest: dg.EventLogRecord | None,
    now: float,
    deadline: datetime,
    fresh_until: float,
    params: dict[str, str],
) -> dg.AssetCheckResult:
    timezone = params["timezone"]
    name = asset_key.to_user_string()
    expected = due_partition(partitions_def, deadline)
    metadata: dict[str, object] = {
        "dagster/freshness_params": dg.MetadataValue.json(params),
        LATEST_CRON_TICK: dg.MetadataValue.timestamp(deadline.timestamp()),
        "expected_partition": expected or "none",
    }
    if expected is None:
        metadata[FRESH_UNTIL] = dg.MetadataValue.timestamp(fresh_until)
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=FRESHNESS_CHECK,
            passed=True,
            description=f"No partition of {name} was due by {_at(deadline.timestamp(), timezone)}.",
            metadata=metadata,
        )
    materialized = _materialization_of(instance, asset_key, expected, latest)
    if materialized is not None:
        metadata[FRESH_UNTIL] = dg.MetadataValue.timestamp(fresh_until)
        metadata[LAST_UPDATED] = dg.MetadataValue.timestamp(materialized.timestamp)
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=FRESHNESS_CHECK,
            passed=True,
            description=(
                f"Partition {expected} of {name} was materialized at "
                f"{_at(materialized.timestamp, timezone)}, due by "
                f"{_at(deadline.timestamp(), timezone)}."
            ),
            metadata=metadata,
        )
    overdue = now - deadline.timestamp()
    metadata[OVERDUE_SECONDS] = overdue
    if latest is not None:
        metadata[LAST_UPDATED] = dg.MetadataValue.timestamp(latest.timestamp)
        last_partition = latest.partition_key
        metadata["last_materialized_partition"] = last_partition or "none"
        history = (
            f" The last materialization was partition {last_partition or '(none)'} at "
            f"{_at(latest.timestamp, timezone)}."
        )
    else:
        history = " It has never been materialized."
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=FRESHNESS_CHECK,
        passed=False,
        description=(
            f"Partition {expected} of {name} is overdue by {_hours(overdue)}: it was due by "
            f"{_at(deadline.timestamp(), timezone)} and is not materialized.{history} Look for a "
            f"failed or missing run of partition {expected} and materialize it."
        ),
        metadata=metadata,
    )


def build_freshness_sensor(
    freshness_checks: Sequence[dg.AssetChecksDefinition], running: bool
) -> dg.SensorDefinition:
    """``fleet_freshness_checks_sensor`` over ``freshness_checks`` (RUNNING when
    ``running``); the builder is superseded by FreshnessPolicy, whose notice is silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=list(freshness_checks),
            name=SENSOR_NAME,
            default_status=(
                dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
            ),
        )


def build_reference_freshness_checks(
    assets: Sequence[dg.AssetsDefinition], max_age_hours: float
) -> list[dg.AssetChecksDefinition]:
    """``freshness_check`` on unpartitioned assets: materialized within ``max_age_hours``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return list(
            dg.build_last_update_freshness_checks(
                assets=list(assets), lower_bound_delta=timedelta(hours=max_age_hours)
            )
        )
