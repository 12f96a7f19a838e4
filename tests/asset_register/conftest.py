"""Fixtures of the asset register tests: PostgreSQL and SQLite sources, the loopback central
register, settings environments pointing at temp folders."""

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from asset_register.source.demo import SOURCE_DDL, demo_rows, write_source_rows
from asset_register.source.reader import create_engine

# --import-mode=importlib leaves sys.path alone; the helper modules beside this file
# (all named register_*) are imported by the tests by their plain names.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from register_fake_central import TOKEN, FakeCentral
from register_source_db import SourceDb

PG_START_HINT = (
    "PostgreSQL is not reachable on 127.0.0.1:5432. Start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`."
)


def _pg_url_if_up(port: int = 5432) -> str | None:
    for user in ("postgres", "root"):
        url = f"postgresql://{user}@127.0.0.1:{port}/test"
        engine = create_engine(url)
        try:
            with engine.connect():
                return url
        except sa.exc.OperationalError:
            continue
        finally:
            engine.dispose()
    return None


def _throwaway_cluster(tmp: Path) -> tuple[str, Callable[[], None]]:
    """initdb + pg_ctl in a temp folder on a free port (outside CI only)."""
    bin_dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    initdb = shutil.which("initdb") or (str(bin_dirs[-1] / "initdb") if bin_dirs else None)
    if not initdb:
        pytest.fail(PG_START_HINT + " (and no initdb found for a throwaway cluster)")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp / "pgdata"
    subprocess.run([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                   capture_output=True)  # fmt: skip
    options = f"-p {port} -k {tmp} -h 127.0.0.1"
    subprocess.run([pg_ctl, "-D", str(data), "-o", options, "-w", "start"], check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "test"],
                   check=True)  # fmt: skip

    def stop() -> None:
        subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)

    return f"postgresql://postgres@127.0.0.1:{port}/test", stop


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = _pg_url_if_up()
    if url:
        yield url
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(PG_START_HINT)
    url, stop = _throwaway_cluster(tmp_path_factory.mktemp("pg"))
    try:
        yield url
    finally:
        stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def source_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceDb]:
    """The contract's source table with the 200 demo rows, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        db = SourceDb("sqlite", f"sqlite:///{tmp_path / 'source.sqlite'}", None)
        engine = db.engine()
        write_source_rows(engine, demo_rows(), db.table)
        engine.dispose()
        yield db
        return
    url = request.getfixturevalue("pg_url")
    schema = f"ar_{uuid.uuid4().hex[:12]}"
    db = SourceDb("postgresql", url, schema)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.schema.CreateSchema(schema))
        connection.execute(sa.text(f'SET search_path TO "{schema}"'))  # schema: generated above
        connection.exec_driver_sql(SOURCE_DDL.format(table=db.table))
    engine.dispose()
    db.write(demo_rows())
    try:
        yield db
    finally:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.fixture
def fake_central() -> Iterator[FakeCentral]:
    fake = FakeCentral(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def sqlite_source(tmp_path: Path) -> SourceDb:
    db = SourceDb("sqlite", f"sqlite:///{tmp_path / 'source.sqlite'}", None)
    engine = db.engine()
    write_source_rows(engine, demo_rows(), db.table)
    engine.dispose()
    return db


@pytest.fixture
def register_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, str]]:
    """Build an environment for ``RegisterSettings.from_env`` with everything in temp
    folders; the central register defaults to the test's fake (token set in os.environ)."""
    monkeypatch.setenv("CENTRAL_REGISTER_TOKEN", TOKEN)

    def build(source: SourceDb, central_url: str, **overrides: str) -> dict[str, str]:
        env = {
            "DAGSTER_DEPLOYMENT": "local",
            "PLATFORM_DATA_DIR": str(tmp_path / "data"),
            "REGISTER_SOURCE_URL": source.url,
            "REGISTER_SOURCE_TABLE": source.table_setting,
            "CENTRAL_REGISTER_URL": central_url,
            "REGISTER_WAREHOUSE_URL": str(tmp_path / "warehouse"),
            "CENTRAL_REGISTER_BACKOFF_SECONDS": "0",
            "CENTRAL_REGISTER_MAX_ATTEMPTS": "4",
        }
        return {**env, **overrides}

    return build


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


@pytest.fixture
def s3_bucket(bucket: str) -> str:
    """A fresh bucket on moto's S3 server, the AWS environment pointing at it
    (``bucket`` in tests/conftest.py)."""
    return bucket
