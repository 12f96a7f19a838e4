"""E-mail when an asset check of the code location starts failing, and when it passes again.

Open-source Dagster has no sensor for failed asset checks (a failed check does not fail its
run, dagster issue #29896), so this one reads, every tick, the latest execution of every check
the code location defines (``get_latest_asset_check_execution_by_key``: one query, works on
every storage, see NOTES.md) and compares it with the state its cursor remembers:

* a check whose latest execution FAILED is reported once, when it starts failing — or when
  it fails on another partition than the failure already reported; further failing
  executions of the same failure don't mail again;
* a reported failure whose check passes again (same partition, or unpartitioned) is reported
  as recovered;
* everything found in one tick goes out as ONE mail per audience (a digest when several).

The cursor is JSON: ``{"version": 1, "checks": {"<asset>:<check>": {"id", "status",
"partition"}}}``, the last *resolved* execution seen per check. It only advances when every
mail of the tick was handed to the server (or logged), so a failed delivery fails the tick
and is retried on the next one.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import dagster as dg
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from platform_shared.alerts.mailer import deliver_all
from platform_shared.alerts.messages import (
    ChangeKind,
    CheckChange,
    check_changes_mail,
    group_by_recipients,
    metadata_text,
)
from platform_shared.alerts.routing import group_and_owners
from platform_shared.alerts.settings import AlertSettings
from platform_shared.deployment import get_deployment

CURSOR_VERSION = 1
_PARTITION = "dagster/partition"
_RANGE_START, _RANGE_END = (
    "dagster/asset_partition_range_start",
    "dagster/asset_partition_range_end",
)
_RESOLVED = {AssetCheckExecutionRecordStatus.FAILED, AssetCheckExecutionRecordStatus.SUCCEEDED}


@dataclass(frozen=True)
class CheckState:
    """The last resolved execution of one check that the sensor has seen."""

    id: int
    status: str  # FAILED | SUCCEEDED
    partition: str | None = None

    @property
    def failing(self) -> bool:
        return self.status == AssetCheckExecutionRecordStatus.FAILED.value


def read_cursor(cursor: str | None) -> dict[str, CheckState]:
    """The states kept in a cursor; empty for no cursor. Raises ValueError on a foreign one."""
    if not cursor:
        return {}
    data = json.loads(cursor)
    if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
        raise ValueError(f"not a version {CURSOR_VERSION} check-failure cursor: {cursor[:80]!r}")
    return {name: CheckState(**state) for name, state in data["checks"].items()}


def write_cursor(states: Mapping[str, CheckState]) -> str:
    """The cursor text for ``states`` (sorted, so equal states give equal cursors)."""
    checks = {name: asdict(states[name]) for name in sorted(states)}
    return json.dumps({"version": CURSOR_VERSION, "checks": checks}, separators=(",", ":"))


def transition(before: CheckState | None, now: CheckState) -> ChangeKind | None:
    """What to report when a check's latest resolved execution goes from ``before`` to ``now``."""
    if now.failing:
        already_reported = (
            before is not None and before.failing and before.partition == now.partition
        )
        return None if already_reported else ChangeKind.FAILED
    if before is not None and before.failing and before.partition == now.partition:
        return ChangeKind.RECOVERED
    return None


def advance(
    previous: Mapping[str, CheckState],
    latest: Mapping[dg.AssetCheckKey, AssetCheckExecutionRecord],
    partitions: Mapping[str, str | None],
) -> tuple[dict[str, CheckState], list[tuple[ChangeKind, AssetCheckExecutionRecord, str | None]]]:
    """The next cursor states and the changes to report (with their partition), in key order.

    ``partitions`` maps run ids to the partition they ran (see :func:`run_partitions`).
    Executions still in progress keep the previous state; checks the location no longer
    defines drop out of the cursor.
    """
    states: dict[str, CheckState] = {}
    changes = []
    for key in sorted(latest, key=lambda k: k.to_user_string()):
        record, name = latest[key], key.to_user_string()
        before = previous.get(name)
        if record.status not in _RESOLVED or (before is not None and before.id == record.id):
            if before is not None:
                states[name] = before
            continue
        partition = record.partition or partitions.get(record.run_id)
        states[name] = CheckState(record.id, record.status.value, partition)
        kind = transition(before, states[name])
        if kind is not None:
            changes.append((kind, record, partition))
    return states, changes


