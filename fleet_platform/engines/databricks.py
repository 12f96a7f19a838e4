"""The Databricks engine: each step runs as one Databricks run, submitted with Dagster Pipes.

:class:`DatabricksEngineResource` overrides the two steps of :class:`EngineResource`:
``ingest`` and ``gold`` each submit one run of the job script
(:mod:`fleet_platform.engines.databricks_job`) through dagster-databricks'
``PipesDatabricksClient`` and wait for it. The step, the partition and the landing and
warehouse URLs travel as Pipes extras; the script runs the same rules (``PartitionIngest``,
``build_gold``) on the cluster's Spark, reading Delta natively, and reports back its log
lines and one custom message: the ingest's :class:`IngestSummary`, or the gold table's
row count. ``gold`` returns the partition's rows read back from the warehouse
(:func:`partition_rows`). The Databricks run's id and URL and what the job reports
(Spark version, seconds) are added to every materialization of the step.

The task spec (:func:`submit_task`) is pure and carries no secret: the cluster reads S3
with its instance profile; the workspace token or OAuth secret only authenticates the
submission (docs/engines.md, "Databricks").
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
import polars as pl
from dagster_databricks import PipesDatabricksClient
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import compute, jobs

from fleet_platform.engines.databricks_job import PIPES_IO, READERS, JobStep
from fleet_platform.engines.resources import EngineResource
from fleet_platform.events.ingest import IngestSummary
from fleet_platform.kpis.build import partition_rows
from fleet_platform.kpis.tables import GoldTable
from fleet_platform.landing.store import LandingBackend
from fleet_platform.settings import json_object
from platform_shared.delta import DeltaWarehouse

# Installed on the cluster next to the project's wheel, pinned as in requirements.lock
# (tests/fleet_platform/engines/test_databricks.py holds them to it): the Databricks
# runtime brings its own versions of some, and the rules must run on the locked ones.
JOB_PACKAGES = (
    "dagster-pipes==1.13.27",
    "polars==2.1.0",
    "deltalake==1.6.6",
    "narwhals==2.29.0",
)


@dataclass(frozen=True)
class ScriptOptions:
    """How the job script reads tables and talks Pipes (``delta`` / ``dbfs`` on Databricks;
    ``parquet`` / ``local`` run it on a local Spark, as the tests do)."""

    reader: str = "delta"
    pipes: str = "dbfs"

    def __post_init__(self) -> None:
        if self.reader not in READERS or self.pipes not in PIPES_IO:
            raise ValueError(f"reader must be one of {READERS}, pipes one of {PIPES_IO}")

    def arguments(self) -> list[str]:
        return ["--reader", self.reader, "--pipes", self.pipes]


def _cluster(
    existing_cluster_id: str | None, new_cluster: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The task's compute: ``existing_cluster_id`` or ``new_cluster``, exactly one."""
    if bool(existing_cluster_id) == bool(new_cluster):
        raise ValueError(
            "the Databricks engine needs exactly one of existing_cluster_id "
            "(FLEET_DATABRICKS_CLUSTER_ID) and new_cluster (FLEET_DATABRICKS_CLUSTER)"
        )
    if existing_cluster_id:
        return {"existing_cluster_id": existing_cluster_id}
    return {"new_cluster": compute.ClusterSpec.from_dict(dict(new_cluster or {}))}


def submit_task(
    step: JobStep,
    *,
    script_path: str,
    wheel_path: str,
    existing_cluster_id: str | None = None,
    new_cluster: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    options: ScriptOptions = ScriptOptions(),
) -> jobs.SubmitTask:
    """The Databricks task running ``step``: the job script with its options, the wheel and
    :data:`JOB_PACKAGES` as libraries, on the chosen cluster. ``env`` (non-secret) goes to
    a new cluster's ``spark_env_vars``, or to the script as ``--env`` on an existing one
    (whose environment can't be set per run)."""
    cluster = _cluster(existing_cluster_id, new_cluster)
    parameters = options.arguments()
    if "new_cluster" in cluster and env:
        spec = cluster["new_cluster"]
        spec.spark_env_vars = {**(spec.spark_env_vars or {}), **env}
    elif env:
        parameters += [arg for name, value in env.items() for arg in ("--env", f"{name}={value}")]
    return jobs.SubmitTask(
        task_key=step.label,
        description=f"fleet-platform {step.step} of {step.day.isoformat()}",
        spark_python_task=jobs.SparkPythonTask(python_file=script_path, parameters=parameters),
        libraries=[
            compute.Library(whl=wheel_path),
            *(compute.Library(pypi=compute.PythonPyPiLibrary(package=p)) for p in JOB_PACKAGES),
        ],
        **cluster,
    )


def run_name(step: JobStep) -> str:
    """The name of the Databricks run of ``step``."""
    return f"fleet-platform {step.label}"


