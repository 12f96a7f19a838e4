"""The rules every source shares (contracts/fleet.md, "What every input becomes"):
row rejection in precedence order, normalisation, ``date_status``, ``delay_s``,
``event_id`` and duplicates.

The rules are written once in narwhals (:func:`classify_frame`), so the same code runs
on a polars LazyFrame and on a PySpark DataFrame (DESIGN.md, principle 3). Two rules
need what narwhals can't say on Spark (epoch microseconds: ``dt.timestamp`` /
``dt.total_*`` are not implemented there, nor is SHA-256): :func:`event_id` and
:func:`delay_s` have one small function per engine, here for polars and in
:mod:`fleet_platform.engines.spark_rules` for Spark. :func:`classify` is the polars entry point.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import narwhals as nw
import polars as pl
import polars_hash  # noqa: F401  (registers the ``chash`` namespace)

from fleet_platform.rules.reasons import DateStatus, RowFate, RowRejection

VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{17}$"
FUTURE_TOLERANCE = "5m"  # narwhals ``dt.offset_by`` interval
YEAR_2000 = datetime(2000, 1, 1, tzinfo=UTC)
ID_SEPARATOR = "\x1f"
ID_LENGTH = 32  # hex characters: the first 128 bits of SHA-256
ORDER = ("file_seq", "row_number")
_ROW_NUMBER_SPAN = 2**32  # row numbers within one file are below this

# A rule narwhals can't express on every engine: native frame in, native frame out, with
# the rule's column added (or replaced).
EngineRule = Callable[[Any], Any]
E = TypeVar("E", pl.Expr, nw.Expr)
F = TypeVar("F", pl.DataFrame, pl.LazyFrame)


def normalise_vin(vin: E) -> E:
    """VINs are compared trimmed and upper-cased (a polars or a narwhals expression)."""
    return vin.str.strip_chars().str.to_uppercase()


def rejection_reason() -> nw.Expr:
    """The first reason that applies, in the contract's order; null for a kept row."""
    return (
        nw.when(nw.col("malformed"))
        .then(nw.lit(RowRejection.MALFORMED_ROW.value))
        .when(nw.col("missing"))
        .then(nw.lit(RowRejection.MISSING_FIELD.value))
        .when(~normalise_vin(nw.col("vin")).str.contains(VIN_PATTERN))
        .then(nw.lit(RowRejection.INVALID_VIN.value))
        .when(~nw.col("time_ok"))
        .then(nw.lit(RowRejection.UNPARSEABLE_TIME.value))
        .otherwise(nw.lit(None, nw.String))
    )


def date_status() -> nw.Expr:
    """``future`` past received time + 5 minutes, ``before_2000`` before 2000, else ``ok``."""
    return (
        nw.when(nw.col("event_time") > nw.col("received_time").dt.offset_by(FUTURE_TOLERANCE))
        .then(nw.lit(DateStatus.FUTURE.value))
        .when(nw.col("event_time") < nw.lit(YEAR_2000))
        .then(nw.lit(DateStatus.BEFORE_2000.value))
        .otherwise(nw.lit(DateStatus.OK.value))
    )


def order_key(file_seq: E, row_number: E) -> E:
    """Processing order (file_seq, row_number) as one integer (a polars or a narwhals
    expression): file_seq above row_number, which fits while row_number < 2**32."""
    int64 = nw.Int64 if isinstance(file_seq, nw.Expr) else pl.Int64
    return file_seq.cast(int64) * _ROW_NUMBER_SPAN + row_number


def is_first_in_order() -> nw.Expr:
    """True on the first row of its ``event_id`` in processing order (file_seq, row_number).

    Written as "its order key is the smallest of its identity" rather than
    ``is_first_distinct().over(order_by=...)``: it needs no row order, so it runs as one
    grouped minimum on any engine (Spark frames have no order; polars rows, which are in
    order, take :func:`_first_of_id`'s cheaper path).
    """
    key = order_key(nw.col("file_seq"), nw.col("row_number"))
    return key == key.min().over("event_id")


# --- the engine-specific rules, polars ------------------------------------------------


