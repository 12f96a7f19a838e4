""".gitlab-ci.yml: valid against GitLab's CI schema (check-jsonschema's vendored copy),
and in the order the issue asks: tests before any image, deploys by branch and tag."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from deploy_paths import ROOT

PIPELINE = ROOT / ".gitlab-ci.yml"
BIN = Path(sys.executable).parent


def pipeline() -> dict:
    return yaml.safe_load(PIPELINE.read_text())


def jobs() -> dict[str, dict]:
    return {
        name: job
        for name, job in pipeline().items()
        if isinstance(job, dict) and not name.startswith(".") and "stage" in _resolved(name)
    }


def _resolved(name: str) -> dict:
    """A job with the templates it extends merged in (GitLab's `extends`, shallow)."""
    document = pipeline()
    job = dict(document[name])
    parents = job.pop("extends", [])
    for parent in [parents] if isinstance(parents, str) else parents:
        job = {**_resolved(parent), **job}
    return job


def test_gitlab_ci_schema():
    checker = shutil.which("check-jsonschema", path=str(BIN))
    if not checker:
        message = "check-jsonschema not installed: make install (dev extra)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.gitlab-ci", str(PIPELINE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stages_run_lint_then_tests_before_any_image():
    assert pipeline()["stages"] == ["lint", "test", "build", "push", "deploy"]
    resolved = {name: _resolved(name) for name in jobs()}
    assert "make test" in resolved["test"]["script"]
    assert "make lint" in resolved["lint"]["script"]
    assert resolved["build"]["needs"] == ["test"]
    assert resolved["push"]["needs"] == ["build"]
    for name, job in resolved.items():
        if job["stage"] == "deploy":
            assert job["needs"] == ["push"], name


def test_images_are_built_without_docker_and_pushed_to_ecr():
    for name in ("build", "push"):
        job = _resolved(name)
        assert "kaniko-project/executor" in job["image"]["name"], name
        assert "services" not in job, name  # no docker-in-docker
    build = " ".join(_resolved("build")["script"])
    push = " ".join(_resolved("push")["script"])
    assert "--no-push" in build and "--no-push" not in push
    assert "--destination $IMAGE:$CI_COMMIT_SHA" in push
    assert ".dkr.ecr." in pipeline()["variables"]["IMAGE"]


def _rules(name: str) -> list[str]:
    return [rule["if"] for rule in _resolved(name)["rules"]]


def test_staging_from_main_production_from_tags_branch_deployments_for_mrs():
    main = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
    assert _rules("deploy-ecs-staging") == [f'{main} && $DEPLOY_TARGET == "ecs"']
    assert _rules("deploy-ecs-production") == ['$CI_COMMIT_TAG && $DEPLOY_TARGET == "ecs"']
    assert _rules("dagster-plus-staging") == [f'{main} && $DEPLOY_TARGET == "dagster-plus"']
    assert _rules("dagster-plus-production") == [
        '$CI_COMMIT_TAG && $DEPLOY_TARGET == "dagster-plus"'
    ]
    branch = _resolved("dagster-plus-branch-deployment")
    assert _rules("dagster-plus-branch-deployment") == [
        '$CI_PIPELINE_SOURCE == "merge_request_event" && $DEPLOY_TARGET == "dagster-plus"'
    ]
    assert branch["variables"]["DAGSTER_INIT_FLAGS"] == "--require-branch-deployment"
    script = " ".join(branch["script"])
    for command in ("ci init", "ci set-build-output", "ci deploy"):
        assert f"dagster-cloud {command}" in script
    for location in ("fleet_platform", "asset_register"):
        assert f"--location-name={location}" in script
