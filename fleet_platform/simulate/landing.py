"""Simulate what the gateways land for whole days, file by file.

For each UTC landing day, each gateway shard writes one file per hour it has data
for: the file ``<source>/<YYYY-MM-DD>/<gateway>-gwNN-<YYYYMMDDTHH>.<ext>`` holds the
events received in hour ``HH`` (UTC) and is delivered 2-9 minutes after the hour
ends. A landing day therefore holds the hours from 23:00 the day before to 22:00:
every file lands in the folder of the UTC day it is delivered. Work is done one gateway
shard and day at a time (about 270,000 pcm events, a few hundred MB at most): a day is
never held in memory whole.

The returned :class:`SimulationSummary` holds exact expectations: what a correct
pipeline, run over exactly the files this call landed, reports (see
:data:`~fleet_platform.simulate.faults.INJECTED_KEYS` and :class:`SimulationSummary`).
"""

import bisect
import random
import time as timer
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import polars as pl

from fleet_platform.rules.reasons import Source
from fleet_platform.simulate.clock import day_start_s, utc_datetime
from fleet_platform.simulate.events import file_moment, seeds_frame, window_frame
from fleet_platform.simulate.faults import (
    EXTRA_FILES,
    FILE_FAULTS,
    PREVIOUS_DAY_POOL,
    FileDraft,
    ForcedQueue,
    extra_file,
    file_faults_for,
    spoil_file,
    summarise,
)
from fleet_platform.simulate.fleet import (
    DEFAULT_UNKNOWN_SHARE,
    REFERENCE_KEY,
    Bus,
    build_fleet,
    render_reference,
)
from fleet_platform.simulate.gateway import Gateway
from fleet_platform.simulate.intellibus import IntellibusGateway
from fleet_platform.simulate.pcm import PcmGateway
from fleet_platform.simulate.rfms import RfmsGateway
from fleet_platform.simulate.rows import DayState, FileRows, RowInjector
from fleet_platform.simulate.writer import LandedFile, LandingWriter

GATEWAYS: dict[Source, type[Gateway]] = {
    Source.PCM: PcmGateway,
    Source.INTELLIBUS: IntellibusGateway,
    Source.RFMS: RfmsGateway,
}
DELIVERY_DELAY_S = (120, 540)
"""A file is delivered this many seconds after the end of the hour it covers."""
MAX_FAULT_RATE = 0.2


@dataclass
class SimulationSummary:
    """What one :func:`simulate_landing` call landed, and what a pipeline must report.

    * ``files`` / ``bytes``: every object written (data, rejected, extra and marker
      files, and ``reference/vehicles.csv``).
    * ``events``: rows a correct pipeline receives: non-blank rows of accepted data
      files (the sum of ``files_daily.rows_received``); ``by_source`` splits it.
    * ``injected``: exact expected counts, one key per
      :class:`~fleet_platform.rules.reasons.FileRejection` value (rejected files) and
      :class:`~fleet_platform.rules.reasons.RowRejection` value (rejected rows), plus
      ``duplicate`` (rows with fate duplicate), ``ignored_marker`` (marker files
      ignored), ``future`` / ``before_2000`` (clean rows with that date status) and
      ``unknown_vins_events`` (clean rows with date status ok whose VIN is not in the
      reference).
    """

    files: int
    events: int
    bytes: int
    injected: dict[str, int]
    by_source: dict[str, int]


@dataclass
class _Run:
    """State of one simulation call: counters, the forced-coverage queue, landed keys."""

    writer: LandingWriter
    seed: int
    fault_rate: float
    today: date
    forced: ForcedQueue
    forced_from_hour: int
    files: int = 0
    bytes: int = 0
    expected: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    landed: set[str] = field(default_factory=set)

    def land(self, key: str, data: bytes, received_s: int) -> None:
        """Write one file through the writer and count it."""
        self.writer.write(LandedFile(key=key, data=data, received_at=utc_datetime(received_s)))
        self.landed.add(key)
        self.files += 1
        self.bytes += len(data)

    def count(self, key: str) -> None:
        """Expect one more of ``key`` (a whole file's outcome)."""
        self.expected[key] += 1