def unseen_run_ids(
    previous: Mapping[str, CheckState],
    latest: Mapping[dg.AssetCheckKey, AssetCheckExecutionRecord],
) -> set[str]:
    """Runs of resolved executions the cursor hasn't seen: their partitions are needed."""
    return {
        record.run_id
        for key, record in latest.items()
        if record.status in _RESOLVED
        and getattr(previous.get(key.to_user_string()), "id", None) != record.id
    }


def run_partitions(instance: dg.DagsterInstance, run_ids: set[str]) -> dict[str, str | None]:
    """The partition (or ``first...last`` range) each run ran, from its tags (one query).

    A check on a partitioned asset records no partition of its own unless the check itself is
    partitioned; the run that evaluated it knows.
    """
    if not run_ids:
        return {}
    found = {}
    for record in instance.get_run_records(filters=dg.RunsFilter(run_ids=sorted(run_ids))):
        tags = record.dagster_run.tags
        start, end = tags.get(_RANGE_START), tags.get(_RANGE_END)
        found[record.dagster_run.run_id] = tags.get(_PARTITION) or (
            f"{start}...{end}" if start and end else None
        )
    return found


def describe_change(
    kind: ChangeKind,
    record: AssetCheckExecutionRecord,
    partition: str | None,
    repository_def: dg.RepositoryDefinition,
) -> CheckChange:
    """What the mail says about one execution: the check's spec plus its evaluation."""
    evaluation = record.event.dagster_event.event_specific_data if record.event else None
    spec = repository_def.asset_graph.get_check_spec(record.key)
    group, owners = group_and_owners(repository_def, record.key.asset_key)
    return CheckChange(
        kind=kind,
        asset=record.key.asset_key.to_user_string(),
        check=record.key.name,
        partition=partition,
        severity=evaluation.severity.value if evaluation else None,
        check_description=spec.description,
        result_description=evaluation.description if evaluation else None,
        metadata=metadata_text(evaluation.metadata) if evaluation else (),
        run_id=record.run_id,
        evaluated_at=record.event.timestamp if record.event else record.create_timestamp,
        group=group,
        owners=owners,
    )


def check_failure_email_sensor(
    name: str,
    location_name: str,
    *,
    minimum_interval_seconds: int = 60,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """A sensor mailing new asset-check failures and recoveries of its code location.

    Settings (SMTP server, recipients, UI link) are read from the environment at each tick
    (``AlertSettings.from_env``), so a bad setting fails the tick, not the code location.
    """

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            f"E-mails when an asset check of {location_name} starts failing or passes again "
            "(one mail per change, a digest when several; see docs/alerts.md)."
        ),
    )
    def _check_failure_email(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        repository_def = context.repository_def
        if repository_def is None:
            raise dg.DagsterInvariantViolationError(f"{name} needs the code location's definitions")
        settings = AlertSettings.from_env()
        try:
            previous = read_cursor(context.cursor)
        except (ValueError, TypeError, KeyError) as error:
            context.log.warning("Starting %s afresh, its cursor is unreadable: %s", name, error)
            previous = {}
        check_keys = sorted(
            repository_def.asset_graph.asset_check_keys, key=lambda k: k.to_user_string()
        )
        latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(
            check_keys
        )
        partitions = run_partitions(context.instance, unseen_run_ids(previous, latest))
        states, found = advance(previous, latest, partitions)
        changes = [describe_change(*change, repository_def) for change in found]
        deployment = get_deployment().value
        audiences = group_by_recipients(
            changes, lambda c: settings.recipients.for_asset(c.group, c.owners)
        )
        deliver_all(
            (
                check_changes_mail(
                    items, to, location=location_name, deployment=deployment, ui_url=settings.ui_url
                )
                for to, items in audiences
            ),
            settings,
            context.log,
        )
        context.update_cursor(write_cursor(states))
        if not changes:
            return dg.SkipReason(f"No asset check of {location_name} changed state.")
        failed = sum(c.kind is ChangeKind.FAILED for c in changes)
        return dg.SkipReason(
            f"Reported {failed} failed and {len(changes) - failed} recovered checks "
            f"(mail to {settings.smtp.describe()})."
        )

    return _check_failure_email
