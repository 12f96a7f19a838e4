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
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; returns (seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, output


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

    floor_s, floor_mb, floor_out = measured(
        [sys.executable, str(HERE / "floor.py"), str(landing)], env
    )
    events = int(floor_out.strip().splitlines()[-1])

    shutil.rmtree(warehouse, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work / "dagster_home", ignore_errors=True)
    process_s, process_mb, _ = measured(
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

    rows = [
        ("floor (polars parse only)", floor_s, floor_mb),
        ("fleet-platform process", process_s, process_mb),
    ]
    print(
        f"\n{args.buses} buses x {args.days} day(s): {events:,} events parsed by the floor, {landed_mb:.0f} MB landed"
    )
    print(f"{'alternative':<28}{'seconds':>9}{'events/s':>12}{'peak MB':>9}{'x floor':>9}")
    for name, seconds, peak in rows:
        print(
            f"{name:<28}{seconds:>9.1f}{events / seconds:>12,.0f}{peak:>9.0f}{seconds / floor_s:>9.2f}"
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
                    "floor_s": round(floor_s, 2),
                    "floor_peak_mb": round(floor_mb),
                    "process_s": round(process_s, 2),
                    "process_peak_mb": round(process_mb),
                    "ratio": round(process_s / floor_s, 2),
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
