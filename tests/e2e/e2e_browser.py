"""Helpers of the browser tests: headless Chromium rendering pages to DOM and PNG."""

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = REPO_ROOT / "workspace.yaml"

INSTALL_HINT = (
    "Chromium is not installed; the browser tests need it: "
    "`apt-get install -y chromium` (as root, or with sudo). "
    "`make test` installs it when missing (scripts/ensure_chromium.sh)."
)

# Flags a closed network needs: without the background-networking ones Chromium keeps
# dialling Google's hosts and gets refused; a fresh profile per run keeps runs independent.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
)


@dataclass
class Page:
    url: str
    dom: str

    @property
    def text(self) -> str:
        """The visible text, roughly: scripts and styles dropped, tags turned into spaces."""
        body = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", self.dom, flags=re.S | re.I)
        return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))

    def missing(self, needles: list[str]) -> list[str]:
        text, dom = self.text, unescape(self.dom)
        return [needle for needle in needles if needle not in text and needle not in dom]


@dataclass
class Browser:
    """One headless Chromium per page: fresh profile, virtual time to let the app fetch."""

    binary: str
    work_dir: Path
    log: list[str] = field(default_factory=list)

    def render(
        self,
        url: str,
        *,
        expect: list[str],
        window: tuple[int, int] = (1600, 1100),
        screenshot: Path | None = None,
        scale: float = 1.0,
        deadline_s: float = 60.0,
    ) -> Page:
        """The rendered DOM of ``url``; re-rendered until every ``expect`` string shows.

        The app fetches its data over GraphQL after the first paint; the virtual-time
        budget normally covers that, the retry covers a slow first query. Returns the last
        rendering either way: the caller asserts on it and reports what is missing.
        """
        started = time.monotonic()
        give_up = started + deadline_s
        budget_ms = 15_000
        attempts = 0
        while True:
            attempts += 1
            profile = tempfile.mkdtemp(prefix="profile-", dir=self.work_dir)
            command = [
                self.binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={window[0]},{window[1]}",
                f"--force-device-scale-factor={scale}",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
            ]
            if screenshot is not None:
                command.append(f"--screenshot={screenshot}")
            command.append(url)
            done = subprocess.run(command, capture_output=True, text=True, timeout=90)
            shutil.rmtree(profile, ignore_errors=True)
            page = Page(url, done.stdout)
            complete = done.returncode == 0 and not page.missing(expect)
            if complete or time.monotonic() >= give_up:
                outcome = "ok" if complete else "INCOMPLETE"
                self.log.append(
                    f"{time.monotonic() - started:5.1f} s {attempts}x {outcome:10} {url}"
                )
                if done.returncode != 0:
                    pytest.fail(
                        f"chromium exited with {done.returncode} on {url}:\n{done.stderr[-2000:]}"
                    )
                return page
            budget_ms = min(budget_ms * 2, 60_000)
