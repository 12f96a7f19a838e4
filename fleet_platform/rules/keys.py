"""Landing layout rules: which keys are data, which are markers, which are rejected.

contracts/fleet.md, "Landing layout": ``<source>/<YYYY-MM-DD>/<file name>``.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.reasons import FileRejection, Source

REFERENCE_KEY = "reference/vehicles.csv"

ALLOWED_EXTENSIONS: dict[Source, tuple[str, ...]] = {
    Source.PCM: (".jsonl",),
    Source.INTELLIBUS: (".csv",),
    Source.RFMS: (".json",),
}

_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class LandingKey:
    """A key that fits the layout: a data file of a known source and landing date."""

    key: str
    source: Source
    ingest_date: date
    compressed: bool


def is_marker(key: str) -> bool:
    """Markers and editor files (a name starting with ``.`` or ``_``) are not data."""
    return key.rsplit("/", 1)[-1].startswith((".", "_"))


def known_source(key: str) -> Source | None:
    """The source a key's first folder names, if it is one of the three gateways."""
    first = key.split("/", 1)[0]
    return Source(first) if first in Source.__members__.values() else None


def valid_date_folder(folder: str, today: date) -> date | None:
    """The date a ``YYYY-MM-DD`` folder names, if it may receive files (≤ tomorrow)."""
    if not _DATE_FOLDER.match(folder):
        return None
    try:
        day = date.fromisoformat(folder)
    except ValueError:
        return None
    return day if day <= today + timedelta(days=1) else None


def folder_of(key: str, today: date) -> tuple[Source | None, date | None]:
    """Source and ingest date as far as the key gives them (null where it does not)."""
    source = known_source(key)
    parts = key.split("/")
    if source is None or len(parts) != 3:
        return source, None
    return source, valid_date_folder(parts[1], today)


def parse_key(key: str, today: date) -> LandingKey:
    """Check a key against the landing layout; raises :class:`FileRejected` otherwise.

    ``today`` is the current UTC date: a date folder later than tomorrow is a clock error
    upstream and rejected as ``bad_key``.
    """
    parts = key.split("/")
    source = known_source(key)
    if source is None:
        raise FileRejected(FileRejection.BAD_KEY, f"unknown source folder {parts[0]!r}")
    if len(parts) != 3:
        raise FileRejected(FileRejection.BAD_KEY, "expected <source>/<YYYY-MM-DD>/<file name>")
    folder = parts[1]
    try:
        if not _DATE_FOLDER.match(folder):
            raise ValueError
        ingest_date = date.fromisoformat(folder)
    except ValueError:
        raise FileRejected(
            FileRejection.BAD_KEY, f"date folder {folder!r} is not a real YYYY-MM-DD date"
        ) from None
    if ingest_date > today + timedelta(days=1):
        raise FileRejected(
            FileRejection.BAD_KEY,
            f"date folder {folder} is later than tomorrow ({today + timedelta(days=1)}, UTC)",
        )
    name = parts[2]
    compressed = name.endswith(".gz")
    stem = name.removesuffix(".gz")
    if not stem.endswith(ALLOWED_EXTENSIONS[source]) or stem in ALLOWED_EXTENSIONS[source]:
        allowed = ", ".join(f"*{ext}[.gz]" for ext in ALLOWED_EXTENSIONS[source])
        raise FileRejected(
            FileRejection.UNSUPPORTED_FORMAT, f"{source} accepts {allowed}, not {name!r}"
        )
    return LandingKey(key=key, source=source, ingest_date=ingest_date, compressed=compressed)
