"""The landing resource: one interface whatever the landing root is."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from fleet_platform.landing.store import FolderBackend, LandedObject, LandingBackend, Listing
from platform_shared.storage import StorageRoot


class LandingResource(dg.ConfigurableResource):
    """Where the gateways land files: ``FLEET_LANDING_URL`` (a folder or s3://bucket/prefix).

    On S3, credentials, region and endpoint come from the standard AWS environment
    (profile, role, ``AWS_ENDPOINT_URL``); ``max_attempts`` bounds botocore's retries.
    """

    url: str
    max_attempts: int = 10

    def backend(self) -> LandingBackend:
        root = StorageRoot.from_url(self.url)
        if root.is_s3:
            # dagster-aws takes about a second to import: only S3 landings pay for it
            from fleet_platform.landing.s3 import AdaptiveS3Resource, S3Backend

            client = AdaptiveS3Resource(max_attempts=self.max_attempts).get_client()
            return S3Backend(client, root.bucket, root.prefix)
        return FolderBackend(Path(root.path))

    def list(self, prefix: str = "") -> Iterator[LandedObject]:
        return self.backend().list(prefix)

    def list_level(self, prefix: str = "") -> Listing:
        return self.backend().list_level(prefix)

    def read(self, key: str) -> bytes:
        return self.backend().read(key)
