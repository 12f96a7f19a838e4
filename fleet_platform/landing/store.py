"""Landing access behind one interface: list keys with size/version/last-modified, read bytes.

A local folder here; S3 in ``s3.py``, behind the same :class:`LandingBackend` protocol. Keys
are always relative to the landing root and are checked before use: nothing from the
outside climbs out of the root.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


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
    if not key or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"{key!r} is not a key below the landing root")
    return key


class LandingBackend(Protocol):
    @property
    def url(self) -> str:
        """The landing root as ``FLEET_LANDING_URL`` gives it (a folder or ``s3://…``)."""
        ...

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

    @property
    def url(self) -> str:
        return str(self.root)

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
