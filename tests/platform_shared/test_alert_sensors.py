"""The alert sensors against a real Dagster instance and a real SMTP server on loopback.

Assets with checks are materialized for real; the sensors are driven tick by tick with the
cursor carried from one tick to the next, as the daemon does.
"""

import json
import logging
import re

import dagster as dg
import pytest

from platform_shared.alerts import (
    AlertDeliveryError,
    AlertSettings,
    alert_sensors,
    check_failure_email_sensor,
    run_failure_email_sensor,
)
from platform_shared.alerts.mailer import Mail, deliver

LOCATION = "test_location"


def field(body: str, label: str) -> str:
    """The value of the first ``  Label: value`` line of a mail body."""
    match = re.search(rf"^  {label}: +(.*)$", body, re.MULTILINE)
    assert match, f"no {label} line in:\n{body}"
    return match.group(1)


@pytest.fixture
def check_sensor() -> dg.SensorDefinition:
    return check_failure_email_sensor("check_failure_email", LOCATION)


@pytest.fixture
def run_sensor() -> dg.SensorDefinition:
    return run_failure_email_sensor("run_failure_email", LOCATION)


@pytest.fixture
def ticks(check_sensor, instance, location, run_tick):
    """Call ``ticks()`` for the next tick of the check sensor (cursor carried over)."""
    state: dict[str, str | None] = {"cursor": None}

    def next_tick() -> str | None:
        message, state["cursor"] = run_tick(
            check_sensor, instance, location.repository, state["cursor"]
        )
        return message

    next_tick.state = state
    return next_tick


def test_failing_check_sends_one_mail_over_several_ticks(
    alert_env, smtp, location, instance, ticks
):
    ticks()  # nothing materialized yet
    location.passes["no_duplicates"] = False
    location.materialize(instance, location.fleet_events)
    ticks()
    ticks()
    location.materialize(instance, location.fleet_events)  # fails again: same failure
    ticks()

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.subject == (
        "[staging] Failed check no_duplicates on fleet/bus_events in test_location"
    )
    assert mail.mail_from == "dagster@fleet.example"
    assert mail.rcpt_tos == ("oncall@fleet.example",)
    run_id = instance.get_runs(limit=2)[-1].run_id  # the run whose check failed first
    for text in (
        "FAILED: check no_duplicates on fleet/bus_events",
        "Event ids are unique.",  # what the check verifies
        "3 events share an event id with another event.",  # what is wrong
        "duplicate_events: 3",
    ):
        assert text in mail.body
    assert field(mail.body, "Severity") == "ERROR"
    assert field(mail.body, "Owners") == "team:fleet-data"
    assert field(mail.body, "Run") == f"https://dagster.fleet.example/runs/{run_id}"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert smtp.logins == ["alerts@fleet.example"]  # STARTTLS, then login


def test_recovery_sends_one_mail(alert_env, smtp, location, instance, ticks):
    location.passes["no_duplicates"] = False
    location.materialize(instance, location.fleet_events)
    ticks()
    location.passes["no_duplicates"] = True
    location.materialize(instance, location.fleet_events)
    ticks()
    ticks()

    assert [m.subject for m in smtp.received] == [
        "[staging] Failed check no_duplicates on fleet/bus_events in test_location",
        "[staging] Passed again: check no_duplicates on fleet/bus_events in test_location",
    ]
    assert "PASSED AGAIN: check no_duplicates on fleet/bus_events" in smtp.received[1].body


def test_a_passing_check_never_mails(alert_env, smtp, location, instance, ticks):
    location.materialize(instance, location.fleet_events, location.register_vehicles)
    assert ticks() == "No asset check of test_location changed state."
    ticks()
    assert smtp.received == []


def test_several_failures_in_one_tick_give_one_digest(alert_env, smtp, location, instance, ticks):
    location.passes.update(no_duplicates=False, has_rows=False)
    location.materialize(instance, location.fleet_events, location.register_vehicles)
    assert ticks() == (
        "Reported 2 failed and 0 recovered checks "
        f"(mail to 127.0.0.1:{smtp.port} (starttls) as alerts@fleet.example)."
    )
    ticks()

    assert len(smtp.received) == 1
    digest = smtp.received[0]
    assert digest.subject == "[staging] 2 failed checks in test_location"
    assert "FAILED: check no_duplicates on fleet/bus_events" in digest.body
    assert "FAILED: check has_rows on register/vehicles" in digest.body
    assert "The register snapshot is empty." in digest.body
    assert "Severity: WARN" in re.sub(" +", " ", digest.body)


