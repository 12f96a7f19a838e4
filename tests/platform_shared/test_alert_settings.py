"""Alert settings from the environment, default sensor status, and the pure parts of the
sensors (transitions, cursor, recipients grouping, texts) — no Dagster instance, no server."""

import json

import dagster as dg
import pytest
from dagster_shared.error import SerializableErrorInfo

from platform_shared.alerts import AlertSettings, SettingsError, default_alert_status
from platform_shared.alerts.check_failures import CheckState, read_cursor, transition, write_cursor
from platform_shared.alerts.messages import ChangeKind, group_by_recipients, metadata_text
from platform_shared.alerts.run_failures import error_text
from platform_shared.alerts.settings import RecipientRules, SmtpSecurity, group_variable_suffix


def test_no_variable_means_log_only_with_defaults():
    settings = AlertSettings.from_env({})
    assert not settings.smtp.enabled
    assert settings.smtp.security is SmtpSecurity.STARTTLS
    assert settings.smtp.port == 587
    assert settings.smtp.timeout_seconds == 30.0
    assert settings.ui_url == "http://localhost:3000"
    assert settings.sender == "dagster-alerts@localhost"
    assert settings.recipients == RecipientRules()


@pytest.mark.parametrize(("security", "port"), [("ssl", 465), ("none", 25), ("STARTTLS", 587)])
def test_port_follows_security(security, port):
    smtp = AlertSettings.from_env({"ALERT_SMTP_SECURITY": security}).smtp
    assert smtp.port == port


def test_password_is_a_reference_never_a_value():
    settings = AlertSettings.from_env(
        {
            "ALERT_SMTP_HOST": "smtp.example.com",
            "ALERT_SMTP_USER": "alerts@example.com",
            "ALERT_SMTP_PASSWORD": "hunter2-secret",
        }
    )
    assert settings.smtp.password == dg.EnvVar("ALERT_SMTP_PASSWORD")
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in settings.smtp.describe()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ALERT_SMTP_SECURITY": "tls"},
            "ALERT_SMTP_SECURITY='tls' is not one of starttls, ssl, none",
        ),
        ({"ALERT_SMTP_PORT": "smtp"}, "ALERT_SMTP_PORT='smtp' is not a int"),
        ({"ALERT_SMTP_TIMEOUT_SECONDS": "0"}, "ALERT_SMTP_TIMEOUT_SECONDS='0' must be greater"),
        ({"ALERT_SMTP_USER": "u@example.com"}, "ALERT_SMTP_PASSWORD is not"),
        ({"ALERT_SMTP_PASSWORD": "s3cret"}, "ALERT_SMTP_USER is not"),
        (
            {"ALERT_SMTP_SECURITY": "none", "ALERT_SMTP_USER": "u", "ALERT_SMTP_PASSWORD": "p"},
            "clear text",
        ),
        (
            {"ALERT_SMTP_CA_FILE": "/nowhere/ca.pem"},
            "ALERT_SMTP_CA_FILE='/nowhere/ca.pem' is not a file",
        ),
        (
            {"ALERT_EMAIL_TO": "ops@example.com, oncall"},
            "ALERT_EMAIL_TO: 'oncall' is not an e-mail",
        ),
        ({"ALERT_EMAIL_FROM": "dagster"}, "ALERT_EMAIL_FROM: 'dagster' is not an e-mail"),
        ({"ALERT_EMAIL_TO_GROUP_FLEET": "fleet"}, "ALERT_EMAIL_TO_GROUP_FLEET: 'fleet'"),
        ({"ALERT_EMAIL_TO_OWNERS": "{team: x}"}, "ALERT_EMAIL_TO_OWNERS is not valid JSON"),
        ({"ALERT_EMAIL_TO_OWNERS": '["a@b.c"]'}, "must be a JSON object"),
        ({"ALERT_EMAIL_TO_OWNERS": '{"team:x": 3}'}, "ALERT_EMAIL_TO_OWNERS['team:x']"),
    ],
)
def test_a_bad_setting_names_its_variable(env, message):
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("(", r"\(")):
        AlertSettings.from_env(env)


