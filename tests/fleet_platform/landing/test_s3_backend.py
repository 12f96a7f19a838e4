"""The S3 landing backend against moto's S3 server: paging past 1,000 keys, levels,
versions, reads, and keys that try to climb out of the root."""

import functools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import boto3
import pytest

from fleet_platform.landing.resource import LandingResource


def put(bucket: str, key: str, body: bytes) -> None:
    s3_client().put_object(Bucket=bucket, Key=key, Body=body)


@functools.cache
def s3_client():
    return boto3.client("s3")


def test_lists_every_key_past_one_page(bucket: str):
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda n: put(bucket, f"land/pcm/2026-11-20/f{n:05d}.jsonl", b"{}"), range(1234)
            )
        )
    put(bucket, "elsewhere/pcm/2026-11-20/x.jsonl", b"{}")
    backend = LandingResource(url=f"s3://{bucket}/land").backend()
    keys = [obj.key for obj in backend.list("pcm/2026-11-20/")]
    assert len(keys) == 1234
    assert keys[0] == "pcm/2026-11-20/f00000.jsonl"
    assert len(set(keys)) == 1234


def test_levels_versions_and_reads(bucket: str):
    put(bucket, "pcm/2026-11-20/a.jsonl", b"one")
    put(bucket, "pcm/stray.jsonl", b"two")
    put(bucket, "foo/x", b"three")
    backend = LandingResource(url=f"s3://{bucket}").backend()
    top = backend.list_level("")
    assert top.folders == ["foo/", "pcm/"]
    level = backend.list_level("pcm/")
    assert level.folders == ["pcm/2026-11-20/"]
    assert [obj.key for obj in level.objects] == ["pcm/stray.jsonl"]
    (first,) = backend.list("pcm/2026-11-20/")
    assert first.size == 3 and first.last_modified <= datetime.now(UTC)
    assert backend.read("pcm/2026-11-20/a.jsonl") == b"one"
    put(bucket, "pcm/2026-11-20/a.jsonl", b"changed")
    (second,) = backend.list("pcm/2026-11-20/")
    assert second.version != first.version  # an overwritten key is a new version


@pytest.mark.parametrize("key", ["../x", "/abs", "pcm//x", "pcm/./x"])
def test_refuses_keys_outside_the_root(bucket: str, key: str):
    backend = LandingResource(url=f"s3://{bucket}/land").backend()
    with pytest.raises(ValueError, match="not a key below the landing root"):
        backend.read(key)


def test_a_missing_object_is_an_error_not_an_empty_file(bucket: str):
    backend = LandingResource(url=f"s3://{bucket}").backend()
    with pytest.raises(Exception, match="NoSuchKey"):
        backend.read("pcm/2026-11-20/gone.jsonl")
