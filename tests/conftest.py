"""Fixtures every test package shares."""

import os

import pytest


def in_ci() -> bool:
    """CI sets CI=true: there a missing service fails the test instead of skipping it."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes into the project's own data directory or a developer's DAGSTER_HOME."""
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_DEPLOYMENT", raising=False)
