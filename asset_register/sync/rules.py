"""The sync's rules as pure functions: changes between snapshots, the push plan, the
mass-retire guard, pushing a plan in batches, and the read-back comparison
(contracts/register.md, "What a day's sync must guarantee" and "Pushing")."""

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from asset_register.central.base import (
    MAX_BATCH_ITEMS,
    CentralRegister,
    CentralRegisterRejected,
    batch_key,
)
from asset_register.source.rules import ASSET_FIELDS, Record


class ChangeKind(StrEnum):
    """What happened to a record since the previous snapshot."""

    ADDED = "added"
    CHANGED = "changed"
    DECOMMISSIONED = "decommissioned"
    REMOVED = "removed"
    INVALID = "invalid"


@dataclass(frozen=True)
class Change:
    source_id: str | None
    change: ChangeKind
    before: Record | None
    after: Record | None
    detail: str | None = None


def _by_id(records: Iterable[Record]) -> dict[str, Record]:
    return {r["source_id"]: r for r in records}


def compute_changes(
    valid: Sequence[Record],
    invalid: Sequence[tuple[str | None, str]],
    previous_valid: Sequence[Record],
    previous_invalid_ids: Iterable[str],
) -> list[Change]:
    """Today's snapshot against the previous one.

    ``added``: valid today, not valid before; ``decommissioned``: active before, retired now;
    ``changed``: any other content change (before and after kept); ``removed``: in the
    previous snapshot (valid or invalid) and absent from the source today; ``invalid``: every
    invalid record today, with its reasons (``before`` is its last valid state, if any).
    ``invalid`` holds ``(source_id, reasons)`` pairs.
    """
    before = _by_id(previous_valid)
    changes: list[Change] = []
    for record in valid:
        old = before.get(record["source_id"])
        if old is None:
            changes.append(Change(record["source_id"], ChangeKind.ADDED, None, record))
        elif old["content_hash"] != record["content_hash"]:
            kind = (
                ChangeKind.DECOMMISSIONED
                if old["lifecycle_status"] == "active" and record["lifecycle_status"] == "retired"
                else ChangeKind.CHANGED
            )
            changes.append(Change(record["source_id"], kind, old, record))
    for source_id, reasons in invalid:
        old = before.get(source_id) if source_id is not None else None
        changes.append(Change(source_id, ChangeKind.INVALID, old, None, reasons))
    present = {r["source_id"] for r in valid} | {source_id for source_id, _ in invalid}
    for source_id in sorted((set(before) | set(previous_invalid_ids)) - present):
        changes.append(Change(source_id, ChangeKind.REMOVED, before.get(source_id), None))
    return changes


class UpsertReason(StrEnum):
    CREATE = "create"  # the central register doesn't hold it
    UPDATE = "update"  # it holds another content_hash
    RETIRE_DECOMMISSIONED = "retire_decommissioned"  # decommissioned in source, active there


RETIRE_REMOVED = "removed_from_source"


@dataclass
class PushPlan:
    """What makes the central register equal the snapshot."""

    upserts: list[tuple[Record, UpsertReason]]
    retirements: list[str]
    unchanged: int
    invalid_left_untouched: int
    central_active: int

    @property
    def retiring_active(self) -> int:
        """Active central records this plan retires (removed + newly decommissioned)."""
        decommissioning = sum(
            1 for _, reason in self.upserts if reason is UpsertReason.RETIRE_DECOMMISSIONED
        )
        return len(self.retirements) + decommissioning


def plan_push(
    valid: Sequence[Record], invalid_ids: Iterable[str | None], central: Sequence[Record]
) -> PushPlan:
    """Upserts for every valid record whose content_hash the central register doesn't hold;
    batchRetire for every active central record absent from the source; records invalid in
    the source are left as they are (never upserted, never retired)."""
    held = _by_id(central)
    invalid = {i for i in invalid_ids if i is not None}
    upserts: list[tuple[Record, UpsertReason]] = []
    unchanged = 0
    for record in valid:
        current = held.get(record["source_id"])
        if current is None:
            upserts.append((record, UpsertReason.CREATE))
        elif current.get("content_hash") == record["content_hash"]:
            unchanged += 1
        elif record["lifecycle_status"] == "retired" and current["lifecycle_status"] == "active":
            upserts.append((record, UpsertReason.RETIRE_DECOMMISSIONED))
        else:
            upserts.append((record, UpsertReason.UPDATE))
    in_source = {r["source_id"] for r in valid} | invalid
    retirements = sorted(
        source_id
        for source_id, record in held.items()
        if source_id not in in_source and record["lifecycle_status"] != "retired"
    )
    return PushPlan(
        upserts=upserts,
        retirements=retirements,
        unchanged=unchanged,
        invalid_left_untouched=len(invalid & set(held)),
        central_active=sum(1 for r in central if r["lifecycle_status"] == "active"),
    )


@dataclass(frozen=True)
class MassRetireVerdict:
    blocked: bool
    retiring: int
    central_active: int
    message: str


