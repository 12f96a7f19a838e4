"""The embedded demo source register: a SQLite file with ~200 realistic records.

Seeded once when the local deployment uses its embedded default and the file is missing;
a handful of records break one rule each so the invalid path shows in the UI.
"""

import json
import os
import random
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from asset_register.source.reader import create_engine

SOURCE_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
  asset_id            TEXT PRIMARY KEY,
  resource_arn        TEXT NOT NULL,
  resource_type       TEXT NOT NULL,
  account_id          TEXT NOT NULL,
  region              TEXT NOT NULL,
  name                TEXT,
  environment         TEXT NOT NULL,
  owner               TEXT NOT NULL,
  cost_center         TEXT,
  criticality         TEXT,
  data_classification TEXT,
  status              TEXT NOT NULL,
  tags                TEXT,
  updated_at          TIMESTAMP NOT NULL
)
"""
"""The contract's table (``{table}`` is a fixed name chosen by code, never user input)."""

_ACCOUNTS = {"production": "418273645012", "staging": "209384756123", "development": "731902846501"}
_REGIONS = ["eu-central-1", "eu-central-1", "eu-west-1", "eu-north-1"]
_TEAMS = ["platform-team", "fleet-data", "ticketing", "depot-it", "security@dbrb.example"]
_KINDS = [
    ("AWS::EC2::Instance", "ec2", "instance/i-{hex17}", False),
    ("AWS::RDS::DBInstance", "rds", "db:{name}", False),
    ("AWS::Lambda::Function", "lambda", "function:{name}", False),
    ("AWS::DynamoDB::Table", "dynamodb", "table/{name}", False),
    ("AWS::SQS::Queue", "sqs", "{name}", False),
    ("AWS::S3::Bucket", "s3", "{name}", True),
    ("AWS::IAM::Role", "iam", "role/{name}", True),
]


def demo_rows(count: int = 200, seed: int = 20240101) -> list[dict[str, Any]]:
    """Deterministic demo records; up to five are invalid (one broken field each: rows 17,
    54, 91, 128 and 165)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        environment = rng.choice(["production", "production", "staging", "development"])
        account = _ACCOUNTS[environment]
        rtype, service, resource, is_global = rng.choice(_KINDS)
        region = "global" if is_global else rng.choice(_REGIONS)
        name = f"{environment[:4]}-{service}-{i:03d}"
        arn_account = "" if service == "s3" else account
        arn_region = "" if is_global else region
        resource_part = resource.format(hex17=f"{rng.getrandbits(68):017x}", name=name)
        rows.append(
            {
                "asset_id": f"itk-{i:05d}",
                "resource_arn": f"arn:aws:{service}:{arn_region}:{arn_account}:{resource_part}",
                "resource_type": rtype,
                "account_id": account,
                "region": region,
                "name": name if rng.random() > 0.05 else None,
                "environment": environment,
                "owner": rng.choice(_TEAMS),
                "cost_center": rng.choice(["CC-1010", "CC-2040", "CC-3300", None]),
                "criticality": rng.choice(["low", "medium", "high", "critical", None]),
                "data_classification": rng.choice(
                    ["public", "internal", "confidential", "strictly_confidential", None]
                ),
                "status": "decommissioned" if rng.random() < 0.08 else "active",
                "tags": json.dumps({"app": service, "team": "itk"}) if rng.random() > 0.2 else None,
                "updated_at": f"2024-0{1 + i % 9}-{1 + i % 28:02d} 08:{i % 60:02d}:00",
            }
        )
    breakages = [
        {"environment": "Production"},
        {"account_id": "41827364501"},
        {"region": "eu-west-3"},
        {"tags": '{"app": 7}'},
        {"owner": ""},
    ]
    for offset, change in enumerate(breakages):
        if 17 + offset * 37 < count:
            rows[17 + offset * 37].update(change)
    return rows


def write_source_rows(engine: sa.Engine, rows: list[dict[str, Any]], table: str) -> None:
    """Create the contract's table (if missing) and insert rows with bound parameters."""
    target = sa.table(table, *(sa.column(c) for c in rows[0])) if rows else None
    with engine.begin() as connection:
        connection.exec_driver_sql(SOURCE_DDL.format(table=table))
        if target is not None:
            connection.execute(sa.insert(target), rows)


def ensure_demo_source(url: str, table: str) -> bool:
    """Seed the demo register at a ``sqlite:///`` URL when its file is missing; True if seeded."""
    path = Path(url.removeprefix("sqlite:///"))
    if path.exists():
        return False
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    engine = create_engine(f"sqlite:///{partial}")
    try:
        write_source_rows(engine, demo_rows(), table)
    finally:
        engine.dispose()
    partial.replace(path)
    return True
