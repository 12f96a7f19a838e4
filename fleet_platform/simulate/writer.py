"""Where simulated files go: a :class:`LandedFile` and the writers that land it."""

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from platform_shared.storage import StorageRoot


@dataclass(frozen=True)
class LandedFile:
    """One file as a gateway delivers it.

    ``key`` is relative to the landing root (``pcm/2026-11-21/pcm-gw03-20261121T08.jsonl.gz``);
    ``received_at`` (tz-aware UTC) is when the gateway delivered it: the file's mtime
    locally, ``LastModified`` on S3.
    """

    key: str
    data: bytes
    received_at: datetime

    def __post_init__(self) -> None:
        if any(part in ("", ".", "..") for part in self.key.split("/")):
            raise ValueError(f"{self.key!r} is not a key below the landing root")
        if self.received_at.tzinfo is None:
            raise ValueError(f"received_at of {self.key} must be tz-aware (UTC)")


class LandingWriter(Protocol):
    """Anything that can land a file: a local folder, an S3 bucket, a list in a test."""

    def write(self, file: LandedFile) -> None:
        """Land ``file`` under its key, replacing any file with that key."""
        ...


class FolderLandingWriter:
    """Lands files under a local folder, with each file's mtime set to its ``received_at``.

    The bytes go to a hidden temporary file (its name starts with ``.``, so a listing
    ignores it), get their mtime, and are renamed into place: a reader never sees a
    half-written file or a file whose mtime changes after it appeared.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def write(self, file: LandedFile) -> None:
        """Write ``file`` to ``<root>/<key>``, creating folders as needed."""
        path = self.root.joinpath(*PurePosixPath(file.key).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(file.data)
        stamp = file.received_at.timestamp()
        os.utime(temporary, (stamp, stamp))
        os.replace(temporary, path)


class S3LandingWriter:
    """Lands files under ``s3://bucket/prefix`` with one PUT each (S3 sets LastModified to
    the upload time, so ``received_at`` is not kept there)."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket = client, bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def write(self, file: LandedFile) -> None:
        """PUT ``file`` at ``<prefix>/<key>``."""
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + file.key, Body=file.data)


def landing_writer(url: str) -> LandingWriter:
    """The writer for a landing root given as a folder or ``s3://bucket/prefix``."""
    root = StorageRoot.from_url(url)
    if root.is_s3:
        from fleet_platform.landing.s3 import AdaptiveS3Resource

        return S3LandingWriter(AdaptiveS3Resource().get_client(), root.bucket, root.prefix)
    return FolderLandingWriter(Path(root.path))