def identity_text() -> pl.Expr:
    """The event identity (source, vin, event_time as epoch microseconds, event_type) as
    one string, fields separated by U+001F; null if any field is null."""
    return pl.concat_str(
        pl.col("source"),
        pl.col("vin"),
        pl.col("event_time").dt.epoch("us").cast(pl.String),
        pl.col("event_type"),
        separator=ID_SEPARATOR,
    )


def event_id_expr() -> pl.Expr:
    """First 128 bits (hex) of SHA-256 over :func:`identity_text`; polars-hash computes it
    natively. Spark: :func:`fleet_platform.engines.spark_rules.event_id`."""
    return identity_text().chash.sha2_256().str.slice(0, ID_LENGTH)


def event_id(rows: pl.LazyFrame) -> pl.LazyFrame:
    """``event_id`` (:func:`event_id_expr`) for every row with its identity fields."""
    return rows.with_columns(event_id=event_id_expr())


def delay_s(rows: pl.LazyFrame) -> pl.LazyFrame:
    """``delay_s``: received time minus event time, in seconds (microsecond precision)."""
    delay = pl.col("received_time") - pl.col("event_time")
    return rows.with_columns(delay_s=delay.dt.total_microseconds() / 1_000_000)


def _engine_rules(frame: nw.LazyFrame) -> tuple[EngineRule, EngineRule]:
    """(event_id, delay_s) for the frame's engine."""
    if frame.implementation.is_polars():
        return event_id, delay_s
    if frame.implementation.is_pyspark():
        from fleet_platform.engines import spark_rules as spark

        return spark.event_id, spark.delay_s
    raise NotImplementedError(f"no event_id / delay_s for {frame.implementation}")


# polars only: a 64-bit hash of ``event_id`` (polars' own, stable within one process), so
# that ids are compared as integers and as strings only where two hashes meet.
ID_HASH = "id_hash"
NO_IDS = pl.DataFrame(schema={"event_id": pl.String(), ID_HASH: pl.UInt64()})


def hashed_ids(ids: F) -> F:
    """``event_id`` and its :data:`ID_HASH` (computed unless the frame carries it)."""
    if ID_HASH in ids.collect_schema():
        return ids.select("event_id", ID_HASH)
    return ids.select("event_id", pl.col("event_id").hash().alias(ID_HASH))