def test_failures_and_recoveries_in_one_tick_share_the_digest(
    alert_env, smtp, location, instance, ticks
):
    location.passes["no_duplicates"] = False
    location.materialize(instance, location.fleet_events)
    ticks()
    location.passes.update(no_duplicates=True, has_rows=False)
    location.materialize(instance, location.fleet_events, location.register_vehicles)
    ticks()

    assert len(smtp.received) == 2
    assert smtp.received[1].subject == "[staging] 1 failed check, 1 passed again in test_location"


def test_recipients_follow_group_and_owner(alert_env, smtp, location, instance, ticks, monkeypatch):
    monkeypatch.setenv("ALERT_EMAIL_TO_GROUP_FLEET", "fleet-team@fleet.example")
    monkeypatch.setenv(
        "ALERT_EMAIL_TO_OWNERS",
        json.dumps({"alice@fleet.example": ["alice@fleet.example", "oncall@fleet.example"]}),
    )
    location.passes.update(no_duplicates=False, has_rows=False)
    location.materialize(instance, location.fleet_events, location.register_vehicles)
    ticks()

    by_recipients = {m.rcpt_tos: m for m in smtp.received}
    assert set(by_recipients) == {
        ("oncall@fleet.example",),  # defaults (and alice's alias) hear about both: a digest
        ("fleet-team@fleet.example",),  # the fleet group only about its asset
        ("alice@fleet.example",),  # the owner only about hers
    }
    assert by_recipients[("oncall@fleet.example",)].subject == (
        "[staging] 2 failed checks in test_location"
    )
    assert "register/vehicles" not in by_recipients[("fleet-team@fleet.example",)].body
    assert by_recipients[("alice@fleet.example",)].subject == (
        "[staging] Failed check has_rows on register/vehicles in test_location"
    )


def test_partitioned_check_names_the_partition(alert_env, smtp, location, instance, ticks):
    location.passes["counts_positive"] = False
    location.materialize(instance, location.daily_counts, partition="2026-11-01")
    ticks()
    location.materialize(instance, location.daily_counts, partition="2026-11-02")
    ticks()  # another partition fails: a new failure
    location.passes["counts_positive"] = True
    location.materialize(instance, location.daily_counts, partition="2026-11-02")
    ticks()

    subjects = [m.subject for m in smtp.received]
    assert subjects == [
        "[staging] Failed check counts_positive on gold/daily_counts in test_location",
        "[staging] Failed check counts_positive on gold/daily_counts in test_location",
        "[staging] Passed again: check counts_positive on gold/daily_counts in test_location",
    ]
    assert field(smtp.received[0].body, "Partition") == "2026-11-01"
    assert "Negative count on 2026-11-02." in smtp.received[1].body
    assert field(smtp.received[2].body, "Partition") == "2026-11-02"


def test_failed_delivery_fails_the_tick_and_is_retried(
    alert_env, smtp, location, instance, ticks, monkeypatch, unused_port
):
    ticks()
    cursor_before = ticks.state["cursor"]
    location.passes["no_duplicates"] = False
    location.materialize(instance, location.fleet_events)
    monkeypatch.setenv("ALERT_SMTP_PORT", str(unused_port))
    with pytest.raises(
        AlertDeliveryError, match=re.escape("Could not send alert e-mail via 127.0.0.1")
    ):
        ticks()
    assert ticks.state["cursor"] == cursor_before
    monkeypatch.setenv("ALERT_SMTP_PORT", str(smtp.port))
    ticks()
    assert len(smtp.received) == 1


