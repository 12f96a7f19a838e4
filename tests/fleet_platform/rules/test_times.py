"""RFC 3339 times (contracts/fleet.md: pcm ``ts``, rFMS ``createdDateTime`` /
``receivedDateTime``): an offset is mandatory, the result is UTC to the microsecond, and
anything that is not a valid time in the format is null (``unparseable_time``).

``rfc3339_utc`` reads the common layouts field by field and sends the rest to the general
conversion; these tests hold both routes to the same results."""

import itertools
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_series_equal

from fleet_platform.rules.schema import UTC_TIME
from fleet_platform.rules.times import _COMMON_RFC3339, _general_rfc3339_utc, rfc3339_utc

# Expected UTC as "%Y-%m-%dT%H:%M:%S%.6f" (so years 0 and 10000 can be written), or None.
COMMON_LAYOUTS = [
    ("2026-11-21T08:15:02.123+01:00", "2026-11-21T07:15:02.123000"),
    ("2026-11-30T12:02:39Z", "2026-11-30T12:02:39.000000"),
    ("2026-11-30T12:02:39z", "2026-11-30T12:02:39.000000"),
    ("2026-11-30T11:38:19.247Z", "2026-11-30T11:38:19.247000"),
    ("2026-11-30T11:38:19.247z", "2026-11-30T11:38:19.247000"),
    ("2026-11-30T12:00:00+00:00", "2026-11-30T12:00:00.000000"),
    ("2026-11-30T12:00:00-00:00", "2026-11-30T12:00:00.000000"),
    ("2026-11-30T12:00:00-12:30", "2026-12-01T00:30:00.000000"),
    ("2026-11-30T12:00:00+23:59", "2026-11-29T12:01:00.000000"),
    ("2026-11-30T12:00:00.999-23:59", "2026-12-01T11:59:00.999000"),
    ("2026-11-30T00:10:00-00:30", "2026-11-30T00:40:00.000000"),
    ("2026-11-30T06:00:00.001+05:45", "2026-11-30T00:15:00.001000"),
    ("2026-03-29T03:30:00+02:00", "2026-03-29T01:30:00.000000"),
    ("2026-12-31T23:30:00.500-01:00", "2027-01-01T00:30:00.500000"),
    ("2027-01-01T00:30:00+01:00", "2026-12-31T23:30:00.000000"),
    ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999000"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000"),
    ("0001-01-01T00:30:00+01:00", "0000-12-31T23:30:00.000000"),
    ("0000-01-01T00:00:00+23:59", "-0001-12-31T00:01:00.000000"),
    ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999000"),
    ("9999-12-31T23:30:00-01:00", "+10000-01-01T00:30:00.000000"),
    ("2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000000"),
    ("2000-02-29T12:00:00+01:00", "2000-02-29T11:00:00.000000"),
    ("2023-02-29T12:00:00Z", None),  # not a leap year
    ("2100-02-29T12:00:00Z", None),
    ("2024-02-30T12:00:00Z", None),
    ("2026-04-31T00:00:00Z", None),
    ("2026-00-10T00:00:00Z", None),
    ("2026-13-10T00:00:00Z", None),
    ("2026-01-00T00:00:00Z", None),
    ("2026-01-32T00:00:00Z", None),
    ("2026-11-30T24:00:00Z", None),
    ("2026-11-30T12:60:00Z", None),
]
OTHER_TEXT = [
    ("2026-11-30t12:00:00Z", "2026-11-30T12:00:00.000000"),
    ("2026-11-30t12:00:00.250z", "2026-11-30T12:00:00.250000"),
    ("2026-11-30T12:00:00.5Z", "2026-11-30T12:00:00.500000"),
    ("2026-11-30T12:00:00.05+01:00", "2026-11-30T11:00:00.050000"),
    ("2026-11-30T12:00:00.1234Z", "2026-11-30T12:00:00.123400"),
    ("2026-11-30T12:00:00.123456-01:00", "2026-11-30T13:00:00.123456"),
    ("2026-11-30T12:00:00.1234567Z", "2026-11-30T12:00:00.123456"),  # truncated, not rounded
    ("2026-11-30T12:00:00.999999999Z", "2026-11-30T12:00:00.999999"),
    ("1969-12-31T23:59:59.9999995Z", "1969-12-31T23:59:59.999999"),
    ("2026-11-30T12:00:00.1234567891Z", None),  # more than 9 digits
    ("2026-12-31T23:59:60Z", "2027-01-01T00:00:00.000000"),  # a leap second: the next second
    ("2026-12-31T23:59:60.5Z", "2027-01-01T00:00:00.500000"),
    ("2026-11-30T12:00:60+01:00", "2026-11-30T11:01:00.000000"),
    ("2026-11-30T12:00:61Z", None),
    ("2026-11-30T12:00:00+24:00", None),
    ("2026-11-30T12:00:00-24:00", None),
    ("2026-11-30T12:00:00+23:60", None),
    ("2026-11-30T12:00:00+99:99", None),
    ("0001-01-01T00:00:00.5+00:01", "0000-12-31T23:59:00.500000"),
    (" 2026-11-30T12:00:00Z", None),
    ("2026-11-30T12:00:00Z ", None),
    ("2026-11-30T12:00:00Z\n", None),
    ("", None),
    (None, None),
    ("\uff12\uff10\uff12\uff16-11-30T12:00:00Z", None),  # full-width digits (\d matches them)
    ("2026-11-30T12:00:00.\uff11\uff12\uff13Z", None),
    ("2026-11-30T12:00:00+\uff101:00", None),
    ("2026-11-30T12:00:0\u0665Z", None),  # an Arabic-Indic digit
    ("2026-11-30T12:00:00", None),  # no offset
    ("2026-11-30T12:00:00.Z", None),
    ("2026-11-30T12:00:00+0100", None),
    ("2026-11-30T12:00:00+01", None),
    ("2026-11-30 12:00:00Z", None),
    ("1763709305000", None),
    ("yesterday", None),
    ("Z", None),
]


