"""The one interface every central register client implements, and what they share.

``list_assets`` returns one page; ``iter_assets`` follows the page tokens. Writes take the
caller's ``Idempotency-Key`` (``batch_key`` derives it from the batch's content, so a retry
of the same batch reuses it and a different batch can't collide with it).
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

MAX_BATCH_ITEMS = 500

Asset = dict[str, Any]


@dataclass(frozen=True)
class AssetPage:
    items: list[Asset]
    next_page_token: str | None


@dataclass(frozen=True)
class UpsertResult:
    upserted: int
    unchanged: int


@dataclass(frozen=True)
class RetireResult:
    retired: int


@dataclass(frozen=True)
class ItemError:
    """One rejected item of a batch: its index in the batch and the server's message."""

    index: int | None
    message: str


@dataclass
class RequestStats:
    """What a client sent: requests (every attempt) and retries (attempts after the first)."""

    requests: int = 0
    retries: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)

    def count(self, operation: str, retry: bool) -> None:
        self.requests += 1
        self.retries += int(retry)
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1


class CentralRegisterError(RuntimeError):
    """The central register could not be used; the message says what to do."""


class CentralRegisterRejected(CentralRegisterError):
    """A ``400``: nothing of the batch was stored; ``errors`` names the items (by index)."""

    def __init__(self, errors: Sequence[ItemError], status: int = 400) -> None:
        self.errors = list(errors)
        self.status = status
        shown = "; ".join(f"[{e.index}] {e.message}" for e in self.errors[:5])
        super().__init__(f"central register rejected the batch ({status}): {shown}")


class CentralRegisterUnavailable(CentralRegisterError):
    """Transient failures (429, 5xx, dropped connections) outlasted every retry."""


class HostNotAllowed(CentralRegisterError):
    """The central register URL's host is not in CENTRAL_REGISTER_ALLOWED_HOSTS."""


@runtime_checkable
class CentralRegister(Protocol):
    """Operations of the OpenAPI contract, for one ``system``."""

    system: str
    stats: RequestStats

    def list_assets(self, page_token: str | None = None, page_size: int = 500) -> AssetPage:
        """One page of the records held for our system, active and retired."""
        ...

    def batch_upsert(self, items: Sequence[Asset], idempotency_key: str) -> UpsertResult:
        """Create or replace up to 500 records (raises CentralRegisterRejected on 400)."""
        ...

    def batch_retire(self, source_ids: Sequence[str], idempotency_key: str) -> RetireResult:
        """Retire up to 500 records; unknown or retired ids are no-ops."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def iter_assets(register: CentralRegister, page_size: int = 500) -> Iterator[list[Asset]]:
    """Every page of the central register's records for our system, in order."""
    token: str | None = None
    while True:
        page = register.list_assets(token, page_size)
        yield page.items
        if not page.next_page_token:
            return
        token = page.next_page_token


def batch_key(
    system: str,
    operation: str,
    payload: Sequence[Any],
    replaces: Sequence[str | None] | None = None,
) -> str:
    """Idempotency-Key of a batch: SHA-256 over system, operation, the batch's items and the
    content_hash each item replaces in the central register (``replaces``, in item order).

    A retry of the same batch reuses the key; a different batch can't collide with it. The
    replaced hashes keep a revert apart from the original push: pushing A, then B, then A
    again within the server's 24 h replay window gives the last batch a new key (its items
    replace B, not nothing), so it is applied rather than answered from the first result.
    """
    body = json.dumps(
        {
            "system": system,
            "operation": operation,
            "items": list(payload),
            "replaces": list(replaces or []),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_batch_size(payload: Sequence[Any]) -> None:
    if len(payload) > MAX_BATCH_ITEMS:
        raise ValueError(f"a batch holds at most {MAX_BATCH_ITEMS} items, got {len(payload)}")
