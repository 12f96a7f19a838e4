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
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Measured:
    """One alternative's run: wall seconds, CPU seconds (user + system), peak RSS."""

    name: str
    seconds: float
    cpu_seconds: float
    peak_mb: float
    output: str


def measured(name: str, command: list[str], env: dict[str, str]) -> Measured:
    """Run a command in its own process and measure it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-2000:]}")
    return Measured(name, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buses", type=int, default=9000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.001)
    args = parser.parse_args()

    work = HERE / "data" / f"{args.buses}-buses-{args.days}-days"
    landing, warehouse, home = work / "landing", work / "warehouse", work / "home"
    env = {**os.environ, "PLATFORM_DATA_DIR": str(work)}
    env.pop("DAGSTER_HOME", None)
    first = datetime.now(UTC).date() - timedelta(days=args.days)
    if not landing.exists():
        subprocess.run(
            [
                str(BIN / "fleet-platform"),
                "simulate",
                "--landing",
                str(landing),
                "--buses",
                str(args.buses),
                "--days",
                str(args.days),
                "--date",
                first.isoformat(),
                "--fault-rate",
                str(args.fault_rate),
            ],
            env=env,
            check=True,
        )
    landed_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 1e6
    floor_command = [sys.executable, str(HERE / "floor.py")]

    floor = measured("floor (polars parse only)", [*floor_command, str(landing)], env)
    floor_2 = measured("floor on 2 threads", [*floor_command, str(landing), "--threads", "2"], env)
    events = int(floor.output.strip().splitlines()[-1])

    shutil.rmtree(warehouse, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work / "dagster_home", ignore_errors=True)
    process = measured(
        "fleet-platform process",
        [
            str(BIN / "fleet-platform"),
            "process",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
        ],
        env,
    )

    load = os.getloadavg()[0]
    print(
        f"\n{args.buses} buses x {args.days} day(s): {events:,} events parsed by the floor, "
        f"{landed_mb:.0f} MB landed; load average {load:.1f} at the end (2 cores)"
    )
    print(
        f"{'alternative':<28}{'seconds':>9}{'CPU s':>8}{'events/s':>12}{'peak MB':>9}"
        f"{'x floor':>9}{'x 2-thread floor':>18}"
    )
    for run in (floor, floor_2, process):
        print(
            f"{run.name:<28}{run.seconds:>9.1f}{run.cpu_seconds:>8.1f}"
            f"{events / run.seconds:>12,.0f}{run.peak_mb:>9.0f}"
            f"{run.seconds / floor.seconds:>9.2f}{run.seconds / floor_2.seconds:>18.2f}"
        )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    with (results / "process_day.jsonl").open("a") as sink:
        sink.write(
            json.dumps(
                {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "buses": args.buses,
                    "days": args.days,
                    "events": events,
                    "landed_mb": round(landed_mb),
                    "floor_s": round(floor.seconds, 2),
                    "floor_cpu_s": round(floor.cpu_seconds, 2),
                    "floor_peak_mb": round(floor.peak_mb),
                    "floor_2_threads_s": round(floor_2.seconds, 2),
                    "process_s": round(process.seconds, 2),
                    "process_cpu_s": round(process.cpu_seconds, 2),
                    "process_peak_mb": round(process.peak_mb),
                    "ratio": round(process.seconds / floor.seconds, 2),
                    "ratio_2_threads": round(process.seconds / floor_2.seconds, 2),
                    "load_average": round(load, 2),
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
