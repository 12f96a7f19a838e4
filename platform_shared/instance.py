"""The Dagster instance the console commands run on.

``DAGSTER_HOME`` when it is set (the same instance ``dagster dev`` and the daemon use),
else a persistent one under the project's data directory, so that run history — and
with it processing usage — accumulates across commands.
"""

import os

import dagster as dg

from platform_shared.paths import data_dir

# Writers of the same Delta tables share a pool (``fleet_warehouse``): one at a time, so
# two partitions' runs never both keep the same event as clean.
LOCAL_INSTANCE_CONFIG = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


def command_instance() -> dg.DagsterInstance:
    """Open the instance for a console command."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    home = data_dir() / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_INSTANCE_CONFIG)
    return dg.DagsterInstance.from_config(str(home))
