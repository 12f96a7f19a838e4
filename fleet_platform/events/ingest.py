"""Landed files → ledger, bronze and silver, incrementally and idempotently.

DESIGN.md principle 4: a run processes only file versions the ledger has not seen, in
(key, version) order, in chunks that each commit bronze, then silver, then the ledger.
Rows left in bronze/silver by a run that died before its ledger commit are found at the
start of the next run (rows whose file version the ledger doesn't know) and removed
before their files are processed again. A full refresh forgets the partition's ledger
rows and so rebuilds the partition from landing by the same mechanism.

Three stages overlap: the files of the next chunk are read and parsed while this chunk
is classified, and the chunk before is written. Chunks are committed one at a time, in
order; a chunk's duplicates are found against silver as it was when the run started plus
the ids this run kept so far, so classifying never waits for a commit.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from fleet_platform.engines.base import Engine, TableSlice
from fleet_platform.engines.polars_engine import PolarsEngine
from fleet_platform.events.tables import BRONZE, LEDGER, REFERENCE, SILVER, Table
from fleet_platform.landing.discovery import files_of_partition, partition_date
from fleet_platform.landing.store import LandedObject, LandingBackend
from fleet_platform.rules.clean import NO_IDS, ids_by_source, ids_of_sources
from fleet_platform.rules.decode import decode_text
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.intellibus import parse_intellibus
from fleet_platform.rules.keys import LandingKey, folder_of, parse_key
from fleet_platform.rules.pcm import parse_pcm
from fleet_platform.rules.reasons import RowFate, Source
from fleet_platform.rules.rfms import parse_rfms
from fleet_platform.rules.schema import FILE_COLUMNS, PARSED_ROWS
from platform_shared.delta import DeltaWarehouse, sql_dates

CHUNK_BYTES = 32 * 1024 * 1024  # same CPU as 64 MB, half the chunks in memory (measured)
PARSE_THREADS = 2
FILE_IDENTITY = ["source_file", "file_version"]
_ROW_COUNTS = ["rows_received", "rows_rejected", "rows_duplicate", "rows_clean"]


@dataclass
class IngestSummary:
    """What one run did to one partition: the numbers shown in the UI."""

    files_listed: int = 0
    files_new: int = 0
    files_rejected: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    file_reasons: Counter[str] = field(default_factory=Counter)
    row_reasons: Counter[str] = field(default_factory=Counter)
    rows_repaired: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON values (how a remote job reports it back)."""
        return {
            name: dict(value) if isinstance(value, Counter) else value
            for name, value in vars(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "IngestSummary":
        """The summary :meth:`to_dict` gave."""
        defaults = cls()
        return cls(
            **{
                name: Counter(data[name]) if isinstance(default, Counter) else data[name]
                for name, default in vars(defaults).items()
            }
        )


def parse_file(landing_key: LandingKey, data: bytes, received_time: datetime) -> pl.DataFrame:
    """Decode and parse one landed file into ``PARSED_ROWS``; raises :class:`FileRejected`."""
    text = decode_text(data, landing_key.compressed)
    match landing_key.source:
        case Source.PCM:
            return parse_pcm(text)
        case Source.INTELLIBUS:
            return parse_intellibus(text, received_time)
        case Source.RFMS:
            return parse_rfms(text)


def _chunks(objects: Sequence[LandedObject], limit: int) -> Iterator[list[LandedObject]]:
    chunk: list[LandedObject] = []
    size = 0
    for obj in objects:
        if chunk and size + obj.size > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(obj)
        size += obj.size
    if chunk:
        yield chunk


def _ledger_row(obj: LandedObject, today: date, **values: object) -> dict[str, object]:
    source, ingest = folder_of(obj.key, today)
    row = {
        "key": obj.key,
        "file_version": obj.version,
        "source": source.value if source else None,
        "ingest_date": ingest,
        "partition_date": partition_date(obj, today),
        "size_bytes": obj.size,
        "received_time": obj.last_modified,
        "reason": None,
        "detail": None,
        "rows_received": 0,
        "rows_rejected": 0,
        "rows_duplicate": 0,
        "rows_clean": 0,
        "processed_at": datetime.now(UTC),
    }
    row.update(values)
    return row


@dataclass
class _KeptIds:
    """The ids kept before a chunk: silver at ``version`` (when the run started) and
    ``by_source``, those this run's chunks kept (committed or not yet), per source."""

    version: int | None
    by_source: dict[str, pl.DataFrame] = field(default_factory=dict)

    def before(self, days: Sequence[date]) -> TableSlice:
        """The slice of silver, as the run found it, that may hold ids of these days."""
        found = days if self.version is not None else []  # silver didn't exist yet
        return TableSlice.of_days(SILVER, "event_date", found, self.version)

    def in_run(self, sources: Iterable[str]) -> pl.DataFrame:
        """The ids this run kept of these sources (:func:`ids_by_source`: not looking up
        other sources' halves the lookups of a day, measured 0.6 CPU s for all of them)."""
        return ids_of_sources([self.by_source], sources)

    def add(self, clean: pl.DataFrame) -> None:
        for source, ids in ids_by_source(clean).items():
            self.by_source[source] = pl.concat([self.by_source.get(source, NO_IDS), ids])


@dataclass(frozen=True)
class _ChunkTables:
    """One chunk's rows of each table, written together."""

    bronze: pl.DataFrame
    silver: pl.DataFrame
    ledger: pl.DataFrame


class PartitionIngest:
    """Ingest of one daily partition against one landing store and one warehouse."""

    def __init__(
        self,
        store: LandingBackend,
        warehouse: DeltaWarehouse,
        day: date,
        today: date,
        log: Callable[[str], None] = lambda _: None,
        engine: Engine | None = None,
    ) -> None:
        self.store, self.warehouse, self.day, self.today, self.log = (
            store,
            warehouse,
            day,
            today,
            log,
        )
        self.engine = engine or PolarsEngine(warehouse)
        self.summary = IngestSummary()

    def scan(self, table: Table) -> pl.LazyFrame:
        return self.warehouse.scan(table.path, table.schema)

    def run(self, full_refresh: bool = False, chunk_bytes: int = CHUNK_BYTES) -> IngestSummary:
        if full_refresh:
            self.warehouse.delete_where(
                LEDGER.path, sql_dates("partition_date", [self.day]), LEDGER.codec
            )
        self._repair()
        listed = files_of_partition(self.store, self.day, self.today)
        seen = (
            self.scan(LEDGER)
            .filter(pl.col("partition_date") == self.day)
            .select("key", "file_version")
            .collect()
        )
        seen_versions = set(zip(seen["key"], seen["file_version"], strict=True))
        new = [obj for obj in listed if (obj.key, obj.version) not in seen_versions]
        self.summary.files_listed, self.summary.files_new = len(listed), len(new)
        known = self.scan(REFERENCE).select("vin").collect()
        kept = _KeptIds(self.warehouse.version(SILVER.path))
        with ThreadPoolExecutor(1, thread_name_prefix="delta-writer") as writer:
            written: Future | None = None
            loaded_chunks = self._loaded_chunks(_chunks(new, chunk_bytes))
            for number, (chunk, loaded) in enumerate(loaded_chunks, 1):
                self.log(f"partition {self.day}: chunk {number}, {len(chunk)} files")
                tables = self._chunk_tables(chunk, loaded, known, kept)
                if written is not None:
                    written.result()  # one commit at a time, in chunk order
                written = writer.submit(self._commit, tables)
            if written is not None:
                written.result()
        return self.summary

    def _loaded_chunks(
        self, chunks: Iterable[list[LandedObject]]
    ) -> Iterator[tuple[list[LandedObject], list[pl.DataFrame | FileRejected]]]:
        """Each chunk with its files read and parsed, in order; the next chunk's files are
        read and parsed while this one is classified and written (so at most two chunks
        are held)."""
        pool = ThreadPoolExecutor(PARSE_THREADS)
        try:
            ahead: tuple[list[LandedObject], list[Future]] | None = None
            for chunk in chunks:
                submitted = (chunk, [pool.submit(self._load, obj) for obj in chunk])
                if ahead is not None:
                    yield ahead[0], [future.result() for future in ahead[1]]
                ahead = submitted
            if ahead is not None:
                yield ahead[0], [future.result() for future in ahead[1]]
        finally:
            pool.shutdown(cancel_futures=True)

    def _repair(self) -> None:
        """Remove rows of file versions the ledger doesn't know (a run that died)."""
        ledger = self.scan(LEDGER).select(pl.col("key").alias("source_file"), "file_version")
        orphans = (
            self.scan(BRONZE)
            .filter(pl.col("ingest_date") == self.day)
            .select(FILE_IDENTITY)
            .unique()
            .join(ledger, on=FILE_IDENTITY, how="anti")
            .collect()
        )
        if orphans.is_empty():
            return
        self.log(f"partition {self.day}: removing rows of {len(orphans)} unfinished files")
        self.summary.rows_repaired = self.warehouse.delete_matching(
            BRONZE.path, orphans, FILE_IDENTITY, BRONZE.codec
        )
        self.warehouse.delete_matching(SILVER.path, orphans, FILE_IDENTITY, SILVER.codec)

    def _load(self, obj: LandedObject) -> pl.DataFrame | FileRejected:
        """Read and parse one file, tagged with its identity; or why it is rejected."""
        try:
            landing_key = parse_key(obj.key, self.today)
            rows = parse_file(landing_key, self.store.read(obj.key), obj.last_modified)
        except FileRejected as rejection:
            return rejection
        return rows.with_columns(
            source=pl.lit(landing_key.source.value),
            ingest_date=pl.lit(landing_key.ingest_date),
            source_file=pl.lit(obj.key),
            file_version=pl.lit(obj.version),
        )

    def _chunk_tables(
        self,
        chunk: list[LandedObject],
        loaded: list[pl.DataFrame | FileRejected],
        known: pl.DataFrame,
        kept: _KeptIds,
    ) -> _ChunkTables:
        """A chunk's rows of bronze, silver and the ledger; its clean ids join ``kept``."""
        ledger_rows: list[dict[str, object]] = []
        parsed: list[pl.DataFrame] = []
        for seq, (obj, result) in enumerate(zip(chunk, loaded, strict=True)):
            if isinstance(result, FileRejected):
                ledger_rows.append(
                    _ledger_row(
                        obj,
                        self.today,
                        status="rejected",
                        reason=result.reason.value,
                        detail=result.detail,
                    )
                )
                self.summary.files_rejected += 1
                self.summary.file_reasons[result.reason.value] += 1
                continue
            parsed.append(result.with_columns(file_seq=pl.lit(seq)))
            ledger_rows.append(_ledger_row(obj, self.today, status="accepted"))
        classified = self._classify(parsed, known, kept)
        clean = classified.filter(pl.col("fate") == RowFate.CLEAN.value)
        kept.add(clean)
        return _ChunkTables(
            bronze=BRONZE.conform(classified),
            silver=SILVER.conform(clean),
            ledger=self._ledger(ledger_rows, classified),
        )

    def _commit(self, tables: _ChunkTables) -> None:
        """Bronze, then silver, then the ledger: the order the repair relies on."""
        for table, rows in (
            (BRONZE, tables.bronze),
            (SILVER, tables.silver),
            (LEDGER, tables.ledger),
        ):
            self.warehouse.append(
                table.path, rows, list(table.partition_by), table.unindexed, table.codec
            )

    def _classify(
        self, parsed: list[pl.DataFrame], known: pl.DataFrame, kept: _KeptIds
    ) -> pl.DataFrame:
        empty = pl.DataFrame(schema={**PARSED_ROWS, **FILE_COLUMNS, "file_seq": pl.Int32()})
        rows = pl.concat([empty, *parsed], how="diagonal_relaxed")
        candidate_dates = (
            rows.select(pl.col("event_time").dt.date().unique().drop_nulls()).to_series().to_list()
        )
        in_run = kept.in_run(rows["source"].unique().to_list())
        classified = self.engine.classify(rows, known, kept.before(candidate_dates), in_run)
        fates = classified["fate"].value_counts()
        self.summary.rows.update(dict(zip(fates["fate"], fates["count"], strict=True)))
        reasons = classified["reason"].drop_nulls().value_counts()
        self.summary.row_reasons.update(dict(zip(reasons["reason"], reasons["count"], strict=True)))
        return classified

    def _ledger(self, rows: list[dict[str, object]], classified: pl.DataFrame) -> pl.DataFrame:
        """The chunk's ledger rows with the counts of each file's rows by fate. ``rows``
        hold one row per file in chunk order, which is the ``file_seq`` its rows carry
        (``_chunk_tables`` numbers both)."""
        fate = pl.col("fate")
        counts = classified.group_by("file_seq").agg(  # an integer: cheaper than the key
            rows_received=pl.len(),
            rows_rejected=(fate == RowFate.REJECTED.value).sum(),
            rows_duplicate=(fate == RowFate.DUPLICATE.value).sum(),
            rows_clean=(fate == RowFate.CLEAN.value).sum(),
        )
        ledger = (
            pl.DataFrame(rows, schema=LEDGER.schema)
            .drop(_ROW_COUNTS)
            .with_columns(file_seq=pl.int_range(len(rows), dtype=counts.schema["file_seq"]))
        )
        joined = ledger.join(counts, on="file_seq", how="left")
        return LEDGER.conform(joined.with_columns(pl.col(_ROW_COUNTS).fill_null(0)))
