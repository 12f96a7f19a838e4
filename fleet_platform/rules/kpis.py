"""Gold KPI aggregations: the contract's monitoring tables as pure functions.

contracts/fleet.md, "What every input becomes" and "Tables" (the gold rows). Each
function takes and returns a ``narwhals.LazyFrame``, so the same code runs on a
polars LazyFrame and on a PySpark DataFrame (DESIGN.md, principle 3). No I/O: the
gold assets read the ledger, bronze and silver, call these, and write the result.

Shared conventions:
- counts are cast to Int64 at the end (polars counts are u32, Spark's bigint);
- outputs are sorted by their key columns;
- the event-date KPIs (events, VINs, unknown VINs) are rolled up from ``vin_days``,
  one row per (ingest_date, event_date, source, vin), so their cost grows with
  days x VINs, not with events (DESIGN.md, principle 4).

``processing_usage_daily`` is plain polars: narwhals on Spark has no duration
arithmetic (``dt.total_*`` / ``dt.timestamp`` are not implemented), and the runs
table is small and read from the orchestrator, never from Spark.
"""

from collections.abc import Mapping

import narwhals as nw
import polars as pl

from fleet_platform.rules.reasons import DateStatus, RowFate, RowRejection, Source

_ROW_COUNTS = ("rows_received", "rows_rejected", "rows_duplicate", "rows_clean")
_PERCENTILES = {"p50_s": 0.5, "p90_s": 0.9, "p99_s": 0.99}
_ONE_HOUR_S = 3600
_ONE_DAY_S = 86400
_FILE_REJECTED = nw.col("status") == "rejected"  # ledger status: accepted | rejected


# --- shared helpers ---------------------------------------------------------------


def _finish(frame: nw.LazyFrame, keys: list[str], counts: list[str]) -> nw.LazyFrame:
    """Cast the count columns to Int64 and sort by the key columns."""
    return frame.with_columns(nw.col(*counts).cast(nw.Int64)).sort(keys)


def _count_rows(frame: nw.LazyFrame, keys: list[str], name: str) -> nw.LazyFrame:
    """One row per key with the number of input rows, named ``name`` (unsorted)."""
    return frame.group_by(keys).agg(nw.len().alias(name))


def _as_count(predicate: nw.Expr) -> nw.Expr:
    """1 where ``predicate`` holds, else 0 (null counts as 0): a column to sum."""
    return predicate.fill_null(False).cast(nw.Int64)


def _date_ok(silver: nw.LazyFrame) -> nw.LazyFrame:
    """Clean events with date_status ``ok``: the rows every delay / VIN KPI is over."""
    return silver.filter(nw.col("date_status") == DateStatus.OK.value)


def _bronze_rejected(bronze: nw.LazyFrame) -> nw.LazyFrame:
    return bronze.filter(nw.col("fate") == RowFate.REJECTED.value)


# --- ingest-date KPIs: files and rows -------------------------------------------------


def files_daily(ledger: nw.LazyFrame) -> nw.LazyFrame:
    """Files and rows received per (ingest_date, source), by fate.

    Every file version in a source/date folder counts in ``files_received``; a
    rejected file counts in ``files_rejected`` and contributes no rows, so
    ``rows_received = rows_rejected + rows_duplicate + rows_clean`` holds on every
    row. Ledger rows without ingest_date or source (``bad_key``) have no folder.
    """
    keys = ["ingest_date", "source"]
    per_file = ledger.filter(
        ~nw.col("ingest_date").is_null(), ~nw.col("source").is_null()
    ).with_columns(
        _as_count(_FILE_REJECTED).alias("files_rejected"),
        *(
            nw.when(_FILE_REJECTED).then(0).otherwise(nw.col(c).fill_null(0)).alias(c)
            for c in _ROW_COUNTS
        ),
    )
    daily = per_file.group_by(keys).agg(
        nw.len().alias("files_received"),
        nw.col("files_rejected", *_ROW_COUNTS).sum(),
    )
    counts = ["files_received", "files_rejected", *_ROW_COUNTS]
    return _finish(daily.select(*keys, *counts), keys, counts)


def rejected_files(ledger: nw.LazyFrame) -> nw.LazyFrame:
    """One row per rejected file version, with the reason and detail an operator reads."""
    columns = [
        "key",
        "source",
        "ingest_date",
        "reason",
        "detail",
        "size_bytes",
        "file_version",
        "partition_date",
    ]
    return (
        ledger.filter(_FILE_REJECTED)
        .select(columns)
        .with_columns(nw.col("size_bytes").cast(nw.Int64))
        .sort("key", "file_version")
    )


