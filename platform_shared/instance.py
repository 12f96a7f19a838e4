"""The Dagster instance the console commands run on.

``DAGSTER_HOME`` when it is set (the same instance ``dagster dev`` and the daemon use),
else a persistent one under the project's data directory, so that run history — and
with it processing usage — accumulates across commands.
"""

import os

import dagster as dg
from dagster._core.instance.ref import InstanceRef

from platform_shared.alembic_scripts import read_alembic_scripts_once
from platform_shared.paths import data_dir
from platform_shared.sqlite_events import writing_ahead

# Writers of the same Delta tables share a pool (``fleet_warehouse``): one at a time, so
# two partitions' runs never both keep the same event as clean.
LOCAL_INSTANCE_CONFIG = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


_KEPT_OPEN_EVENT_LOG = {
    "module": "platform_shared.sqlite_events",
    "class": "KeptOpenSqliteEventLogStorage",
}
_POOLED_RUNS = {"module": "platform_shared.sqlite_runs", "class": "PooledSqliteRunStorage"}
# A command's steps print to its terminal: mirroring them into files costs two ``tail``
# processes per step (about 0.15 s a command).
_TERMINAL_OUTPUT = {
    "module": "dagster._core.storage.noop_compute_log_manager",
    "class": "NoOpComputeLogManager",
    "config": {},
}


def command_instance() -> dg.DagsterInstance:
    """Open the instance for a console command.

    On the local instance (Dagster's SQLite storage) the command's own event log keeps its
    connections open (:mod:`platform_shared.sqlite_events`) and its run storage pools them
    (:mod:`platform_shared.sqlite_runs`), and its steps' stdout and stderr go to the
    terminal only; ``dagster dev`` opens the same home with Dagster's plain storage and
    captures its own runs' output. Either way Alembic's scripts are read once
    (:mod:`platform_shared.alembic_scripts`).
    """
    read_alembic_scripts_once()
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    home = data_dir() / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_CONFIG)
    if config.read_text() != LOCAL_INSTANCE_CONFIG:
        return dg.DagsterInstance.from_config(str(home))  # a dagster.yaml someone edited
    history = home.resolve() / "history"
    overrides = {
        "run_storage": {**_POOLED_RUNS, "config": {"base_dir": str(history)}},
        "event_log_storage": {
            **_KEPT_OPEN_EVENT_LOG,
            "config": {"base_dir": str(history / "runs")},
        },
        "compute_logs": _TERMINAL_OUTPUT,
    }
    with writing_ahead():  # a new home's databases are created here
        return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=overrides))
