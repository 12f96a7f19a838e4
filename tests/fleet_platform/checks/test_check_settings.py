"""Check thresholds from the environment: documented defaults, overrides, errors that name
the variable, and the freshness sensor's default status per deployment."""

import dagster as dg
import pytest

from fleet_platform.check_settings import CheckSettings, CheckSettingsError, check_settings
from fleet_platform.checks import build_fleet_checks


def test_defaults_are_the_documented_ones():
    assert check_settings({}) == CheckSettings(
        freshness_deadline_cron="0 6 * * *",
        freshness_timezone="UTC",
        reference_max_age_hours=26,
        max_source_silence_hours=6,
        max_rejected_file_share=0.05,
        max_non_standard_date_share=0.01,
        max_unknown_vin_share=0.02,
        max_daily_p99_delay_hours=6,
        max_p99_delay_120d_hours=24,
        freshness_sensor_running=False,
    )


def test_every_threshold_is_read_from_its_variable():
    settings = check_settings(
        {
            "FLEET_FRESHNESS_DEADLINE_CRON": "30 7 * * *",
            "FLEET_FRESHNESS_TIMEZONE": "Europe/Paris",
            "FLEET_REFERENCE_MAX_AGE_HOURS": "48",
            "FLEET_MAX_SOURCE_SILENCE_HOURS": "2.5",
            "FLEET_MAX_REJECTED_FILE_SHARE": "0.1",
            "FLEET_MAX_NON_STANDARD_DATE_SHARE": "0.02",
            "FLEET_MAX_UNKNOWN_VIN_SHARE": "0",
            "FLEET_MAX_DAILY_P99_DELAY_HOURS": "3",
            "FLEET_MAX_P99_DELAY_120D_HOURS": "12",
        }
    )
    assert settings.freshness_deadline_cron == "30 7 * * *"
    assert settings.freshness_timezone == "Europe/Paris"
    assert settings.reference_max_age_hours == 48
    assert settings.max_source_silence_hours == 2.5
    assert settings.max_rejected_file_share == 0.1
    assert settings.max_non_standard_date_share == 0.02
    assert settings.max_unknown_vin_share == 0
    assert settings.max_daily_p99_delay_hours == 3
    assert settings.max_p99_delay_120d_hours == 12


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("FLEET_FRESHNESS_DEADLINE_CRON", "at six", "is not a cron string"),
        ("FLEET_FRESHNESS_TIMEZONE", "Mars/Olympus", "is not an IANA time zone"),
        ("FLEET_MAX_REJECTED_FILE_SHARE", "5%", "is not a number"),
        ("FLEET_MAX_UNKNOWN_VIN_SHARE", "2", "must be a fraction between 0 and 1"),
        ("FLEET_MAX_SOURCE_SILENCE_HOURS", "-1", "must be a number ≥ 0"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, words: str):
    with pytest.raises(CheckSettingsError, match=variable) as error:
        check_settings({variable: value})
    assert words in str(error.value)


@pytest.mark.parametrize(
    ("environ", "status"),
    [
        ({}, dg.DefaultSensorStatus.STOPPED),
        ({"DAGSTER_DEPLOYMENT": "local"}, dg.DefaultSensorStatus.STOPPED),
        ({"DAGSTER_DEPLOYMENT": "staging"}, dg.DefaultSensorStatus.RUNNING),
        ({"DAGSTER_DEPLOYMENT": "production"}, dg.DefaultSensorStatus.RUNNING),
        ({"DAGSTER_CLOUD_DEPLOYMENT_NAME": "prod"}, dg.DefaultSensorStatus.RUNNING),
    ],
)
def test_freshness_sensor_runs_by_default_outside_local(environ: dict, status):
    sensor = build_fleet_checks(check_settings(environ)).sensor
    assert sensor.name == "fleet_freshness_checks_sensor"
    assert sensor.default_status == status


def test_thresholds_reach_the_check_descriptions():
    checks = build_fleet_checks(check_settings({"FLEET_MAX_REJECTED_FILE_SHARE": "0.125"}))
    specs = {
        spec.key.to_user_string(): spec.description
        for check in checks.asset_checks
        for spec in check.check_specs
    }
    assert (
        "At most 12.5% (FLEET_MAX_REJECTED_FILE_SHARE)"
        in specs["gold/files_daily:rejected_file_share"]
    )
