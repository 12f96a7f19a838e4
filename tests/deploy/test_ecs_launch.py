"""EcsRunLauncher as deploy/ecs/dagster.yaml configures it, launching a run of the
asset_register location (with its container context from dagster_cloud.yaml) against
moto's ECS: the task definition it registers, and the RunTask call it makes, captured
(moto 5.2.5 can't start a Fargate task, NOTES.md)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import dagster as dg
import pytest
import yaml
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_run_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.ecs import launcher as launcher_module
from dagster_aws.ecs.tasks import CurrentEcsTaskMetadata
from deploy_paths import INSTANCE_YAML, ROOT, load_render
from moto import mock_aws

REGION = "eu-west-1"
ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/bus-fleet-platform:0123abcd"
CLUSTER = "dagster"
DAEMON_TASK = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/0f1e2d3c4b5a"
PG_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:bus-fleet/dagster/pg-password"
DEPLOY_VALUES = {
    "ECR_REGISTRY": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com",
    "AWS_ACCOUNT_ID": ACCOUNT,
    "AWS_REGION": REGION,
    "LANDING_BUCKET": "bus-fleet-landing",
    "WAREHOUSE_BUCKET": "bus-fleet-warehouse",
    "CENTRAL_REGISTER_URL": "https://register.example.org/api",
    "ALERT_SMTP_HOST": "smtp.example.org",
    "ALERT_EMAIL_TO": "fleet-data@example.org",
}
DAEMON_ENV = {
    "DAGSTER_PG_HOST": "dagster.cluster-abc.eu-west-1.rds.amazonaws.com",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USER": "dagster",
    # The location loads in this process on its embedded defaults; on ECS the daemon's
    # task sets production (and the settings production needs).
    "DAGSTER_DEPLOYMENT": "local",
    "DAGSTER_ECS_CLUSTER": CLUSTER,
    "DAGSTER_RUN_TASK_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/bus-fleet-run-task",
    "DAGSTER_RUN_EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/bus-fleet-run-execution",
    "DAGSTER_RUN_LOG_GROUP": "/bus-fleet/dagster-runs",
    "DAGSTER_PG_PASSWORD_SECRET_ARN": PG_SECRET,
}


def register_container_context() -> dict[str, Any]:
    """asset_register's container context from dagster_cloud.yaml, rendered as CI does."""
    text = load_render().render((ROOT / "dagster_cloud.yaml").read_text(), DEPLOY_VALUES)
    locations = {entry["location_name"]: entry for entry in yaml.safe_load(text)["locations"]}
    return locations["asset_register"]["container_context"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto's AWS with a cluster, and a daemon task whose network runs inherit."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **DAEMON_ENV,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("ecs").create_cluster(clusterName=CLUSTER)
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="dagster", Description="d", VpcId=vpc)
        eni = ec2.create_network_interface(SubnetId=subnet, Groups=[group["GroupId"]])
        yield {
            "subnet": subnet,
            "security_group": group["GroupId"],
            "eni": eni["NetworkInterface"]["NetworkInterfaceId"],
        }


