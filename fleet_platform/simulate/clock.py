"""Scalar time arithmetic with ``zoneinfo``: service start times, UTC offsets, the
spring-forward gap, and the time texts of rows built one at a time (faulty rows).

Rows built in bulk convert time zones with polars (the same IANA database); the tests
hold both to ``zoneinfo``. Offsets are cached per UTC hour; an hour that contains a
transition (none does in Europe, which switches exactly at 01:00 UTC) falls back to an
exact per-second lookup, so the cache is never wrong.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = "Europe/Paris"
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MIXED = -(10**9)  # cache marker: the hour contains a transition


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` called ``name``."""
    return ZoneInfo(name)


def _exact_offset_s(tz_name: str, t_s: int) -> int:
    offset = datetime.fromtimestamp(t_s, UTC).astimezone(zone(tz_name)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@lru_cache(maxsize=200_000)
def _hour_offset_s(tz_name: str, hour: int) -> int:
    first = _exact_offset_s(tz_name, hour * 3600)
    last = _exact_offset_s(tz_name, hour * 3600 + 3599)
    return first if first == last else _MIXED


def utc_offset_s(tz_name: str, t_s: int) -> int:
    """UTC offset in seconds of zone ``tz_name`` at epoch second ``t_s``."""
    offset = _hour_offset_s(tz_name, t_s // 3600)
    return _exact_offset_s(tz_name, t_s) if offset == _MIXED else offset


@lru_cache(maxsize=4096)
def local_midnight_utc_s(tz_name: str, day: date) -> int:
    """Epoch second of 00:00 local time on ``day`` in ``tz_name`` (the earlier instant
    if it were ambiguous)."""
    local = datetime.combine(day, time(0), tzinfo=zone(tz_name))
    return int(local.timestamp())


def local_wall_to_utc_s(tz_name: str, day: date, seconds: int) -> int:
    """Epoch second of the wall-clock time ``day`` + ``seconds`` in ``tz_name``
    (``fold=0``: the earlier instant of an autumn hour)."""
    wall = datetime.combine(day, time(0)) + timedelta(seconds=seconds)
    return int(wall.replace(tzinfo=zone(tz_name)).timestamp())


@lru_cache(maxsize=8192)
def _iso_day(days: int) -> str:
    return date.fromordinal(EPOCH_ORDINAL + days).isoformat()


@lru_cache(maxsize=64)
def offset_suffix(offset_s: int) -> str:
    """``+01:00`` style suffix for an offset in seconds (``+00:00`` for zero)."""
    sign = "-" if offset_s < 0 else "+"
    hours, rest = divmod(abs(offset_s), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


@lru_cache(maxsize=100_000)
def _hour_prefix(hour: int) -> str:
    days, hh = divmod(hour, 24)
    return f"{_iso_day(days)}T{hh:02d}:"


def rfc3339_ms(t_ms: int, offset_s: int | None) -> str:
    """RFC 3339 with milliseconds: ``Z`` when ``offset_s`` is None, else local time with
    its ``±hh:mm`` offset."""
    hour, rest = divmod(t_ms + (offset_s or 0) * 1000, 3_600_000)
    mm, rest = divmod(rest, 60_000)
    ss, ms = divmod(rest, 1000)
    suffix = "Z" if offset_s is None else offset_suffix(offset_s)
    return f"{_hour_prefix(hour)}{mm:02d}:{ss:02d}.{ms:03d}{suffix}"


def rfc3339_z(t_s: int) -> str:
    """RFC 3339 in UTC with whole seconds: ``2026-11-21T08:15:02Z``."""
    days, seconds = divmod(t_s, 86_400)
    hh, rest = divmod(seconds, 3600)
    mm, ss = divmod(rest, 60)
    return f"{_iso_day(days)}T{hh:02d}:{mm:02d}:{ss:02d}Z"


def utc_datetime(t_s: float) -> datetime:
    """Tz-aware UTC datetime of an epoch second."""
    return datetime.fromtimestamp(t_s, UTC)


def day_start_s(day: date) -> int:
    """Epoch second of 00:00 UTC on ``day``."""
    return (day.toordinal() - EPOCH_ORDINAL) * 86_400


def spring_gap(day: date, tz_name: str = PARIS) -> tuple[int, int] | None:
    """Local seconds-after-midnight ``[start, end)`` of the wall-clock times that do not
    exist on ``day`` (the spring-forward hour), or None if the day has no gap."""
    before = utc_offset_s(tz_name, local_midnight_utc_s(tz_name, day))
    after = utc_offset_s(tz_name, local_midnight_utc_s(tz_name, day + timedelta(days=1)) - 1)
    if after <= before:
        return None
    start = local_midnight_utc_s(tz_name, day)
    for hour in range(24):
        t = start + hour * 3600
        if utc_offset_s(tz_name, t) != before:
            wall = t - start  # local midnight is start + before, t is seen as t + before
            return wall, wall + (after - before)
    return None
