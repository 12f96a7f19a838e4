"""Every setting of the asset register, read from the environment in this one place.

``RegisterSettings.from_env()`` reads ``os.environ`` (or a given dict, so two deployments can
be configured side by side in one process). Local runs need no variable at all: the source
register and the central register are SQLite files under ``data_dir()/asset_register`` and the
warehouse is a folder there. Staging and production must name their systems explicitly; a
missing one is an error at load time that names the variable. See ``asset_register/README.md``.
"""

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import dagster as dg

from asset_register.source.rules import SOURCE_FIELDS
from platform_shared.deployment import Deployment, get_deployment
from platform_shared.paths import data_dir

TOKEN_ENV_VAR = "CENTRAL_REGISTER_TOKEN"
_SYSTEM_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class DeploymentDefaults:
    """What differs between deployments when the environment does not say otherwise."""

    warehouse_prefix: str
    schedule_running: bool
    alert_subject_tag: str
    embedded_systems: bool  # may fall back to the embedded SQLite source/central/warehouse
    allowed_hosts: tuple[str, ...]


DEPLOYMENT_DEFAULTS: dict[Deployment, DeploymentDefaults] = {
    Deployment.LOCAL: DeploymentDefaults(
        "register/local", False, "[asset-register local]", True, _LOOPBACK_HOSTS
    ),
    Deployment.STAGING: DeploymentDefaults(
        "register/staging", True, "[asset-register STAGING]", False, ()
    ),
    Deployment.PRODUCTION: DeploymentDefaults(
        "register/production", True, "[asset-register PRODUCTION]", False, ()
    ),
}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def validate_identifier(name: str, setting: str) -> str:
    """A SQL identifier we are willing to quote into a statement; raises otherwise."""
    if not _IDENTIFIER_RE.fullmatch(name):
        raise SettingsError(
            f"{setting}: {name!r} is not a plain SQL identifier (letters, digits, _; ≤63)"
        )
    return name


def parse_column_mapping(text: str) -> dict[str, str]:
    """``REGISTER_SOURCE_COLUMNS`` = ``contract_name=site_column,...`` → full mapping."""
    mapping = {name: name for name in SOURCE_FIELDS}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        contract_name, sep, column = (s.strip() for s in pair.partition("="))
        if not sep or contract_name not in mapping:
            raise SettingsError(
                f"REGISTER_SOURCE_COLUMNS: {pair!r} must be <contract column>=<site column>,"
                f" contract columns: {', '.join(SOURCE_FIELDS)}"
            )
        mapping[contract_name] = validate_identifier(column, "REGISTER_SOURCE_COLUMNS")
    return mapping