def rejected_rows_daily(bronze: nw.LazyFrame) -> nw.LazyFrame:
    """Rejected rows per (ingest_date, source, reason)."""
    keys = ["ingest_date", "source", "reason"]
    return _finish(_count_rows(_bronze_rejected(bronze), keys, "rows"), keys, ["rows"])


def non_standard_dates_daily(bronze: nw.LazyFrame, silver: nw.LazyFrame) -> nw.LazyFrame:
    """Rows per (ingest_date, source, status) whose event time is not a usable date.

    ``unparseable``: bronze rows rejected with ``unparseable_time``;
    ``future`` / ``before_2000``: clean silver rows with that date_status.
    """
    keys = ["ingest_date", "source", "status"]
    unparseable = _bronze_rejected(bronze).filter(
        nw.col("reason") == RowRejection.UNPARSEABLE_TIME.value
    )
    odd_dates = silver.filter(
        nw.col("date_status").is_in([DateStatus.FUTURE.value, DateStatus.BEFORE_2000.value])
    )
    parts = [
        unparseable.with_columns(nw.lit(DateStatus.UNPARSEABLE.value).alias("status")),
        odd_dates.with_columns(nw.col("date_status").alias("status")),
    ]
    counted = [
        _count_rows(part, keys, "rows")
        .select(*keys, "rows")
        .with_columns(nw.col("rows").cast(nw.Int64))
        for part in parts
    ]
    return _finish(nw.concat(counted, how="vertical"), keys, ["rows"])


def event_delays_daily(silver: nw.LazyFrame) -> nw.LazyFrame:
    """Delay (received - event time, seconds) of date-ok events per (ingest_date, source).

    Percentiles interpolate linearly between the closest ranks (polars
    ``quantile(q, "linear")``, Spark ``percentile``); ``over_1h`` counts
    ``delay_s > 3600`` and ``over_24h`` counts ``delay_s > 86400`` (strictly).
    """
    keys = ["ingest_date", "source"]
    delay = nw.col("delay_s")
    flagged = _date_ok(silver).with_columns(
        _as_count(delay > _ONE_HOUR_S).alias("over_1h"),
        _as_count(delay > _ONE_DAY_S).alias("over_24h"),
    )
    daily = flagged.group_by(keys).agg(
        nw.len().alias("events"),
        *(delay.quantile(q, interpolation="linear").alias(n) for n, q in _PERCENTILES.items()),
        delay.max().alias("max_s"),
        nw.col("over_1h", "over_24h").sum(),
    )
    counts = ["events", "over_1h", "over_24h"]
    ordered = daily.select(*keys, "events", *_PERCENTILES, "max_s", "over_1h", "over_24h")
    return _finish(
        ordered.with_columns(nw.col(*_PERCENTILES, "max_s").cast(nw.Float64)), keys, counts
    )


# --- event-date KPIs, rolled up from vin_days ------------------------------------------


def vin_days(silver: nw.LazyFrame) -> nw.LazyFrame:
    """Compact per-day VIN activity: date-ok events per (ingest_date, event_date, source, vin).

    ``vin_known`` is true when any of the group's events has a known VIN (silver
    keeps it consistent per VIN; a null counts as unknown).
    """
    keys = ["ingest_date", "event_date", "source", "vin"]
    daily = (
        _date_ok(silver)
        .with_columns(nw.col("vin_known").fill_null(False))
        .group_by(keys)
        .agg(
            nw.col("vin_known").any(),
            nw.len().alias("events"),
            nw.col("event_time").min().alias("first_event_time"),
            nw.col("event_time").max().alias("last_event_time"),
        )
    )
    ordered = daily.select(*keys, "vin_known", "events", "first_event_time", "last_event_time")
    return _finish(ordered, keys, ["events"])


def events_daily(vin_days: nw.LazyFrame) -> nw.LazyFrame:
    """Date-ok events per (event_date, source)."""
    keys = ["event_date", "source"]
    return _finish(vin_days.group_by(keys).agg(nw.col("events").sum()), keys, ["events"])


