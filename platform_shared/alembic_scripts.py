"""Dagster's Alembic migration scripts, read once per process.

Each of Dagster's SQLite storages checks or stamps its database's revision through its
own ``ScriptDirectory``, and each builds its revision map by importing the same 90-odd
migration scripts again: seven times for a new home and a command's first run (0.1 to
0.25 s of a ``fleet-platform process`` here, measured). The scripts are part of the
installed package, so one map per script location serves every storage of the process.
"""

from alembic.config import Config
from alembic.script import ScriptDirectory

_read: dict[str | None, ScriptDirectory] = {}
_from_config = ScriptDirectory.from_config.__func__  # type: ignore[attr-defined]


def _from_config_once(cls: type[ScriptDirectory], config: Config) -> ScriptDirectory:
    location = config.get_main_option("script_location")
    if location not in _read:
        _read[location] = _from_config(cls, config)
    return _read[location]


def read_alembic_scripts_once() -> None:
    """From now on in this process, one ``ScriptDirectory`` per script location."""
    ScriptDirectory.from_config = classmethod(_from_config_once)  # type: ignore[method-assign]
