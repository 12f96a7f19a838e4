"""The central register's HTTP API (central-register.openapi.yaml) with retries.

Retried: ``429`` (waiting ``Retry-After`` seconds, capped), ``5xx`` and dropped or timed-out
connections (exponential backoff from ``backoff_seconds``, capped at ``max_backoff_seconds``),
up to ``max_attempts`` attempts in all. Writes are retried with the *same* Idempotency-Key,
so a response lost on the way back is answered from the server's idempotency record.
``400`` raises :class:`CentralRegisterRejected` with the per-item errors and is not retried.
The token is sent only as the Authorization header and never appears in messages.
"""

import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

from asset_register.central.base import (
    Asset,
    AssetPage,
    CentralRegisterError,
    CentralRegisterRejected,
    CentralRegisterUnavailable,
    ItemError,
    RequestStats,
    RetireResult,
    UpsertResult,
    check_batch_size,
)

_TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout)


class HttpCentralRegister:
    """Client for one system of the central register's HTTP API."""

    def __init__(
        self,
        base_url: str,
        system: str,
        token: str | None,
        *,
        max_attempts: int = 6,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        timeout_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.stats = RequestStats()
        self._base = f"{base_url.rstrip('/')}/v1/systems/{system}/assets"
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._timeout = timeout_seconds
        self._sleep = sleep

    def close(self) -> None:
        self._session.close()

    def _wait_seconds(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None and response.status_code == 429:
            try:
                return min(
                    max(float(response.headers.get("Retry-After", "")), 0.0), self._max_backoff
                )
            except ValueError:
                pass
        return min(self._backoff * 2 ** (attempt - 1), self._max_backoff)

    def _request(
        self, operation: str, method: str, url: str, *, headers: dict | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        last_problem = ""
        for attempt in range(1, self._max_attempts + 1):
            self.stats.count(operation, retry=attempt > 1)
            response = None
            try:
                response = self._session.request(
                    method, url, headers=headers, timeout=self._timeout, **kwargs
                )
            except _TRANSIENT_ERRORS as error:
                last_problem = f"connection failed ({type(error).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    return response.json()
                if status == 400:
                    body = response.json() if response.content else {}
                    raise CentralRegisterRejected(
                        [
                            ItemError(e.get("index"), e.get("message", ""))
                            for e in body.get("errors", [])
                        ]
                        or [ItemError(None, response.text[:500] or "bad request")]
                    )
                if status == 401:
                    raise CentralRegisterError(
                        f"{operation}: the central register refused the token (401);"
                        " check CENTRAL_REGISTER_TOKEN"
                    )
                if status != 429 and status < 500:
                    raise CentralRegisterError(
                        f"{operation}: unexpected HTTP {status}: {response.text[:300]}"
                    )
                last_problem = f"HTTP {status}"
            if attempt < self._max_attempts:
                self._sleep(self._wait_seconds(attempt, response))
        raise CentralRegisterUnavailable(
            f"{operation}: central register still unavailable after {self._max_attempts}"
            f" attempts (last: {last_problem}); the next run completes what is missing"
        )

    def list_assets(self, page_token: str | None = None, page_size: int = 500) -> AssetPage:
        params: dict[str, Any] = {"page_size": page_size}
        if page_token:
            params["page_token"] = page_token
        body = self._request("list", "GET", self._base, params=params)
        return AssetPage(list(body["items"]), body.get("next_page_token"))

    def _post(self, operation: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request(
            operation,
            "POST",
            f"{self._base}:{operation}",
            headers={"Idempotency-Key": key},
            json=body,
        )

    def batch_upsert(self, items: Sequence[Asset], idempotency_key: str) -> UpsertResult:
        check_batch_size(items)
        body = self._post("batchUpsert", idempotency_key, {"items": list(items)})
        return UpsertResult(int(body["upserted"]), int(body["unchanged"]))

    def batch_retire(self, source_ids: Sequence[str], idempotency_key: str) -> RetireResult:
        check_batch_size(source_ids)
        body = self._post("batchRetire", idempotency_key, {"source_ids": list(source_ids)})
        return RetireResult(int(body["retired"]))
