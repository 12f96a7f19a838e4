"""Per-bus telemetry: when each bus reports, and what it measures.

Event rates (per bus, while in service; 40 / 30 / 30 % of buses per gateway):

==============  ===============================  ==================  ====================
gateway         one event every                  events / bus / day  9,000 buses / day
==============  ===============================  ==================  ====================
``pcm``         120 s (:data:`PCM_PERIOD_S`)        ~540             3,600 buses ≈ 1.94 M
``intellibus``  300 s (:data:`INTELLIBUS_PERIOD_S`) ~216             2,700 buses ≈ 0.58 M
``rfms``        600 s (:data:`RFMS_PERIOD_S`)       ~108             2,700 buses ≈ 0.29 M
==============  ===============================  ==================  ====================

That is ≈ 2.8 M events a day for 9,000 buses, in one file per gateway shard (500
buses) and hour: ≈ 450 files a day. Each bus is in service every day from 05:00 to
23:00 local time (its operator's time zone), each bus starting and ending up to 20
minutes off (:data:`~fleet_platform.simulate.fleet.SERVICE_START_S`,
:data:`~fleet_platform.simulate.fleet.SERVICE_END_S`,
:data:`~fleet_platform.simulate.fleet.SERVICE_JITTER_S`). The first event of a service
day is an ignition-on, the last an ignition-off. Receive lags: :data:`RECEIVE_LAG_MS`.

**Event identities never collide by accident.** A bus's service day is cut into
slots of its gateway's period. A regular event lies in the first half of its slot
(random second, and for pcm random millisecond); the second half is reserved for
irregular events (delayed, future), placed at an offset that encodes their landing
day (:func:`irregular_time_ms`), so two of them can only meet if their landing days are
:data:`IRREGULAR_CODES` apart, more than any delay the simulator makes. Pre-2000
events from an unset clock get 1970 times that also encode the landing day
(:func:`unset_clock_time_ms`). So every (source, vin, event_time, event_type) is unique
unless the simulator re-sends a row on purpose.

Measurements are functions of (bus, service day, seconds into service): the odometer,
fuel and engine hours only grow, a late event carries the values of its own time.

Regular events are generated a shard and a day at a time as a polars frame
(:func:`window_frame`, columns :data:`EVENT_SCHEMA`), from a seeded
``random.Random`` byte stream: deterministic per (seed, source, shard, service day),
whichever landing day asks. The few irregular events are described one by one
(:class:`EventSeed`) and go through the same vectorised formulas (:func:`seeds_frame`).
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import polars as pl
import pyarrow as pa

from fleet_platform.rules.reasons import Source
from fleet_platform.simulate.clock import EPOCH_ORDINAL, local_wall_to_utc_s
from fleet_platform.simulate.fleet import (
    Bus,
)

PCM_PERIOD_S = 120
INTELLIBUS_PERIOD_S = 300
RFMS_PERIOD_S = 600
PERIOD_S: dict[Source, int] = {
    Source.PCM: PCM_PERIOD_S,
    Source.INTELLIBUS: INTELLIBUS_PERIOD_S,
    Source.RFMS: RFMS_PERIOD_S,
}
MILLISECOND_TIMES: dict[Source, bool] = {
    Source.PCM: True,
    Source.INTELLIBUS: False,
    Source.RFMS: False,
}
"""Whether a source's event times carry milliseconds (pcm) or whole seconds."""
RECEIVE_LAG_MS: dict[Source, tuple[int, int]] = {
    Source.PCM: (150, 20_000),
    Source.INTELLIBUS: (0, 0),  # intellibus rows have no receive time: the file's counts
    Source.RFMS: (1_000, 90_000),
}
"""Gateway receive lag after the event, uniform in ``[low, high]`` milliseconds."""
GPS_LOSS_SHARE = 0.003
"""Share of events without a position (tunnel, depot)."""
IRREGULAR_CODES: dict[Source, int] = {
    source: (period // 2) * (1000 if MILLISECOND_TIMES[source] else 1)
    for source, period in PERIOD_S.items()
}
"""Distinct landing-day codes in the second half of a slot: 60,000 / 150 / 300."""
MAX_IRREGULAR_SPAN_DAYS = 145
"""Landing days of irregular events for one slot are never further apart than this
(delays up to 140 days, future events up to a day ahead): below every source's
:data:`IRREGULAR_CODES`, so their codes differ."""
ROUTE_PERIOD_S = 3 * 3600
ENGINE_SHARE = 0.92
"""Share of service time the engine runs."""
REFERENCE_DAY = date(2026, 1, 1)
"""Measurements are anchored here: a bus's base odometer is its value on this day."""
UNSET_CLOCK_CODES = 10_000
"""1970 minutes used to encode the landing day of unset-clock events (27 years)."""

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "tz": pl.String(),
    "ts_style": pl.String(),
    "line": pl.String(),
    "energy": pl.String(),
    "known": pl.Boolean(),
    "t_ms": pl.Int64(),
    "recv_ms": pl.Int64(),
    "kind": pl.String(),
    "odometer_km": pl.Float64(),
    "speed_kmh": pl.Float64(),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "soc_pct": pl.Float64(),
    "fuel_l": pl.Float64(),
    "engine_h": pl.Float64(),
}
"""One event per row: the bus's attributes a gateway needs, times (epoch ms UTC), the
event type in the gateway's vocabulary, and the measurements."""


