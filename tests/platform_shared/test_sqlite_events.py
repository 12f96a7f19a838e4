"""The console commands' local instance: Dagster's SQLite storage, its event log keeping
connections open between events and its run storage pooling them, read back by another
instance (as the webserver does) and by SQLite itself; steps' output left on the terminal."""

import sqlite3
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as db

from platform_shared.instance import command_instance
from platform_shared.sqlite_events import KeptOpenSqliteEventLogStorage, write_ahead
from platform_shared.sqlite_runs import PooledSqliteRunStorage


@dg.asset
def numbers() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=numbers)
def numbers_are_few() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.Definitions(
    assets=[numbers],
    asset_checks=[numbers_are_few],
    jobs=[dg.define_asset_job("numbers_job", selection=[numbers])],
).resolve_job_def("numbers_job")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path))
    return tmp_path / "dagster_home"


def test_runs_and_their_events_read_back_from_another_instance(home):
    instance = command_instance()
    assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
    assert isinstance(instance.run_storage, PooledSqliteRunStorage)
    # more runs than databases kept open: the oldest are closed on the way
    run_ids = [JOB.execute_in_process(instance=instance).run_id for _ in range(6)]

    reader = dg.DagsterInstance.from_config(str(home))
    for run_id in run_ids:
        assert reader.get_run_by_id(run_id).is_success
        kinds = {
            e.dagster_event.event_type_value for e in reader.all_logs(run_id) if e.dagster_event
        }
        assert {"STEP_SUCCESS", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"} <= kinds
    latest = reader.get_latest_materialization_event(dg.AssetKey("numbers"))
    assert latest is not None and latest.run_id == run_ids[-1]
    check = dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_are_few")
    records = reader.event_log_storage.get_latest_asset_check_execution_by_key([check])
    assert records[check].run_id == run_ids[-1]


def test_events_are_in_dagsters_usual_databases_while_the_instance_is_open(home):
    instance = command_instance()
    run_id = JOB.execute_in_process(instance=instance).run_id
    with sqlite3.connect(home / "history" / "runs" / f"{run_id}.db") as shard:
        (stored,) = shard.execute("select count(*) from event_logs").fetchone()
    assert stored == len(instance.all_logs(run_id)) > 0
    with sqlite3.connect(home / "history" / "runs" / "index.db") as index:
        (asset_events,) = index.execute(
            "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
        ).fetchone()
    assert asset_events == 1


def test_event_databases_write_ahead_without_a_sync_per_commit(home):
    storage = command_instance().event_log_storage
    for connection in (storage.index_connection(), storage.run_connection("some-run")):
        with connection as conn:
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL


def test_a_new_home_is_created_writing_ahead_and_opens_again(home, tmp_path):
    command_instance()
    for database in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        with sqlite3.connect(home / database) as conn:
            assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
    # only the instance's own connections were set up so: others keep SQLite's defaults
    with db.create_engine(f"sqlite:///{tmp_path / 'other.db'}").connect() as other:
        assert other.exec_driver_sql("pragma journal_mode").scalar() == "delete"

    reopened = command_instance()  # the existing home, its index checked as Dagster does
    run_id = JOB.execute_in_process(instance=reopened).run_id
    assert dg.DagsterInstance.from_config(str(home)).get_run_by_id(run_id).is_success


@dg.asset
def talkative() -> None:
    print("a line a step printed")


def test_a_commands_steps_print_to_its_terminal_and_dagster_dev_still_captures(home, capfd):
    job = dg.Definitions(
        assets=[talkative], jobs=[dg.define_asset_job("talk", selection=[talkative])]
    ).resolve_job_def("talk")
    run_id = job.execute_in_process(instance=command_instance()).run_id

    assert "a line a step printed" in capfd.readouterr().out
    assert not (home / "storage" / run_id).exists()  # no captured copy of it
    webserver = dg.DagsterInstance.from_config(str(home))  # dagster dev's view of the home
    assert type(webserver.compute_log_manager).__name__ == "LocalComputeLogManager"


def test_write_ahead_leaves_other_databases_connections_alone():
    class OtherDriver:  # another DBAPI's connection, met while an instance is being built
        def execute(self, statement: str) -> None:
            raise AssertionError(f"sent {statement!r} to a database that isn't SQLite")

    write_ahead(OtherDriver(), None)


def test_alembic_scripts_are_read_once_and_every_database_is_at_dagsters_head(home):
    from alembic.script import ScriptDirectory
    from dagster._core.storage.event_log.sqlite import sqlite_event_log
    from dagster._core.storage.runs.sqlite import sqlite_run_storage
    from dagster._core.storage.sql import get_alembic_config

    instance = command_instance()
    JOB.execute_in_process(instance=instance)
    configs = [
        get_alembic_config(module.__file__) for module in (sqlite_run_storage, sqlite_event_log)
    ]
    scripts = {id(ScriptDirectory.from_config(config)) for config in configs}
    assert len(scripts) == 1  # the storages' configs share one script location, one map
    head = ScriptDirectory.from_config(configs[0]).get_current_head()
    for database in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        with sqlite3.connect(home / database) as conn:
            assert conn.execute("select version_num from alembic_version").fetchone() == (head,)
    # Dagster's own storage (as `dagster dev` opens the home) finds nothing to migrate
    assert dg.DagsterInstance.from_config(str(home)).get_run_records()
