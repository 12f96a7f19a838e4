"""The rules every source shares (contracts/fleet.md, "What every input becomes"):
row rejection in precedence order, normalisation, ``date_status``, ``delay_s``,
``event_id`` and duplicates."""

from datetime import UTC, datetime, timedelta

import polars as pl
import polars_hash  # noqa: F401  (registers the ``chash`` namespace)

from fleet_platform.rules.reasons import DateStatus, RowFate, RowRejection

VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{17}$"
FUTURE_TOLERANCE = timedelta(minutes=5)
YEAR_2000 = datetime(2000, 1, 1, tzinfo=UTC)
_ID_SEPARATOR = "\x1f"
ORDER = ("file_seq", "row_number")


def normalise_vin(vin: pl.Expr) -> pl.Expr:
    """VINs are compared trimmed and upper-cased."""
    return vin.str.strip_chars().str.to_uppercase()


def rejection_reason(rows: pl.LazyFrame) -> pl.Expr:
    """The first reason that applies, in the contract's order; null for a kept row."""
    return (
        pl.when(pl.col("malformed"))
        .then(pl.lit(RowRejection.MALFORMED_ROW.value))
        .when(pl.col("missing"))
        .then(pl.lit(RowRejection.MISSING_FIELD.value))
        .when(~normalise_vin(pl.col("vin")).str.contains(VIN_PATTERN))
        .then(pl.lit(RowRejection.INVALID_VIN.value))
        .when(~pl.col("time_ok"))
        .then(pl.lit(RowRejection.UNPARSEABLE_TIME.value))
        .otherwise(None)
    )


def date_status() -> pl.Expr:
    """``future`` past received time + 5 minutes, ``before_2000`` before 2000, else ``ok``."""
    return (
        pl.when(pl.col("event_time") > pl.col("received_time") + FUTURE_TOLERANCE)
        .then(pl.lit(DateStatus.FUTURE.value))
        .when(pl.col("event_time") < YEAR_2000)
        .then(pl.lit(DateStatus.BEFORE_2000.value))
        .otherwise(pl.lit(DateStatus.OK.value))
    )


def identity_text() -> pl.Expr:
    """The event identity (source, vin, event_time as epoch microseconds, event_type) as
    one string, fields separated by U+001F."""
    return pl.concat_str(
        pl.col("source"),
        pl.col("vin"),
        pl.col("event_time").dt.epoch("us").cast(pl.String),
        pl.col("event_type"),
        separator=_ID_SEPARATOR,
    )


def event_id() -> pl.Expr:
    """First 128 bits (hex) of SHA-256 over :func:`identity_text`: the same on every engine
    (Spark: ``substring(sha2(concat_ws(…, unix_micros(event_time), …), 256), 1, 32)``);
    polars-hash computes it natively."""
    return identity_text().chash.sha2_256().str.slice(0, 32)


def classify(rows: pl.LazyFrame, known_vins: pl.LazyFrame, kept_ids: pl.LazyFrame) -> pl.LazyFrame:
    """Give every parsed row its fate, reason and normalised values.

    ``rows`` holds ``PARSED_ROWS`` plus the file columns and ``file_seq`` (the processing
    order of files: ingest_date, key, version); rows come out in processing order (file_seq,
    row_number), the joins keeping it. ``known_vins`` has one
    column ``vin``; ``kept_ids`` the ``event_id`` of events kept before this batch. The
    first kept row of an identity, in processing order, is clean; every later one is a
    duplicate.
    """
    known = known_vins.select(pl.col("vin"), vin_known=pl.lit(True)).unique("vin")
    earlier = kept_ids.select("event_id", kept_before=pl.lit(True)).unique("event_id")
    kept = pl.col("reason").is_null()
    first = kept & pl.col("event_id").is_first_distinct() & pl.col("kept_before").is_null()
    return (
        rows.sort(ORDER)
        .with_columns(reason=rejection_reason(rows))
        .with_columns(vin=pl.when(kept).then(normalise_vin(pl.col("vin"))).otherwise(pl.col("vin")))
        .with_columns(event_id=pl.when(kept).then(event_id()))
        .join(earlier, on="event_id", how="left", maintain_order="left")
        .join(known, on="vin", how="left", maintain_order="left")
        .with_columns(
            fate=pl.when(~kept)
            .then(pl.lit(RowFate.REJECTED.value))
            .when(first)
            .then(pl.lit(RowFate.CLEAN.value))
            .otherwise(pl.lit(RowFate.DUPLICATE.value)),
            vin_known=pl.col("vin_known").fill_null(False),
            date_status=date_status(),
            delay_s=(pl.col("received_time") - pl.col("event_time")).dt.total_microseconds()
            / 1_000_000,
            event_date=pl.col("event_time").dt.date(),
        )
        .drop("kept_before")
    )
