"""What the benchmarks share: simulate a day once, run one alternative in its own process
and measure its wall time and peak memory, keep the results.

Used by ``process_day.py`` and ``engines.py`` (run as scripts from ``bench/``).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
RESULTS = HERE / "results"
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
SAMPLE_EVERY_S = 0.25


@dataclass(frozen=True)
class Day:
    """A simulated landing: where it is and its size."""

    work: Path
    buses: int
    days: int
    fault_rate: float

    @property
    def landing(self) -> Path:
        return self.work / "landing"

    @property
    def landed_mb(self) -> float:
        return sum(p.stat().st_size for p in self.landing.rglob("*") if p.is_file()) / 1e6


@dataclass
class Measurement:
    """One alternative's run: wall seconds, peak memory, what it printed."""

    seconds: float
    cpu_seconds: float  # user + system, of the process and the children it waited for
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str
    commands_seen: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def error(self) -> str:
        """The first line of the error: the first exception with a message that is not a
        Dagster wrapper (the cause, as Python prints chained exceptions oldest first),
        else the last line written to stderr (the command's own verdict), else the exit
        code."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        raised = [line for line in lines if _EXCEPTION.match(line)]
        causes = [line for line in raised if not line.startswith("dagster.")] or raised
        if causes:
            return causes[0]
        return lines[-1] if lines else f"exit code {self.returncode}"


_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit): \S")


def base_env(work: Path) -> dict[str, str]:
    """The environment of a benchmark process: data under ``work``, no ambient Dagster home."""
    env = {**os.environ, "PLATFORM_DATA_DIR": str(work)}
    env.pop("DAGSTER_HOME", None)
    return env


def simulated_day(buses: int, days: int, fault_rate: float) -> Day:
    """The landing of ``days`` days of ``buses`` buses ending yesterday (UTC), simulated
    on first use and kept under ``bench/data/`` (git-ignored)."""
    day = Day(HERE / "data" / f"{buses}-buses-{days}-days", buses, days, fault_rate)
    if not day.landing.exists():
        first = datetime.now(UTC).date() - timedelta(days=days)
        command = [
            str(BIN / "fleet-platform"),
            "simulate",
            "--landing",
            str(day.landing),
            "--buses",
            str(buses),
            "--days",
            str(days),
            "--date",
            first.isoformat(),
            "--fault-rate",
            str(fault_rate),
        ]
        subprocess.run(command, env=base_env(day.work), check=True)
    return day


def fresh_folder(path: Path) -> Path:
    """``path`` emptied (removed and created again)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def process_command(landing: Path, warehouse: Path) -> list[str]:
    """``fleet-platform process`` of ``landing`` into ``warehouse``."""
    return [
        str(BIN / "fleet-platform"),
        "process",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
    ]


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _tree_rss(pid: int) -> tuple[float, set[str]]:
    """Resident MB of ``pid`` and all its descendants, and their command names."""
    tree, todo, total, names = _children(), [pid], 0.0, set()
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, []))
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * _PAGE_MB
            with open(f"/proc/{current}/comm") as comm:
                names.add(comm.read().strip())
        except (OSError, IndexError, ValueError):
            continue
    return total, names


class _TreeSampler(threading.Thread):
    """Samples the process tree's resident memory until stopped: the peak of the sum
    catches helper processes (Spark's JVM) that ``wait4``'s max RSS of one process misses."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.names = pid, 0.0, set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_EVERY_S):
            rss, names = _tree_rss(self.pid)
            self.peak_mb = max(self.peak_mb, rss)
            self.names |= names


def measured(command: list[str], env: dict[str, str], logs: Path) -> Measurement:
    """Run ``command`` in its own process, stdout and stderr kept in ``logs/``.

    Peak memory is the larger of the process's own max RSS (``wait4``) and the sampled
    peak of its whole process tree's resident memory.
    """
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / "stdout.txt", logs / "stderr.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_mb=max(usage.ru_maxrss / 1024, sampler.peak_mb),
        returncode=process.returncode,
        stdout=out_path.read_text(),
        stderr=err_path.read_text(),
        commands_seen=sampler.names,
    )


def checked(measurement: Measurement, what: str) -> Measurement:
    """``measurement`` if its run succeeded; else stop the benchmark with its error."""
    if not measurement.ok:
        raise SystemExit(f"{what} failed: {measurement.error}\n{measurement.stderr[-2000:]}")
    return measurement


def append_result(name: str, record: dict[str, object]) -> Path:
    """Append ``record`` (stamped with the time) as one JSON line to ``results/<name>``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    stamped = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **record}
    with path.open("a") as sink:
        sink.write(json.dumps(stamped) + "\n")
    return path
