"""Fault injection: what goes wrong, how often, and what a correct pipeline must report.

Every injected fault has exactly one expected outcome, so the simulator can count
exact expectations (keys of :data:`INJECTED_KEYS`):

* **File faults** replace a data file (:data:`FILE_FAULTS`: empty, not gzip or
  truncated gzip, latin-1 CSV, a header missing a column, an rFMS body that is not
  JSON or has no statuses array); the file's rows count nowhere.
* **Extra files** land beside the data (:data:`EXTRA_FILES`): keys that break the
  layout (``bad_key``), unsupported extensions, and markers that are ignored.
* **Row faults** replace a regular event's row with one broken in one way (each
  gateway's ``row_faults``); **dirty rows** (lower-case padded VIN) and **blank lines**
  must be kept / skipped; **duplicates** are exact re-sends of a clean row from the
  same file, an earlier file of the same shard that day, or the previous simulated day;
  **future** and **pre-2000** events are kept with that date status.

Rates (``fault_rate`` = r): row faults r (the four reasons equally likely), dirty rows
r, blank lines r, duplicates r (½ same file, ¼ earlier file, ¼ previous day), future
and pre-2000 events r/10 each, file faults r per data file, extra files r per data
file. With r > 0, every variant of every kind is also forced at least once per run
(:class:`ForcedQueue`) so every path is exercised; with r = 0 nothing is injected.
Delays are not faults: :data:`DELAYED_SHARE` of rows come hours or days late, and one
event per source and landing day comes more than 120 days late, at any r.
"""

import gzip
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from fleet_platform.rules.reasons import FileRejection, RowRejection, Source
from fleet_platform.simulate.clock import rfc3339_z
from fleet_platform.simulate.gateway import Gateway
from fleet_platform.simulate.intellibus import BOM, IntellibusGateway
from fleet_platform.simulate.rfms import RfmsGateway

DUPLICATE = "duplicate"
IGNORED_MARKER = "ignored_marker"
FUTURE = "future"
BEFORE_2000 = "before_2000"
UNKNOWN_VIN_EVENTS = "unknown_vins_events"
INJECTED_KEYS: tuple[str, ...] = (
    *(reason.value for reason in FileRejection),
    *(reason.value for reason in RowRejection),
    DUPLICATE,
    IGNORED_MARKER,
    FUTURE,
    BEFORE_2000,
    UNKNOWN_VIN_EVENTS,
)

GZIP_LEVEL = 3
"""Fast compression, as a gateway on a small CPU would use."""
DELAYED_SHARE = 0.002
"""Share of rows (added to each file) that arrive late: ¾ by 1-12 hours, ¼ by 1-7 days."""
FAR_DELAY_DAYS = (121, 140)
"""The one very late event per source and landing day is this many days old."""
FUTURE_AHEAD_S = (2 * 3600, 20 * 3600)
"""Future events are this far ahead of their received time (the contract allows 5 min)."""
POOL_SAMPLE_PER_FILE = 4
"""Clean rows per accepted file kept as originals for later cross-file duplicates."""
PREVIOUS_DAY_POOL = 500


# ---------------------------------------------------------------------------------------
# File faults and extra files


@dataclass(frozen=True)
class FileFault:
    """A way to spoil a whole data file; ``sources`` it applies to (None: all)."""

    reason: FileRejection
    sources: tuple[Source, ...] | None = None


FILE_FAULTS: dict[str, FileFault] = {
    "empty_file": FileFault(FileRejection.EMPTY_FILE),
    "not_gzip": FileFault(FileRejection.CORRUPT_COMPRESSION),
    "truncated_gzip": FileFault(FileRejection.CORRUPT_COMPRESSION),
    "latin1_csv": FileFault(FileRejection.ENCODING, (Source.INTELLIBUS,)),
    "header_without_unite": FileFault(FileRejection.SCHEMA_MISMATCH, (Source.INTELLIBUS,)),
    "header_value_in_english": FileFault(FileRejection.SCHEMA_MISMATCH, (Source.INTELLIBUS,)),
    "truncated_json": FileFault(FileRejection.MALFORMED_DOCUMENT, (Source.RFMS,)),
    "error_body": FileFault(FileRejection.MALFORMED_DOCUMENT, (Source.RFMS,)),
    "no_statuses_array": FileFault(FileRejection.MALFORMED_DOCUMENT, (Source.RFMS,)),
}

