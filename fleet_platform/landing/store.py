"""Landing access behind one interface: list keys with size/version/last-modified, read bytes.

A local folder now; S3 plugs in behind the same :class:`LandingBackend` protocol. Keys
are always relative to the landing root and are checked before use: nothing from the
outside climbs out of the root.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

import dagster as dg

from platform_shared.storage import StorageRoot


@dataclass(frozen=True, order=True)
class LandedObject:
    """One version of one landed file."""

    key: str
    version: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class Listing:
    """One level of the landing tree below a prefix: sub-folders and files."""

    folders: list[str]
    objects: list[LandedObject]


def checked_key(key: str) -> str:
    """A relative key with no empty, ``.`` or ``..`` parts; raises ``ValueError`` otherwise."""
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{key!r} is not a key below the landing root")
    return key


class LandingBackend(Protocol):
    def list(self, prefix: str) -> Iterator[LandedObject]:
        """Every object below ``prefix`` (recursive), any number of them."""
        ...

    def list_level(self, prefix: str) -> Listing:
        """The folders and objects directly below ``prefix``."""
        ...

    def read(self, key: str) -> bytes: ...


class FolderBackend:
    """A local folder; a file's version is its size and modification time."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _object(self, path: Path) -> LandedObject:
        stat = path.stat()
        return LandedObject(
            key=path.relative_to(self.root).as_posix(),
            version=f"{stat.st_size}-{stat.st_mtime_ns}",
            size=stat.st_size,
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        )

    def _folder(self, prefix: str) -> Path:
        return self.root / checked_key(prefix.rstrip("/")) if prefix.strip("/") else self.root

    def list(self, prefix: str) -> Iterator[LandedObject]:
        folder = self._folder(prefix)
        for directory, _, files in os.walk(folder):
            for name in sorted(files):
                yield self._object(Path(directory, name))

    def list_level(self, prefix: str) -> Listing:
        folder = self._folder(prefix)
        if not folder.is_dir():
            return Listing([], [])
        entries = sorted(folder.iterdir())
        base = "" if folder == self.root else f"{folder.relative_to(self.root).as_posix()}/"
        return Listing(
            folders=[f"{base}{entry.name}/" for entry in entries if entry.is_dir()],
            objects=[self._object(entry) for entry in entries if entry.is_file()],
        )

    def read(self, key: str) -> bytes:
        return (self.root / checked_key(key)).read_bytes()


class LandingResource(dg.ConfigurableResource):
    """Where the gateways land files: ``FLEET_LANDING_URL`` (a folder or s3://bucket/prefix)."""

    url: str

    def backend(self) -> LandingBackend:
        root = StorageRoot.from_url(self.url)
        if root.is_s3:
            raise NotImplementedError("S3 landing arrives with issue #3")
        return FolderBackend(Path(root.path))

    def list(self, prefix: str = "") -> Iterator[LandedObject]:
        return self.backend().list(prefix)

    def list_level(self, prefix: str = "") -> Listing:
        return self.backend().list_level(prefix)

    def read(self, key: str) -> bytes:
        return self.backend().read(key)
