"""IAM policy documents of deploy/iam: valid JSON, no wildcard action, the run task role
limited to the landing (read), the warehouse (read/write) and the register secrets."""

import json
from pathlib import Path

import pytest
from deploy_paths import ROOT, load_render

POLICIES = sorted((ROOT / "deploy" / "iam").glob("*.json"))
VALUES = {
    "LANDING_BUCKET": "bus-fleet-landing",
    "WAREHOUSE_BUCKET": "bus-fleet-warehouse",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCOUNT_ID": "123456789012",
    "RUN_LOG_GROUP": "/bus-fleet/dagster-runs",
    "ECS_CLUSTER": "dagster",
}
# Actions AWS does not scope to a resource: "*" is the only resource they take.
UNSCOPED_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ec2:DescribeNetworkInterfaces",
}


def statements(path: Path) -> list[dict]:
    document = json.loads(load_render().render(path.read_text(), VALUES))
    assert document["Version"] == "2012-10-17"
    return document["Statement"]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_policies_exist():
    assert {path.name for path in POLICIES} >= {"run-task-role.json", "run-execution-role.json"}


@pytest.mark.parametrize("path", POLICIES, ids=lambda path: path.name)
def test_no_wildcard_action_and_star_resources_only_where_aws_needs_them(path: Path):
    for statement in statements(path):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        actions = as_list(statement["Action"])
        for action in actions:
            service, _, name = action.partition(":")
            assert service and name and "*" not in action, action
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPED_ACTIONS, statement["Sid"]


def test_run_task_role_reads_landing_writes_warehouse_reads_register_secrets_only():
    grants: dict[str, set[str]] = {}
    for statement in statements(ROOT / "deploy" / "iam" / "run-task-role.json"):
        for resource in as_list(statement["Resource"]):
            grants.setdefault(resource, set()).update(as_list(statement["Action"]))
    secrets = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bus-fleet/register/*"
    assert grants == {
        "arn:aws:s3:::bus-fleet-landing": {"s3:ListBucket"},
        "arn:aws:s3:::bus-fleet-landing/*": {"s3:GetObject", "s3:GetObjectVersion"},
        "arn:aws:s3:::bus-fleet-warehouse": {"s3:ListBucket"},
        "arn:aws:s3:::bus-fleet-warehouse/*": {
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
        },
        secrets: {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
    }


def test_render_refuses_a_missing_value():
    render = load_render()
    with pytest.raises(KeyError, match="LANDING_BUCKET"):
        render.render((ROOT / "deploy" / "iam" / "run-task-role.json").read_text(), {})