def test_a_run_is_its_own_fargate_task_with_the_locations_size(
    aws: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    launcher_config = yaml.safe_load(INSTANCE_YAML.read_text())["run_launcher"]
    captured: list[dict[str, Any]] = []

    def run_task(**kwargs: Any) -> dict[str, Any]:
        captured.append(kwargs)
        task = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/run0001"
        return {"tasks": [{"taskArn": task, "clusterArn": CLUSTER}], "failures": []}

    def describe_tasks(tasks: list[str], cluster: str) -> dict[str, Any]:
        assert (tasks, cluster) == ([DAEMON_TASK], CLUSTER)
        details = [
            {"name": "subnetId", "value": aws["subnet"]},
            {"name": "networkInterfaceId", "value": aws["eni"]},
        ]
        attachment = {"type": "ElasticNetworkInterface", "details": details}
        return {"tasks": [{"launchType": "FARGATE", "attachments": [attachment]}]}

    monkeypatch.setattr(
        launcher_module,
        "get_current_ecs_task_metadata",
        lambda: CurrentEcsTaskMetadata(cluster=CLUSTER, task_arn=DAEMON_TASK),
    )
    overrides = {"run_launcher": launcher_config, "telemetry": {"enabled": False}}
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        monkeypatch.setattr(launcher.ecs, "run_task", run_task)
        monkeypatch.setattr(launcher.ecs, "describe_tasks", describe_tasks)
        origin = InProcessCodeLocationOrigin(
            LoadableTargetOrigin(module_name="asset_register.definitions"),
            container_image=IMAGE,
            container_context=register_container_context(),
            location_name="asset_register",
        )
        target = InProcessWorkspaceLoadTarget([origin])
        with WorkspaceProcessContext(instance, target) as process_context:
            workspace = process_context.create_request_context()
            location = workspace.get_code_location("asset_register")
            repository = next(iter(location.get_repositories().values()))
            job = repository.get_full_job("asset_register_sync_job")
            run = create_run_for_test(
                instance,
                job_name=job.name,
                remote_job_origin=job.get_remote_origin(),
                job_code_origin=job.get_python_origin(),
                tags={"dagster/code_location": "asset_register"},
            )
            instance.launch_run(run.run_id, workspace)

        ecs = boto3.client("ecs")
        family = ecs.list_task_definition_families()["families"]
        assert len(family) == 1 and family[0].startswith("dagster-run_")
        definition = ecs.describe_task_definition(taskDefinition=family[0])["taskDefinition"]
        launched = instance.get_run_by_id(run.run_id)

    # The registered task definition: image of the location, its roles and size.
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["networkMode"] == "awsvpc"
    assert (definition["cpu"], definition["memory"]) == ("512", "2048")
    assert definition["taskRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/bus-fleet-run-task"
    assert definition["executionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/bus-fleet-run-execution"
    [container] = definition["containerDefinitions"]
    assert container["name"] == "run"
    assert container["image"] == IMAGE
    environment = {item["name"]: item["value"] for item in container["environment"]}
    assert environment == {
        **DAEMON_ENV,
        "AWS_REGION": REGION,
        "REGISTER_WAREHOUSE_URL": "s3://bus-fleet-warehouse/register",
        "CENTRAL_REGISTER_URL": "https://register.example.org/api",
        "ALERT_SMTP_HOST": "smtp.example.org",
        "ALERT_EMAIL_TO": "fleet-data@example.org",
        "DAGSTER_RUN_JOB_NAME": "asset_register_sync_job",
    }
    secrets = {item["name"]: item["valueFrom"] for item in container["secrets"]}
    secret_base = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:bus-fleet"
    assert secrets == {
        "DAGSTER_PG_PASSWORD": PG_SECRET,
        "REGISTER_SOURCE_URL": f"{secret_base}/register/source-url",
        "CENTRAL_REGISTER_TOKEN": f"{secret_base}/register/central-token",
        "ALERT_SMTP_PASSWORD": f"{secret_base}/alerts/smtp-password",
    }
    logs = container["logConfiguration"]
    assert logs["options"]["awslogs-group"] == "/bus-fleet/dagster-runs"

    # The RunTask call: that definition, in the cluster and network of the daemon's task,
    # with the run's command and the location's size as overrides.
    [call] = captured
    assert call["taskDefinition"] == family[0]
    assert call["cluster"] == CLUSTER
    assert call["launchType"] == "FARGATE"
    assert call["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": [aws["subnet"]],
            "assignPublicIp": "DISABLED",
            "securityGroups": [aws["security_group"]],
        }
    }
    [override] = call["overrides"]["containerOverrides"]
    assert override["name"] == "run"
    assert override["command"][:3] == ["dagster", "api", "execute_run"]
    assert (override["cpu"], override["memory"]) == (512, 2048)
    assert (call["overrides"]["cpu"], call["overrides"]["memory"]) == ("512", "2048")
    tags = {tag["key"]: tag["value"] for tag in call["tags"]}
    assert tags["dagster/run_id"] == run.run_id
    assert tags["dagster/code_location"] == "asset_register"
    assert tags["project"] == "bus-fleet"
    assert launched.tags["ecs/task_arn"].endswith("/run0001")