def vins_daily(vin_days: nw.LazyFrame) -> nw.LazyFrame:
    """Distinct VINs per event_date across sources and ingest dates, known and unknown.

    A VIN is counted once per day; it is known if known in any of its rows, so
    ``unique_vins = unique_known_vins + unique_unknown_vins``.
    """
    per_vin = vin_days.group_by("event_date", "vin").agg(nw.col("vin_known").any())
    daily = per_vin.group_by("event_date").agg(
        nw.len().alias("unique_vins"),
        _as_count(nw.col("vin_known")).sum().alias("unique_known_vins"),
    )
    daily = daily.with_columns(
        (nw.col("unique_vins") - nw.col("unique_known_vins")).alias("unique_unknown_vins")
    )
    counts = ["unique_vins", "unique_known_vins", "unique_unknown_vins"]
    return _finish(daily.select("event_date", *counts), ["event_date"], counts)


def _unknown(vin_days: nw.LazyFrame) -> nw.LazyFrame:
    return vin_days.filter(~nw.col("vin_known"))


def unknown_vins_daily(vin_days: nw.LazyFrame) -> nw.LazyFrame:
    """Events and distinct VINs per (event_date, source) whose VIN is not in the reference."""
    keys = ["event_date", "source"]
    daily = (
        _unknown(vin_days)
        .group_by(keys)
        .agg(
            nw.col("events").sum(),
            nw.col("vin").n_unique().alias("distinct_vins"),
        )
    )
    counts = ["events", "distinct_vins"]
    return _finish(daily.select(*keys, *counts), keys, counts)


def _sorted_sources(flag: str) -> nw.Expr:
    """The sorted list of sources whose ``flag + source`` column is true.

    narwhals has no list aggregation, so the list is built from one flag per source of
    the contract's closed vocabulary (``Source``): joined in sorted order, then split.
    """
    names = sorted(s.value for s in Source)
    present = [nw.when(nw.col(flag + name)).then(nw.lit(name)) for name in names]
    return nw.concat_str(present, separator=",", ignore_nulls=True).str.split(",")


def unknown_vins(vin_days: nw.LazyFrame) -> nw.LazyFrame:
    """One row per unknown VIN: first / last event time, events, sorted list of sources."""
    flag = "_seen_in_"
    flagged = _unknown(vin_days).with_columns(
        *((nw.col("source") == s.value).alias(flag + s.value) for s in Source)
    )
    per_vin = flagged.group_by("vin").agg(
        nw.col("first_event_time").min().alias("first_seen"),
        nw.col("last_event_time").max().alias("last_seen"),
        nw.col("events").sum(),
        *(nw.col(flag + s.value).any() for s in Source),
    )
    with_sources = per_vin.with_columns(_sorted_sources(flag).alias("sources"))
    ordered = with_sources.select("vin", "first_seen", "last_seen", "events", "sources")
    return _finish(ordered, ["vin"], ["events"])


# --- processing usage (plain polars) ---------------------------------------------------


def processing_usage_daily(
    runs: pl.LazyFrame | pl.DataFrame, prices_eur_per_minute: Mapping[str, float]
) -> pl.DataFrame:
    """Runs, minutes and cost per (date the run started, UTC; compute_profile).

    ``runs`` has run_id, compute_profile, started_at, ended_at (UTC datetimes). Runs
    without ``ended_at`` (still running) are left out until they end. ``minutes`` is
    rounded to 3 decimals and ``cost_eur = minutes x price``. A profile with no price
    raises ``ValueError`` naming it.
    """
    keys = ["date", "compute_profile"]
    daily = (
        runs.lazy()
        .filter(pl.col("ended_at").is_not_null())
        .group_by(
            pl.col("started_at").dt.convert_time_zone("UTC").dt.date().alias("date"),
            "compute_profile",
        )
        .agg(
            pl.len().cast(pl.Int64).alias("runs"),
            ((pl.col("ended_at") - pl.col("started_at")).dt.total_microseconds().sum() / 6e7)
            .round(3)
            .alias("minutes"),
        )
        .sort(keys)
        .collect()
    )
    missing = sorted(set(daily["compute_profile"].to_list()) - set(prices_eur_per_minute))
    if missing:
        msg = (
            f"no price per minute for compute profile(s) {', '.join(map(repr, missing))}: "
            "add them to the processing prices setting"
        )
        raise ValueError(msg)
    prices = pl.DataFrame(
        {
            "compute_profile": list(prices_eur_per_minute),
            "price": list(prices_eur_per_minute.values()),
        },
        schema={"compute_profile": pl.String(), "price": pl.Float64()},
    )
    return (
        daily.join(prices, on="compute_profile", how="left", maintain_order="left")
        .with_columns((pl.col("minutes") * pl.col("price")).alias("cost_eur"))
        .drop("price")
    )