def is_http_url(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def url_host(url: str) -> str:
    """``host`` or ``host:port`` of a URL (SQLite files have none)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{host}:{parts.port}" if parts.port else host


def host_allowed(url: str, allowed_hosts: tuple[str, ...]) -> bool:
    """An entry ``host`` allows any port, ``host:port`` only that one; file URLs are local."""
    parts = urlsplit(url)
    if not parts.hostname:
        return True
    return parts.hostname in allowed_hosts or url_host(url) in allowed_hosts


@dataclass(frozen=True)
class RegisterSettings:
    """Resolved settings of one deployment of the asset register."""

    deployment: Deployment
    source_url: str
    source_table: str
    source_schema: str | None
    source_columns: dict[str, str]
    seed_demo_source: bool
    central_url: str
    central_token_env_var: str | None
    system: str
    allowed_hosts: tuple[str, ...]
    warehouse_url: str
    warehouse_prefix: str
    start_date: str
    timezone: str
    schedule_hour: int
    schedule_minute: int
    schedule_running: bool
    freshness_deadline_cron: str
    mass_retire_max_share: float
    mass_retire_min_count: int
    max_invalid_share: float
    page_size: int
    max_attempts: int
    backoff_seconds: float
    max_backoff_seconds: float
    alert_subject_tag: str
    defaults: DeploymentDefaults = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "RegisterSettings":
        """Resolve settings from ``environ`` (default ``os.environ``)."""

        env = dict(os.environ if environ is None else environ)
        deployment = get_deployment(env)
        defaults = DEPLOYMENT_DEFAULTS[deployment]
        embedded = Path(env.get("PLATFORM_DATA_DIR") or data_dir()).resolve() / "asset_register"

        def get(name: str, default: str | None = None) -> str:
            value = env.get(name, "").strip()
            if value:
                return value
            if default is None:
                raise SettingsError(f"{name} must be set in the {deployment} deployment")
            return value or default

        def embedded_default(path: str) -> str | None:
            return path if defaults.embedded_systems else None

        source_url = get("REGISTER_SOURCE_URL", embedded_default(""))
        seed_demo = not source_url
        source_url = source_url or f"sqlite:///{embedded / 'source_register.sqlite'}"
        central_url = get(
            "CENTRAL_REGISTER_URL",
            embedded_default(f"sqlite:///{embedded / 'central_register.sqlite'}"),
        )
        table_setting = get("REGISTER_SOURCE_TABLE", "asset_register")
        schema, _, table = table_setting.rpartition(".")
        system = get("REGISTER_SYSTEM", "dbrb-itk")
        if not _SYSTEM_RE.fullmatch(system):
            raise SettingsError(
                f"REGISTER_SYSTEM: {system!r} must match ^[a-z0-9][a-z0-9-]{{1,62}}$"
            )
        hosts_text = env.get("CENTRAL_REGISTER_ALLOWED_HOSTS", "").strip()
        allowed_hosts = (
            tuple(h.strip() for h in hosts_text.split(",") if h.strip())
            if hosts_text
            else defaults.allowed_hosts
        )
        timezone = get("REGISTER_TIMEZONE", "Europe/Berlin")
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError):
            raise SettingsError(f"REGISTER_TIMEZONE: unknown time zone {timezone!r}") from None
        start_date = get("REGISTER_START_DATE", "2024-01-01")
        try:
            dt.date.fromisoformat(start_date)
        except ValueError:
            raise SettingsError(f"REGISTER_START_DATE: {start_date!r} is not YYYY-MM-DD") from None
        schedule_time = get("REGISTER_SCHEDULE_TIME", "05:00")
        match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", schedule_time)
        if not match:
            raise SettingsError(f"REGISTER_SCHEDULE_TIME: {schedule_time!r} is not HH:MM")
        status_text = get(
            "REGISTER_SCHEDULE_STATUS", "RUNNING" if defaults.schedule_running else "STOPPED"
        )
        if status_text.upper() not in {"RUNNING", "STOPPED"}:
            raise SettingsError(f"REGISTER_SCHEDULE_STATUS: {status_text!r} is not RUNNING|STOPPED")

        def number(name: str, default: str, kind: type[int] | type[float]) -> int | float:
            text = get(name, default)
            try:
                value = kind(text)
            except ValueError:
                raise SettingsError(f"{name}: {text!r} is not a number") from None
            if value < 0:
                raise SettingsError(f"{name}: {text!r} must not be negative")
            return value

        return cls(
            deployment=deployment,
            source_url=source_url,
            source_table=validate_identifier(table, "REGISTER_SOURCE_TABLE"),
            source_schema=validate_identifier(schema, "REGISTER_SOURCE_TABLE") if schema else None,
            source_columns=parse_column_mapping(env.get("REGISTER_SOURCE_COLUMNS", "")),
            seed_demo_source=seed_demo,
            central_url=central_url,
            central_token_env_var=TOKEN_ENV_VAR if is_http_url(central_url) else None,
            system=system,
            allowed_hosts=allowed_hosts,
            warehouse_url=get(
                "REGISTER_WAREHOUSE_URL", embedded_default(str(embedded / "warehouse"))
            ),
            warehouse_prefix=defaults.warehouse_prefix,
            start_date=start_date,
            timezone=timezone,
            schedule_hour=int(match.group(1)),
            schedule_minute=int(match.group(2)),
            schedule_running=status_text.upper() == "RUNNING",
            freshness_deadline_cron=get("REGISTER_FRESHNESS_DEADLINE_CRON", "0 7 * * *"),
            mass_retire_max_share=number("REGISTER_MASS_RETIRE_MAX_SHARE", "0.05", float),
            mass_retire_min_count=int(number("REGISTER_MASS_RETIRE_MIN_COUNT", "25", int)),
            max_invalid_share=number("REGISTER_MAX_INVALID_SHARE", "0.05", float),
            page_size=int(number("CENTRAL_REGISTER_PAGE_SIZE", "500", int)),
            max_attempts=int(number("CENTRAL_REGISTER_MAX_ATTEMPTS", "6", int)),
            backoff_seconds=number("CENTRAL_REGISTER_BACKOFF_SECONDS", "1", float),
            max_backoff_seconds=number("CENTRAL_REGISTER_MAX_BACKOFF_SECONDS", "60", float),
            alert_subject_tag=defaults.alert_subject_tag,
            defaults=defaults,
        )

    def central_token(self) -> str | dg.EnvVar | None:
        """The bearer token as an ``EnvVar`` (resolved at run time, never logged)."""
        return dg.EnvVar(self.central_token_env_var) if self.central_token_env_var else None
