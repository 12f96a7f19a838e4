"""The rows of one accepted data file: regular events with faults, duplicates, late,
future and pre-2000 events and blank lines mixed in, and the exact counts a correct
pipeline reports for them (rates: :mod:`fleet_platform.simulate.faults`)."""

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from fleet_platform.rules.reasons import RowRejection, Source
from fleet_platform.simulate.events import (
    EventSeed,
    irregular_event,
    unset_clock_event,
    unset_clock_time_ms,
)
from fleet_platform.simulate.faults import (
    BEFORE_2000,
    DELAYED_SHARE,
    DUPLICATE,
    FAR_DELAY_DAYS,
    FUTURE,
    FUTURE_AHEAD_S,
    ON_EVENT,
    POOL_SAMPLE_PER_FILE,
    UNKNOWN_VIN_EVENTS,
)
from fleet_platform.simulate.fleet import Bus
from fleet_platform.simulate.gateway import BLANK, Gateway


def bernoulli_positions(rng: random.Random, n: int, p: float) -> list[int]:
    """Positions in ``range(n)`` each picked independently with probability ``p``
    (geometric skipping: cost proportional to the number picked)."""
    if p <= 0 or n <= 0:
        return []
    if p >= 1:
        return list(range(n))
    positions, i, log_q = [], -1, math.log1p(-p)
    while True:
        i += 1 + int(math.log(1.0 - rng.random()) / log_q)
        if i >= n:
            return positions
        positions.append(i)


@dataclass
class DayState:
    """What the rows of one landing day share across files: originals for duplicates,
    irregular slots already used, unset-clock counters."""

    day: date
    same_day_pool: dict[str, list[str]] = field(default_factory=dict)  # by gateway name
    previous_day_pool: dict[str, list[str]] = field(default_factory=dict)
    taken_slots: set[tuple[str, date, int]] = field(default_factory=set)
    unset_clock_sequence: Counter[str] = field(default_factory=Counter)


@dataclass
class FileRows:
    """The rows of one accepted file and what a correct pipeline must report for them.

    Rows of events described one by one are rendered later, for a whole shard-day at
    once (vectorised): ``pending`` holds their positions in ``rows`` (empty until then).
    """

    rows: list[str]
    expected: Counter[str]  # row-level INJECTED_KEYS, plus "rows" (non-blank rows)
    pending: list[tuple[int, EventSeed]]

    def fill(self, rendered: Sequence[str]) -> None:
        """Put the rendered rows of ``pending`` (same order) in place."""
        for (position, _), row in zip(self.pending, rendered, strict=True):
            self.rows[position] = row
        self.pending = []


@dataclass
class _Inserted:
    """Rows inserted into a file (not made from its regular events): ready rows and
    events still to be rendered, each with its sort key."""

    rows: list[tuple[float, str]] = field(default_factory=list)
    seeds: list[tuple[float, EventSeed]] = field(default_factory=list)


def merge_inserts(
    rows: list[str], inserts: list[tuple[float, str | EventSeed]]
) -> tuple[list[str], list[tuple[int, EventSeed]]]:
    """``rows`` with ``inserts`` placed: an insert keyed ``k`` goes right after row
    ``floor(k)`` (before the first row when ``k < 0``), inserts in key order. Events
    still to be rendered leave an empty placeholder, listed in the second result."""
    merged: list[str] = []
    pending: list[tuple[int, EventSeed]] = []
    start = 0
    for key, item in sorted(inserts, key=lambda pair: pair[0]):
        position = min(len(rows), max(0, math.floor(key) + 1))
        merged.extend(rows[start:position])
        start = position
        if isinstance(item, str):
            merged.append(item)
        else:
            pending.append((len(merged), item))
            merged.append("")
    merged.extend(rows[start:])
    return merged, pending


