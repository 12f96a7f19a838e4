"""Sending one alert mail over SMTP (STARTTLS, SSL or plain), or logging it when no server is set.

The password is resolved from its ``dg.EnvVar`` only to log in and is never logged; error
messages name the server, port, security and user, and have the password scrubbed from the
server's reply text in case a server echoes it.
"""

import logging
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

from platform_shared.alerts.settings import (
    PASSWORD_ENV_VAR,
    AlertSettings,
    SmtpSecurity,
    SmtpSettings,
)

# RFC 5322 allows 998 characters a line; folding a long subject at 78 made some parsers show
# it with a leading space.
_POLICY = SMTP_POLICY.clone(max_line_length=998)


class AlertDeliveryError(RuntimeError):
    """An alert mail could not be handed to the SMTP server (the message says which and why)."""


@dataclass(frozen=True)
class Mail:
    """One alert mail: a subject, a plain-text body and its recipients."""

    subject: str
    body: str
    to: tuple[str, ...]


def deliver(mail: Mail, settings: AlertSettings, log: logging.Logger) -> bool:
    """Send ``mail``; log it instead when no SMTP host or no recipient is configured.

    Returns True when the mail went to a server. Raises :class:`AlertDeliveryError` when the
    server can't be reached or refuses it.
    """
    if not mail.to:
        log.warning(
            "Alert e-mail %r has no recipient: set ALERT_EMAIL_TO (or a group/owner mapping, "
            "see docs/alerts.md). Not sent:\n%s",
            mail.subject,
            mail.body,
        )
        return False
    if not settings.smtp.enabled:
        log.info(
            "Alert e-mail not sent because ALERT_SMTP_HOST is not set. It would have gone to %s:\n"
            "Subject: %s\n\n%s",
            ", ".join(mail.to),
            mail.subject,
            mail.body,
        )
        return False
    refused = send(compose(mail, settings.sender), settings.smtp)
    accepted = [address for address in mail.to if address not in refused]
    log.info(
        "Sent alert e-mail %r to %s via %s",
        mail.subject,
        ", ".join(accepted),
        settings.smtp.describe(),
    )
    if refused:
        log.warning(
            "The SMTP server refused alert e-mail recipients: %s", ", ".join(sorted(refused))
        )
    return True


def deliver_all(mails: Iterable[Mail], settings: AlertSettings, log: logging.Logger) -> int:
    """Deliver every mail, even after one failed; returns how many went to a server.

    Raises one :class:`AlertDeliveryError` naming every failure at the end, so that the
    sensor tick fails (and is retried) while the other recipients still got their mail.
    """
    sent, errors = 0, []
    for mail in mails:
        try:
            sent += deliver(mail, settings, log)
        except AlertDeliveryError as error:
            errors.append(f"{mail.subject!r}: {error}")
    if errors:
        raise AlertDeliveryError("; ".join(errors))
    return sent


def compose(mail: Mail, sender: str) -> EmailMessage:
    """The RFC 5322 message for ``mail`` (plain text, UTF-8, marked as auto-generated)."""
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = " ".join(mail.subject.split())  # one line, whatever a name contains
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(mail.body)
    return message


def send(message: EmailMessage, smtp: SmtpSettings) -> dict[str, tuple[int, bytes]]:
    """Hand ``message`` to the server; returns the recipients it refused (if it took some)."""
    if smtp.host is None:
        raise AlertDeliveryError("ALERT_SMTP_HOST is not set: there is no server to send to")
    password = _resolve_password(smtp)
    try:
        with _connect(smtp) as server:
            if smtp.user and password is not None:
                server.login(smtp.user, password)
            return server.send_message(message)
    except UnicodeEncodeError:  # smtplib sends credentials as ASCII; its error quotes them
        raise AlertDeliveryError(
            f"Could not log in to {smtp.describe()}: smtplib sends ALERT_SMTP_USER and "
            f"{PASSWORD_ENV_VAR} as ASCII, and one of them has other characters"
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        detail = _scrub(f"{type(error).__name__}: {error}", password)
        raise AlertDeliveryError(
            f"Could not send alert e-mail via {smtp.describe()}: {detail}. "
            "Check ALERT_SMTP_HOST, ALERT_SMTP_PORT, ALERT_SMTP_SECURITY and the credentials."
        ) from None  # the original exception may carry the server's raw replies


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    assert smtp.host is not None
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    if smtp.security is SmtpSecurity.SSL:
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context)
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    if smtp.security is SmtpSecurity.STARTTLS:
        try:
            server.starttls(context=context)
        except BaseException:
            server.close()
            raise
    return server


def _resolve_password(smtp: SmtpSettings) -> str | None:
    if smtp.password is None:
        return None
    value = smtp.password.get_value()
    if not value:
        raise AlertDeliveryError(f"{PASSWORD_ENV_VAR} is no longer set in this process")
    return value


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