def _validate(days: Sequence[date], buses: int, fault_rate: float, today: date) -> list[date]:
    if not days:
        raise ValueError("days is empty: give at least one UTC landing date to simulate")
    if buses < 1:
        raise ValueError(f"buses must be at least 1, got {buses}")
    if not 0.0 <= fault_rate <= MAX_FAULT_RATE:
        raise ValueError(f"fault_rate must be within [0, {MAX_FAULT_RATE}], got {fault_rate}")
    ordered = sorted(set(days))
    if ordered[-1] > today + timedelta(days=1):
        raise ValueError(
            f"cannot simulate {ordered[-1]}: a date folder later than tomorrow "
            f"({today + timedelta(days=1)}, UTC) is rejected as bad_key by the contract"
        )
    return ordered


def simulate_landing(
    writer: LandingWriter,
    days: Sequence[date],
    buses: int = 9000,
    fault_rate: float = 0.001,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
    *,
    unknown_share: float = DEFAULT_UNKNOWN_SHARE,
) -> SimulationSummary:
    """Land the telemetry of ``buses`` buses for each UTC landing day in ``days`` (in
    date order), plus ``reference/vehicles.csv``, through ``writer``.

    Deterministic for given arguments, except ``date_folder_in_future`` keys, which are
    the real current UTC date plus a year. ``fault_rate`` is the share of rows given a
    row fault (see :mod:`fleet_platform.simulate.faults` for every rate); 0 lands a clean
    feed. ``progress`` receives one line per day and source.
    """
    today = datetime.now(UTC).date()
    ordered = _validate(days, buses, fault_rate, today)
    fleet = build_fleet(buses, seed, unknown_share)
    run = _Run(
        writer=writer,
        seed=seed,
        fault_rate=fault_rate,
        today=today,
        forced=ForcedQueue.for_run(GATEWAYS, enabled=fault_rate > 0),
        forced_from_hour=random.Random(f"forced:{seed}").randint(6, 12),
    )
    run.land(REFERENCE_KEY, render_reference(fleet), day_start_s(ordered[0]) - 1800)
    previous: dict[str, list[str]] = {}
    for day in ordered:
        state = DayState(day=day, previous_day_pool=previous)
        for source, gateway_type in GATEWAYS.items():
            started, files_before = timer.perf_counter(), run.files
            rows_before = run.by_source[source.value]
            far_hour = random.Random(f"far:{seed}:{source}:{day}").randint(8, 20)
            far_pending = [True]
            for shard, members in fleet.shards(source).items():
                gateway = gateway_type(shard, seed)
                _land_shard_day(run, gateway, members, state, far_hour, far_pending)
            if progress is not None:
                progress(
                    f"{day} {source.value}: {run.files - files_before} files, "
                    f"{run.by_source[source.value] - rows_before:,} rows "
                    f"({timer.perf_counter() - started:.1f} s)"
                )
        previous = {name: pool[-PREVIOUS_DAY_POOL:] for name, pool in state.same_day_pool.items()}
    return SimulationSummary(
        files=run.files,
        events=sum(run.by_source.values()),
        bytes=run.bytes,
        injected=summarise(run.expected),
        by_source={source.value: run.by_source[source.value] for source in Source},
    )


@dataclass
class _FilePlan:
    """One data file of a shard-day, decided but not landed yet."""

    draft: FileDraft
    spoiled: tuple[str, bytes, str] | None  # key, bytes, file rejection reason
    rows: FileRows | None  # None when spoiled
    extra: str | None  # extra file variant landed beside it