class RowInjector:
    """Builds the rows of one accepted file: regular events, with faults, duplicates,
    late, future and pre-2000 events and blank lines mixed in at the run's rates."""

    def __init__(self, gateway: Gateway, buses: Sequence[Bus], fault_rate: float) -> None:
        self.gateway = gateway
        self.buses = buses
        self.rate = fault_rate
        reasons: dict[RowRejection, list[str]] = {}
        for variant, reason in gateway.row_faults.items():
            reasons.setdefault(reason, []).append(variant)
        self.variants_by_reason = reasons

    def _random_fault(self, rng: random.Random, day: date) -> str:
        reason = rng.choice(list(self.variants_by_reason))
        options = [
            v for v in self.variants_by_reason[reason] if self.gateway.fault_available(v, day)
        ]
        return rng.choice(options)

    def _roles(
        self,
        n: int,
        forced: list[str],
        state: DayState,
        rng: random.Random,
    ) -> tuple[dict[int, str], list[str], list[str]]:
        """Which regular events get replaced or re-sent (each at most one role), which
        rows are inserted, which forced variants must wait for another file."""
        gateway, day, rate = self.gateway, state.day, self.rate
        pool = state.same_day_pool.get(gateway.name, [])
        previous = state.previous_day_pool.get(gateway.name, [])
        on_event = [v for v in forced if v in gateway.row_faults or v in ON_EVENT]
        # Forced variants take at most half of the file's events.
        free = rng.sample(range(n), min((n + 1) // 2, len(on_event))) if on_event else []
        roles: dict[int, str] = {}
        leftover: list[str] = []
        inserted: list[str] = []
        for variant in forced:
            if variant in gateway.row_faults and not gateway.fault_available(variant, day):
                leftover.append(variant)
            elif variant in on_event:
                if free:
                    roles[free.pop()] = variant
                else:
                    leftover.append(variant)
            elif (variant == "dup_earlier_file" and not pool) or (
                variant == "dup_previous_day" and not previous
            ):
                leftover.append(variant)
            else:
                inserted.append(variant)
        for role, p in (("fault", rate), ("dirty_vin", rate), ("dup_same_file", rate / 2)):
            for i in bernoulli_positions(rng, n, p):
                if i not in roles:
                    roles[i] = self._random_fault(rng, day) if role == "fault" else role
        for role, p in (
            ("dup_earlier_file", rate / 4),
            ("dup_previous_day", rate / 4),
            ("future_event", rate / 10),
            ("before_2000_event", rate / 10),
            ("blank_line", rate if gateway.line_based else 0.0),
            ("delayed_event", DELAYED_SHARE),
        ):
            inserted += [role] * len(bernoulli_positions(rng, n, p))
        return roles, inserted, leftover

    def build(
        self,
        events: pl.DataFrame,
        clean: list[str],
        state: DayState,
        hour_start_s: int,
        received_s: int,
        forced: list[str],
        rng: random.Random,
        far_delayed: bool,
    ) -> tuple[FileRows, list[str]]:
        """Rows for the file's regular ``events`` (``clean``: their healthy rows, in
        order); ``forced`` variants are placed if they can be. Returns the rows and the
        forced variants left over."""
        gateway, day, n = self.gateway, state.day, len(clean)
        expected: Counter[str] = Counter()
        roles, inserted_kinds, leftover = self._roles(n, forced, state, rng)
        if far_delayed:
            inserted_kinds.append("far_delayed_event")
        unknown = set(events["known"].not_().arg_true().to_list())

        rows = list(clean)
        after: list[tuple[float, str | EventSeed]] = []  # (sort key, row): see merge_inserts
        for i, role in roles.items():
            if role in gateway.row_faults:
                event = events.row(i, named=True)
                rows[i] = gateway.faulty_row(clean[i], event, role, rng, day)
                expected[gateway.row_faults[role].value] += 1
            elif role == "dirty_vin":
                rows[i] = gateway.dirty_row(clean[i], events["vin"][i], rng)
            else:  # dup_same_file: the original stays, a copy follows it
                after.append((rng.randint(i, n - 1) + rng.random(), clean[i]))
                expected[DUPLICATE] += 1
        faulted = sum(1 for i, role in roles.items() if role in gateway.row_faults and i in unknown)
        expected[UNKNOWN_VIN_EVENTS] += len(unknown) - faulted

        inserted = _Inserted()
        for kind in inserted_kinds:
            self._insert(kind, state, hour_start_s, received_s, rng, expected, inserted, n)
        merged, pending = merge_inserts(rows, [*after, *inserted.rows, *inserted.seeds])
        blanks = sum(1 for _, row in inserted.rows if row is BLANK)
        expected["rows"] += len(merged) - blanks
        self._keep_originals(state, clean, roles, rng)
        return FileRows(merged, expected, pending), leftover

    def _keep_originals(
        self, state: DayState, clean: list[str], roles: dict[int, str], rng: random.Random
    ) -> None:
        """Keep a few untouched clean rows as originals for later duplicates."""
        pool = state.same_day_pool.setdefault(self.gateway.name, [])
        wanted = min(POOL_SAMPLE_PER_FILE, len(clean) - len(roles))
        chosen: set[int] = set()
        while len(chosen) < wanted:
            i = rng.randrange(len(clean))
            if i not in roles and i not in chosen:
                chosen.add(i)
                pool.append(clean[i])

    def _insert(
        self,
        kind: str,
        state: DayState,
        hour_start_s: int,
        received_s: int,
        rng: random.Random,
        expected: Counter[str],
        inserted: _Inserted,
        n: int,
    ) -> None:
        """Plan one inserted row of ``kind`` (nothing when there is no original to
        re-send)."""
        gateway = self.gateway
        key = rng.uniform(-0.5, n)
        if kind == "blank_line":
            inserted.rows.append((key, BLANK))
            return
        if kind in ("dup_earlier_file", "dup_previous_day"):
            pools = state.same_day_pool if kind == "dup_earlier_file" else state.previous_day_pool
            originals = pools.get(gateway.name, [])
            if originals:
                expected[DUPLICATE] += 1
                inserted.rows.append((key, originals.pop(rng.randrange(len(originals)))))
            return
        bus = rng.choice(self.buses)
        recv_ms = (hour_start_s + rng.randrange(3600)) * 1000 + rng.randrange(1000)
        # The received time the contract compares with: the row's, or (intellibus) the file's.
        reference_s = received_s if gateway.source == Source.INTELLIBUS else recv_ms // 1000
        if kind == "before_2000_event":
            sequence = state.unset_clock_sequence[bus.vin]
            state.unset_clock_sequence[bus.vin] += 1
            t_ms = unset_clock_time_ms(state.day, sequence)
            expected[BEFORE_2000] += 1
            seed = unset_clock_event(bus, gateway.scheme, t_ms, recv_ms, rng.random())
            inserted.seeds.append((key, seed))
            return
        if kind == "future_event":
            target_s = reference_s + rng.randint(*FUTURE_AHEAD_S)
            expected[FUTURE] += 1
        else:
            if kind == "far_delayed_event":
                delay_s = rng.randint(FAR_DELAY_DAYS[0] * 86400, FAR_DELAY_DAYS[1] * 86400)
            elif rng.random() < 0.75:
                delay_s = rng.randint(3600, 12 * 3600)
            else:
                delay_s = rng.randint(86400, 7 * 86400)
            target_s = reference_s - delay_s
            if not bus.known:
                expected[UNKNOWN_VIN_EVENTS] += 1
        seed = irregular_event(
            bus,
            gateway.source,
            gateway.scheme,
            state.day,
            target_s,
            recv_ms,
            kind == "future_event",
            state.taken_slots,
            rng,
        )
        inserted.seeds.append((key, seed))