def test_failed_run_sends_one_mail(
    alert_env, smtp, location, instance, run_sensor, run_tick, monkeypatch
):
    monkeypatch.setenv("ALERT_EMAIL_TO_GROUP_FLEET", "fleet-team@fleet.example")
    message, cursor = run_tick(run_sensor, instance, location.repository, None)
    assert message.startswith("Initiating run_failure_email")
    result = location.failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    _, cursor = run_tick(run_sensor, instance, location.repository, cursor)
    _, cursor = run_tick(run_sensor, instance, location.repository, cursor)

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.subject == "[staging] Run failed: broken_job in test_location"
    assert mail.rcpt_tos == ("oncall@fleet.example", "fleet-team@fleet.example")
    assert field(mail.body, "Run") == f"https://dagster.fleet.example/runs/{result.run_id}"
    assert field(mail.body, "Assets") == "fleet/broken"
    assert "ValueError: landing folder /data/landing is not readable" in mail.body


def test_password_never_in_logs_reprs_or_errors(
    alert_env, smtp, location, instance, ticks, caplog, monkeypatch
):
    password = alert_env["ALERT_SMTP_PASSWORD"]
    location.passes["no_duplicates"] = False
    location.materialize(instance, location.fleet_events)
    ticks()
    assert len(smtp.received) == 1
    assert "Sent alert e-mail" in caplog.text  # the logs were captured...
    settings = AlertSettings.from_env()
    assert password not in repr(settings)
    assert password not in caplog.text  # ...and hold no password

    monkeypatch.setenv("ALERT_SMTP_PASSWORD", password + "-wrong")
    mail = Mail(subject="test", body="test", to=("oncall@fleet.example",))
    with pytest.raises(AlertDeliveryError) as refused:
        deliver(mail, AlertSettings.from_env(), logging.getLogger("test"))
    assert "SMTPAuthenticationError" in str(refused.value)
    assert password not in str(refused.value)
    assert refused.value.__cause__ is None
    assert password not in caplog.text

    monkeypatch.setenv("ALERT_SMTP_PASSWORD", "pässwörd")  # smtplib can't send it
    with pytest.raises(AlertDeliveryError, match="as ASCII") as unsendable:
        deliver(mail, AlertSettings.from_env(), logging.getLogger("test"))
    assert "ä" not in str(unsendable.value) and "\\xe4" not in str(unsendable.value)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_ssl_and_unencrypted_relays(start_smtp, alert_env, tls_files, monkeypatch):
    for security in ("ssl", "none"):
        server = start_smtp(security)
        for name in ("ALERT_SMTP_USER", "ALERT_SMTP_PASSWORD", "ALERT_SMTP_CA_FILE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in server.env(ca_file=tls_files[0]).items():
            monkeypatch.setenv(name, value)
        mail = Mail(subject=f"over {security}", body="hello", to=("oncall@fleet.example",))
        assert deliver(mail, AlertSettings.from_env(), logging.getLogger("test"))
        assert [m.subject for m in server.received] == [f"over {security}"]


def test_without_smtp_host_the_mail_is_logged(location, instance, ticks, caplog, monkeypatch):
    monkeypatch.delenv("ALERT_SMTP_HOST", raising=False)
    monkeypatch.setenv("ALERT_EMAIL_TO", "oncall@fleet.example")
    location.passes["no_duplicates"] = False
    location.materialize(instance, location.fleet_events)
    assert ticks().startswith("Reported 1 failed and 0 recovered checks (mail to nowhere")
    assert "ALERT_SMTP_HOST is not set" in caplog.text
    assert "Subject: [local] Failed check no_duplicates on fleet/bus_events" in caplog.text
    assert "Failed check" not in (ticks() or "")  # logged once, like a mail


def test_alert_sensors_load_in_a_location_without_settings(monkeypatch, location):
    for name in ("ALERT_SMTP_HOST", "ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    sensors = alert_sensors("fleet_platform")
    assert [s.name for s in sensors] == [
        "fleet_platform_check_failure_email",
        "fleet_platform_run_failure_email",
    ]
    assert {s.default_status for s in sensors} == {dg.DefaultSensorStatus.STOPPED}  # local
    defs = dg.Definitions.merge(location.defs, dg.Definitions(sensors=sensors))
    dg.Definitions.validate_loadable(defs)
