"""Time formats of the three sources, as polars expressions that yield UTC or null.

A null means "not a valid time in its source's format" (``unparseable_time``).
Timestamps are matched against a strict pattern first, then converted with
``str.to_datetime(format)``: declaring ``pl.Datetime`` in a read schema is several times
slower (NOTES.md), and ``to_datetime`` alone accepts more than the formats allow.
"""

import polars as pl

from fleet_platform.rules.schema import UTC_TIME

_RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$"
_RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
_PARIS_DATE = r"^\d{2}/\d{2}/\d{4}$"
_PARIS_TIME = r"^\d{2}:\d{2}:\d{2}$"
PARIS = "Europe/Paris"


def rfc3339_utc(text: pl.Expr) -> pl.Expr:
    """RFC 3339 with a mandatory offset (``Z`` or ``±hh:mm``) → UTC."""
    normalised = text.str.to_uppercase().str.replace(r"Z$", "+00:00")
    parsed = normalised.str.to_datetime(
        _RFC3339_FORMAT, strict=False, time_unit="us", time_zone="UTC"
    )
    return pl.when(text.str.contains(_RFC3339)).then(parsed).otherwise(None).cast(UTC_TIME)


# Epoch milliseconds of 0001-01-01 and 9999-12-31T23:59:59.999Z: the instants a time can be.
EPOCH_MS_RANGE = (-62_135_596_800_000, 253_402_300_799_999)


def epoch_ms_utc(millis: pl.Expr) -> pl.Expr:
    """Integer epoch milliseconds → UTC; null outside the years 1 to 9999."""
    low, high = EPOCH_MS_RANGE
    return (
        pl.when(millis.is_between(low, high))
        .then(pl.from_epoch(millis, time_unit="ms"))
        .otherwise(None)
        .cast(UTC_TIME)
    )


def paris_local_utc(day: pl.Expr, clock: pl.Expr) -> pl.Expr:
    """``dd/mm/yyyy`` + ``HH:MM:SS`` in Europe/Paris → UTC.

    In the autumn hour that occurs twice the earlier instant wins; a time inside the
    spring gap does not exist and gives null.
    """
    well_formed = day.str.contains(_PARIS_DATE) & clock.str.contains(_PARIS_TIME)
    local = pl.concat_str(day, pl.lit(" "), clock).str.to_datetime(
        "%d/%m/%Y %H:%M:%S", strict=False, time_unit="us"
    )
    utc = local.dt.replace_time_zone(
        PARIS, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")
    return pl.when(well_formed).then(utc).otherwise(None).cast(UTC_TIME)
