"""The Dagster resource that opens the configured central register (HTTP or SQL table)."""

from collections.abc import Callable

import dagster as dg

from asset_register.central.base import CentralRegister, HostNotAllowed
from asset_register.central.http import HttpCentralRegister
from asset_register.central.sql import SqlCentralRegister
from asset_register.settings import host_allowed, is_http_url, url_host


def open_central_register(
    url: str,
    system: str,
    token: str | None,
    allowed_hosts: tuple[str, ...],
    **http_options: float | int | Callable[[float], None],
) -> CentralRegister:
    """A client for ``url``: ``http(s)://`` → HTTP API, anything else → SQL table.

    Refuses (``HostNotAllowed``) before any request when the URL's host is not allowed, so
    neither data nor the token ever reach a host the deployment was not meant to use.
    """
    if not host_allowed(url, allowed_hosts):
        allowed = ", ".join(allowed_hosts) or "none"
        raise HostNotAllowed(
            f"central register host {url_host(url)!r} is not allowed in this deployment"
            f" (CENTRAL_REGISTER_ALLOWED_HOSTS: {allowed}); nothing was sent"
        )
    if is_http_url(url):
        return HttpCentralRegister(url, system, token, **http_options)  # type: ignore[arg-type]
    return SqlCentralRegister(url, system)


class CentralRegisterResource(dg.ConfigurableResource):
    """Where the central register is and how to talk to it (the token comes from an EnvVar)."""

    url: str
    system: str
    token: str | None = None
    allowed_hosts: list[str]
    page_size: int = 500
    max_attempts: int = 6
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0

    def open(self) -> CentralRegister:
        """A fresh client with its own request counters."""
        return open_central_register(
            self.url,
            self.system,
            self.token,
            tuple(self.allowed_hosts),
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            max_backoff_seconds=self.max_backoff_seconds,
        )
