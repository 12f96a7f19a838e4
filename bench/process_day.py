"""Benchmark: ``fleet-platform process`` on a simulated day against the parse-only floor.

    .venv/bin/python bench/process_day.py [--buses 9000] [--days 1] [--fault-rate 0.001]
                                          [--rounds 5]

Simulates the day once (kept under ``bench/data/``), then runs ``--rounds`` rounds, each
alternative in its own process so that peak memory is measured per alternative: the floor
(``bench/floor.py``: polars parsing the landed files into the contract's fields, no
validation, no writes) on one thread and on two (the pipeline reads files on two), and the
pipeline (``fleet-platform process`` on an empty warehouse and a fresh Dagster instance).
The alternatives alternate within each round, so a slow spell of a shared machine falls on
all of them. Prints each round and the medians: seconds, CPU seconds, events per second,
peak RSS and the ratios to both floors, and appends the numbers to
``bench/results/process_day.jsonl``.
"""

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from harness import (
    HERE,
    Day,
    Measurement,
    append_result,
    base_env,
    checked,
    fresh_folder,
    measured,
    process_command,
    simulated_day,
)

FLOOR = "floor (polars parse only)"
FLOOR_2 = "floor on 2 threads"
PROCESS = "fleet-platform process"


def _round(day: Day, runs: Path) -> dict[str, Measurement]:
    """One measurement of each alternative, one after the other."""
    floor_command = [sys.executable, str(HERE / "floor.py"), str(day.landing)]
    env = base_env(day.work)
    work = fresh_folder(runs / "process")
    return {
        FLOOR: checked(measured(floor_command, env, runs / "floor"), FLOOR),
        FLOOR_2: checked(
            measured([*floor_command, "--threads", "2"], env, runs / "floor-2"), FLOOR_2
        ),
        PROCESS: checked(
            measured(process_command(day.landing, work / "warehouse"), base_env(work), work),
            PROCESS,
        ),
    }


def _print_table(title: str, rows: dict[str, Measurement], events: int) -> None:
    floor, floor_2 = rows[FLOOR].seconds, rows[FLOOR_2].seconds
    print(f"\n{title}")
    print(
        f"{'alternative':<28}{'seconds':>9}{'CPU s':>8}{'events/s':>12}{'peak MB':>9}"
        f"{'x floor':>9}{'x 2-thread floor':>18}"
    )
    for name, run in rows.items():
        print(
            f"{name:<28}{run.seconds:>9.1f}{run.cpu_seconds:>8.1f}{events / run.seconds:>12,.0f}"
            f"{run.peak_mb:>9.0f}{run.seconds / floor:>9.2f}{run.seconds / floor_2:>18.2f}"
        )


def _median(rounds: list[dict[str, Measurement]], name: str) -> Measurement:
    """A measurement of ``name`` made of the medians over the rounds (peak: the highest)."""

    def of(pick: Callable[[Measurement], float]) -> float:
        return statistics.median(pick(r[name]) for r in rounds)

    first = rounds[0][name]
    return Measurement(
        seconds=of(lambda m: m.seconds),
        cpu_seconds=of(lambda m: m.cpu_seconds),
        peak_mb=max(r[name].peak_mb for r in rounds),
        returncode=0,
        stdout=first.stdout,
        stderr=first.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buses", type=int, default=9000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.001)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    day = simulated_day(args.buses, args.days, args.fault_rate)
    rounds: list[dict[str, Measurement]] = []
    for number in range(1, args.rounds + 1):
        rounds.append(_round(day, day.work / "runs"))
        events = int(rounds[0][FLOOR].stdout.strip().splitlines()[-1])
        _print_table(f"round {number} of {args.rounds}", rounds[-1], events)
    load = os.getloadavg()[0]
    medians = {name: _median(rounds, name) for name in rounds[0]}
    ratios = [r[PROCESS].seconds / r[FLOOR].seconds for r in rounds]
    print(
        f"\n{args.buses} buses x {args.days} day(s): {events:,} events parsed by the floor, "
        f"{day.landed_mb:.0f} MB landed; load average {load:.1f} at the end (2 cores)"
    )
    _print_table(f"median of {args.rounds} rounds (peak: the highest)", medians, events)
    print(f"ratio of each round: {', '.join(f'{ratio:.2f}' for ratio in ratios)}")
    append_result(
        "process_day.jsonl",
        {
            "buses": args.buses,
            "days": args.days,
            "events": events,
            "landed_mb": round(day.landed_mb),
            "rounds": args.rounds,
            "floor_s": round(medians[FLOOR].seconds, 2),
            "floor_2_threads_s": round(medians[FLOOR_2].seconds, 2),
            "floor_peak_mb": round(medians[FLOOR].peak_mb),
            "process_s": round(medians[PROCESS].seconds, 2),
            "process_cpu_s": round(medians[PROCESS].cpu_seconds, 2),
            "process_peak_mb": round(medians[PROCESS].peak_mb),
            "ratio": round(medians[PROCESS].seconds / medians[FLOOR].seconds, 2),
            "ratio_2_threads": round(medians[PROCESS].seconds / medians[FLOOR_2].seconds, 2),
            "ratio_of_each_round": [round(ratio, 2) for ratio in ratios],
            "load_average": round(load, 2),
        },
    )


if __name__ == "__main__":
    main()
