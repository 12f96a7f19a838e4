"""The landing on S3: the same :class:`~fleet_platform.landing.store.LandingBackend`
interface as a folder, through dagster-aws's S3 resource with adaptive retries.

A throttled or failed request is retried by botocore (adaptive mode adds client-side
rate limiting); once retries are exhausted the error propagates and the run fails, so a
request that failed is never mistaken for a missing file. Listings follow continuation
tokens, so any number of keys is read (S3 answers 1,000 per call).
"""

from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from dagster_aws.s3 import S3Resource

from fleet_platform.landing.store import LandedObject, Listing, checked_key


class AdaptiveS3Resource(S3Resource):
    """dagster-aws's ``S3Resource`` whose client retries in botocore's adaptive mode."""

    def get_client(self) -> Any:
        session = boto3.session.Session(profile_name=self.profile_name)
        return session.client(
            "s3",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            use_ssl=self.use_ssl,
            verify=self.verify,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            config=Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts}),
        )


class S3Backend:
    """Landing under ``s3://bucket/prefix``; a file's version is its ETag."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket = client, bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _full(self, key: str) -> str:
        return self.prefix + key

    def _object(self, item: dict[str, Any]) -> LandedObject:
        return LandedObject(
            key=item["Key"].removeprefix(self.prefix),
            version=item["ETag"].strip('"'),
            size=int(item["Size"]),
            last_modified=item["LastModified"],
        )

    def _pages(self, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._full(prefix)}
        if delimiter:
            arguments["Delimiter"] = delimiter
        yield from self.client.get_paginator("list_objects_v2").paginate(**arguments)

    def list(self, prefix: str) -> Iterator[LandedObject]:
        for page in self._pages(prefix):
            for item in page.get("Contents", []):
                yield self._object(item)

    def list_level(self, prefix: str) -> Listing:
        folders: list[str] = []
        objects: list[LandedObject] = []
        for page in self._pages(prefix, delimiter="/"):
            folders.extend(
                p["Prefix"].removeprefix(self.prefix) for p in page.get("CommonPrefixes", [])
            )
            objects.extend(self._object(item) for item in page.get("Contents", []))
        return Listing(folders=folders, objects=objects)

    def read(self, key: str) -> bytes:
        response = self.client.get_object(Bucket=self.bucket, Key=self._full(checked_key(key)))
        return response["Body"].read()
