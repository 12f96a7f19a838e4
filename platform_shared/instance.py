"""The Dagster instance the console commands run on.

``DAGSTER_HOME`` when it is set (the same instance ``dagster dev`` and the daemon use),
else a persistent one under the project's data directory, so that run history — and
with it processing usage — accumulates across commands.
"""

import os
from pathlib import Path

import dagster as dg

from platform_shared.paths import data_dir


def command_instance() -> dg.DagsterInstance:
    """Open the instance for a console command."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    home = data_dir() / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.from_config(str(home))


def instance_home(instance: dg.DagsterInstance) -> Path:
    """Folder of a local instance (for messages that tell the user where to look)."""
    return Path(instance.root_directory)
