"""The landing sensors against moto's S3 server, ticks in sequence carrying the cursor:
more than 1,000 keys, late files, overwritten keys, nothing new, a restart, the sweep."""

import functools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
import dagster as dg
import pytest

from fleet_platform.landing.resource import LandingResource
from fleet_platform.landing.sensors import (
    fleet_landing_sensor,
    fleet_landing_sweep,
    fleet_reference_sensor,
)
from fleet_platform.landing.watch import LandingCursor
from platform_shared.delta import WarehouseResource

TODAY = datetime.now(UTC).date()


@functools.cache
def client():
    return boto3.client("s3")


def put(bucket: str, key: str, body: bytes = b'{"vin":"x"}\n') -> None:
    client().put_object(Bucket=bucket, Key=f"land/{key}", Body=body)


def folder(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def tick(bucket: str):
    """Run one tick of a sensor with a cursor; returns (partition → new versions, cursor)."""
    resources = {"landing": LandingResource(url=f"s3://{bucket}/land")}

    def run(sensor=fleet_landing_sensor, cursor: str | None = None, instance=None, **extra):
        context = dg.build_sensor_context(
            cursor=cursor, instance=instance, resources={**resources, **extra}
        )
        result = sensor(context)
        requests = {
            request.partition_key: int(request.tags.get("fleet/new_file_versions", 0))
            for request in result.run_requests or []
        }
        return requests, result.cursor

    return run


def test_more_than_a_thousand_keys_launch_once_and_nothing_new_launches_nothing(bucket, tick):
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: put(bucket, f"pcm/{folder(0)}/f{n:05d}.jsonl"), range(1050)))
    put(bucket, f"rfms/{folder(1)}/a.json")
    put(bucket, f"pcm/{folder(0)}/_SUCCESS")  # a marker: ignored
    requests, cursor = tick()
    assert requests == {folder(0): 1050, folder(1): 1}
    assert len(LandingCursor.load(cursor).launched) == 1051
    assert tick(cursor=cursor) == ({}, cursor)
    assert tick(cursor=cursor)[0] == {}  # two ticks with nothing new: no run


def test_late_and_overwritten_files_launch_their_partition_only(bucket, tick):
    put(bucket, f"pcm/{folder(0)}/a.jsonl")
    _, cursor = tick()
    put(bucket, f"intellibus/{folder(5)}/late.csv")  # five days late: still watched
    put(bucket, f"pcm/{folder(0)}/a.jsonl", b'{"vin":"changed"}\n')  # a new version
    requests, cursor = tick(cursor=cursor)
    assert requests == {folder(5): 1, folder(0): 1}
    assert tick(cursor=cursor)[0] == {}


def test_a_restart_resumes_from_the_saved_cursor(bucket, tick):
    put(bucket, f"pcm/{folder(0)}/a.jsonl")
    with dg.instance_for_test() as first_daemon:
        _, cursor = tick(instance=first_daemon)
    with dg.instance_for_test() as restarted:
        put(bucket, f"pcm/{folder(0)}/b.jsonl")
        assert tick(cursor=cursor, instance=restarted)[0] == {folder(0): 1}


def test_files_older_than_the_window_are_left_to_the_sweep(bucket, tick, tmp_path):
    put(bucket, f"pcm/{folder(30)}/old.jsonl")
    put(bucket, "stray.bin")  # bad key, received today
    assert tick()[0] == {folder(0): 1}
    warehouse = WarehouseResource(url=str(tmp_path / "warehouse"))
    with dg.instance_for_test() as instance:
        requests, _ = tick(fleet_landing_sweep, instance=instance, warehouse=warehouse)
    assert requests == {folder(30): 1, folder(0): 1}


def test_the_reference_changing_refreshes_it(bucket, tick):
    requests, cursor = tick(fleet_reference_sensor)
    assert list(requests) == [TODAY.isoformat()]  # first tick: the file is missing
    put(bucket, "reference/vehicles.csv", b"vin,fleet_number\n")
    requests, cursor = tick(fleet_reference_sensor, cursor=cursor)
    assert list(requests) == [TODAY.isoformat()]
    assert tick(fleet_reference_sensor, cursor=cursor)[0] == {}
