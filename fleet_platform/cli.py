"""``fleet-platform``: the fleet's console commands.

    fleet-platform simulate [--date D] [--days N] [--buses N] [--fault-rate R] [--seed S]
    fleet-platform process

Both read ``FLEET_LANDING_URL`` and ``FLEET_WAREHOUSE_URL`` (defaults: folders under the
project's data directory) and accept them as ``--landing`` / ``--warehouse``.
"""

import argparse
import gc
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from fleet_platform.settings import fleet_settings
from platform_shared.storage import StorageRoot


def _simulate(args: argparse.Namespace) -> int:
    from fleet_platform.simulate import landing_writer, simulate_landing

    root = StorageRoot.from_url(args.landing or fleet_settings().landing_url)
    days = [args.date + timedelta(days=offset) for offset in range(args.days)]
    started = time.perf_counter()
    summary = simulate_landing(
        landing_writer(root.url),
        days,
        buses=args.buses,
        fault_rate=args.fault_rate,
        seed=args.seed,
        progress=lambda message: print(message, flush=True),
    )
    seconds = time.perf_counter() - started
    print(
        f"landed {summary.files} files, {summary.events:,} events, "
        f"{summary.bytes / 1e6:.1f} MB in {root.url} ({seconds:.1f} s)"
    )
    faults = ", ".join(
        f"{name}={count}" for name, count in sorted(summary.injected.items()) if count
    )
    print(f"injected: {faults or 'none'}")
    return 0


@contextmanager
def _loading() -> Iterator[None]:
    """Import and build what a command runs on with Python's cyclic GC off, then freeze it.

    Those objects (Dagster, polars, the definitions, the instance: some 200,000) live
    until the command exits, yet every full collection walked them all again: about 0.4 s
    of CPU of a small ``process``. Frozen, later collections skip them; the garbage of the
    runs themselves is still collected.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _process(args: argparse.Namespace) -> int:
    with _loading():
        from fleet_platform.commands.process import fleet_definitions, process_landed
        from platform_shared.instance import command_instance

        defs = fleet_definitions(args.landing, args.warehouse)
        instance = command_instance()
    with instance:  # closed at the end: its databases checkpointed for other readers
        report = process_landed(defs, instance)
    if not report.ok:
        print(f"failed runs: {', '.join(report.failed_runs)}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fleet-platform", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)

    simulate = commands.add_parser("simulate", help="land realistic gateway files")
    simulate.add_argument("--landing", help="landing root (default FLEET_LANDING_URL)")
    simulate.add_argument(
        "--date",
        type=date.fromisoformat,
        default=yesterday,
        help="first day (UTC), default yesterday",
    )
    simulate.add_argument("--days", type=int, default=1, help="number of days (default 1)")
    simulate.add_argument("--buses", type=int, default=9000, help="fleet size (default 9000)")
    simulate.add_argument(
        "--fault-rate", type=float, default=0.001, help="share of rows with a fault (default 0.001)"
    )
    simulate.add_argument("--seed", type=int, default=42)
    simulate.set_defaults(run=_simulate)

    process = commands.add_parser("process", help="process everything landed so far")
    process.add_argument("--landing", help="landing root (default FLEET_LANDING_URL)")
    process.add_argument("--warehouse", help="warehouse root (default FLEET_WAREHOUSE_URL)")
    process.set_defaults(run=_process)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
