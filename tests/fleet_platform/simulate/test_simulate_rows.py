"""Building blocks of exact expectations: row placement, sampling, identity codes."""

import random
from datetime import date, timedelta

from fleet_platform.rules.reasons import Source
from fleet_platform.simulate.events import (
    IRREGULAR_CODES,
    MAX_IRREGULAR_SPAN_DAYS,
    PERIOD_S,
    EventSeed,
    irregular_time_ms,
    unset_clock_time_ms,
)
from fleet_platform.simulate.faults import FAR_DELAY_DAYS, FUTURE_AHEAD_S
from fleet_platform.simulate.fleet import build_fleet
from fleet_platform.simulate.rows import bernoulli_positions, merge_inserts


def test_merge_places_inserts_after_their_row_in_key_order():
    bus = build_fleet(3).buses[0]
    seed = EventSeed(bus, date(2026, 1, 1), 0, 0, 0, "X", False, 0.0)
    merged, pending = merge_inserts(
        ["a", "b", "c"], [(1.7, "after b"), (-0.2, "first"), (1.2, "also after b"), (2.9, seed)]
    )
    assert merged == ["first", "a", "b", "also after b", "after b", "c", ""]
    assert pending == [(6, seed)]


def test_bernoulli_positions_are_sorted_distinct_and_at_the_rate():
    rng = random.Random(1)
    picks = bernoulli_positions(rng, 1_000_000, 0.001)
    assert picks == sorted(set(picks))
    assert 900 < len(picks) < 1100
    assert bernoulli_positions(rng, 10, 0.0) == []
    assert bernoulli_positions(rng, 3, 1.0) == [0, 1, 2]


def test_irregular_times_stay_in_the_second_half_of_their_slot():
    for source, period in PERIOD_S.items():
        for day in (date(2026, 1, 1), date(2026, 7, 9)):
            t_ms = irregular_time_ms(day, source, 1_000_000)
            assert (1_000_000 + period // 2) * 1000 <= t_ms < (1_000_000 + period) * 1000


def test_irregular_codes_never_repeat_within_the_delays_the_simulator_makes():
    longest = FAR_DELAY_DAYS[1] + 1 + FUTURE_AHEAD_S[1] // 86_400 + 1
    assert longest <= MAX_IRREGULAR_SPAN_DAYS < min(IRREGULAR_CODES.values())
    start = date(2026, 1, 1)
    for source in Source:
        times = {
            irregular_time_ms(start + timedelta(days=d), source, 0)
            for d in range(MAX_IRREGULAR_SPAN_DAYS + 1)
        }
        assert len(times) == MAX_IRREGULAR_SPAN_DAYS + 1


def test_unset_clock_times_are_before_2000_and_distinct_per_landing_day():
    times = {
        unset_clock_time_ms(date(2026, 1, 1) + timedelta(days=d), s)
        for d in range(400)
        for s in range(3)
    }
    assert len(times) == 1200
    assert max(times) < 946_684_800_000  # 2000-01-01
