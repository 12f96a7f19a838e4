"""Central register clients against the contract: the same tests on the HTTP client (with the
loopback server) and on the SQL table-backed register; then HTTP faults and the host guard."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from register_fake_central import TOKEN, FakeCentral, Fault, reference_hash
from register_records import SYSTEM, asset

from asset_register.central.base import (
    CentralRegister,
    CentralRegisterError,
    CentralRegisterRejected,
    CentralRegisterUnavailable,
    HostNotAllowed,
    batch_key,
    iter_assets,
)
from asset_register.central.http import HttpCentralRegister
from asset_register.central.resource import open_central_register
from asset_register.central.sql import SqlCentralRegister


def everything(register: CentralRegister, page_size: int = 500) -> dict[str, dict[str, Any]]:
    return {r["source_id"]: r for page in iter_assets(register, page_size) for r in page}


@pytest.fixture(params=["http", "sql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CentralRegister]:
    if request.param == "http":
        fake = request.getfixturevalue("fake_central")
        register: CentralRegister = HttpCentralRegister(
            fake.url, SYSTEM, TOKEN, sleep=lambda s: None
        )
    else:
        register = SqlCentralRegister(f"sqlite:///{tmp_path / 'central.sqlite'}", SYSTEM)
    yield register
    register.close()


def test_upsert_then_list_page_by_page(central: CentralRegister) -> None:
    items = [asset(i) for i in range(5)]
    result = central.batch_upsert(items, "k1")
    assert (result.upserted, result.unchanged) == (5, 0)
    pages = list(iter_assets(central, page_size=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [r for p in pages for r in p]
    assert [r["source_id"] for r in listed] == [i["source_id"] for i in items]
    assert all(r["system"] == SYSTEM for r in listed)
    assert {k: v for k, v in listed[0].items() if k != "system"} == items[0]


def test_same_content_is_unchanged(central: CentralRegister) -> None:
    central.batch_upsert([asset(1), asset(2)], "k1")
    result = central.batch_upsert([asset(1), asset(2, owner="ops")], "k2")
    assert (result.upserted, result.unchanged) == (1, 1)
    assert everything(central)["itk-002"]["owner"] == "ops"


def test_replayed_key_returns_first_result_and_changes_nothing(central: CentralRegister) -> None:
    first = central.batch_upsert([asset(1)], "same-key")
    replay = central.batch_upsert([asset(1, owner="someone-else")], "same-key")
    assert replay == first
    assert everything(central)["itk-001"]["owner"] == "platform-team"


def test_bad_hash_rejects_whole_batch_with_item_index(central: CentralRegister) -> None:
    tampered = {**asset(2), "owner": "tampered"}
    with pytest.raises(CentralRegisterRejected) as caught:
        central.batch_upsert([asset(1), tampered, asset(3)], "k-bad")
    assert [e.index for e in caught.value.errors] == [1]
    assert "content_hash" in caught.value.errors[0].message
    assert everything(central) == {}


def test_retire_recomputes_hash_and_ignores_unknown_or_retired(central: CentralRegister) -> None:
    central.batch_upsert([asset(1), asset(2, lifecycle_status="retired")], "k1")
    result = central.batch_retire(["itk-001", "itk-002", "itk-404"], "r1")
    assert result.retired == 1
    held = everything(central)["itk-001"]
    assert held["lifecycle_status"] == "retired"
    assert held["content_hash"] == reference_hash(held)
    assert {k: v for k, v in held.items() if k not in {"system", "content_hash"}} == {
        **{k: v for k, v in asset(1).items() if k != "content_hash"},
        "lifecycle_status": "retired",
    }


def test_batches_over_500_are_refused_before_sending(central: CentralRegister) -> None:
    with pytest.raises(ValueError, match="at most 500"):
        central.batch_retire([f"x{i}" for i in range(501)], "k")
    assert central.stats.requests == 0


def test_batch_key_depends_on_content_operation_and_system() -> None:
    items = [asset(1)]
    assert batch_key(SYSTEM, "batchUpsert", items) == batch_key(SYSTEM, "batchUpsert", [asset(1)])
    assert batch_key(SYSTEM, "batchUpsert", items) != batch_key(SYSTEM, "batchUpsert", [asset(2)])
    assert batch_key(SYSTEM, "batchRetire", ["a"]) != batch_key("other", "batchRetire", ["a"])
    assert len(batch_key(SYSTEM, "batchRetire", ["a"])) <= 128


# -- HTTP only: auth, retries, faults --------------------------------------------------


def http_client(fake: FakeCentral, sleeps: list[float], **options: Any) -> HttpCentralRegister:
    return HttpCentralRegister(fake.url, SYSTEM, TOKEN, sleep=sleeps.append, **options)


def test_wrong_token_is_not_retried(fake_central: FakeCentral) -> None:
    client = HttpCentralRegister(fake_central.url, SYSTEM, "wrong", sleep=lambda s: None)
    with pytest.raises(CentralRegisterError, match="CENTRAL_REGISTER_TOKEN") as caught:
        client.list_assets()
    assert "wrong" not in str(caught.value)
    assert fake_central.count("GET") == 1


def test_429_waits_retry_after(fake_central: FakeCentral) -> None:
    fake_central.faults.append(Fault("429", retry_after="0.25"))
    sleeps: list[float] = []
    client = http_client(fake_central, sleeps)
    assert client.list_assets().items == []
    assert sleeps == [0.25]
    assert (client.stats.requests, client.stats.retries) == (2, 1)


def test_5xx_and_dropped_connections_back_off_exponentially_with_a_cap(
    fake_central: FakeCentral,
) -> None:
    fake_central.faults += [Fault("503"), Fault("drop"), Fault("503"), Fault("drop")]
    sleeps: list[float] = []
    client = http_client(fake_central, sleeps, backoff_seconds=1.0, max_backoff_seconds=5.0)
    result = client.batch_upsert([asset(1)], "k1")
    assert result.upserted == 1
    assert sleeps == [1.0, 2.0, 4.0, 5.0]
    assert client.stats.retries == 4


def test_gives_up_after_max_attempts(fake_central: FakeCentral) -> None:
    fake_central.faults += [Fault("503") for _ in range(3)]
    client = http_client(fake_central, [], max_attempts=3)
    with pytest.raises(CentralRegisterUnavailable, match="3 attempts"):
        client.list_assets()
    assert fake_central.count("GET") == 3


def test_lost_response_is_answered_from_the_idempotency_record(
    fake_central: FakeCentral,
) -> None:
    fake_central.faults.append(Fault("lost", method="POST"))
    client = http_client(fake_central, [])
    result = client.batch_upsert([asset(1), asset(2)], "k-lost")
    assert (result.upserted, result.unchanged) == (2, 0)  # the first result, replayed
    assert fake_central.count("POST") == 2
    assert fake_central.writes == {"itk-001": 1, "itk-002": 1}


def test_400_is_typed_and_not_retried(fake_central: FakeCentral) -> None:
    fake_central.reject_ids = {"itk-002"}
    client = http_client(fake_central, [])
    with pytest.raises(CentralRegisterRejected) as caught:
        client.batch_upsert([asset(1), asset(2)], "k")
    assert [(e.index, e.message) for e in caught.value.errors] == [(1, "rejected by policy")]
    assert fake_central.count("POST") == 1


def test_host_guard_refuses_before_any_request(fake_central: FakeCentral) -> None:
    with pytest.raises(HostNotAllowed, match="CENTRAL_REGISTER_ALLOWED_HOSTS"):
        open_central_register(fake_central.url, SYSTEM, TOKEN, ("central.example.com",))
    port = fake_central.url.rsplit(":", 1)[1]
    with pytest.raises(HostNotAllowed):
        open_central_register(fake_central.url, SYSTEM, TOKEN, ("127.0.0.1:1",))
    assert fake_central.log == []
    client = open_central_register(fake_central.url, SYSTEM, TOKEN, (f"127.0.0.1:{port}",))
    assert client.list_assets().items == []