EXTRA_FILES: dict[str, str] = {
    "unknown_source_folder": FileRejection.BAD_KEY.value,
    "date_folder_not_a_date": FileRejection.BAD_KEY.value,
    "no_date_folder": FileRejection.BAD_KEY.value,
    "date_folder_in_future": FileRejection.BAD_KEY.value,
    "xml_export": FileRejection.UNSUPPORTED_FORMAT.value,
    "txt_export": FileRejection.UNSUPPORTED_FORMAT.value,
    "success_marker": IGNORED_MARKER,
    "partial_upload": IGNORED_MARKER,
}
"""Files landed beside a data file, and the injected key each one counts under."""
FUTURE_FOLDER_DAYS = 365
"""A ``date_folder_in_future`` is the real current UTC date plus this many days."""


def file_faults_for(source: Source) -> list[str]:
    """The file-fault variants that apply to ``source``."""
    return [
        name
        for name, fault in FILE_FAULTS.items()
        if fault.sources is None or source in fault.sources
    ]


def compress(data: bytes, mtime: int) -> bytes:
    """Gzip as a gateway does (deterministic: the mtime is the file's received time)."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=mtime)


@dataclass(frozen=True)
class FileDraft:
    """One data file before it lands: where, when, and what it holds."""

    gateway: Gateway
    landing_day: date
    stem: str  # e.g. pcm-gw03-20261121T08
    compressed: bool
    received_s: int
    rows: Sequence[str]

    @property
    def folder(self) -> str:
        """``<source>/<YYYY-MM-DD>``."""
        return f"{self.gateway.source.value}/{self.landing_day.isoformat()}"

    def key(self, compressed: bool | None = None) -> str:
        """The file's key (compressed or not, default as drafted)."""
        gz = self.compressed if compressed is None else compressed
        return f"{self.folder}/{self.stem}{self.gateway.extension}{'.gz' if gz else ''}"

    def text(self) -> str:
        """The file's text as the gateway renders it."""
        return self.gateway.render(self.rows, self.received_s)

    def data(self) -> bytes:
        """The file's bytes: UTF-8, gzip-compressed when drafted so."""
        raw = self.text().encode("utf-8")
        return compress(raw, self.received_s) if self.compressed else raw