def convert(texts: list[str | None], *, lazy: bool) -> pl.Series:
    """``rfc3339_utc`` over a column, as pcm (eager) or rFMS (lazy) call it."""
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    query = frame.lazy() if lazy else frame
    result = query.select(utc=rfc3339_utc(pl.col("text")))
    return (result.collect() if lazy else result)["utc"]


def as_text(utc: pl.Series) -> list[str | None]:
    return utc.dt.to_string("%Y-%m-%dT%H:%M:%S%.6f").to_list()


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("cases", [COMMON_LAYOUTS, OTHER_TEXT], ids=["common", "other"])
def test_rfc3339_gives_the_utc_instant_or_null(cases, lazy):
    texts = [text for text, _ in cases]
    utc = convert(texts, lazy=lazy)
    assert utc.dtype == UTC_TIME
    assert list(zip(texts, as_text(utc), strict=True)) == cases


def test_the_cases_cover_both_routes():
    texts = pl.Series([text for text, _ in COMMON_LAYOUTS + OTHER_TEXT], dtype=pl.String)
    common = texts.str.contains(_COMMON_RFC3339).fill_null(False).to_list()
    assert common == [True] * len(COMMON_LAYOUTS) + [False] * len(OTHER_TEXT)


def generated_texts() -> list[str]:
    """Every combination of valid and invalid pieces, in and out of the common layouts."""
    dates = [
        f"{year}-{month_day}"
        for year in ["0000", "0001", "1969", "2023", "2024", "9999"]
        for month_day in ["01-01", "02-28", "02-29", "02-30", "12-31", "00-10", "13-01", "04-31"]
    ]
    separators = ["T", "t"]
    clocks = ["00:00:00", "00:30:00", "23:30:00", "23:59:59", "23:59:60", "12:00:61", "24:00:00"]
    fractions = ["", ".0", ".5", ".05", ".123", ".999", ".1234", ".123456", ".9999995"]
    fractions += [".123456789", ".1234567891"]
    offsets = ["Z", "z", "+00:00", "-00:00", "+01:00", "-01:00", "-00:30", "+05:45", "+23:59"]
    offsets += ["-23:59", "+24:00", "+23:60", "+99:99", ""]
    pieces = itertools.product(dates, separators, clocks, fractions, offsets)
    return ["".join(parts) for parts in pieces]


@pytest.mark.parametrize("lazy", [False, True])
def test_the_common_layouts_read_as_the_general_conversion_reads_them(lazy):
    texts = generated_texts()
    frame = pl.DataFrame({"text": texts})
    expected = frame.select(utc=_general_rfc3339_utc(pl.col("text")))["utc"]
    common = frame.select(pl.col("text").str.contains(_COMMON_RFC3339).sum()).item()
    assert common > 5_000  # both routes
    assert expected.is_not_null().sum() > 10_000  # mostly times
    assert_series_equal(convert(texts, lazy=lazy), expected)


def test_the_result_keeps_the_callers_column_name():
    frame = pl.DataFrame({"ts": ["2026-11-30T12:02:39Z", "2026-11-30t12:02:39Z", None]})
    replaced = frame.with_columns(rfc3339_utc(pl.col("ts")), renamed=rfc3339_utc(pl.col("ts")))
    assert replaced.columns == ["ts", "renamed"]
    assert replaced["ts"].equals(replaced["renamed"].alias("ts"))


@pytest.mark.parametrize(
    "name",
    ["rfc3339_text", "rfc3339_common", "rfc3339_local", "rfc3339_length", "rfc3339_utc", "x"],
)
def test_any_column_name_converts(name):
    frame = pl.DataFrame({name: ["2026-11-30T12:02:39.500+01:00", "2026-11-30t12:02:39Z"]})
    converted = frame.select(rfc3339_utc(pl.col(name)))
    assert converted.columns == [name]
    assert converted[name].to_list() == [
        datetime(2026, 11, 30, 11, 2, 39, 500_000, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 2, 39, tzinfo=UTC),
    ]
