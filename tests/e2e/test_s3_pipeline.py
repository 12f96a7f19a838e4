"""The whole pipeline on S3 (moto's server, real boto3 and delta-rs over HTTP) gives the
same gold tables as on a folder, except what depends on a file's received time: intellibus
rows take it from the file, which on S3 is the upload time, so their delays and their
date_status (``future`` is relative to the received time) — and with it which of their
events count as ``ok`` — may differ."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

BIN = Path(sys.executable).parent
DAY = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
SAME_EVERYWHERE = ("files_daily", "rejected_rows_daily")
SAME_BUT_INTELLIBUS = (
    "event_delays_daily",
    "non_standard_dates_daily",
    "events_daily",
    "unknown_vins_daily",
)


def fleet(command: str, landing: str, env: dict[str, str], *extra: str) -> str:
    result = subprocess.run(
        [str(BIN / "fleet-platform"), command, "--landing", landing, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def read(url: str, table: str) -> pl.DataFrame:
    options = None
    if url.startswith("s3://"):
        options = {
            "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1",
            "AWS_ALLOW_HTTP": "true",
        }
    frame = pl.read_delta(f"{url}/gold/{table}", storage_options=options)
    return frame.sort(frame.columns)


@pytest.fixture
def runs(bucket: str, tmp_path: Path) -> tuple[str, str]:
    env = {**os.environ, "PLATFORM_DATA_DIR": str(tmp_path / "data")}
    env.pop("DAGSTER_HOME", None)
    simulate = ("--buses", "12", "--date", DAY, "--seed", "7")
    folder_landing, folder_warehouse = str(tmp_path / "landing"), str(tmp_path / "warehouse")
    s3_landing, s3_warehouse = f"s3://{bucket}/landing", f"s3://{bucket}/warehouse"
    fleet("simulate", folder_landing, env, *simulate)
    fleet("simulate", s3_landing, env, *simulate)
    fleet("process", folder_landing, env, "--warehouse", folder_warehouse)
    fleet("process", s3_landing, {**env, "PLATFORM_DATA_DIR": str(tmp_path / "s3data")},
          "--warehouse", s3_warehouse)  # fmt: skip
    return folder_warehouse, s3_warehouse


def test_same_gold_tables_on_a_folder_and_on_s3(runs):
    folder, s3 = runs
    for table in SAME_EVERYWHERE:
        assert read(folder, table).equals(read(s3, table)), table
    not_intellibus = pl.col("source") != "intellibus"
    for table in SAME_BUT_INTELLIBUS:
        assert (
            read(folder, table)
            .filter(not_intellibus)
            .equals(read(s3, table).filter(not_intellibus))
        ), table
    assert (
        read(folder, "rejected_files")
        .drop("file_version", "partition_date")
        .equals(read(s3, "rejected_files").drop("file_version", "partition_date"))
    )
