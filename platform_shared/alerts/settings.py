"""Alert settings, read from the environment in this one place (see ``docs/alerts.md``).

Every variable is optional. With no ``ALERT_SMTP_HOST`` the sensors load and run, and log
the mail they would have sent instead of sending it: the embedded default needs nothing.

The SMTP password is never read here: the settings hold ``dg.EnvVar("ALERT_SMTP_PASSWORD")``,
a reference whose text is the variable's *name*, and the mailer resolves it only to log in.
So no repr, log line or error message built from the settings can contain the password.
"""

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import dagster as dg

PASSWORD_ENV_VAR = "ALERT_SMTP_PASSWORD"
GROUP_RECIPIENTS_PREFIX = "ALERT_EMAIL_TO_GROUP_"
DEFAULT_UI_URL = "http://localhost:3000"
DEFAULT_FROM = "dagster-alerts@localhost"
DEFAULT_TIMEOUT_SECONDS = 30.0

N = TypeVar("N", int, float)


class SettingsError(ValueError):
    """An alert setting is malformed; the message names the variable and what to do."""


class SmtpSecurity(StrEnum):
    """How the connection to the SMTP server is protected."""

    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (submission, port 587)
    SSL = "ssl"  # TLS from the first byte (SMTPS, port 465)
    NONE = "none"  # no TLS: only for a relay on a trusted network, never with a password


DEFAULT_PORTS = {SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465, SmtpSecurity.NONE: 25}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail. ``host`` None means: log the mail, don't send it."""

    host: str | None
    port: int
    security: SmtpSecurity
    user: str | None
    password: dg.EnvVar | None  # a reference to the variable, resolved only to log in
    timeout_seconds: float
    ca_file: Path | None  # trust this CA bundle instead of the system's (private relays)

    @property
    def enabled(self) -> bool:
        """True when mail is really sent."""
        return self.host is not None

    def describe(self) -> str:
        """Where mail goes, for log lines and errors (never the password)."""
        if self.host is None:
            return "nowhere (ALERT_SMTP_HOST is not set: mail is logged, not sent)"
        login = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({self.security.value}){login}"


@dataclass(frozen=True)
class RecipientRules:
    """Who hears about an asset: the defaults plus its group's and its owners' addresses."""

    default: tuple[str, ...] = ()
    by_group: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_owner: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_asset(self, group: str | None, owners: Iterable[str]) -> tuple[str, ...]:
        """Recipients for one asset, defaults first, without duplicates."""
        found = list(self.default)
        if group is not None:
            found.extend(self.by_group.get(group_variable_suffix(group), ()))
        for owner in owners:
            found.extend(self.by_owner.get(owner, ()))
        return unique(found)


@dataclass(frozen=True)
class AlertSettings:
    """Everything the alert sensors need, from ``AlertSettings.from_env()``."""

    smtp: SmtpSettings
    sender: str
    recipients: RecipientRules
    ui_url: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "AlertSettings":
        """Read the settings; raises :class:`SettingsError` naming the variable at fault."""
        env = os.environ if environ is None else environ
        return cls(
            smtp=_smtp_from_env(env),
            sender=_address(
                env.get("ALERT_EMAIL_FROM", "").strip() or DEFAULT_FROM, "ALERT_EMAIL_FROM"
            ),
            recipients=RecipientRules(
                default=_addresses(env.get("ALERT_EMAIL_TO", ""), "ALERT_EMAIL_TO"),
                by_group=_group_recipients(env),
                by_owner=_owner_recipients(env.get("ALERT_EMAIL_TO_OWNERS", "")),
            ),
            ui_url=(env.get("DAGSTER_UI_URL", "").strip() or DEFAULT_UI_URL).rstrip("/"),
        )


