"""The README's main command, ``make demo``, end to end on a small fleet: every count in
the gold tables equals what the simulator injected, and a second ``process`` changes
nothing."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fleet_platform.rules.reasons import FileRejection, RowRejection

ROOT = Path(__file__).resolve().parents[2]
FILE_REASONS = tuple(reason.value for reason in FileRejection)
ROW_REASONS = tuple(reason.value for reason in RowRejection)


def run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def injected(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("injected: "))
    return {name: int(count) for name, count in re.findall(r"(\w+)=(\d+)", line)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], str, Path, dict]:
    if shutil.which("make") is None:
        pytest.fail("make is needed to run the README's main command")
    data = tmp_path_factory.mktemp("demo-data")
    env = {**os.environ, "PLATFORM_DATA_DIR": str(data), "PYTHON": sys.executable}
    env.pop("DAGSTER_HOME", None)
    for name in ("FLEET_LANDING_URL", "FLEET_WAREHOUSE_URL", "DAGSTER_DEPLOYMENT"):
        env.pop(name, None)
    output = run(["make", "--no-print-directory", "demo", "BUSES=40", "DAYS=1"], env)
    return injected(output), output, data / "warehouse", env


def gold(warehouse: Path, name: str) -> pl.DataFrame:
    return pl.read_delta(str(warehouse / "gold" / name))


def test_demo_prints_what_came_out_and_where(demo):
    _, output, _, _ = demo
    for text in (
        "Files and rows by fate",
        "Top file rejection reasons",
        "Top row rejection reasons",
        "KPIs of the last ingest date",
        "gold/events_daily",
        "DAGSTER_HOME=",
    ):
        assert text in output


def test_gold_counts_equal_what_the_simulator_injected(demo):
    expected, _, warehouse, _ = demo
    files = gold(warehouse, "files_daily")
    assert (
        files["rows_received"]
        == files["rows_rejected"] + files["rows_duplicate"] + files["rows_clean"]
    ).all()
    assert files["rows_duplicate"].sum() == expected["duplicate"]
    rejected_files = gold(warehouse, "rejected_files").group_by("reason").len()
    assert dict(rejected_files.iter_rows()) == {
        reason: expected[reason] for reason in FILE_REASONS if expected.get(reason)
    }
    rejected_rows = (
        gold(warehouse, "rejected_rows_daily").group_by("reason").agg(pl.col("rows").sum())
    )
    assert dict(rejected_rows.iter_rows()) == {
        reason: expected[reason] for reason in ROW_REASONS if expected.get(reason)
    }
    dates = gold(warehouse, "non_standard_dates_daily").group_by("status").agg(pl.col("rows").sum())
    assert dict(dates.iter_rows()) == {
        "unparseable": expected["unparseable_time"],
        "future": expected["future"],
        "before_2000": expected["before_2000"],
    }
    unknown = gold(warehouse, "unknown_vins_daily")["events"].sum()
    assert unknown == expected["unknown_vins_events"]
    usage = gold(warehouse, "processing_usage_daily")
    assert usage["runs"].sum() >= 1 and (usage["cost_eur"] > 0).all()


def test_the_run_history_is_closed_when_the_commands_end(demo):
    # closed, not just left: SQLite folds each database's write-ahead log back into it
    home = demo[2].parent / "dagster_home"
    assert list(home.rglob("*.db"))
    assert not list(home.rglob("*.db-wal")), "a command left its run history open"


def test_processing_again_changes_nothing(demo):
    _, _, warehouse, env = demo
    names = ("files_daily", "rejected_rows_daily", "events_daily", "vins_daily", "unknown_vins")
    before = {name: gold(warehouse, name) for name in names}
    output = run([str(Path(sys.executable).parent / "fleet-platform"), "process"], env)
    assert "processing " not in output  # no partition had new file versions
    for name in names:
        assert gold(warehouse, name).equals(before[name]), name


def test_a_changed_reference_alone_rolls_the_kpis_up_again(demo):
    # Last in the module: it changes the demo's landing. With no partition to process,
    # process's reference run rebuilds the event-date roll-ups itself.
    _, _, warehouse, env = demo
    unknown_before = gold(warehouse, "unknown_vins")
    newly_known = unknown_before.sort("vin")["vin"][0]
    reference = warehouse.parent / "landing" / "reference" / "vehicles.csv"
    with reference.open("a") as csv:
        csv.write(f"{newly_known},99999,Demo,FR,Citaro,diesel,2020-01-01\n")

    output = run([str(Path(sys.executable).parent / "fleet-platform"), "process"], env)

    assert "processing " not in output
    unknown_after = gold(warehouse, "unknown_vins")
    assert newly_known not in unknown_after["vin"].to_list()
    assert unknown_after.height == unknown_before.height - 1
