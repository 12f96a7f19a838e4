"""The Databricks engine: the task spec it submits, its configuration, and a whole round
trip through the real ``PipesDatabricksClient`` whose fake workspace runs the job script
locally (a subprocess with a local Spark, ``--reader parquet``, Pipes through temp files):
the ledger, bronze, silver and ``vin_days`` it writes are the polars engine's."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest
from dagster._core.pipes.utils import PipesTempFileContextInjector, PipesTempFileMessageReader
from dagster_databricks import PipesDatabricksClient
from databricks.sdk.service import jobs
from engine_corpus import land_corpus
from polars.testing import assert_frame_equal

from fleet_platform.engines.databricks import (
    JOB_PACKAGES,
    DatabricksEngineResource,
    ScriptOptions,
    databricks_engine_resource,
    run_name,
    submit_task,
)
from fleet_platform.engines.databricks_job import JobStep
from fleet_platform.engines.resources import PolarsEngineResource, engine_resource
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.events.ingest import IngestSummary
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.kpis.tables import VIN_DAYS
from fleet_platform.landing.resource import LandingResource
from fleet_platform.landing.s3 import S3Backend
from fleet_platform.landing.store import FolderBackend
from fleet_platform.resources import fleet_resources
from fleet_platform.settings import fleet_settings
from fleet_platform.simulate.landing import simulate_landing
from fleet_platform.simulate.writer import FolderLandingWriter
from platform_shared.delta import WarehouseResource
from platform_shared.paths import PROJECT_ROOT

DAY = date(2024, 3, 5)
SCRIPT = "dbfs:/fleet/jobs/databricks_job.py"
WHEEL = "dbfs:/fleet/wheels/bus_fleet_platform-0.1.0-py3-none-any.whl"
TOKEN = "dapi-not-a-real-token-0123"
SECRET = "oauth-not-a-real-secret-4567"
NEW_CLUSTER = {"spark_version": "16.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1}
LIBRARIES = [{"whl": WHEEL}, *({"pypi": {"package": package}} for package in JOB_PACKAGES)]
INGEST = JobStep.ingest(DAY, date(2024, 3, 6), "s3://fleet-landing", "s3://fleet-dwh/w", False)
GOLD = JobStep.gold("gold/kpi_daily", DAY, "s3://fleet-dwh/w")

VIN_DAYS_ASSET = [a for a in gold_assets if a.key.to_user_string() == VIN_DAYS.table.path]


def _day() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def _resource(**config: Any) -> DatabricksEngineResource:
    settings: dict[str, Any] = {
        "host": "https://dbc-1.cloud.databricks.com",
        "token": TOKEN,
        "new_cluster": NEW_CLUSTER,
        "script_path": SCRIPT,
        "wheel_path": WHEEL,
        **config,
    }
    return DatabricksEngineResource(**{k: v for k, v in settings.items() if v is not None})


# --- the task spec -----------------------------------------------------------------------


def test_ingest_on_a_new_cluster() -> None:
    task = _resource(env={"AWS_REGION": "eu-west-1"}).task(INGEST)
    assert task.as_dict() == {
        "task_key": "ingest-2024-03-05",
        "description": "fleet-platform ingest of 2024-03-05",
        "spark_python_task": {
            "python_file": SCRIPT,
            "parameters": ["--reader", "delta", "--pipes", "dbfs"],
        },
        "libraries": LIBRARIES,
        "new_cluster": {**NEW_CLUSTER, "spark_env_vars": {"AWS_REGION": "eu-west-1"}},
    }
    assert run_name(INGEST) == "fleet-platform ingest-2024-03-05"


def test_gold_on_an_existing_cluster() -> None:
    resource = _resource(new_cluster=None, existing_cluster_id="0101-abc", env={"A": "b=c"})
    assert resource.task(GOLD).as_dict() == {
        "task_key": "gold-kpi_daily-2024-03-05",
        "description": "fleet-platform gold of 2024-03-05",
        "spark_python_task": {
            "python_file": SCRIPT,
            "parameters": ["--reader", "delta", "--pipes", "dbfs", "--env", "A=b=c"],
        },
        "libraries": LIBRARIES,
        "existing_cluster_id": "0101-abc",
    }


def test_the_step_travels_as_extras() -> None:
    assert INGEST.extras() == {
        "step": "ingest",
        "day": "2024-03-05",
        "warehouse_url": "s3://fleet-dwh/w",
        "landing_url": "s3://fleet-landing",
        "today": "2024-03-06",
        "full_refresh": False,
        "table": "",
    }
    assert GOLD.extras()["table"] == "gold/kpi_daily"
    for step in (INGEST, GOLD):
        assert JobStep.from_extras(json.loads(json.dumps(step.extras()))) == step


def test_the_summary_survives_json() -> None:
    summary = IngestSummary(files_listed=3, files_new=2, files_rejected=1, rows_repaired=4)
    summary.rows.update({"clean": 5, "rejected": 1})
    summary.row_reasons["invalid_vin"] = 1
    assert IngestSummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


def test_the_landing_travels_as_its_url(tmp_path: Path) -> None:
    assert FolderBackend(tmp_path).url == str(tmp_path)
    assert S3Backend(None, "fleet-landing", "gw/").url == "s3://fleet-landing/gw"
    assert S3Backend(None, "fleet-landing", "").url == "s3://fleet-landing"


def test_job_packages_are_pinned_as_in_the_lock() -> None:
    lock = (PROJECT_ROOT / "requirements.lock").read_text().splitlines()
    assert set(JOB_PACKAGES) <= {line.split(";")[0].strip() for line in lock}


def test_no_secret_in_the_spec() -> None:
    oauth = _resource(token=None, client_id="sp-1", client_secret=SECRET)
    for resource in (_resource(), oauth):
        for step in (INGEST, GOLD):
            text = json.dumps(resource.task(step).as_dict()) + json.dumps(step.extras())
            assert TOKEN not in text and SECRET not in text


# --- configuration -----------------------------------------------------------------------


def test_auth_is_a_token_or_oauth_m2m() -> None:
    assert _resource().auth()["auth_type"] == "pat"
    oauth = _resource(token=None, client_id="sp-1", client_secret=SECRET).auth()
    assert oauth == {
        "host": "https://dbc-1.cloud.databricks.com",
        "client_id": "sp-1",
        "client_secret": SECRET,
        "auth_type": "oauth-m2m",
    }
    client = _resource(poll_interval_seconds=3).pipes_client()
    assert client.client.config.auth_type == "pat" and client.poll_interval_seconds == 3
    assert (client.context_injector, client.message_reader) == (None, None)  # DBFS defaults


@pytest.mark.parametrize(
    "auth",
    [
        {"token": None},
        {"client_id": "sp-1", "client_secret": SECRET},
        {"token": None, "client_id": "sp-1"},
    ],
    ids=["none", "both", "oauth-without-secret"],
)
def test_exactly_one_way_to_authenticate(auth: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="exactly one way to authenticate"):
        _resource(**auth).auth()


@pytest.mark.parametrize(
    "cluster",
    [{"existing_cluster_id": "0101-abc", "new_cluster": NEW_CLUSTER}, {}],
    ids=["both", "none"],
)
def test_exactly_one_cluster(cluster: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="exactly one of existing_cluster_id"):
        submit_task(INGEST, script_path=SCRIPT, wheel_path=WHEEL, **cluster)
    with pytest.raises(ValueError, match="exactly one of existing_cluster_id"):
        _resource(**{"new_cluster": None, **cluster}).task(INGEST)


ENVIRONMENT = {
    "DATABRICKS_HOST": "https://dbc-1.cloud.databricks.com",
    "DATABRICKS_TOKEN": TOKEN,
    "FLEET_DATABRICKS_CLUSTER": json.dumps(NEW_CLUSTER),
    "FLEET_DATABRICKS_SCRIPT": SCRIPT,
    "FLEET_DATABRICKS_WHEEL": WHEEL,
    "FLEET_DATABRICKS_ENV": '{"AWS_REGION": "eu-west-1"}',
}


def test_resource_from_the_environment() -> None:
    resource = databricks_engine_resource(ENVIRONMENT)
    assert isinstance(resource.token, dg.EnvVar) and resource.token == "DATABRICKS_TOKEN"
    assert TOKEN not in repr(resource)
    assert (resource.new_cluster, resource.existing_cluster_id) == (NEW_CLUSTER, None)
    assert (resource.script_path, resource.wheel_path) == (SCRIPT, WHEEL)
    assert (resource.env, resource.poll_interval_seconds) == ({"AWS_REGION": "eu-west-1"}, 10)
    oauth = {
        **ENVIRONMENT,
        "DATABRICKS_TOKEN": "",
        "DATABRICKS_CLIENT_ID": "sp-1",
        "DATABRICKS_CLIENT_SECRET": SECRET,
        "FLEET_DATABRICKS_CLUSTER": "",
        "FLEET_DATABRICKS_CLUSTER_ID": "0101-abc",
    }
    resource = databricks_engine_resource(oauth)
    assert (resource.client_id, resource.client_secret) == (
        "DATABRICKS_CLIENT_ID",
        "DATABRICKS_CLIENT_SECRET",
    )
    assert (resource.token, resource.existing_cluster_id) == (None, "0101-abc")


def test_the_location_loads_on_databricks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**ENVIRONMENT, "FLEET_ENGINE": "databricks"}.items():
        monkeypatch.setenv(name, value)
    resources = fleet_resources()
    engine = resources["engine"]
    assert isinstance(engine, DatabricksEngineResource) and engine.kind == "databricks"
    assert engine == engine_resource(fleet_settings())
    defs = dg.Definitions(assets=[vehicles, landed_events, *gold_assets], resources=resources)
    dg.Definitions.validate_loadable(defs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DATABRICKS_TOKEN": ""}, "needs DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID"),
        (
            {"DATABRICKS_CLIENT_ID": "sp-1", "DATABRICKS_CLIENT_SECRET": SECRET},
            "exactly one of the two",
        ),
        ({"FLEET_DATABRICKS_CLUSTER_ID": "0101-abc"}, "exactly one of existing_cluster_id"),
        ({"FLEET_DATABRICKS_CLUSTER": ""}, "exactly one of existing_cluster_id"),
        ({"FLEET_DATABRICKS_CLUSTER": "[1]"}, "FLEET_DATABRICKS_CLUSTER must be a JSON object"),
        ({"DATABRICKS_HOST": ""}, "needs DATABRICKS_HOST"),
        ({"FLEET_DATABRICKS_WHEEL": ""}, "needs FLEET_DATABRICKS_WHEEL"),
    ],
)
def test_environment_errors(change: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        databricks_engine_resource({**ENVIRONMENT, **change})


# --- the round trip ----------------------------------------------------------------------


class _Submitted:
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id

    def bind(self) -> dict[str, int]:
        return {"run_id": self.run_id}


class FakeJobs:
    """``WorkspaceClient.jobs``: ``submit`` starts the task's script locally, ``get_run``
    reports the process as a Databricks run state."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.submitted: list[tuple[jobs.SubmitTask, dict[str, Any]]] = []
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def submit(self, tasks: list[jobs.SubmitTask], **submit_args: Any) -> _Submitted:
        (task,) = tasks
        self.submitted.append((task, submit_args))
        run_id = len(self.submitted)
        self.processes[run_id] = _start(task, self.logs / f"run-{run_id}.log")
        return _Submitted(run_id)

    def get_run(self, run_id: int) -> jobs.Run:
        code = self.processes[run_id].poll()
        if code is None:
            state = jobs.RunState(life_cycle_state=jobs.RunLifeCycleState.RUNNING)
        else:
            state = jobs.RunState(
                life_cycle_state=jobs.RunLifeCycleState.TERMINATED,
                result_state=jobs.RunResultState.SUCCESS
                if code == 0
                else jobs.RunResultState.FAILED,
                state_message=(self.logs / f"run-{run_id}.log").read_text()[-3000:],
            )
        return jobs.Run(run_id=run_id, state=state, run_page_url=f"https://fake.dbx/run/{run_id}")


