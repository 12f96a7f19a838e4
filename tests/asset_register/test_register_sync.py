"""The contract's guarantees for a day's sync, end to end through Dagster: SQLite source,
loopback HTTP central register with faults, Delta warehouse in a temp folder."""

import datetime as dt
from collections.abc import Callable

import dagster as dg
import polars as pl
from register_fake_central import FakeCentral, Fault
from register_harness import sync, warehouse
from register_source_db import SourceDb

from asset_register.cli import EXIT_BLOCKED, EXIT_DIFFERS, EXIT_FAILED, EXIT_OK
from asset_register.source.demo import demo_rows

SYSTEM = "dbrb-itk"
DAY1, DAY2 = "2024-05-02", "2024-05-03"
EnvBuilder = Callable[..., dict[str, str]]


def test_first_sync_pushes_all_then_an_unchanged_day_sends_nothing(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    env = register_env(sqlite_source, fake_central.url)
    fake_central.faults += [Fault("429", method="GET"), Fault("lost", method="POST")]
    first = sync(env, DAY1, instance)
    assert first.exit_code == EXIT_OK, first
    assert first.counts | {"requests": 0} == {
        "read": 200, "invalid": 5, "upserted": 195, "retired": 0, "unchanged": 0,
        "rejected": 0, "requests": 0, "retries": 2,
    }  # fmt: skip
    assert len(fake_central.assets(SYSTEM)) == 195
    assert set(fake_central.writes.values()) == {1}  # the lost response was not applied twice
    posts = fake_central.count("POST")

    second = sync(env, DAY2, instance)
    assert second.exit_code == EXIT_OK
    assert fake_central.count("POST") == posts  # nothing sent besides listing
    assert (second.counts["unchanged"], second.counts["requests"]) == (195, 1)
    changes = warehouse(env).read_day("changes", dt.date.fromisoformat(DAY2))
    assert set(changes["change"]) == {"invalid"}


def test_each_kind_of_change_reaches_the_central_register(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    env = register_env(sqlite_source, fake_central.url)
    assert sync(env, DAY1, instance).exit_code == EXIT_OK
    before = {k: dict(v) for k, v in fake_central.assets(SYSTEM).items()}
    rows = {r["asset_id"]: r for r in demo_rows()}
    rows["itk-00000"]["owner"] = "new-owner"  # changed
    rows["itk-00002"]["status"] = "decommissioned"  # decommissioned
    del rows["itk-00004"]  # removed
    rows["itk-00005"]["environment"] = "Production"  # becomes invalid
    rows["itk-00999"] = {**rows["itk-00001"], "asset_id": "itk-00999"}  # added
    sqlite_source.write(list(rows.values()))
    fake_central.log.clear()

    outcome = sync(env, DAY2, instance)
    assert outcome.exit_code == EXIT_OK, outcome
    changes = warehouse(env).read_day("changes", dt.date.fromisoformat(DAY2))
    kinds = dict(zip(changes["source_id"], changes["change"], strict=True))
    assert {k: kinds[k] for k in ["itk-00000", "itk-00002", "itk-00004", "itk-00005", "itk-00999"]} == {
        "itk-00000": "changed", "itk-00002": "decommissioned", "itk-00004": "removed",
        "itk-00005": "invalid", "itk-00999": "added",
    }  # fmt: skip
    held = fake_central.assets(SYSTEM)
    assert held["itk-00000"]["owner"] == "new-owner"
    assert held["itk-00002"]["lifecycle_status"] == "retired"
    assert held["itk-00004"]["lifecycle_status"] == "retired"
    assert held["itk-00005"] == before["itk-00005"]  # invalid in source: left as it was
    assert "itk-00999" in held
    assert fake_central.count("POST", ":batchUpsert") == 1  # changed, decommissioned, added
    assert fake_central.count("POST", ":batchRetire") == 1  # removed
    assert outcome.counts["retired"] == 2


def test_push_that_dies_half_way_is_completed_by_the_next_run(
    tmp_path: object, sqlite_source: SourceDb, fake_central: FakeCentral,
    register_env: EnvBuilder, instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    sqlite_source.write(demo_rows(1100))
    env = register_env(sqlite_source, fake_central.url)
    fake_central.posts_before_outage = 1  # the second batch meets a lasting outage
    failed = sync(env, DAY1, instance)
    assert failed.exit_code == EXIT_FAILED
    assert "push stopped after 1 batches" in " ".join(failed.errors)
    receipts = warehouse(env).read_day("push_receipts", dt.date.fromisoformat(DAY1))
    assert receipts["outcome"].to_list() == ["ok"]
    assert len(fake_central.assets(SYSTEM)) == 500

    fake_central.posts_before_outage = None
    done = sync(env, DAY1, instance)
    assert done.exit_code == EXIT_OK, done
    assert (done.counts["upserted"], done.counts["unchanged"]) == (1095 - 500, 500)
    assert len(fake_central.assets(SYSTEM)) == 1095
    assert set(fake_central.writes.values()) == {1}  # nothing applied twice


def test_mass_retire_guard_blocks_then_an_operator_allows_it(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    env = register_env(sqlite_source, fake_central.url)
    assert sync(env, DAY1, instance).exit_code == EXIT_OK
    sqlite_source.write(demo_rows()[40:])  # 40 records gone (>25 and >5% of ~180 active)
    posts = fake_central.count("POST")

    blocked = sync(env, DAY2, instance)
    assert blocked.exit_code == EXIT_BLOCKED
    assert "mass retire blocked" in (blocked.blocked or "")
    assert fake_central.count("POST") == posts  # nothing pushed

    allowed = sync(env, DAY2, instance, allow_mass_retire=True)
    assert allowed.exit_code == EXIT_OK, allowed
    retired = [
        k for k, v in fake_central.assets(SYSTEM).items() if v["lifecycle_status"] == "retired"
    ]
    assert {f"itk-{i:05d}" for i in range(40)} - {"itk-00017"} <= set(retired)


def test_rejected_items_are_reported_and_the_rest_pushed(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    fake_central.reject_ids = {"itk-00003"}
    outcome = sync(register_env(sqlite_source, fake_central.url), DAY1, instance)
    assert outcome.exit_code == EXIT_DIFFERS
    assert outcome.counts["rejected"] == 1 and outcome.counts["upserted"] == 194
    assert "itk-00003: missing in the central register" in (outcome.readback or "")


def test_host_guard_refuses_before_anything_is_sent(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    env = register_env(
        sqlite_source, fake_central.url, CENTRAL_REGISTER_ALLOWED_HOSTS="central.example.com"
    )
    outcome = sync(env, DAY1, instance)
    assert outcome.exit_code == EXIT_FAILED
    assert "CENTRAL_REGISTER_ALLOWED_HOSTS" in " ".join(outcome.errors)
    assert fake_central.log == []


def test_rerunning_a_day_replaces_its_snapshot_and_history_keeps_the_old(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance,
) -> None:  # fmt: skip
    env = register_env(sqlite_source, fake_central.url)
    sync(env, DAY1, instance)
    sync(env, DAY2, instance)
    sqlite_source.write(demo_rows()[:100])
    assert sync(env, DAY1, instance, allow_mass_retire=True).exit_code == EXIT_OK
    store = warehouse(env)
    day1, day2 = dt.date.fromisoformat(DAY1), dt.date.fromisoformat(DAY2)
    assert store.read_day("snapshots", day1).height == 97
    assert store.read_day("snapshots", day2).height == 195  # other days untouched
    first = pl.read_delta(store.uri("snapshots"), version=0)
    assert first.filter(pl.col("snapshot_date") == day1).height == 195


def test_warehouse_on_s3(
    sqlite_source: SourceDb, fake_central: FakeCentral, register_env: EnvBuilder,
    instance: dg.DagsterInstance, s3_bucket: str,
) -> None:  # fmt: skip
    env = register_env(
        sqlite_source, fake_central.url, REGISTER_WAREHOUSE_URL=f"s3://{s3_bucket}/warehouse"
    )
    assert sync(env, DAY1, instance).exit_code == EXIT_OK
    assert sync(env, DAY2, instance).exit_code == EXIT_OK
    store = warehouse(env)
    assert store.uri("snapshots") == f"s3://{s3_bucket}/warehouse/register/local/snapshots"
    assert store.read_day("snapshots", dt.date.fromisoformat(DAY2)).height == 195
    assert store.read_day("invalid_records", dt.date.fromisoformat(DAY2)).height == 5
