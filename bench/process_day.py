"""Benchmark: ``fleet-platform process`` on a simulated day against the parse-only floor.

    .venv/bin/python bench/process_day.py [--buses 9000] [--days 1] [--fault-rate 0.001]

Simulates the day once (kept under ``bench/data/``), then runs, each in its own process
so that peak memory is measured per alternative: the floor (``bench/floor.py``: polars
parsing the landed files into the contract's fields, no validation, no writes) on one
thread and on two (the pipeline reads files on two), and the pipeline
(``fleet-platform process`` on an empty warehouse and a fresh Dagster instance). Prints
seconds, CPU seconds, events per second, peak RSS and the ratios to both floors, and
appends the numbers to ``bench/results/process_day.jsonl``.
"""

import argparse
import os
import sys

from harness import (
    HERE,
    Measurement,
    append_result,
    base_env,
    checked,
    fresh_folder,
    measured,
    process_command,
    simulated_day,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buses", type=int, default=9000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.001)
    args = parser.parse_args()

    day = simulated_day(args.buses, args.days, args.fault_rate)
    runs = day.work / "runs"
    floor_command = [sys.executable, str(HERE / "floor.py"), str(day.landing)]
    env = base_env(day.work)
    floor = checked(measured(floor_command, env, runs / "floor"), "floor")
    floor_2 = checked(
        measured([*floor_command, "--threads", "2"], env, runs / "floor-2"), "floor on 2 threads"
    )
    events = int(floor.stdout.strip().splitlines()[-1])
    work = fresh_folder(runs / "process")
    process = checked(
        measured(process_command(day.landing, work / "warehouse"), base_env(work), work),
        "fleet-platform process",
    )
    load = os.getloadavg()[0]

    rows: list[tuple[str, Measurement]] = [
        ("floor (polars parse only)", floor),
        ("floor on 2 threads", floor_2),
        ("fleet-platform process", process),
    ]
    print(
        f"\n{args.buses} buses x {args.days} day(s): {events:,} events parsed by the floor, "
        f"{day.landed_mb:.0f} MB landed; load average {load:.1f} at the end (2 cores)"
    )
    print(
        f"{'alternative':<28}{'seconds':>9}{'CPU s':>8}{'events/s':>12}{'peak MB':>9}"
        f"{'x floor':>9}{'x 2-thread floor':>18}"
    )
    for name, run in rows:
        print(
            f"{name:<28}{run.seconds:>9.1f}{run.cpu_seconds:>8.1f}{events / run.seconds:>12,.0f}"
            f"{run.peak_mb:>9.0f}{run.seconds / floor.seconds:>9.2f}"
            f"{run.seconds / floor_2.seconds:>18.2f}"
        )
    append_result(
        "process_day.jsonl",
        {
            "buses": args.buses,
            "days": args.days,
            "events": events,
            "landed_mb": round(day.landed_mb),
            "floor_s": round(floor.seconds, 2),
            "floor_2_threads_s": round(floor_2.seconds, 2),
            "floor_peak_mb": round(floor.peak_mb),
            "process_s": round(process.seconds, 2),
            "process_cpu_s": round(process.cpu_seconds, 2),
            "process_peak_mb": round(process.peak_mb),
            "ratio": round(process.seconds / floor.seconds, 2),
            "ratio_2_threads": round(process.seconds / floor_2.seconds, 2),
            "load_average": round(load, 2),
        },
    )


if __name__ == "__main__":
    main()