def _land_shard_day(
    run: _Run,
    gateway: Gateway,
    members: Sequence[Bus],
    state: DayState,
    far_hour: int,
    far_pending: list[bool],
) -> None:
    """Land one gateway shard's hourly files for one landing day.

    Rows are rendered for the whole shard-day at once (one vectorised pass for the
    regular events, one for the events described one by one), then files land in order.
    """
    window_start = day_start_s(state.day) - 3600
    events = window_frame(
        members,
        gateway.source,
        gateway.shard,
        window_start,
        window_start + 86_400,
        gateway.scheme,
        run.seed,
    )
    clean = gateway.rows(events)
    hours = events.select(file_moment(gateway.source) // 3_600_000).to_series().to_list()
    injector = RowInjector(gateway, members, run.fault_rate)
    plans: list[_FilePlan] = []
    for index in range(24):
        hour_start = window_start + index * 3600
        first = bisect.bisect_left(hours, hour_start // 3600)
        last = bisect.bisect_left(hours, hour_start // 3600 + 1)
        if first == last:
            continue
        far = far_pending[0] and index >= far_hour
        plan = _plan_file(
            run,
            gateway,
            injector,
            state,
            hour_start,
            events.slice(first, last - first),
            clean[first:last],
            far,
        )
        if far and plan.rows is not None:  # a spoiled file passes it on
            far_pending[0] = False
        plans.append(plan)
    pending = [seed for plan in plans if plan.rows for _, seed in plan.rows.pending]
    rendered = iter(gateway.rows(seeds_frame(pending)))
    for plan in plans:
        if plan.rows is not None:
            plan.rows.fill([next(rendered) for _ in plan.rows.pending])
        _land_plan(run, plan)


def _plan_file(
    run: _Run,
    gateway: Gateway,
    injector: RowInjector,
    state: DayState,
    hour_start: int,
    events: pl.DataFrame,
    clean: list[str],
    far_delayed: bool,
) -> _FilePlan:
    """Decide one data file: spoiled by a file fault, or its rows; and any extra file."""
    source = gateway.source
    file_rng = random.Random(f"file:{run.seed}:{gateway.name}:{hour_start}")
    received_s = hour_start + 3600 + file_rng.randint(*DELIVERY_DELAY_S)
    draft = FileDraft(
        gateway=gateway,
        landing_day=state.day,
        stem=f"{gateway.name}-{utc_datetime(hour_start):%Y%m%dT%H}",
        compressed=file_rng.random() < gateway.gzip_share,
        received_s=received_s,
        rows=clean,
    )
    rng = random.Random(f"faults:{run.seed}:{gateway.name}:{hour_start}")
    forced_here = hour_start >= day_start_s(state.day) + run.forced_from_hour * 3600
    spoiled = _spoil(run, draft, rng, forced_here)
    file_rows = None
    if spoiled is None:
        forced_rows = run.forced.rows.get(source, []) if forced_here else []
        file_rows, leftover = injector.build(
            events, clean, state, hour_start, received_s, forced_rows, rng, far_delayed
        )
        if forced_here:
            run.forced.rows[source] = leftover
    extra = None
    if forced_here and run.forced.extras:
        extra = run.forced.extras.pop(0)
    elif run.fault_rate > 0 and rng.random() < run.fault_rate:
        extra = rng.choice(list(EXTRA_FILES))
    return _FilePlan(draft, spoiled, file_rows, extra)


def _spoil(
    run: _Run, draft: FileDraft, rng: random.Random, forced_here: bool
) -> tuple[str, bytes, str] | None:
    """``draft`` spoiled by a file fault if one is due (forced variants first)."""
    source = draft.gateway.source
    candidates = list(run.forced.files.get(source, [])) if forced_here else []
    if not candidates and run.fault_rate > 0 and rng.random() < run.fault_rate:
        candidates = [rng.choice(file_faults_for(source))]
    for variant in candidates:
        spoiled = spoil_file(draft, variant)
        if spoiled is not None:
            if variant in run.forced.files.get(source, []):
                run.forced.files[source].remove(variant)
            return *spoiled, FILE_FAULTS[variant].reason.value
    return None


def _land_plan(run: _Run, plan: _FilePlan) -> None:
    """Land a planned file and its extra file, and count what a pipeline must report."""
    draft = plan.draft
    if plan.spoiled is not None:
        key, data, reason = plan.spoiled
        run.land(key, data, draft.received_s)
        run.count(reason)
    else:
        assert plan.rows is not None
        draft = replace(draft, rows=plan.rows.rows)
        run.land(draft.key(), draft.data(), draft.received_s)
        run.by_source[draft.gateway.source.value] += plan.rows.expected.pop("rows", 0)
        run.expected.update(plan.rows.expected)
    if plan.extra is not None:
        key, data = extra_file(draft, plan.extra, run.today)
        if key not in run.landed:  # a second _SUCCESS in one folder is not a new file
            run.land(key, data, draft.received_s)
            run.count(EXTRA_FILES[plan.extra])
