"""Fixtures every test package shares."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pyarrow.parquet as pq
import pytest

from platform_shared.delta import DeltaWarehouse


def in_ci() -> bool:
    """CI sets CI=true: there a missing service fails the test instead of skipping it."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes into the project's own data directory or a developer's DAGSTER_HOME."""
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_DEPLOYMENT", raising=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30.0) -> None:
    """Block until ``port`` accepts connections or the process has died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"moto server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"moto server did not listen on {port} within {seconds} s")


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on loopback: real HTTP, real boto3, started by the tests.

    It runs in its own process: delta-rs holds the GIL while it waits for HTTP, which
    starves a server thread in the test process (seen as 180 s hangs).
    """
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def s3_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS environment pointed at moto; returns the endpoint URL."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    return moto_endpoint


@pytest.fixture
def bucket(s3_env: str, request: pytest.FixtureRequest) -> str:
    """A fresh, empty bucket per test."""
    import re
    import uuid

    import boto3

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"{name}-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return name


Codecs = Callable[[DeltaWarehouse, str], set[str]]


def _codecs(warehouse: DeltaWarehouse, table_path: str) -> set[str]:
    """The compression of every column chunk of the table's current Parquet files (pyarrow
    names Parquet's LZ4_RAW "LZ4")."""
    table = warehouse.table(table_path)
    assert table is not None
    return {
        metadata.row_group(group).column(column).compression
        for uri in table.file_uris()
        for metadata in [pq.ParquetFile(uri.removeprefix("file://")).metadata]
        for group in range(metadata.num_row_groups)
        for column in range(metadata.num_columns)
    }


@pytest.fixture
def codecs() -> Codecs:
    """How a local table's current files are compressed (:func:`_codecs`)."""
    return _codecs
