"""Fixtures of the alerting tests: a real SMTP server on loopback (aiosmtpd, plain, STARTTLS
or implicit TLS, with login), a self-signed certificate for it, a small code location whose
asset checks pass or fail on demand, and a throwaway Dagster instance."""

import datetime as dt
import ipaddress
import logging
import os
import socket
import ssl
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "alerts@fleet.example"
SMTP_PASSWORD = "pa55-Word-never-in-logs"
LOCATION = "test_location"


@dataclass(frozen=True)
class Received:
    """One mail as the server got it: envelope and parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class MailServer:
    """A running loopback SMTP server and what it received."""

    port: int
    security: str
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        self.received.append(
            Received(
                envelope.mail_from,
                tuple(envelope.rcpt_tos),
                message_from_bytes(envelope.content, policy=default_policy),
            )
        )
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == SMTP_USER
            and auth_data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535

    def env(self, ca_file: Path | None) -> dict[str, str]:
        """The ALERT_SMTP_* variables that point the mailer at this server."""
        env = {
            "ALERT_SMTP_HOST": "127.0.0.1",
            "ALERT_SMTP_PORT": str(self.port),
            "ALERT_SMTP_SECURITY": self.security,
            "ALERT_SMTP_TIMEOUT_SECONDS": "5",
        }
        if self.security != "none":
            env |= {"ALERT_SMTP_USER": SMTP_USER, "ALERT_SMTP_PASSWORD": SMTP_PASSWORD}
            env["ALERT_SMTP_CA_FILE"] = str(ca_file)
        return env


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    """A loopback port where no server listens (connections are refused)."""
    return free_port()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (cert doubles as the CA file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def start_smtp(tls_files: tuple[Path, Path]) -> Iterator[Callable[[str], MailServer]]:
    """Start a loopback SMTP server: ``start_smtp("starttls" | "ssl" | "none")``."""
    controllers: list[Controller] = []
    cert_file, key_file = tls_files

    def start(security: str) -> MailServer:
        server = MailServer(port=free_port(), security=security)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert_file, key_file)
        options: dict[str, object] = {}
        if security == "starttls":
            options = {"tls_context": tls, "require_starttls": True}
        elif security == "ssl":
            # implicit TLS: aiosmtpd can't tell the session is encrypted, so allow AUTH
            options = {"ssl_context": tls, "auth_require_tls": False}
        if security != "none":
            options |= {"authenticator": server.authenticate, "auth_required": True}
        controller = Controller(server, hostname="127.0.0.1", port=server.port, **options)
        controller.start()
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(start_smtp: Callable[[str], MailServer]) -> MailServer:
    """A STARTTLS server with login, the usual production set-up."""
    return start_smtp("starttls")


@pytest.fixture
def alert_env(
    monkeypatch: pytest.MonkeyPatch, smtp: MailServer, tls_files: tuple[Path, Path]
) -> dict[str, str]:
    """Alert settings pointing at ``smtp``, in a staging deployment, one default recipient."""
    for name in list(os.environ):
        if name.startswith("ALERT_"):
            monkeypatch.delenv(name)
    env = smtp.env(ca_file=tls_files[0]) | {
        "ALERT_EMAIL_FROM": "dagster@fleet.example",
        "ALERT_EMAIL_TO": "oncall@fleet.example",
        "DAGSTER_UI_URL": "https://dagster.fleet.example/",
        "DAGSTER_DEPLOYMENT": "staging",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@dataclass
class Location:
    """A small code location whose check results and failures the test sets."""

    passes: dict[str, bool]  # check name → passes?
    defs: dg.Definitions
    fleet_events: dg.AssetsDefinition
    register_vehicles: dg.AssetsDefinition
    daily_counts: dg.AssetsDefinition
    failing_job: dg.JobDefinition

    @property
    def repository(self) -> dg.RepositoryDefinition:
        return self.defs.get_repository_def()

    def materialize(
        self,
        instance: dg.DagsterInstance,
        *assets: dg.AssetsDefinition,
        partition: str | None = None,
    ) -> None:
        dg.materialize(list(assets), instance=instance, partition_key=partition)


@pytest.fixture
def location() -> Location:
    """Three assets with one check each (one partitioned) and a job that fails."""
    passes = {"no_duplicates": True, "has_rows": True, "counts_positive": True}

    @dg.asset(
        key=["fleet", "bus_events"],
        group_name="fleet",
        owners=["team:fleet-data"],
        check_specs=[
            dg.AssetCheckSpec(
                "no_duplicates", asset=["fleet", "bus_events"], description="Event ids are unique."
            )
        ],
    )
    def fleet_events() -> Iterator[dg.Output | dg.AssetCheckResult]:
        yield dg.Output(None)
        ok = passes["no_duplicates"]
        yield dg.AssetCheckResult(
            check_name="no_duplicates",
            passed=ok,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None if ok else "3 events share an event id with another event.",
            metadata={"duplicate_events": 0 if ok else 3},
        )

    @dg.asset(
        key=["register", "vehicles"],
        group_name="register",
        owners=["alice@fleet.example"],
        check_specs=[dg.AssetCheckSpec("has_rows", asset=["register", "vehicles"])],
    )
    def register_vehicles() -> Iterator[dg.Output | dg.AssetCheckResult]:
        yield dg.Output(None)
        ok = passes["has_rows"]
        yield dg.AssetCheckResult(
            check_name="has_rows",
            passed=ok,
            severity=dg.AssetCheckSeverity.WARN,
            description=None if ok else "The register snapshot is empty.",
        )

    @dg.asset(
        key=["gold", "daily_counts"],
        group_name="fleet",
        partitions_def=dg.StaticPartitionsDefinition(["2026-11-01", "2026-11-02"]),
        check_specs=[dg.AssetCheckSpec("counts_positive", asset=["gold", "daily_counts"])],
    )
    def daily_counts(
        context: dg.AssetExecutionContext,
    ) -> Iterator[dg.Output | dg.AssetCheckResult]:
        yield dg.Output(None)
        ok = passes["counts_positive"]
        yield dg.AssetCheckResult(
            check_name="counts_positive",
            passed=ok,
            description=None if ok else f"Negative count on {context.partition_key}.",
        )

    @dg.asset(key=["fleet", "broken"], group_name="fleet")
    def broken() -> None:
        raise ValueError("landing folder /data/landing is not readable")

    failing_job = dg.define_asset_job("broken_job", selection=[broken])
    defs = dg.Definitions(
        assets=[fleet_events, register_vehicles, daily_counts, broken], jobs=[failing_job]
    )
    return Location(
        passes,
        defs,
        fleet_events,
        register_vehicles,
        daily_counts,
        defs.resolve_job_def("broken_job"),
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A throwaway Dagster instance: SQLite storage in a temp folder, in memory (/dev/shm)
    where the machine has it, since each run commits dozens of events."""
    memory = Path("/dev/shm")
    with (
        tempfile.TemporaryDirectory(dir=memory if memory.is_dir() else None) as folder,
        dg.instance_for_test(temp_dir=folder) as fresh,
    ):
        yield fresh


@pytest.fixture
def run_tick(caplog: pytest.LogCaptureFixture) -> Callable[..., tuple[str | None, str | None]]:
    """``run_tick(sensor, instance, repository, cursor)`` evaluates one sensor tick and returns
    (skip message, new cursor). What the sensor logs through ``context.log`` (a logger outside
    the logging tree) goes to ``caplog`` too."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's protocol trace

    def tick(
        sensor: dg.SensorDefinition,
        instance: dg.DagsterInstance,
        repository: dg.RepositoryDefinition,
        cursor: str | None,
    ) -> tuple[str | None, str | None]:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, repository_def=repository
        )
        context.log.addHandler(caplog.handler)
        result = sensor.evaluate_tick(context)
        return result.skip_message, result.cursor

    return tick
