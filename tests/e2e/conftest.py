"""Browser tests: `dagster dev` on the real workspace, driven by headless Chromium."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

# --import-mode=importlib leaves sys.path alone; the helper module beside this file
# (e2e_browser) is imported by its plain name, as in tests/asset_register.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from e2e_browser import INSTALL_HINT, REPO_ROOT, WORKSPACE, Browser

DAGSTER = REPO_ROOT / ".venv" / "bin" / "dagster"

SERVER_DEADLINE_S = 120.0


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def workspace_location_names() -> list[str]:
    config = yaml.safe_load(WORKSPACE.read_text())
    return [
        entry["python_module"]["location_name"]
        for entry in config["load_from"]
        if "python_module" in entry
    ]


@pytest.fixture(scope="session")
def chromium_bin() -> str:
    """Debian's Chromium; in CI its absence fails the test, elsewhere it skips it."""
    found = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium")
    if not found and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if not found:
        if in_ci():
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    return found


@pytest.fixture
def browser(chromium_bin: str, tmp_path: Path) -> Browser:
    work_dir = tmp_path / "chromium"
    work_dir.mkdir()
    return Browser(chromium_bin, work_dir)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get_json(url: str, payload: dict | None = None) -> dict:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


WORKSPACE_QUERY = """
{ workspaceOrError { __typename
    ... on Workspace { locationEntries { name loadStatus
        locationOrLoadError { __typename ... on PythonError { message } } } }
    ... on PythonError { message } } }
"""


def _log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_loaded(
    base_url: str, process: subprocess.Popen, log: Path, locations: list[str]
) -> None:
    """Poll until the webserver answers and every workspace location loaded without error."""
    deadline = time.monotonic() + SERVER_DEADLINE_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            _get_json(f"{base_url}/server_info")
            answer = _get_json(f"{base_url}/graphql", {"query": WORKSPACE_QUERY})
        except (OSError, urllib.error.URLError, ValueError) as error:
            last = repr(error)
        else:
            workspace = answer.get("data", {}).get("workspaceOrError", {})
            entries = {entry["name"]: entry for entry in workspace.get("locationEntries", [])}
            errors = {
                name: entry["locationOrLoadError"].get("message")
                for name, entry in entries.items()
                if (entry.get("locationOrLoadError") or {}).get("__typename") == "PythonError"
            }
            if errors:
                pytest.fail(f"code locations failed to load: {errors}")
            loaded = {
                name
                for name, entry in entries.items()
                if entry["loadStatus"] == "LOADED"
                and (entry.get("locationOrLoadError") or {}).get("__typename")
                == "RepositoryLocation"
            }
            if set(locations) <= loaded:
                return
            last = f"loaded so far: {sorted(loaded)}"
        time.sleep(0.5)
    pytest.fail(
        f"dagster dev did not load {locations} within {SERVER_DEADLINE_S:.0f} s ({last}):\n"
        f"{_log_tail(log)}"
    )


def _end_process_group(process: subprocess.Popen) -> None:
    """`dagster dev` does not reliably stop on SIGTERM (a code server it restarts while
    shutting down outlives it), so: SIGTERM the whole group, give it 5 s, then SIGKILL what
    is left of the group."""
    pgid = process.pid  # start_new_session=True: the process leads its own group
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def dagster_ui(tmp_path: Path, chromium_bin: str) -> Iterator[str]:
    """`dagster dev -w workspace.yaml` from the repo root on a free port; yields its URL.

    Its own DAGSTER_HOME (telemetry and the first-visit sign-up dialog off) and data
    directory under tmp_path. Asking for ``chromium_bin`` first means a missing browser
    skips or fails before ~20 s go into starting the server.
    """
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    data = tmp_path / "platform_data"
    data.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PLATFORM_DATA_DIR": str(data)}
    env.pop("DAGSTER_DEPLOYMENT", None)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "dagster_dev.log"
    dagster = str(DAGSTER) if DAGSTER.exists() else "dagster"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [dagster, "dev", "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_loaded(base_url, process, log, workspace_location_names())
            yield base_url
        finally:
            _end_process_group(process)
