"""What the peers (``duckdb_pipeline.py``, ``pandas_pipeline.py``) share: the landed files
in processing order, their file-level rejections, and where the outputs go.

The key rules (``bad_key``, ``unsupported_format``, markers) and the byte decoding
(``empty_file``, ``corrupt_compression``, ``encoding``, the BOM) are the project's own
pure-Python helpers (``fleet_platform.rules.keys`` / ``.decode``: no polars): both peers
do this part the same way, in the driver, so what they are compared on is the row rules.
The format-level file rejections (``schema_mismatch``, ``malformed_document``) are each
peer's own.
"""

import argparse
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fleet_platform.rules.decode import decode_text
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.keys import REFERENCE_KEY, folder_of, is_marker, parse_key

# What polars' ``str.strip_chars()`` strips (Unicode White_Space, Rust's
# ``char::is_whitespace``): trimming VINs and fields and finding blank lines/values.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
VIN_PATTERN = "^[A-HJ-NPR-Z0-9]{17}$"
RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$"
DECIMAL = r"^[+-]?\d+(?:[,.]\d+)?$"
ID_SEPARATOR = "\x1f"
ID_LENGTH = 32
ZSTD_LEVEL = 1  # as the pipeline writes its Delta files
GOLD_TABLES = (
    "files_daily",
    "rejected_files",
    "rejected_rows_daily",
    "events_daily",
    "vins_daily",
    "non_standard_dates_daily",
    "event_delays_daily",
    "unknown_vins_daily",
    "unknown_vins",
)


@dataclass(frozen=True)
class LandedFile:
    """One landed file (not a marker, not the reference) and what its key gives."""

    key: str
    path: Path
    size_bytes: int
    received_time: datetime
    source: str | None
    ingest_date: date | None


@dataclass(frozen=True)
class Loaded:
    """A landed file with its text, or the reason and detail of its rejection."""

    file: LandedFile
    text: str | None = None
    reason: str | None = None
    detail: str | None = None


def landed_files(root: Path, today: date) -> list[LandedFile]:
    """Every data file below ``root``, in processing order: (ingest_date, key)."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            key = path.relative_to(root).as_posix()
            if is_marker(key) or key == REFERENCE_KEY:
                continue
            stat = path.stat()
            source, ingest_date = folder_of(key, today)
            found.append(
                LandedFile(
                    key=key,
                    path=path,
                    size_bytes=stat.st_size,
                    received_time=datetime.fromtimestamp(stat.st_mtime, UTC),
                    source=source.value if source else None,
                    ingest_date=ingest_date,
                )
            )
    return sorted(found, key=lambda f: (f.ingest_date or date.min, f.key))


def load(file: LandedFile, today: date) -> Loaded:
    """Check the key, read and decode one file."""
    try:
        landing_key = parse_key(file.key, today)
        return Loaded(file, text=decode_text(file.path.read_bytes(), landing_key.compressed))
    except FileRejected as rejected:
        return Loaded(file, reason=rejected.reason.value, detail=rejected.detail)


def loaded_files(root: Path, threads: int = 1) -> Iterator[Loaded]:
    """Every landed file, loaded, in processing order (``threads`` read and decode)."""
    today = datetime.now(UTC).date()
    files = landed_files(root, today)
    if threads == 1:
        yield from (load(file, today) for file in files)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: deque[Future[Loaded]] = deque()
        for file in files:  # at most 2 x threads files read ahead, not the whole landing
            pending.append(pool.submit(load, file, today))
            if len(pending) > 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def arguments(description: str) -> tuple[Path, Path]:
    """``landing`` and ``out`` folders from the command line (``out`` is created)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("landing", type=Path, help="landing root (a local folder)")
    parser.add_argument("out", type=Path, help="output folder: bronze/, silver/, gold/")
    args = parser.parse_args()
    for layer in ("bronze", "silver", "gold"):
        (args.out / layer).mkdir(parents=True, exist_ok=True)
    return args.landing, args.out


def output(out: Path, layer: str, table: str) -> Path:
    """Where a peer writes one table: ``<out>/<layer>/<table>.parquet``."""
    return out / layer / f"{table}.parquet"
