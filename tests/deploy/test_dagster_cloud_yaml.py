"""dagster_cloud.yaml: both locations, each with an ECS container context that dagster-aws
accepts: environment, secrets from Secrets Manager, CPU and memory per run."""

import yaml
from dagster_aws.ecs.container_context import EcsContainerContext
from deploy_paths import ROOT, load_render

VALUES = {
    "ECR_REGISTRY": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "AWS_ACCOUNT_ID": "123456789012",
    "AWS_REGION": "eu-west-1",
    "LANDING_BUCKET": "bus-fleet-landing",
    "WAREHOUSE_BUCKET": "bus-fleet-warehouse",
    "CENTRAL_REGISTER_URL": "https://register.example.org/api",
    "ALERT_SMTP_HOST": "smtp.example.org",
    "ALERT_EMAIL_TO": "fleet-data@example.org",
}


def locations() -> dict[str, dict]:
    text = load_render().render((ROOT / "dagster_cloud.yaml").read_text(), VALUES)
    return {entry["location_name"]: entry for entry in yaml.safe_load(text)["locations"]}


def test_locations_match_the_local_workspace():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    local = {
        entry["python_module"]["location_name"]: entry["python_module"]["module_name"]
        for entry in workspace["load_from"]
    }
    assert {name: loc["code_source"]["module_name"] for name, loc in locations().items()} == local


def test_each_location_has_a_valid_ecs_container_context():
    sizes = {}
    for name, location in locations().items():
        context = EcsContainerContext.create_from_config(location["container_context"])
        sizes[name] = (context.run_resources["cpu"], context.run_resources["memory"])
        assert context.task_role_arn.endswith(":role/bus-fleet-run-task"), name
        assert all(
            secret["valueFrom"].startswith(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bus-fleet/"
            )
            for secret in context.secrets
        ), name
        assert "AWS_REGION=eu-west-1" in context.env_vars, name
        assert location["build"]["registry"].endswith(".amazonaws.com/bus-fleet-platform")
    assert sizes == {"fleet_platform": ("2048", "8192"), "asset_register": ("512", "2048")}


def test_register_secrets_are_secrets_not_plain_environment():
    context = locations()["asset_register"]["container_context"]["ecs"]
    secret_names = {secret["name"] for secret in context["secrets"]}
    assert {"REGISTER_SOURCE_URL", "CENTRAL_REGISTER_TOKEN"} <= secret_names
    plain = {item.split("=", 1)[0] for item in context["env_vars"]}
    assert not plain & secret_names