class DatabricksEngineResource(EngineResource):
    """Runs each step as a Databricks run of the job script (Pipes), on Delta on S3.

    Authentication: ``token`` (a personal access token) or OAuth M2M ``client_id`` and
    ``client_secret`` of a service principal, exactly one. Compute: ``existing_cluster_id``
    or ``new_cluster`` (a ``ClusterSpec`` as a dict), exactly one.
    """

    host: str
    token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    existing_cluster_id: str | None = None
    new_cluster: dict[str, Any] | None = None
    script_path: str
    """Where the job script lives: ``dbfs:/…``, ``/Workspace/…`` or ``/Volumes/…``."""
    wheel_path: str
    """The project's wheel, installed on the cluster as a task library."""
    poll_interval_seconds: float = 10.0
    env: dict[str, str] | None = None
    """Non-secret environment of the job (``FLEET_SPARK_CONF``, ``AWS_REGION``, …)."""

    @property
    def kind(self) -> str:
        return "databricks"

    def auth(self) -> dict[str, str]:
        """The ``WorkspaceClient`` arguments of the configured way to authenticate."""
        token = bool(self.token)
        oauth = bool(self.client_id or self.client_secret)
        if token == oauth or (oauth and not (self.client_id and self.client_secret)):
            raise ValueError(
                "the Databricks engine needs exactly one way to authenticate: a token "
                "(DATABRICKS_TOKEN) or OAuth M2M client_id and client_secret "
                "(DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET)"
            )
        if self.token:
            return {"host": self.host, "token": self.token, "auth_type": "pat"}
        assert self.client_id and self.client_secret
        return {
            "host": self.host,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "auth_type": "oauth-m2m",
        }

    def workspace_client(self) -> WorkspaceClient:
        return WorkspaceClient(**self.auth())

    def pipes_client(self) -> PipesDatabricksClient:
        """The Pipes client; context and messages go through DBFS (its defaults)."""
        return PipesDatabricksClient(
            self.workspace_client(), poll_interval_seconds=self.poll_interval_seconds
        )

    def script_options(self) -> ScriptOptions:
        return ScriptOptions()

    def task(self, step: JobStep) -> jobs.SubmitTask:
        """The task of ``step`` as configured."""
        return submit_task(
            step,
            script_path=self.script_path,
            wheel_path=self.wheel_path,
            existing_cluster_id=self.existing_cluster_id,
            new_cluster=self.new_cluster,
            env=self.env,
            options=self.script_options(),
        )

    def run_step(self, context: dg.AssetExecutionContext, step: JobStep) -> dict[str, Any]:
        """Submit ``step``, wait for it; what the job reported. The run's and the job's
        metadata go to every asset the step materializes."""
        task = self.task(step)
        on = task.existing_cluster_id or "a new cluster"
        context.log.info(f"Databricks: submitting {run_name(step)!r} on {on}")
        invocation = self.pipes_client().run(
            context=context,
            task=task,
            extras=step.extras(),
            submit_args={"run_name": run_name(step)},
        )
        reports = invocation.get_custom_messages()
        if not reports:
            raise dg.Failure(f"the Databricks run of {step.label} reported no result")
        report = dict(reports[-1])
        metadata = {**invocation.metadata, **report.pop("metadata", {})}
        for key in context.selected_asset_keys:
            context.add_asset_metadata(metadata, asset_key=key)
        return report

    def ingest(
        self,
        context: dg.AssetExecutionContext,
        store: LandingBackend,
        warehouse: DeltaWarehouse,
        day: date,
        full_refresh: bool,
    ) -> IngestSummary:
        step = JobStep.ingest(
            day, datetime.now(UTC).date(), store.url, warehouse.root.url, full_refresh
        )
        return IngestSummary.from_dict(self.run_step(context, step)["summary"])

    def gold(
        self,
        context: dg.AssetExecutionContext,
        spec: GoldTable,
        warehouse: DeltaWarehouse,
        day: date,
    ) -> pl.DataFrame:
        self.run_step(context, JobStep.gold(spec.table.path, day, warehouse.root.url))
        return partition_rows(spec, warehouse, day)


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ValueError(f"FLEET_ENGINE=databricks needs {name} (docs/engines.md, Databricks)")
    return value


def _auth_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """``token`` or ``client_id``/``client_secret`` as ``EnvVar``: resolved at run time,
    never stored in the definitions."""
    token = bool(env.get("DATABRICKS_TOKEN"))
    oauth = bool(env.get("DATABRICKS_CLIENT_ID") and env.get("DATABRICKS_CLIENT_SECRET"))
    if token == oauth:
        raise ValueError(
            "FLEET_ENGINE=databricks needs DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and "
            "DATABRICKS_CLIENT_SECRET (OAuth M2M): exactly one of the two"
        )
    if token:
        return {"token": dg.EnvVar("DATABRICKS_TOKEN")}
    return {
        "client_id": dg.EnvVar("DATABRICKS_CLIENT_ID"),
        "client_secret": dg.EnvVar("DATABRICKS_CLIENT_SECRET"),
    }


def databricks_engine_resource(
    environ: Mapping[str, str] | None = None,
) -> DatabricksEngineResource:
    """The Databricks engine from the environment (docs/engines.md, "Databricks")."""
    env = os.environ if environ is None else environ
    cluster_id = env.get("FLEET_DATABRICKS_CLUSTER_ID") or None
    new_cluster = json_object(env, "FLEET_DATABRICKS_CLUSTER", "cluster settings", _same) or None
    _cluster(cluster_id, new_cluster)  # exactly one, or a clear error now
    return DatabricksEngineResource(
        host=_required(env, "DATABRICKS_HOST"),
        **_auth_settings(env),
        existing_cluster_id=cluster_id,
        new_cluster=new_cluster,
        script_path=_required(env, "FLEET_DATABRICKS_SCRIPT"),
        wheel_path=_required(env, "FLEET_DATABRICKS_WHEEL"),
        poll_interval_seconds=float(env.get("FLEET_DATABRICKS_POLL_SECONDS") or 10),
        env=json_object(env, "FLEET_DATABRICKS_ENV", "environment variables", str),
    )


def _same(value: Any) -> Any:
    return value
