"""The code location: loads with no environment, its graph, two deployments side by side,
settings errors that name the variable, the schedule's partition."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from register_fake_central import TOKEN, FakeCentral
from register_harness import sync

from asset_register.cli import EXIT_OK
from asset_register.definitions import build_definitions
from asset_register.settings import RegisterSettings, SettingsError
from asset_register.sync.definitions import SYNC_JOB, SYNC_SCHEDULE
from platform_shared.deployment import Deployment

PROJECT = Path(__file__).resolve().parents[2]


def test_code_location_loads_with_no_environment(tmp_path: Path) -> None:
    script = (
        "import dagster as dg\n"
        "from asset_register.definitions import defs\n"
        "dg.Definitions.validate_loadable(defs)\n"
        "print(defs.resolve_job_def('asset_register_sync_job').name)\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == SYNC_JOB


def test_asset_graph_snapshot(tmp_path: Path) -> None:
    defs = build_definitions(RegisterSettings.from_env({"PLATFORM_DATA_DIR": str(tmp_path)}))
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    assert keys == [
        "register/central_register_state", "register/register_changes",
        "register/register_push", "register/register_push_plan",
        "register/source_register_snapshot",
    ]  # fmt: skip
    checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys)
    assert [c for c in checks if "freshness" not in c] == [
        "register/register_push:central_matches_snapshot",
        "register/register_push_plan:mass_retire_guard",
        "register/source_register_snapshot:snapshot_invalid_share",
        "register/source_register_snapshot:snapshot_unique_source_ids",
    ]
    assert len([c for c in checks if "freshness" in c]) == len(keys)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name == "asset_register" and node.owners == ["team:platform"]
        assert node.partitions_def.timezone == "Europe/Berlin"
        assert node.partitions_def.start.date() == dt.date(2024, 1, 1)
        assert defs.resolve_assets_def(key).descriptions_by_key[key]
    plan = dg.AssetKey(["register", "register_push_plan"])
    guard = graph.get_check_spec(dg.AssetCheckKey(plan, "mass_retire_guard"))
    assert guard.blocking
    schedule = defs.resolve_schedule_def(SYNC_SCHEDULE)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 5 * * *", "Europe/Berlin")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert defs.resolve_sensor_def("asset_register_freshness_sensor")


def test_schedule_runs_the_day_it_fires_on(tmp_path: Path) -> None:
    env = {"PLATFORM_DATA_DIR": str(tmp_path), "REGISTER_SCHEDULE_TIME": "06:30"}
    defs = build_definitions(RegisterSettings.from_env(env))
    schedule = defs.resolve_schedule_def(SYNC_SCHEDULE)
    assert schedule.cron_schedule == "30 6 * * *"
    fired = dt.datetime(2024, 5, 3, 6, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    context = dg.build_schedule_context(
        scheduled_execution_time=fired, repository_def=defs.get_repository_def()
    )
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2024-05-03"]


def deployment_env(name: str, central: str, warehouse: Path) -> dict[str, str]:
    return {
        "DAGSTER_DEPLOYMENT": name,
        "REGISTER_SOURCE_URL": "postgresql://itk@db.internal:5432/itk",
        "CENTRAL_REGISTER_URL": central,
        "CENTRAL_REGISTER_ALLOWED_HOSTS": central.split("//")[1].split("/")[0],
        "REGISTER_WAREHOUSE_URL": str(warehouse),
        "REGISTER_SYSTEM": f"dbrb-itk-{name}",
    }


def test_two_deployments_resolve_to_their_own_systems(tmp_path: Path) -> None:
    staging = RegisterSettings.from_env(
        deployment_env("staging", "https://staging.central.example", tmp_path)
    )
    production = RegisterSettings.from_env(
        deployment_env("production", "https://central.example", tmp_path)
    )
    resolved = {}
    for settings in (staging, production):
        defs = build_definitions(settings)
        central = defs.resources["central_register"]
        resolved[settings.deployment] = (
            central.url, central.system, defs.resources["register_warehouse"].prefix,
            defs.resolve_schedule_def(SYNC_SCHEDULE).default_status,
        )  # fmt: skip
        assert (
            isinstance(central.token, dg.EnvVar)
            and central.token.env_var_name == "CENTRAL_REGISTER_TOKEN"
        )
    assert resolved == {
        Deployment.STAGING: ("https://staging.central.example", "dbrb-itk-staging",
                             "register/staging", dg.DefaultScheduleStatus.RUNNING),
        Deployment.PRODUCTION: ("https://central.example", "dbrb-itk-production",
                                "register/production", dg.DefaultScheduleStatus.RUNNING),
    }  # fmt: skip


def test_two_deployments_push_only_to_their_own_central(
    sqlite_source: object, register_env: object, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    fakes = {name: FakeCentral(TOKEN).start() for name in ("staging", "production")}
    try:
        for name, fake in fakes.items():
            env = {
                **register_env(sqlite_source, fake.url),  # type: ignore[operator]
                **deployment_env(name, fake.url, tmp_path / "warehouse"),
                "REGISTER_SOURCE_URL": sqlite_source.url,  # type: ignore[attr-defined]
            }
            assert sync(env, "2024-05-02", instance).exit_code == EXIT_OK
        for name, fake in fakes.items():
            assert len(fake.assets(f"dbrb-itk-{name}")) == 195
            assert fake.assets(f"dbrb-itk-{'production' if name == 'staging' else 'staging'}") == {}
        assert sorted(p.name for p in (tmp_path / "warehouse" / "register").iterdir()) == [
            "production", "staging"
        ]  # fmt: skip
    finally:
        for fake in fakes.values():
            fake.stop()


def test_staging_cross_wired_to_production_host_is_refused(tmp_path: Path) -> None:
    env = deployment_env("staging", "https://staging.central.example", tmp_path)
    env["CENTRAL_REGISTER_URL"] = "https://central.example"
    settings = RegisterSettings.from_env(env)
    central = build_definitions(settings).resources["central_register"]
    with pytest.raises(Exception, match="not allowed"):
        central.open()


@pytest.mark.parametrize(
    "missing", ["REGISTER_SOURCE_URL", "CENTRAL_REGISTER_URL", "REGISTER_WAREHOUSE_URL"]
)
def test_staging_without_a_system_names_the_variable(missing: str, tmp_path: Path) -> None:
    env = deployment_env("staging", "https://staging.central.example", tmp_path)
    del env[missing]
    with pytest.raises(SettingsError, match=missing):
        RegisterSettings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [("REGISTER_SOURCE_TABLE", "assets; DROP TABLE x"), ("REGISTER_SOURCE_TABLE", 'a"b'),
     ("REGISTER_SOURCE_COLUMNS", "owner=own er"), ("REGISTER_SOURCE_COLUMNS", "nope=x"),
     ("REGISTER_SYSTEM", "DBRB"), ("REGISTER_SCHEDULE_TIME", "25:00"),
     ("REGISTER_TIMEZONE", "Mars/Base"), ("REGISTER_START_DATE", "2024-13-01"),
     ("REGISTER_MASS_RETIRE_MAX_SHARE", "lots")],
)  # fmt: skip
def test_malformed_settings_are_refused(name: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=name):
        RegisterSettings.from_env({"PLATFORM_DATA_DIR": str(tmp_path), name: value})
