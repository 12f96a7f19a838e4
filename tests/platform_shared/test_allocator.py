"""polars' allocator settings (platform_shared/allocator.py), each in a fresh interpreter:
jemalloc reads them once per process."""

import os
import subprocess
import sys

from platform_shared.allocator import CONFIG_VARIABLE, DECAY


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if name != CONFIG_VARIABLE}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )


READ_SETTING = f"import fleet_platform, os; print(os.environ.get({CONFIG_VARIABLE!r}))"


def test_importing_the_code_location_sets_the_decay():
    assert _python(READ_SETTING).stdout.strip() == DECAY


def test_a_setting_from_the_environment_wins():
    assert _python(READ_SETTING, **{CONFIG_VARIABLE: "narenas:2"}).stdout.strip() == "narenas:2"


def test_nothing_is_set_once_polars_is_loaded():
    code = f"import polars, fleet_platform, os; print(os.environ.get({CONFIG_VARIABLE!r}))"
    assert DECAY not in _python(code).stdout  # polars' own defaults, set as it loaded


def test_the_installed_polars_reads_the_variable():
    # stats_print makes jemalloc print its options at exit: proof it read this variable.
    code = "import fleet_platform, polars; polars.DataFrame({'a': [1]})"
    printed = _python(code, **{CONFIG_VARIABLE: f"{DECAY},stats_print:true"}).stderr
    assert "opt.dirty_decay_ms: 5000" in printed
