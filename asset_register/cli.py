"""``asset-register sync [--date YYYY-MM-DD] [--allow-mass-retire]``: one day's sync, run
through the same Definitions (and the same instance) as the schedule.

Exit codes: 0 — the central register equals the snapshot afterwards; 1 — the sync failed
(source, network, push); 3 — the mass-retire guard blocked the push (nothing was pushed);
4 — the push ran but the central register differs from the snapshot (e.g. rejected items).
"""

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from asset_register.definitions import build_definitions
from asset_register.settings import RegisterSettings, SettingsError
from asset_register.sync.assets import CENTRAL_STATE, PLAN, PUSH, SNAPSHOT
from asset_register.sync.definitions import SYNC_JOB
from platform_shared.instance import command_instance

EXIT_OK, EXIT_FAILED, EXIT_BLOCKED, EXIT_DIFFERS = 0, 1, 3, 4


@dataclass
class SyncOutcome:
    """What one day's sync did, from the run's events."""

    day: dt.date
    success: bool
    counts: dict[str, int] = field(default_factory=dict)
    blocked: str | None = None
    readback: str | None = None
    readback_passed: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.blocked:
            return EXIT_BLOCKED
        if not self.success and not (self.readback and not self.readback_passed):
            return EXIT_FAILED
        return EXIT_OK if self.readback_passed else EXIT_DIFFERS


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, Any]:
    for materialization in result.asset_materializations_for_node("__".join(key.path)):
        return {k: v.value for k, v in materialization.metadata.items()}
    return {}


def run_sync(
    defs: dg.Definitions,
    day: dt.date,
    allow_mass_retire: bool = False,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "WARNING",
) -> SyncOutcome:
    """Run the sync job for ``day`` in process and summarise it."""
    job = defs.resolve_job_def(SYNC_JOB)
    plan_op = "__".join(PLAN.path)
    result = job.execute_in_process(
        instance=instance,
        partition_key=day.isoformat(),
        run_config={
            "ops": {plan_op: {"config": {"allow_mass_retire": allow_mass_retire}}},
            "loggers": {"console": {"config": {"log_level": log_level}}},
        },
        raise_on_error=False,
    )
    snapshot, state = _metadata(result, SNAPSHOT), _metadata(result, CENTRAL_STATE)
    plan, push = _metadata(result, PLAN), _metadata(result, PUSH)
    outcome = SyncOutcome(day, result.success)
    outcome.counts = {
        "read": int(snapshot.get("read", 0)),
        "invalid": int(snapshot.get("invalid", 0)),
        "upserted": int(push.get("upserted", 0)),
        "retired": int(push.get("retired", 0)) + int(plan.get("upserts_by_reason", {}).get(
            "retire_decommissioned", 0) if push else 0),
        "unchanged": int(plan.get("unchanged", 0)),
        "rejected": int(push.get("rejected", 0)),
        "requests": int(state.get("requests", 0)) + int(push.get("requests", 0)),
        "retries": int(state.get("retries", 0)) + int(push.get("retries", 0)),
    }  # fmt: skip
    for evaluation in result.get_asset_check_evaluations():
        name = evaluation.check_name
        if name == "mass_retire_guard" and not evaluation.passed:
            outcome.blocked = evaluation.description
        if name == "central_matches_snapshot":
            outcome.readback, outcome.readback_passed = evaluation.description, evaluation.passed
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        user = event.step_failure_data.user_failure_data
        cause = (error.cause or error) if error else None
        message = (user.description if user and user.description else None) or (
            cause.message.strip() if cause else "unknown error"
        )
        outcome.errors.append(f"{event.step_key}: {message}")
    return outcome


def _today(settings: RegisterSettings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point ``asset-register``."""
    parser = argparse.ArgumentParser(prog="asset-register", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="run one day's register sync")
    sync.add_argument("--date", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: today)")
    sync.add_argument(
        "--allow-mass-retire",
        action="store_true",
        help="let this run retire more than the mass-retire limit",
    )
    sync.add_argument(
        "--log-level", default="WARNING", help="Dagster console log level (default WARNING)"
    )
    args = parser.parse_args(argv)
    try:
        settings = RegisterSettings.from_env()
    except SettingsError as error:
        print(f"asset-register: {error}", file=sys.stderr)
        return EXIT_FAILED
    day = args.date or _today(settings)
    with command_instance() as instance:  # closed at the end, as fleet-platform's
        outcome = run_sync(
            build_definitions(settings),
            day,
            args.allow_mass_retire,
            instance,
            args.log_level.upper(),
        )
    summary = ", ".join(f"{k} {v}" for k, v in outcome.counts.items())
    print(f"asset-register sync {day} ({settings.deployment}, system {settings.system}): {summary}")
    if outcome.exit_code == EXIT_OK:
        print(f"central register equals the snapshot of {day}")
    elif outcome.exit_code == EXIT_BLOCKED:
        print(f"asset-register: {outcome.blocked}", file=sys.stderr)
    elif outcome.exit_code == EXIT_DIFFERS:
        print(f"asset-register: central register differs: {outcome.readback}", file=sys.stderr)
    else:
        reasons = "; ".join(outcome.errors) or "see the run's logs"
        print(f"asset-register: sync of {day} failed: {reasons}", file=sys.stderr)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
