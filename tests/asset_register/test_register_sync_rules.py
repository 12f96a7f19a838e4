"""The sync's rules without Dagster: changes, plan, mass-retire guard, batched push, read-back."""

from typing import Any

import pytest
from register_fake_central import TOKEN, FakeCentral
from register_records import SYSTEM, asset

from asset_register.central.base import batch_key, iter_assets
from asset_register.central.http import HttpCentralRegister
from asset_register.sync.rules import (
    ChangeKind,
    PushReport,
    UpsertReason,
    compare_central,
    compute_changes,
    judge_mass_retire,
    plan_push,
    push_plan,
)


def kinds(changes: list[Any]) -> dict[str | None, str]:
    return {c.source_id: str(c.change) for c in changes}


def test_changes_of_every_kind() -> None:
    previous = [asset(1), asset(2), asset(3), asset(4), asset(5)]
    today = [asset(1), asset(2, owner="ops"), asset(3, lifecycle_status="retired"), asset(6)]
    changes = compute_changes(today, [("itk-005", "bad_tags(tags): ...")], previous, [])
    assert kinds(changes) == {
        "itk-002": "changed",
        "itk-003": "decommissioned",
        "itk-006": "added",
        "itk-005": "invalid",
        "itk-004": "removed",
    }
    changed = next(c for c in changes if c.change is ChangeKind.CHANGED)
    assert (changed.before["owner"], changed.after["owner"]) == ("platform-team", "ops")
    invalid = next(c for c in changes if c.change is ChangeKind.INVALID)
    assert invalid.before == asset(5) and invalid.detail == "bad_tags(tags): ..."


def test_first_snapshot_is_all_added_and_vanished_invalid_is_removed() -> None:
    assert set(kinds(compute_changes([asset(1)], [], [], [])).values()) == {"added"}
    changes = compute_changes([], [], [], ["itk-009"])
    assert kinds(changes) == {"itk-009": "removed"}


def held(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "system": SYSTEM}


def test_plan_makes_central_equal_the_snapshot() -> None:
    central = [
        held(asset(1)),  # unchanged
        held(asset(2)),  # changed in source
        held(asset(3)),  # decommissioned in source
        held(asset(4)),  # removed from source → retire
        held(asset(5)),  # invalid in source → untouched
        held(asset(6, lifecycle_status="retired")),  # removed and already retired
    ]
    valid = [asset(1), asset(2, owner="ops"), asset(3, lifecycle_status="retired"), asset(7)]
    plan = plan_push(valid, ["itk-005", None], central)
    assert [(r["source_id"], why) for r, why in plan.upserts] == [
        ("itk-002", UpsertReason.UPDATE),
        ("itk-003", UpsertReason.RETIRE_DECOMMISSIONED),
        ("itk-007", UpsertReason.CREATE),
    ]
    assert plan.retirements == ["itk-004"]
    assert (plan.unchanged, plan.invalid_left_untouched) == (1, 1)
    assert (plan.central_active, plan.retiring_active) == (5, 2)


def test_new_decommissioned_record_is_created_retired() -> None:
    plan = plan_push([asset(1, lifecycle_status="retired")], [], [])
    assert [(r["lifecycle_status"], why) for r, why in plan.upserts] == [
        ("retired", UpsertReason.CREATE)
    ]


@pytest.mark.parametrize(
    ("retiring", "active", "blocked"),
    [(26, 500, True), (25, 100, False), (26, 520, False), (26, 519, True), (30, 0, True),
     (0, 0, False)],
)  # fmt: skip
def test_mass_retire_needs_both_share_and_count(retiring: int, active: int, blocked: bool) -> None:
    verdict = judge_mass_retire(retiring, active, 0.05, 25, allowed=False)
    assert verdict.blocked is blocked
    if blocked:
        assert "--allow-mass-retire" in verdict.message and "allow_mass_retire" in verdict.message


def test_mass_retire_allowed_for_one_run() -> None:
    verdict = judge_mass_retire(100, 100, 0.05, 25, allowed=True)
    assert not verdict.blocked and "allowed" in verdict.message


def client(fake: FakeCentral) -> HttpCentralRegister:
    return HttpCentralRegister(fake.url, SYSTEM, TOKEN, sleep=lambda s: None)


def test_push_in_batches_of_500_with_content_keys(fake_central: FakeCentral) -> None:
    upserts = [asset(i) for i in range(1201)]
    report = push_plan(client(fake_central), upserts, ["itk-000"], PushReport())
    assert [(r.operation, r.items) for r in report.receipts] == [
        ("batchUpsert", 500), ("batchUpsert", 500), ("batchUpsert", 201), ("batchRetire", 1)
    ]  # fmt: skip
    assert report.receipts[0].idempotency_key == batch_key(
        SYSTEM, "batchUpsert", upserts[:500], [None] * 500
    )
    assert len({r.idempotency_key for r in report.receipts}) == 4
    assert (report.total("upserted"), report.total("retired")) == (1201, 1)


def test_400_isolates_bad_items_and_resends_the_rest(fake_central: FakeCentral) -> None:
    fake_central.reject_ids = {"itk-001", "itk-003"}
    upserts = [asset(i) for i in range(5)]
    report = push_plan(client(fake_central), upserts, [], PushReport())
    assert [r.outcome for r in report.receipts] == ["rejected", "ok"]
    assert report.rejected == [("itk-001", "rejected by policy"), ("itk-003", "rejected by policy")]
    assert report.receipts[1].items == 3
    assert report.receipts[1].idempotency_key != report.receipts[0].idempotency_key
    assert sorted(fake_central.assets(SYSTEM)) == ["itk-000", "itk-002", "itk-004"]


def test_read_back_compares_field_for_field() -> None:
    valid = [asset(1), asset(2)]
    before = [held(asset(3)), held(asset(4, owner="old"))]
    after = [held(asset(1)), held(asset(2, owner="x")), held(asset(3)), held(asset(4))]
    problems = compare_central(valid, ["itk-004"], before, after)
    assert problems == [
        "itk-002: differs in owner, content_hash",
        "itk-003: not in the source but still active in the central",
        "itk-004: invalid in source but changed in the central",
    ]
    equal_after = [held(asset(1)), held(asset(2)), held(asset(3, lifecycle_status="retired"))]
    assert compare_central(valid, [], before[:1], equal_after) == []


def test_a_revert_within_the_replay_window_is_applied(fake_central: FakeCentral) -> None:
    """A, then B, then A again: the third batch replaces B, so it gets its own key."""
    register = client(fake_central)
    for version in ["A", "B", "A"]:
        central = [r for page in iter_assets(register) for r in page]
        plan = plan_push([asset(1, owner=version)], [], central)
        replaces = {r["source_id"]: r["content_hash"] for r in central}
        push_plan(register, [r for r, _ in plan.upserts], plan.retirements, PushReport(), replaces)
        assert fake_central.assets(SYSTEM)["itk-001"]["owner"] == version