def spoil_file(draft: FileDraft, variant: str) -> tuple[str, bytes] | None:
    """``(key, bytes)`` of ``draft`` spoiled by file fault ``variant``, or None where the
    variant can't apply to this file (a CSV without a non-ASCII character can't show an
    encoding fault)."""
    finish = (lambda raw: compress(raw, draft.received_s)) if draft.compressed else bytes
    gateway = draft.gateway
    if variant == "empty_file":
        return draft.key(compressed=False), b""
    if variant == "not_gzip":
        return draft.key(compressed=True), draft.text().encode("utf-8")
    if variant == "truncated_gzip":
        whole = compress(draft.text().encode("utf-8"), draft.received_s)
        return draft.key(compressed=True), whole[: len(whole) // 2]
    if variant == "latin1_csv":
        raw = draft.text().removeprefix(BOM).encode("latin-1", errors="replace")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return draft.key(), finish(raw)
        return None
    if isinstance(gateway, IntellibusGateway) and variant.startswith("header_"):
        header = list(gateway.layout.header)
        position = [name.strip().upper() for name in header].index(
            "UNITE" if variant == "header_without_unite" else "VALEUR"
        )
        if variant == "header_without_unite":
            del header[position]
        else:
            header[position] = "VALUE"
        text = gateway.render(draft.rows, draft.received_s, header=header)
        return draft.key(), finish(text.encode("utf-8"))
    if isinstance(gateway, RfmsGateway):
        if variant == "truncated_json":
            text = draft.text()
            return draft.key(), finish(text[: len(text) // 2].encode("utf-8"))
        if variant == "error_body":
            body = '{"error":"TOO_MANY_REQUESTS","message":"Request rate exceeded, retry later"}'
            return draft.key(), finish(body.encode("utf-8"))
        if variant == "no_statuses_array":
            body = (
                '{"vehicleStatusResponse":{},"moreDataAvailable":false,'
                f'"requestServerDateTime":"{rfc3339_z(draft.received_s)}"}}'
            )
            return draft.key(), finish(body.encode("utf-8"))
    raise ValueError(f"file fault {variant!r} does not apply to {gateway.source}")


def extra_file(draft: FileDraft, variant: str, today: date) -> tuple[str, bytes]:
    """``(key, bytes)`` of an extra file ``variant`` landed beside ``draft``; ``today``
    is the real current UTC date (for a date folder the contract finds too late)."""
    source = draft.gateway.source.value
    name = f"{draft.stem}{draft.gateway.extension}"
    data = draft.data()
    day = draft.landing_day
    if variant == "unknown_source_folder":
        return f"telematics/{day.isoformat()}/{name}", data
    if variant == "date_folder_not_a_date":
        return f"{source}/{day.year}-02-30/{name}", data
    if variant == "no_date_folder":
        return f"{source}/{name}", data
    if variant == "date_folder_in_future":
        future = today + timedelta(days=FUTURE_FOLDER_DAYS)
        return f"{source}/{future.isoformat()}/{name}", data
    if variant == "xml_export":
        body = f'<?xml version="1.0"?>\n<export gateway="{draft.gateway.name}" rows="{len(draft.rows)}"/>\n'
        return f"{draft.folder}/{draft.stem}.xml", body.encode("utf-8")
    if variant == "txt_export":
        return f"{draft.folder}/{draft.stem}.txt", f"export {draft.stem}: ok\n".encode()
    if variant == "success_marker":
        return f"{draft.folder}/_SUCCESS", b""
    if variant == "partial_upload":
        return f"{draft.folder}/.{name}.part", data[: len(data) // 3]
    raise ValueError(f"unknown extra file {variant!r}")


# ---------------------------------------------------------------------------------------
# Forced coverage


ON_EVENT = ("dirty_vin", "dup_same_file")
"""Row kinds made from one of the file's regular events (the others are inserted)."""
ROW_EXTRAS = (
    *ON_EVENT,
    "blank_line",
    "dup_earlier_file",
    "dup_previous_day",
    "future_event",
    "before_2000_event",
)
"""Row-level kinds besides the gateways' row faults, forced once per source and run."""


@dataclass
class ForcedQueue:
    """Variants still to be placed at least once this run, per source; each file takes
    what it can (a variant waits for a file where it applies)."""

    rows: dict[Source, list[str]] = field(default_factory=dict)
    files: dict[Source, list[str]] = field(default_factory=dict)
    extras: list[str] = field(default_factory=list)

    @classmethod
    def for_run(cls, gateways: dict[Source, type[Gateway]], enabled: bool) -> "ForcedQueue":
        """Everything once per source (extras once per run); empty when not ``enabled``."""
        if not enabled:
            return cls()
        return cls(
            rows={
                source: [
                    *gateway.row_faults,
                    *(v for v in ROW_EXTRAS if gateway.line_based or v != "blank_line"),
                ]
                for source, gateway in gateways.items()
            },
            files={source: file_faults_for(source) for source in gateways},
            extras=list(EXTRA_FILES),
        )


def summarise(expected: Counter[str]) -> dict[str, int]:
    """The ``injected`` dict: every key of :data:`INJECTED_KEYS`, in order."""
    return {key: expected.get(key, 0) for key in INJECTED_KEYS}