@dataclass(frozen=True)
class TypeScheme:
    """A gateway's event types: the first and last of a service day, and the weighted
    types in between (``moving`` types carry a speed, the others report 0)."""

    first: str
    last: str
    middle: tuple[tuple[str, float, bool], ...]

    def cumulative(self) -> list[tuple[float, str, bool]]:
        """Cumulative weights for drawing a middle type with one uniform number."""
        total = sum(weight for _, weight, _ in self.middle)
        running, table = 0.0, []
        for name, weight, moving in self.middle:
            running += weight / total
            table.append((running, name, moving))
        return table

    def draw(self, uniform: float) -> tuple[str, bool]:
        """The middle type (and whether it moves) for a uniform number in [0, 1)."""
        table = self.cumulative()
        for threshold, name, moving in table:
            if uniform < threshold:
                return name, moving
        return table[-1][1], table[-1][2]

    def expressions(self, uniform: pl.Expr, k: pl.Expr, count: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """Vectorised :meth:`draw`, with the first and last slot of a day overridden:
        ``(kind, moving)``."""
        table = self.cumulative()
        kind = pl.when(k == 0).then(pl.lit(self.first)).when(k == count - 1).then(pl.lit(self.last))
        moving = pl.when((k == 0) | (k == count - 1)).then(pl.lit(False))
        for threshold, name, is_moving in table[:-1]:
            kind = kind.when(uniform < threshold).then(pl.lit(name))
            moving = moving.when(uniform < threshold).then(pl.lit(is_moving))
        return kind.otherwise(pl.lit(table[-1][1])), moving.otherwise(pl.lit(table[-1][2]))


def utc_date(t_s: int) -> date:
    """UTC calendar date of epoch second ``t_s``."""
    return date.fromordinal(EPOCH_ORDINAL + t_s // 86_400)


def service_start_utc_s(bus: Bus, day: date) -> int:
    """Epoch second when ``bus`` starts service on local day ``day``."""
    return local_wall_to_utc_s(bus.operator.tz, day, bus.service_start_s)


def slot_count(bus: Bus, source: Source) -> int:
    """Slots (regular events) in one service day of ``bus``."""
    return (bus.service_end_s - bus.service_start_s) // PERIOD_S[source]


def _bus_days(buses: Sequence[Bus], days: Sequence[date], source: Source | None) -> pl.DataFrame:
    """One row per (bus, service day): the constants the measurement formulas need."""
    rows = []
    for bus, day in zip(buses, days, strict=True):
        length = bus.service_end_s - bus.service_start_s
        offset = (day - REFERENCE_DAY).days
        rows.append(
            (
                bus.vin,
                bus.operator.tz,
                bus.pcm_ts_style,
                bus.line,
                bus.energy,
                bus.known,
                service_start_utc_s(bus, day),
                length,
                slot_count(bus, source) if source else 0,
                bus.odometer_base_km + bus.km_per_day * offset,
                bus.km_per_day / length,
                bus.engine_hours_base + offset * length * ENGINE_SHARE / 3600,
                bus.operator.lat,
                bus.operator.lon,
                bus.route_lat_km / 111.0,
                bus.route_lon_km / 74.0,
                bus.route_phase,
                bus.litres_per_km,
            )
        )
    return pl.DataFrame(rows, schema=_BUS_DAY_SCHEMA, orient="row")


_BUS_DAY_SCHEMA: dict[str, pl.DataType] = {
    "vin": pl.String(),
    "tz": pl.String(),
    "ts_style": pl.String(),
    "line": pl.String(),
    "energy": pl.String(),
    "known": pl.Boolean(),
    "start_s": pl.Int64(),
    "length_s": pl.Int64(),
    "count": pl.Int64(),
    "odometer0": pl.Float64(),
    "km_per_s": pl.Float64(),
    "engine0": pl.Float64(),
    "lat0": pl.Float64(),
    "lon0": pl.Float64(),
    "lat_amp": pl.Float64(),
    "lon_amp": pl.Float64(),
    "phase": pl.Float64(),
    "litres_per_km": pl.Float64(),
}


def _measured(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the measurements to a frame of bus-day constants plus ``measured_ms`` (when
    the sensors were read), ``moving`` and ``roll`` (uniform, varies speed and GPS
    loss); keep :data:`EVENT_SCHEMA`'s columns."""
    into = (pl.col("measured_ms") / 1000 - pl.col("start_s")).clip(0.0, pl.col("length_s"))
    odometer = (pl.col("odometer0") + pl.col("km_per_s") * into).clip(lower_bound=0.0)
    angle = pl.col("phase") + into * (2 * math.pi / ROUTE_PERIOD_S)
    has_gps = pl.col("roll") >= GPS_LOSS_SHARE
    electric = pl.col("energy") == "electric"
    soc = (96.0 - 68.0 * into / pl.col("length_s") - 4.0 * pl.col("roll")).clip(lower_bound=5.0)
    return frame.select(
        *(pl.col(name) for name in ("vin", "tz", "ts_style", "line", "energy", "known")),
        "t_ms",
        "recv_ms",
        "kind",
        odometer_km=odometer,
        speed_kmh=pl.when(pl.col("moving")).then(8.0 + 47.0 * pl.col("roll")).otherwise(0.0),
        lat=pl.when(has_gps).then(pl.col("lat0") + pl.col("lat_amp") * angle.sin()),
        lon=pl.when(has_gps).then(pl.col("lon0") + pl.col("lon_amp") * (angle * 0.7).cos()),
        soc_pct=pl.when(electric).then(soc),
        fuel_l=pl.when(~electric).then(odometer * pl.col("litres_per_km")),
        engine_h=(pl.col("engine0") + into * (ENGINE_SHARE / 3600)).clip(lower_bound=0.0),
    ).cast(EVENT_SCHEMA)  # type: ignore[arg-type]


def _uniforms(rng: random.Random, n: int, names: Sequence[str]) -> pl.DataFrame:
    """``len(names)`` columns of ``n`` uniform numbers in [0, 1) from ``rng``'s bytes."""
    width = len(names)
    raw = rng.randbytes(8 * n * width)
    words = pl.from_arrow(pa.Array.from_buffers(pa.uint64(), n * width, [None, pa.py_buffer(raw)]))
    assert isinstance(words, pl.Series)
    uniform = (words // 2048).cast(pl.Float64) * 2.0**-53
    return pl.DataFrame({name: uniform.slice(i * n, n) for i, name in enumerate(names)})


def service_day_frame(
    buses: Sequence[Bus], source: Source, shard: int, day: date, scheme: TypeScheme, seed: int
) -> pl.DataFrame:
    """Every regular event of ``buses`` (one gateway shard) on local service day ``day``,
    bus by bus in time order (:data:`EVENT_SCHEMA`)."""
    period = PERIOD_S[source]
    low, high = RECEIVE_LAG_MS[source]
    slots = (
        _bus_days(buses, [day] * len(buses), source)
        .with_columns(k=pl.int_ranges(0, pl.col("count")))
        .explode("k")
    )
    rng = random.Random(f"events:{seed}:{source}:{shard}:{day.isoformat()}")
    uniforms = _uniforms(rng, slots.height, ("u_jitter", "u_ms", "u_lag", "roll", "u_kind"))
    ms = 1000 if MILLISECOND_TIMES[source] else 0
    t_ms = (
        pl.col("start_s") + pl.col("k") * period + (pl.col("u_jitter") * (period // 2)).floor()
    ).cast(pl.Int64) * 1000 + (pl.col("u_ms") * ms).floor().cast(pl.Int64)
    kind, moving = scheme.expressions(pl.col("u_kind"), pl.col("k"), pl.col("count"))
    frame = pl.concat([slots, uniforms], how="horizontal").with_columns(
        t_ms=t_ms, kind=kind, moving=moving
    )
    frame = frame.with_columns(
        measured_ms=pl.col("t_ms"),
        recv_ms=pl.col("t_ms") + low + (pl.col("u_lag") * (high - low + 1)).floor().cast(pl.Int64),
    )
    return _measured(frame)


def file_moment(source: Source) -> pl.Expr:
    """The time that puts an event in an hourly file: its receive time (pcm, rfms) or
    its event time (intellibus, whose rows carry no receive time)."""
    return pl.col("t_ms") if source == Source.INTELLIBUS else pl.col("recv_ms")


def window_frame(
    buses: Sequence[Bus],
    source: Source,
    shard: int,
    window_start_s: int,
    window_end_s: int,
    scheme: TypeScheme,
    seed: int,
) -> pl.DataFrame:
    """Regular events of one shard whose :func:`file_moment` lies in
    ``[window_start_s, window_end_s)``, in that order."""
    frames = []
    day = utc_date(window_start_s) - timedelta(days=1)
    margin_s = RECEIVE_LAG_MS[source][1] // 1000 + 1
    while day <= utc_date(window_end_s):
        overlaps = any(
            service_start_utc_s(bus, day) < window_end_s
            and service_start_utc_s(bus, day) + bus.service_end_s - bus.service_start_s + margin_s
            >= window_start_s
            for bus in buses
        )
        if overlaps:
            frames.append(service_day_frame(buses, source, shard, day, scheme, seed))
        day += timedelta(days=1)
    if not frames:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    moment = file_moment(source)
    return (
        pl.concat(frames)
        .filter((moment >= window_start_s * 1000) & (moment < window_end_s * 1000))
        .sort(moment, "vin")
    )


class EventSeed(NamedTuple):
    """An event described one at a time (delayed, future, unset clock): its bus and
    service day, times, type, and ``roll`` (as in :func:`service_day_frame`)."""

    bus: Bus
    day: date
    t_ms: int
    recv_ms: int
    measured_ms: int  # when the sensors were read (differs from t_ms for a wrong clock)
    kind: str
    moving: bool
    roll: float


def seeds_frame(seeds: Sequence[EventSeed]) -> pl.DataFrame:
    """The events of ``seeds`` as a frame (:data:`EVENT_SCHEMA`), measured by the same
    formulas as regular events."""
    if not seeds:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    constants = _bus_days([s.bus for s in seeds], [s.day for s in seeds], None)
    times = pl.DataFrame(
        [(s.t_ms, s.recv_ms, s.measured_ms, s.kind, s.moving, s.roll) for s in seeds],
        schema={
            "t_ms": pl.Int64(),
            "recv_ms": pl.Int64(),
            "measured_ms": pl.Int64(),
            "kind": pl.String(),
            "moving": pl.Boolean(),
            "roll": pl.Float64(),
        },
        orient="row",
    )
    return _measured(pl.concat([constants, times], how="horizontal"))


def _slot_day_and_index(bus: Bus, source: Source, t_s: int, after: bool) -> tuple[date, int]:
    """The service slot of ``bus`` nearest to ``t_s``: the first starting at or after it
    (``after``) or the last starting at or before it."""
    period = PERIOD_S[source]
    count = slot_count(bus, source)
    day = utc_date(t_s) + timedelta(days=-1 if after else 1)
    step = timedelta(days=1 if after else -1)
    for _ in range(5):
        start = service_start_utc_s(bus, day)
        if after:
            if t_s <= start + (count - 1) * period:
                return day, max(0, -(-(t_s - start) // period))
        elif t_s >= start:
            return day, min(count - 1, (t_s - start) // period)
        day += step
    raise AssertionError(f"no service slot near {t_s} for {bus.vin}")


def irregular_time_ms(landing_day: date, source: Source, slot_start_s: int) -> int:
    """Event time of an irregular (delayed or future) event in the slot starting at
    ``slot_start_s``: second half of the slot, offset by the landing day's code."""
    half = PERIOD_S[source] // 2
    code = landing_day.toordinal() % IRREGULAR_CODES[source]
    if MILLISECOND_TIMES[source]:
        return (slot_start_s + half) * 1000 + code
    return (slot_start_s + half + code) * 1000


def irregular_event(
    bus: Bus,
    source: Source,
    scheme: TypeScheme,
    landing_day: date,
    target_s: int,
    recv_ms: int,
    after: bool,
    taken: set[tuple[str, date, int]],
    rng: random.Random,
) -> EventSeed:
    """A delayed (``after=False``: at or before ``target_s``) or future (``after=True``)
    event of ``bus`` in a slot not yet used by another irregular event of this landing
    day (``taken`` is updated)."""
    day, k = _slot_day_and_index(bus, source, target_s, after)
    count = slot_count(bus, source)
    while (bus.vin, day, k) in taken:
        k += 1 if after else -1
        if not 0 <= k < count:
            day, k = (day + timedelta(days=1), 0) if after else (day - timedelta(days=1), count - 1)
    taken.add((bus.vin, day, k))
    slot_start = service_start_utc_s(bus, day) + k * PERIOD_S[source]
    t_ms = irregular_time_ms(landing_day, source, slot_start)
    kind, moving = scheme.draw(rng.random())
    return EventSeed(bus, day, t_ms, recv_ms, t_ms, kind, moving, rng.random())


def unset_clock_time_ms(landing_day: date, sequence: int) -> int:
    """Event time of the ``sequence``-th (< 60) unset-clock event of one bus on
    ``landing_day``: a 1970 time whose minute encodes the landing day."""
    if not 0 <= sequence < 60:
        raise ValueError("at most 60 unset-clock events per bus and landing day")
    return ((landing_day.toordinal() % UNSET_CLOCK_CODES) * 60 + sequence) * 1000


def unset_clock_event(
    bus: Bus, scheme: TypeScheme, t_ms: int, recv_ms: int, roll: float
) -> EventSeed:
    """An event at ``t_ms`` (an unset clock's 1970 time) whose measurements are those of
    its receive time: the clock is wrong, the sensors are not."""
    return EventSeed(
        bus, utc_date(recv_ms // 1000), t_ms, recv_ms, recv_ms, scheme.first, False, roll
    )
