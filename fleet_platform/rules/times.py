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


# The layouts the feeds send, read field by field: ASCII digits, upper-case ``T``, seconds
# 00-59, no fraction or exactly three digits, then ``Z``/``z`` or an offset chrono accepts.
_COMMON_RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](?:\.[0-9]{3})?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Byte lengths of the common layouts that carry milliseconds, and an offset (else ``Z``).
_WITH_MILLIS = [24, 29]  # ...:SS.mmmZ, ...:SS.mmm±hh:mm
_WITH_OFFSET = [25, 29]  # ...:SS±hh:mm, ...:SS.mmm±hh:mm
_US_PER_MINUTE = 60_000_000


def rfc3339_utc(text: pl.Expr) -> pl.Expr:
    """RFC 3339 with a mandatory offset (``Z`` or ``±hh:mm``) → UTC.

    Text in a common layout (``_COMMON_RFC3339``) is read field by field, because chrono's
    ``%.f%:z`` parsing costs several times polars' fixed-format one; any other text takes
    the general conversion. Both give the same instant, or null, for every input.
    """
    # Each part is a struct field, computed once: eager frames don't share subexpressions.
    source = pl.field("rfc3339_text")
    parts = {
        "rfc3339_common": source.str.contains(_COMMON_RFC3339),
        "rfc3339_local": _local_whole_seconds(source),
        "rfc3339_length": source.str.len_bytes(),
        "rfc3339_millis": source.str.slice(20, 3).str.to_integer(strict=False),
        "rfc3339_tail": _last_8_bytes(source),
    }
    fields = pl.struct(rfc3339_text=text).struct.with_fields(**parts)
    other = ~pl.field("rfc3339_common")
    # An empty string costs the general conversion less than a null, and gives null too.
    others = pl.when(other).then(text).otherwise(pl.lit(""))
    utc = pl.when(other).then(_general_rfc3339_utc(others)).otherwise(_common_utc())
    result = fields.struct.with_fields(rfc3339_utc=utc).struct.field("rfc3339_utc")
    name = text.meta.output_name(raise_if_undetermined=False)
    return result.alias(name) if name else result  # the caller's column name, as before


def _local_whole_seconds(text: pl.Expr) -> pl.Expr:
    """``yyyy-mm-ddThh:mm:ss`` at the start → microseconds since 1970, as written."""
    local = text.str.head(19).str.to_datetime(
        "%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us", cache=False
    )
    return local.cast(pl.Int64)


def _last_8_bytes(text: pl.Expr) -> pl.Expr:
    """The last 8 bytes as one big-endian integer (null if shorter)."""
    return text.cast(pl.Binary).bin.tail(8).bin.reinterpret(dtype=pl.Int64, endianness="big")


def _common_utc() -> pl.Expr:
    """The instant of a text in a common layout, from the fields ``rfc3339_utc`` made."""
    length = pl.field("rfc3339_length")
    has_millis, has_offset = length.is_in(_WITH_MILLIS), length.is_in(_WITH_OFFSET)
    millis = pl.when(has_millis).then(pl.field("rfc3339_millis") * 1000).otherwise(0)
    offset = pl.when(has_offset).then(_offset_us(pl.field("rfc3339_tail"))).otherwise(0)
    return (pl.field("rfc3339_local") + millis - offset).cast(UTC_TIME)


def _offset_us(tail: pl.Expr) -> pl.Expr:
    """``±hh:mm`` ending 8 big-endian bytes → microseconds the local time is ahead of UTC."""
    hours = _digit(tail, 4) * 10 + _digit(tail, 3)
    minutes = _digit(tail, 1) * 10 + _digit(tail, 0)
    sign = pl.when(_byte(tail, 5) == ord("-")).then(-1).otherwise(1)
    return sign * (hours * 60 + minutes) * _US_PER_MINUTE


def _byte(word: pl.Expr, index: int) -> pl.Expr:
    """Byte ``index`` of a big-endian word, counted from its end (0 is the last)."""
    return (word // 256**index) % 256


def _digit(word: pl.Expr, index: int) -> pl.Expr:
    """The ASCII digit at byte ``index`` from the end: ``'0'``-``'9'`` are 0x30-0x39."""
    return _byte(word, index) % 16


def _general_rfc3339_utc(text: pl.Expr) -> pl.Expr:
    """Any text: the strict pattern, then chrono's ``%.f%:z`` (``Z`` read as ``+00:00``)."""
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
