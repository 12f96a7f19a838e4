"""Benchmark: ``fleet-platform process`` on a simulated day against the parse-only floor.

    .venv/bin/python bench/process_day.py [--buses 9000] [--days 1] [--fault-rate 0.001]

Simulates the day once (kept under ``bench/data/``), then runs, each in its own process
so that peak memory is measured per alternative: the floor (``bench/floor.py``: polars
parsing the landed files into the contract's fields, no validation, no writes) and the
pipeline (``fleet-platform process`` on an empty warehouse and a fresh Dagster instance).
Prints seconds, events per second, peak RSS and the ratio pipeline / floor, and appends
the numbers to ``bench/results/process_day.jsonl``.
"""

import argparse
import sys

from harness import (
    HERE,
    append_result,
    base_env,
    checked,
    fresh_folder,
    measured,
    process_command,
    simulated_day,
)


def main() -> None:
    """Simulate, run the floor and the pipeline, print and keep the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buses", type=int, default=9000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.001)
    args = parser.parse_args()

    day = simulated_day(args.buses, args.days, args.fault_rate)
    runs = day.work / "runs"
    floor = checked(
        measured(
            [sys.executable, str(HERE / "floor.py"), str(day.landing)],
            base_env(day.work),
            runs / "floor",
        ),
        "floor",
    )
    events = int(floor.stdout.strip().splitlines()[-1])
    work = fresh_folder(runs / "process")
    process = checked(
        measured(process_command(day.landing, work / "warehouse"), base_env(work), work),
        "fleet-platform process",
    )

    rows = [
        ("floor (polars parse only)", floor),
        ("fleet-platform process", process),
    ]
    print(
        f"\n{args.buses} buses x {args.days} day(s): {events:,} events parsed by the floor, "
        f"{day.landed_mb:.0f} MB landed"
    )
    print(f"{'alternative':<28}{'seconds':>9}{'events/s':>12}{'peak MB':>9}{'x floor':>9}")
    for name, run in rows:
        print(
            f"{name:<28}{run.seconds:>9.1f}{events / run.seconds:>12,.0f}"
            f"{run.peak_mb:>9.0f}{run.seconds / floor.seconds:>9.2f}"
        )
    append_result(
        "process_day.jsonl",
        {
            "buses": args.buses,
            "days": args.days,
            "events": events,
            "landed_mb": round(day.landed_mb),
            "floor_s": round(floor.seconds, 2),
            "floor_peak_mb": round(floor.peak_mb),
            "process_s": round(process.seconds, 2),
            "process_peak_mb": round(process.peak_mb),
            "ratio": round(process.seconds / floor.seconds, 2),
        },
    )


if __name__ == "__main__":
    main()