def judge_mass_retire(
    retiring: int, central_active: int, max_share: float, min_count: int, allowed: bool
) -> MassRetireVerdict:
    """Block when the plan retires more than ``max_share`` of our active central records
    *and* more than ``min_count`` records, unless an operator allowed it for this run."""
    share = retiring / central_active if central_active else (1.0 if retiring else 0.0)
    over = retiring > min_count and share > max_share
    numbers = (
        f"the plan retires {retiring} of {central_active} active records ({share:.1%});"
        f" limit: more than {max_share:.1%} and more than {min_count}"
    )
    if not over:
        return MassRetireVerdict(False, retiring, central_active, f"within limits: {numbers}")
    if allowed:
        return MassRetireVerdict(
            False, retiring, central_active, f"allowed for this run (allow_mass_retire): {numbers}"
        )
    return MassRetireVerdict(
        True,
        retiring,
        central_active,
        f"mass retire blocked, nothing was pushed: {numbers}. If this is intended, re-run with"
        " run config allow_mass_retire: true on register_push_plan (UI) or"
        " `asset-register sync --allow-mass-retire`.",
    )


@dataclass(frozen=True)
class Receipt:
    """One batch as the central register answered it."""

    batch: int
    operation: str
    idempotency_key: str
    items: int
    outcome: str  # ok | rejected | failed
    upserted: int = 0
    unchanged: int = 0
    retired: int = 0
    rejected: tuple[tuple[str, str], ...] = ()  # (source_id, message)
    message: str = ""


@dataclass
class PushReport:
    receipts: list[Receipt] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.receipts)

    @property
    def rejected(self) -> list[tuple[str, str]]:
        return [item for r in self.receipts for item in r.rejected]


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def push_plan(
    register: CentralRegister,
    upserts: Sequence[Record],
    retirements: Sequence[str],
    report: PushReport,
    replaces: Mapping[str, str | None] | None = None,
    batch_size: int = MAX_BATCH_ITEMS,
    on_receipt: Callable[[Receipt], None] | None = None,
) -> PushReport:
    """Send upserts, then retirements, in batches of at most ``batch_size``.

    Each batch's Idempotency-Key is derived from its items and the central content_hash each
    replaces (``replaces``: source_id → hash, absent = not held). After a ``400`` the rejected
    items are reported and the remaining items form a new batch (new key); transient errors
    that outlast the client's retries propagate, with ``report`` holding what was done.
    """
    operations: list[tuple[str, Sequence[Any], Callable[[list[Any], str], Any]]] = [
        ("batchUpsert", upserts, register.batch_upsert),
        ("batchRetire", retirements, register.batch_retire),
    ]
    for operation, items, send in operations:
        queue = deque(_chunks(items, min(batch_size, MAX_BATCH_ITEMS)))
        while queue:
            batch = queue.popleft()
            ids = [i["source_id"] if isinstance(i, Mapping) else i for i in batch]
            replaced = [(replaces or {}).get(source_id) for source_id in ids]
            key = batch_key(register.system, operation, batch, replaced)
            number = len(report.receipts) + 1
            try:
                result = send(batch, key)
            except CentralRegisterRejected as error:
                bad = {e.index: e.message for e in error.errors if e.index is not None}
                if not bad or any(index >= len(batch) for index in bad):
                    bad = dict.fromkeys(range(len(batch)), str(error))
                receipt = Receipt(
                    number, operation, key, len(batch), "rejected",
                    rejected=tuple((ids[i], message) for i, message in sorted(bad.items())),
                    message=f"{len(bad)} of {len(batch)} items rejected; the rest re-sent",
                )  # fmt: skip
                remaining = [item for index, item in enumerate(batch) if index not in bad]
                if remaining:
                    queue.appendleft(remaining)
            else:
                receipt = Receipt(number, operation, key, len(batch), "ok", **vars(result))
            report.receipts.append(receipt)
            if on_receipt:
                on_receipt(receipt)
    return report


def compare_central(
    valid: Sequence[Record],
    invalid_ids: Iterable[str | None],
    central_before: Sequence[Record],
    central_after: Sequence[Record],
    limit: int = 20,
) -> list[str]:
    """Differences between the central register and the snapshot (empty = equal): every
    valid record field for field, every other record of ours retired, every record invalid in
    the source exactly as it was before the push."""
    after = _by_id(central_after)
    before = _by_id(central_before)
    invalid = {i for i in invalid_ids if i is not None}
    compared = [*ASSET_FIELDS, "content_hash"]

    def fields(record: Record | None) -> list[Any] | None:
        return None if record is None else [record.get(f) for f in compared]

    problems: list[str] = []
    for record in valid:
        held = after.get(record["source_id"])
        if held is None:
            problems.append(f"{record['source_id']}: missing in the central register")
        elif differing := [f for f in compared if held.get(f) != record.get(f)]:
            problems.append(f"{record['source_id']}: differs in {', '.join(differing)}")
    in_source = {r["source_id"] for r in valid}
    for source_id, held in after.items():
        if source_id in invalid:
            if fields(before.get(source_id)) != fields(held):
                problems.append(f"{source_id}: invalid in source but changed in the central")
        elif source_id not in in_source and held["lifecycle_status"] != "retired":
            problems.append(f"{source_id}: not in the source but still active in the central")
    return problems[:limit] + (
        [f"... {len(problems) - limit} more"] if len(problems) > limit else []
    )