def test_recipients_by_group_and_owner_without_duplicates():
    rules = AlertSettings.from_env(
        {
            "ALERT_EMAIL_TO": "oncall@example.com",
            "ALERT_EMAIL_TO_GROUP_FLEET_OPS": "fleet@example.com,oncall@example.com",
            "ALERT_EMAIL_TO_OWNERS": json.dumps(
                {"team:fleet-data": "data@example.com", "alice@example.com": ["Alice@example.com"]}
            ),
        }
    ).recipients
    assert group_variable_suffix("fleet-ops") == "FLEET_OPS"
    assert rules.for_asset("fleet-ops", ["team:fleet-data", "alice@example.com"]) == (
        "oncall@example.com",
        "fleet@example.com",
        "data@example.com",
        "Alice@example.com",
    )
    assert rules.for_asset("register", ["team:platform"]) == ("oncall@example.com",)


@pytest.mark.parametrize(
    ("env", "status"),
    [
        ({}, dg.DefaultSensorStatus.STOPPED),
        ({"DAGSTER_DEPLOYMENT": "staging"}, dg.DefaultSensorStatus.RUNNING),
        ({"DAGSTER_CLOUD_DEPLOYMENT_NAME": "prod"}, dg.DefaultSensorStatus.RUNNING),
        ({"ALERT_SENSORS_DEFAULT_STATUS": "running"}, dg.DefaultSensorStatus.RUNNING),
        (
            {"DAGSTER_DEPLOYMENT": "production", "ALERT_SENSORS_DEFAULT_STATUS": "Stopped"},
            dg.DefaultSensorStatus.STOPPED,
        ),
    ],
)
def test_sensors_run_by_default_outside_local(env, status):
    assert default_alert_status(env) is status


def test_unknown_default_status_is_an_error():
    with pytest.raises(SettingsError, match="ALERT_SENSORS_DEFAULT_STATUS='on'"):
        default_alert_status({"ALERT_SENSORS_DEFAULT_STATUS": "on"})


FAILED_A = CheckState(7, "FAILED", "2026-11-01")
PASSED_A = CheckState(8, "SUCCEEDED", "2026-11-01")


@pytest.mark.parametrize(
    ("before", "now", "kind"),
    [
        (None, CheckState(1, "FAILED"), ChangeKind.FAILED),  # first sight of a failing check
        (None, CheckState(1, "SUCCEEDED"), None),
        (CheckState(1, "SUCCEEDED"), CheckState(2, "FAILED"), ChangeKind.FAILED),
        (CheckState(1, "FAILED"), CheckState(2, "FAILED"), None),  # the same failure again
        (CheckState(1, "FAILED"), CheckState(2, "SUCCEEDED"), ChangeKind.RECOVERED),
        (CheckState(1, "SUCCEEDED"), CheckState(2, "SUCCEEDED"), None),
        (FAILED_A, CheckState(9, "FAILED", "2026-11-02"), ChangeKind.FAILED),  # another partition
        (FAILED_A, CheckState(9, "SUCCEEDED", "2026-11-02"), None),  # 11-01 may still fail
        (FAILED_A, PASSED_A, ChangeKind.RECOVERED),
    ],
)
def test_transitions(before, now, kind):
    assert transition(before, now) is kind


def test_cursor_round_trip_and_foreign_cursor():
    states = {"b:check": FAILED_A, "a:check": CheckState(3, "SUCCEEDED")}
    text = write_cursor(states)
    assert read_cursor(text) == states
    assert list(json.loads(text)["checks"]) == ["a:check", "b:check"]
    assert read_cursor(None) == {}
    with pytest.raises(ValueError, match="not a version 1 check-failure cursor"):
        read_cursor('{"__class__": "RunStatusSensorCursor"}')


def test_each_recipient_gets_one_mail_with_exactly_their_items():
    recipients = {"a": ["ops", "fleet"], "b": ["ops"], "c": ["ops", "fleet"], "d": []}
    pairs = group_by_recipients(list("abcd"), recipients.__getitem__)
    assert pairs == [(("ops",), ["a", "b", "c"]), (("fleet",), ["a", "c"]), ((), ["d"])]


def test_texts_of_metadata_and_errors():
    long = "x" * 700
    assert metadata_text({"rows": dg.MetadataValue.int(3), "long": long}) == (
        ("rows", "3"),
        ("long", "x" * 600 + " …"),
    )
    cause = SerializableErrorInfo("ValueError: bad file\n", [], "ValueError")
    outer = SerializableErrorInfo("StepError: op failed\n", [], "StepError", cause=cause)
    assert error_text(outer) == "StepError: op failed\nValueError: bad file"
    assert error_text(None) == ""