def ids_by_source(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows' ``event_id``s (with :func:`hashed_ids`' hash) per source. The source is part
    of an event's identity, so a batch's ids need looking up among its own sources' ids
    only (:func:`ids_of_sources`)."""
    parts = rows.select("source", "event_id").partition_by("source", as_dict=True)
    return {str(source): hashed_ids(part) for (source,), part in parts.items()}


def ids_of_sources(
    by_source: Iterable[Mapping[str, pl.DataFrame]], sources: Iterable[str]
) -> pl.DataFrame:
    """The ids of these sources in frames split by :func:`ids_by_source`."""
    wanted = list(sources)
    return pl.concat([NO_IDS, *(ids[s] for ids in by_source for s in wanted if s in ids)])


def _apply(frame: nw.LazyFrame, rule: EngineRule) -> nw.LazyFrame:
    return nw.from_native(rule(frame.to_native()))


def first_distinct(ids: pl.Series) -> pl.Series:
    """``ids.is_first_distinct()``, with strings compared only among the rows whose 64-bit
    hashes repeat (an id's earlier rows share its hash, so they are among them): about
    half the CPU of the string hash set (measured)."""
    repeated = ids.hash().is_duplicated()
    where = repeated.arg_true()
    return (~repeated).scatter(where, ids.gather(where).is_first_distinct())


def _first_of_id(frame: nw.LazyFrame) -> nw.LazyFrame:
    """``first_of_id``: :func:`is_first_in_order`. polars rows are in processing order, so
    there it is the first occurrence of the id (:func:`first_distinct`): a third of the
    grouped minimum's CPU (measured). The function sees the whole column on either polars
    engine, as it is not elementwise."""
    if frame.implementation.is_polars():
        first = pl.col("event_id").map_batches(first_distinct, return_dtype=pl.Boolean())
        return nw.from_native(frame.to_native().with_columns(first_of_id=first))
    return frame.with_columns(first_of_id=is_first_in_order())


def _repeated_ids(kept_ids: nw.LazyFrame, batch: nw.LazyFrame) -> nw.LazyFrame:
    """The ids kept before that the batch may repeat, for the lookup by id that follows: a
    semi join, whose hash table holds the batch's ids, not every id kept before. polars
    joins the 64-bit hashes (:func:`hashed_ids`), so a rare collision adds an id the
    lookup then doesn't match: a third less CPU than joining the strings (measured)."""
    if not batch.implementation.is_polars():
        return kept_ids.select("event_id").join(batch.select("event_id"), on="event_id", how="semi")
    batch_hashes = hashed_ids(batch.to_native().select("event_id")).select(ID_HASH)
    meeting = hashed_ids(kept_ids.to_native()).join(batch_hashes, on=ID_HASH, how="semi")
    return nw.from_native(meeting.select("event_id"))


def _lookup(frame: nw.LazyFrame, table: nw.LazyFrame, on: str) -> nw.LazyFrame:
    """Left join of a lookup table (unique on ``on``). polars keeps the row order (narwhals'
    join can't ask it to, and sorting the joined frame again costs a third of classify);
    Spark frames have no order to keep."""
    if frame.implementation.is_polars():
        joined = frame.to_native().join(table.to_native(), on=on, how="left", maintain_order="left")
        return nw.from_native(joined)
    return frame.join(table, on=on, how="left")


# --- the rules -------------------------------------------------------------------------


def classify_frame(
    rows: nw.LazyFrame, known_vins: nw.LazyFrame, kept_ids: nw.LazyFrame
) -> nw.LazyFrame:
    """Give every parsed row its fate, reason and normalised values, on any engine.

    ``rows`` holds ``PARSED_ROWS`` plus the file columns and ``file_seq`` (the processing
    order of files: ingest_date, key, version). ``known_vins`` has one column ``vin``;
    ``kept_ids`` the ``event_id`` of events kept before this batch. The first kept row of
    an identity in processing order (file_seq, row_number) is clean; every later one, and
    every one kept before, is a duplicate. polars rows must come in processing order
    (:func:`classify` sees to it), and keep it; Spark frames have none.
    """
    id_rule, delay_rule = _engine_rules(rows)
    known = known_vins.select("vin").unique(["vin"]).with_columns(vin_known=nw.lit(True))
    kept = nw.col("reason").is_null()
    first = kept & nw.col("first_of_id") & nw.col("kept_before").is_null()
    with_reason = rows.with_columns(reason=rejection_reason()).with_columns(
        vin=nw.when(kept).then(normalise_vin(nw.col("vin"))).otherwise(nw.col("vin"))
    )
    with_id = _first_of_id(
        _apply(with_reason, id_rule).with_columns(event_id=nw.when(kept).then(nw.col("event_id")))
    )
    # Of the ids kept before, only the few this batch repeats matter.
    earlier = (
        _repeated_ids(kept_ids, with_id).unique(["event_id"]).with_columns(kept_before=nw.lit(True))
    )
    fated = (
        _lookup(_lookup(with_id, earlier, "event_id"), known, "vin")
        .with_columns(
            fate=nw.when(~kept)
            .then(nw.lit(RowFate.REJECTED.value))
            .when(first)
            .then(nw.lit(RowFate.CLEAN.value))
            .otherwise(nw.lit(RowFate.DUPLICATE.value)),
            vin_known=nw.col("vin_known").fill_null(False),
            date_status=date_status(),
        )
        .drop("kept_before", "first_of_id")
    )
    return _apply(fated, delay_rule).with_columns(event_date=nw.col("event_time").dt.date())


def _in_processing_order(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows sorted by (file_seq, row_number), unless they already are (as the ingest
    hands them over: checking costs a pass over two integer columns, sorting copies every
    column)."""
    key = rows.select(order_key(pl.col("file_seq"), pl.col("row_number"))).to_series()
    return rows if key.is_sorted() else rows.sort(ORDER)


def classify(
    rows: pl.LazyFrame | pl.DataFrame, known_vins: pl.LazyFrame, kept_ids: pl.LazyFrame
) -> pl.LazyFrame:
    """:func:`classify_frame` on polars; rows come out in processing order (file_seq,
    row_number)."""
    ordered = _in_processing_order(rows) if isinstance(rows, pl.DataFrame) else rows.sort(ORDER)
    return classify_frame(
        nw.from_native(ordered.lazy()), nw.from_native(known_vins), nw.from_native(kept_ids)
    ).to_native()
