"""deploy/dagster_plus/alert_policies.yaml against the rules of Dagster+'s alert policy YAML
reference (docs.dagster.io/guides/observe/alerts/yaml-reference), and against this repository:
every code location has its check and run policies, and every selection parses."""

from pathlib import Path

import dagster as dg
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "deploy" / "dagster_plus" / "alert_policies.yaml"

# Event types by category; one policy's event types must share a category.
CATEGORIES = {
    "job": {"JOB_FAILURE", "JOB_SUCCESS", "JOB_LONG_RUNNING"},
    "asset": {
        "ASSET_MATERIALIZATION_SUCCESS",
        "ASSET_MATERIALIZATION_FAILURE",
        "ASSET_CHECK_PASSED",
        "ASSET_CHECK_EXECUTION_FAILURE",
        "ASSET_CHECK_SEVERITY_WARN",
        "ASSET_CHECK_SEVERITY_ERROR",
        "ASSET_FRESHNESS_PASS",
        "ASSET_FRESHNESS_WARN",
        "ASSET_FRESHNESS_FAIL",
    },
    "schedule_sensor": {"TICK_FAILURE"},
    "infrastructure": {"AGENT_UNAVAILABLE", "CODE_LOCATION_ERROR"},
}
TARGETS = {
    "job": {"run_result_target", "long_running_job_threshold_target"},
    "asset": {
        "asset_key_target",
        "asset_selection_target",
        "asset_group_target",
        "asset_selection_view_target",
        "favorites_selection_view_target",
    },
    "schedule_sensor": {"schedule_or_sensor_target"},
    "infrastructure": {"code_location_target"},
}
SERVICES = {"email", "email_owners", "slack", "microsoft_teams", "pagerduty"}
POLICY_KEYS = {
    "name",
    "description",
    "enabled",
    "event_types",
    "alert_targets",
    "notification_service",
    "policy_options",
}


@pytest.fixture(scope="module")
def policies() -> list[dict]:
    document = yaml.safe_load(POLICIES.read_text())
    assert list(document) == ["alert_policies"]
    return document["alert_policies"]


@pytest.fixture(scope="module")
def locations() -> set[str]:
    cloud = yaml.safe_load((ROOT / "dagster_cloud.yaml").read_text())
    return {location["location_name"] for location in cloud["locations"]}


def category_of(policy: dict) -> str:
    (category,) = {c for c, events in CATEGORIES.items() if set(policy["event_types"]) & events}
    assert set(policy["event_types"]) <= CATEGORIES[category], policy["name"]
    return category


def test_policies_follow_the_documented_schema(policies):
    names = [policy["name"] for policy in policies]
    assert len(names) == len(set(names)), "policy names must be unique"
    for policy in policies:
        assert set(policy) <= POLICY_KEYS, policy["name"]
        assert {"name", "enabled", "event_types", "notification_service"} <= set(policy)
        assert isinstance(policy["enabled"], bool)
        category = category_of(policy)
        for target in policy.get("alert_targets", []):
            (kind,) = target
            assert kind in TARGETS[category], f"{policy['name']}: {kind}"
        (service,) = policy["notification_service"]
        assert service in SERVICES
        if service == "email":
            addresses = policy["notification_service"]["email"]["email_addresses"]
            assert addresses and all("@" in address for address in addresses)
        assert set(policy.get("policy_options", {})) <= {"include_description_in_notification"}


def test_every_location_has_check_and_run_failure_policies(policies, locations):
    check_events = {"ASSET_CHECK_SEVERITY_ERROR", "ASSET_CHECK_EXECUTION_FAILURE"}
    for location in locations:
        selection = f'code_location:"{location}"'
        assert any(
            check_events <= set(p["event_types"])
            and any(
                t.get("asset_selection_target", {}).get("asset_selection") == selection
                for t in p["alert_targets"]
            )
            for p in policies
        ), f"no asset check policy for {location}"
        assert any(
            "JOB_FAILURE" in p["event_types"]
            and any(
                location in t.get("run_result_target", {}).get("location_names", [])
                for t in p["alert_targets"]
            )
            for p in policies
        ), f"no run failure policy for {location}"
    assert any("ASSET_FRESHNESS_FAIL" in p["event_types"] for p in policies)


def test_selections_parse_and_name_real_locations(policies, locations):
    for policy in policies:
        for target in policy.get("alert_targets", []):
            if "asset_selection_target" in target:
                text = target["asset_selection_target"]["asset_selection"]
                assert dg.AssetSelection.from_string(text) is not None
                named = {part.split('"')[1] for part in text.split("code_location:")[1:]}
                assert named <= locations, text
            if "run_result_target" in target:
                assert set(target["run_result_target"]["location_names"]) <= locations
