"""Fixtures of the deployment tests: the project's deployment files, a fresh PostgreSQL
database per test, the production instance config with the run launcher swapped."""

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import yaml

# --import-mode=importlib leaves sys.path alone; the helper modules beside this file (all
# named deploy_*) are imported by the tests by their plain names.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from deploy_paths import INSTANCE_YAML

PG_START_HINT = (
    "PostgreSQL is not reachable on 127.0.0.1:5432. Start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`."
)


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str

    def connect(self, dbname: str = "test") -> psycopg.Connection:
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=dbname, autocommit=True
        )


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    """The machine's PostgreSQL (trust auth); in CI its absence fails, elsewhere skips."""
    for user in ("postgres", "root"):
        server = PgServer("127.0.0.1", 5432, user)
        try:
            server.connect().close()
            return server
        except psycopg.OperationalError:
            continue
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(PG_START_HINT)
    pytest.skip(PG_START_HINT)


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[str]:
    """A fresh database ``dagster_test_<hex>``, dropped after the test."""
    name = f"dagster_test_{uuid.uuid4().hex[:12]}"
    with pg_server.connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # name: generated above
    try:
        yield name
    finally:
        with pg_server.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def production_home(
    pg_server: PgServer, pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A DAGSTER_HOME whose dagster.yaml is deploy/ecs/dagster.yaml with the default run
    launcher in place of EcsRunLauncher, and the DAGSTER_PG_* environment pointing at a
    fresh database."""
    config = yaml.safe_load(INSTANCE_YAML.read_text())
    assert config.pop("run_launcher")["class"] == "EcsRunLauncher"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    for name, value in {
        "DAGSTER_PG_HOST": pg_server.host,
        "DAGSTER_PG_PORT": str(pg_server.port),
        "DAGSTER_PG_DB": pg_database,
        "DAGSTER_PG_USER": pg_server.user,
        "DAGSTER_PG_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    return home
