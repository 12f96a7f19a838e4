"""The Databricks job of the ``databricks`` engine: one step of the fleet pipeline on the
cluster's Spark, driven by Dagster Pipes (docs/engines.md, "Databricks").

Run as ``python databricks_job.py [--reader delta|parquet] [--pipes dbfs|local]
[--env NAME=VALUE …]`` by a Databricks ``spark_python_task`` whose cluster has the
project's wheel installed. What to run comes as Pipes extras (:class:`JobStep`): ingest a
partition (``PartitionIngest`` on :class:`SparkEngine`) or build a gold table
(``build_gold``) — the same code the local engines run, on Delta tables read natively.
Progress goes to Dagster through ``pipes.log``; the result goes back as one custom
message ``{"summary": …, "metadata": …}``. The job reports no materializations: the
assets that submitted it report their own.

Pipes' bootstrap parameters arrive as CLI arguments on an existing cluster and as
environment variables on a new job cluster; both are read. ``--pipes local`` uses Pipes'
default file loader and writer instead of DBFS, and ``--reader parquet`` reads the Delta
snapshots' Parquet files (:class:`SnapshotParquetReader`): together they run this script
on a local Spark without Delta, as the tests do.
"""

import argparse
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, Any

# pyspark and the engine are imported where used: the orchestrator imports JobStep alone
if TYPE_CHECKING:
    from dagster_pipes import PipesContext
    from pyspark.sql import SparkSession

PIPES_IO = ("dbfs", "local")
READERS = ("delta", "parquet")


@dataclass(frozen=True)
class JobStep:
    """What one Databricks run does; travels as the Pipes extras (no secret in here)."""

    step: str  # "ingest" | "gold"
    day: date
    warehouse_url: str
    landing_url: str = ""  # ingest only
    today: date | None = None  # ingest only: the orchestrator's UTC date
    full_refresh: bool = False  # ingest only
    table: str = ""  # gold only: the gold table's path below the warehouse root

    @classmethod
    def ingest(
        cls, day: date, today: date, landing_url: str, warehouse_url: str, full_refresh: bool
    ) -> "JobStep":
        return cls("ingest", day, warehouse_url, landing_url, today, full_refresh)

    @classmethod
    def gold(cls, table: str, day: date, warehouse_url: str) -> "JobStep":
        return cls("gold", day, warehouse_url, table=table)

    @property
    def label(self) -> str:
        """``ingest-2024-01-02`` or ``gold-kpi_daily-2024-01-02``: names the task and the run."""
        what = self.step if self.step == "ingest" else f"gold-{self.table.rsplit('/', 1)[-1]}"
        return f"{what}-{self.day.isoformat()}"

    def extras(self) -> dict[str, Any]:
        """The step as JSON values."""
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in asdict(self).items()
        }

    @classmethod
    def from_extras(cls, extras: dict[str, Any]) -> "JobStep":
        """The step :meth:`extras` gave."""
        values = {field.name: extras[field.name] for field in fields(cls) if field.name in extras}
        values["day"] = date.fromisoformat(values["day"])
        if values.get("today"):
            values["today"] = date.fromisoformat(values["today"])
        return cls(**values)


def parse_options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The script's own options; Pipes' ``--dagster-pipes-*`` arguments are left to Pipes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader", choices=READERS, default="delta")
    parser.add_argument("--pipes", choices=PIPES_IO, default="dbfs")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    options, _ = parser.parse_known_args(argv)
    return options


def open_pipes(io: str) -> "PipesContext":
    """The Pipes context, its parameters read from the CLI (existing cluster) or the
    environment (new job cluster)."""
    from dagster_pipes import (
        PipesCliArgsParamsLoader,
        PipesDbfsContextLoader,
        PipesDbfsMessageWriter,
        PipesEnvVarParamsLoader,
        open_dagster_pipes,
    )

    cli = PipesCliArgsParamsLoader()
    params = cli if cli.is_dagster_pipes_process() else PipesEnvVarParamsLoader()
    if io == "dbfs":
        return open_dagster_pipes(
            context_loader=PipesDbfsContextLoader(),
            message_writer=PipesDbfsMessageWriter(),
            params_loader=params,
        )
    return open_dagster_pipes(params_loader=params)


def spark_session() -> "SparkSession":
    """The cluster's session (created here when run locally), with what the engine needs
    and ``FLEET_SPARK_CONF`` applied."""
    from pyspark.sql import SparkSession

    from fleet_platform.engines.spark_engine import REQUIRED_CONFIG
    from fleet_platform.settings import fleet_settings

    builder = SparkSession.builder.appName("fleet-platform-job")
    for name, value in {**fleet_settings().spark_conf, **REQUIRED_CONFIG}.items():
        builder = builder.config(name, value)
    return builder.getOrCreate()


def run_step(
    pipes: "PipesContext", spark: "SparkSession", step: JobStep, reader: str
) -> dict[str, Any]:
    """Run ``step`` on ``spark``; the result to report back (without metadata)."""
    from fleet_platform.engines.spark_engine import DeltaReader, SnapshotParquetReader, SparkEngine
    from fleet_platform.events.ingest import PartitionIngest
    from fleet_platform.kpis.build import build_gold
    from fleet_platform.kpis.tables import gold_table
    from fleet_platform.landing.resource import LandingResource
    from platform_shared.delta import DeltaWarehouse
    from platform_shared.storage import StorageRoot

    warehouse = DeltaWarehouse(StorageRoot.from_url(step.warehouse_url))
    engine = SparkEngine(
        spark, (DeltaReader if reader == "delta" else SnapshotParquetReader)(warehouse)
    )
    if step.step == "ingest":
        assert step.today is not None, "an ingest step needs the orchestrator's date"
        store = LandingResource(url=step.landing_url).backend()
        ingest = PartitionIngest(store, warehouse, step.day, step.today, pipes.log.info, engine)
        return {"summary": ingest.run(full_refresh=step.full_refresh).to_dict()}
    frame = build_gold(gold_table(step.table), warehouse, engine, step.day)
    pipes.log.info(f"{step.table}: {len(frame)} rows written for {step.day}")
    return {"rows": len(frame)}


def main(argv: Sequence[str] | None = None) -> None:
    """Open Pipes, run the step the extras name, report its result."""
    options = parse_options(argv)
    os.environ.update(item.split("=", 1) for item in options.env)
    # before Pipes: the DBFS message writer asks the active session for the log location
    spark = spark_session()
    with open_pipes(options.pipes) as pipes:
        step = JobStep.from_extras(dict(pipes.extras))
        pipes.log.info(f"{step.label}: Spark {spark.version}, reader {options.reader}")
        started = time.monotonic()
        result = run_step(pipes, spark, step, options.reader)
        metadata = {
            "spark_version": spark.version,
            "job_seconds": round(time.monotonic() - started, 1),
        }
        pipes.report_custom_message({**result, "metadata": metadata})


if __name__ == "__main__":
    main()