class FakeWorkspace:
    def __init__(self, logs: Path) -> None:
        self.jobs = FakeJobs(logs)


def _start(task: jobs.SubmitTask, log: Path) -> subprocess.Popen[bytes]:
    """Run the task's script as a cluster would: its parameters as CLI arguments, a new
    cluster's ``spark_env_vars`` as the environment, the project as the installed wheel."""
    python = task.spark_python_task
    assert python is not None and task.libraries
    env_vars = task.new_cluster.spark_env_vars if task.new_cluster else None
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env_vars or {})}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, python.python_file, *(python.parameters or [])],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


LOCAL_SPARK = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}


def _local(workspace: FakeWorkspace, script: Path, **cluster: Any) -> DatabricksEngineResource:
    """The engine with the fake workspace, Pipes through temp files and the Parquet reader."""

    class LocalDatabricks(DatabricksEngineResource):
        def pipes_client(self) -> PipesDatabricksClient:
            return PipesDatabricksClient(
                workspace,  # type: ignore[arg-type]
                context_injector=PipesTempFileContextInjector(),
                message_reader=PipesTempFileMessageReader(),
                poll_interval_seconds=self.poll_interval_seconds,
            )

        def script_options(self) -> ScriptOptions:
            return ScriptOptions(reader="parquet", pipes="local")

    return LocalDatabricks(
        host="https://dbc-1.cloud.databricks.com",
        token=TOKEN,
        script_path=str(script),
        wheel_path=WHEEL,
        poll_interval_seconds=0.2,
        env={"FLEET_SPARK_CONF": json.dumps(LOCAL_SPARK)},
        **cluster,
    )


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (
            "with open_dagster_pipes() as pipes:\n    raise RuntimeError('no cluster')\n",
            "no cluster",
        ),
        ("with open_dagster_pipes() as pipes:\n    pipes.log.info('done')\n", "reported no result"),
    ],
    ids=["job-fails", "job-reports-nothing"],
)
def test_a_job_that_fails_or_reports_nothing_fails_the_step(
    script: str, error: str, tmp_path: Path
) -> None:
    path = tmp_path / "job.py"
    path.write_text(f"from dagster_pipes import open_dagster_pipes\n{script}")
    engine = _local(FakeWorkspace(tmp_path), path, new_cluster=NEW_CLUSTER)
    resources = {"warehouse": WarehouseResource(url=str(tmp_path / "w")), "engine": engine}
    result = dg.materialize(
        VIN_DAYS_ASSET, resources=resources, partition_key=str(_day()), raise_on_error=False
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and error in str(failure.to_string())


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    simulate_landing(FolderLandingWriter(root), [_day()], buses=4, fault_rate=0.05, seed=7)
    land_corpus(root, _day())
    return root


TABLES = ["ledger/landed_files", "bronze/raw_bus_events", "silver/bus_events", VIN_DAYS.table.path]


def _tables(warehouse: Path) -> dict[str, pl.DataFrame]:
    frames = {table: pl.read_delta(str(warehouse / table)) for table in TABLES}
    frames["ledger/landed_files"] = frames["ledger/landed_files"].drop("processed_at")
    return {
        table: frame.sort([c for c, t in frame.schema.items() if not isinstance(t, pl.List)])
        for table, frame in frames.items()
    }


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        event.asset_key.to_user_string(): {
            name: value.value for name, value in event.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def _process(
    landing: Path, warehouse: Path, ingest: Any, gold: Any, instance: dg.DagsterInstance
) -> dict[str, tuple[dg.ExecuteInProcessResult, dict[str, dict[str, Any]]]]:
    """The reference, then the day's ingest on engine ``ingest`` and ``vin_days`` on
    engine ``gold``: each step's result and its materializations' metadata by asset."""
    common = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
    }
    assert dg.materialize([vehicles], resources={**common, "engine": ingest}, instance=instance)
    results = {}
    for step, assets, engine in [
        ("ingest", [landed_events], ingest),
        ("gold", VIN_DAYS_ASSET, gold),
    ]:
        result = dg.materialize(
            assets,
            resources={**common, "engine": engine},
            instance=instance,
            partition_key=str(_day()),
        )
        assert result.success
        results[step] = (result, _metadata(result))
    return results


# the metadata the job's summary gives (the engine, the table's URL and previews differ)
COMPARED = (
    "dagster/row_count",
    "files_listed",
    "files_processed",
    "files_rejected",
    "rows_clean",
    "rows_duplicate",
    "rows_rejected",
    "rows_repaired",
    "file_rejections",
    "row_rejections",
    "rows_added",
)


def test_round_trip_gives_the_polars_tables(java: None, landing: Path, tmp_path: Path) -> None:
    script = tmp_path / "jobs" / "databricks_job.py"  # uploaded alone, as to DBFS
    script.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "fleet_platform/engines/databricks_job.py", script)
    workspace = FakeWorkspace(tmp_path)
    # ingest on a new job cluster (Pipes bootstrap through spark_env_vars), gold on an
    # existing cluster (through CLI arguments)
    on_new = _local(workspace, script, new_cluster=NEW_CLUSTER)
    on_existing = _local(workspace, script, existing_cluster_id="0101-abc")
    polars = PolarsEngineResource()
    with dg.instance_for_test() as instance:
        expected = _process(landing, tmp_path / "polars", polars, polars, instance)
        remote = _process(landing, tmp_path / "databricks", on_new, on_existing, instance)
        logs = {
            step: "\n".join(str(r.user_message) for r in instance.all_logs(result.run_id))
            for step, (result, _) in remote.items()
        }

    on_polars, on_databricks = _tables(tmp_path / "polars"), _tables(tmp_path / "databricks")
    assert set(on_polars["bronze/raw_bus_events"]["fate"]) == {"clean", "duplicate", "rejected"}
    assert set(on_polars["ledger/landed_files"]["status"]) == {"accepted", "rejected"}
    for table in TABLES:
        assert_frame_equal(on_databricks[table], on_polars[table])

    # the summary the job reported is the asset's metadata, plus the run's and the job's
    for step in ("ingest", "gold"):
        for key, metadata in remote[step][1].items():
            reference = expected[step][1][key]
            assert metadata["engine"] == "databricks"
            same = {name: value for name, value in reference.items() if name in COMPARED}
            assert {name: metadata[name] for name in same} == same
            assert metadata["spark_version"].startswith("4.")
            assert metadata["Databricks Job Run URL"].startswith("https://fake.dbx/run/")
    assert len(remote["ingest"][1]) == 3  # ledger, bronze, silver: once each
    assert f"partition {_day()}: chunk 1" in logs["ingest"]  # PartitionIngest's log line
    assert f"{VIN_DAYS.table.path}: " in logs["gold"] and "rows written" in logs["gold"]

    (new, new_args), (existing, existing_args) = workspace.jobs.submitted
    assert new_args == {"run_name": f"fleet-platform ingest-{_day()}"}
    assert existing_args == {"run_name": f"fleet-platform gold-vin_days-{_day()}"}
    assert new.new_cluster and "DAGSTER_PIPES_CONTEXT" in (new.new_cluster.spark_env_vars or {})
    assert existing.spark_python_task and "--dagster-pipes-context" in (
        existing.spark_python_task.parameters or []
    )
    for task in (new, existing):
        assert TOKEN not in json.dumps(task.as_dict())
    assert all(TOKEN not in text for text in logs.values())