def group_variable_suffix(group: str) -> str:
    """``fleet-ops`` → ``FLEET_OPS``: the suffix of the group's ``ALERT_EMAIL_TO_GROUP_`` variable."""
    return re.sub(r"[^A-Za-z0-9]", "_", group).upper()


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Values in first-seen order, duplicates (case-insensitive) dropped."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if value.lower() not in seen:
            seen.add(value.lower())
            kept.append(value)
    return tuple(kept)


def _smtp_from_env(env: Mapping[str, str]) -> SmtpSettings:
    host = env.get("ALERT_SMTP_HOST", "").strip() or None
    security_text = env.get("ALERT_SMTP_SECURITY", "").strip().lower() or SmtpSecurity.STARTTLS
    try:
        security = SmtpSecurity(security_text)
    except ValueError:
        allowed = ", ".join(s.value for s in SmtpSecurity)
        raise SettingsError(
            f"ALERT_SMTP_SECURITY={security_text!r} is not one of {allowed}"
        ) from None
    port = _number(env, "ALERT_SMTP_PORT", int, DEFAULT_PORTS[security])
    timeout = _number(env, "ALERT_SMTP_TIMEOUT_SECONDS", float, DEFAULT_TIMEOUT_SECONDS)
    user = env.get("ALERT_SMTP_USER", "").strip() or None
    has_password = bool(env.get(PASSWORD_ENV_VAR))
    if user and not has_password:
        raise SettingsError(
            f"ALERT_SMTP_USER is set but {PASSWORD_ENV_VAR} is not: set both or neither"
        )
    if has_password and not user:
        raise SettingsError(
            f"{PASSWORD_ENV_VAR} is set but ALERT_SMTP_USER is not: set both or neither"
        )
    if user and security is SmtpSecurity.NONE:
        raise SettingsError(
            "ALERT_SMTP_SECURITY=none would send the SMTP password in clear text: "
            "use starttls or ssl, or unset ALERT_SMTP_USER and ALERT_SMTP_PASSWORD"
        )
    ca_text = env.get("ALERT_SMTP_CA_FILE", "").strip()
    ca_file = Path(ca_text) if ca_text else None
    if ca_file is not None and not ca_file.is_file():
        raise SettingsError(f"ALERT_SMTP_CA_FILE={ca_text!r} is not a file")
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        user=user,
        password=dg.EnvVar(PASSWORD_ENV_VAR) if has_password else None,
        timeout_seconds=timeout,
        ca_file=ca_file,
    )


def _number(env: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not a {kind.__name__}") from None
    if value <= 0:
        raise SettingsError(f"{name}={text!r} must be greater than 0")
    return value


def _address(text: str, variable: str) -> str:
    if "@" not in text or any(c.isspace() or c in ",;<>" for c in text):
        raise SettingsError(f"{variable}: {text!r} is not an e-mail address (user@domain)")
    return text


def _addresses(value: object, variable: str) -> tuple[str, ...]:
    """A comma-separated list (or a JSON list) of addresses."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise SettingsError(f"{variable}: expected a comma-separated string or a list of addresses")
    return unique(_address(item.strip(), variable) for item in items if item.strip())


def _group_recipients(env: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {
        name.removeprefix(GROUP_RECIPIENTS_PREFIX).upper(): _addresses(value, name)
        for name, value in env.items()
        if name.startswith(GROUP_RECIPIENTS_PREFIX) and name != GROUP_RECIPIENTS_PREFIX
    }


def _owner_recipients(text: str) -> dict[str, tuple[str, ...]]:
    if not text.strip():
        return {}
    variable = "ALERT_EMAIL_TO_OWNERS"
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"{variable} is not valid JSON ({error.msg} at character {error.pos}); expected e.g. "
            '{"team:fleet-data": ["fleet-data@example.com"]}'
        ) from None
    if not isinstance(mapping, dict):
        raise SettingsError(f"{variable} must be a JSON object of owner → address list")
    return {
        str(owner): _addresses(value, f"{variable}[{owner!r}]") for owner, value in mapping.items()
    }
