"""Checks of the gold tables: each passes on good rows and fails, in words and numbers, on
broken ones; rows outside the partition (or outside the 14/120-day view) don't count."""

from datetime import date, timedelta

import dagster as dg
import polars as pl
import pytest
from checks_harness import DAY, Warehouse, failed, meta

from fleet_platform.check_settings import CheckSettings
from fleet_platform.kpis.checks import (
    EVENT_DELAYS,
    EVENTS_DAILY,
    FILES_DAILY,
    KEY_COLUMNS,
    NON_STANDARD_DATES,
    UNKNOWN_VINS_DAILY,
    build_keys_unique_checks,
    build_non_standard_date_share,
    build_p99_delay,
    build_rejected_file_share,
    build_unknown_vin_share,
    rows_conserved,
)
from fleet_platform.kpis.tables import GOLD_TABLES, VIN_DAYS, Scope

DEFAULTS = CheckSettings()
FILES_DAILY_KEY = dg.AssetKey(["gold", "files_daily"])
WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR


def files_row(day: date, source: str, files: int, rejected: int, counts: tuple[int, ...]):
    received, rows_rejected, duplicate, clean = counts
    return {
        "ingest_date": day,
        "source": source,
        "files_received": files,
        "files_rejected": rejected,
        "rows_received": received,
        "rows_rejected": rows_rejected,
        "rows_duplicate": duplicate,
        "rows_clean": clean,
    }


def files_checks():
    return [rows_conserved, build_rejected_file_share(DEFAULTS.max_rejected_file_share)]


def test_files_daily_checks_pass_on_conserved_rows_and_few_rejected_files(warehouse: Warehouse):
    warehouse.write(
        FILES_DAILY,
        [
            files_row(DAY, "pcm", 40, 1, (100, 5, 5, 90)),
            files_row(DAY, "rfms", 10, 0, (50, 0, 0, 50)),
            # another day, broken: not this partition's business
            files_row(DAY - timedelta(days=1), "pcm", 10, 9, (100, 0, 0, 1)),
        ],
    )
    results = warehouse.run(files_checks())
    conserved = results["gold/files_daily:rows_conserved"]
    assert conserved.passed and meta(conserved, "rows_checked") == 2
    share = results["gold/files_daily:rejected_file_share"]
    assert share.passed and meta(share, "files_rejected") == 1
    assert meta(share, "files_received") == 50
    assert meta(share, "share") == pytest.approx(0.02)


def test_files_daily_checks_fail_on_lost_rows_and_many_rejected_files(warehouse: Warehouse):
    warehouse.write(
        FILES_DAILY,
        [
            files_row(DAY, "pcm", 20, 2, (100, 5, 5, 80)),  # 10 rows unaccounted
            files_row(DAY, "intellibus", 20, 1, (10, 0, 0, 10)),
        ],
    )
    results = warehouse.run(files_checks())
    conserved = results["gold/files_daily:rows_conserved"]
    words = failed(conserved)
    assert conserved.severity == ERROR
    assert "on 1 of 2 rows rows_received differs" in words and "by 10 rows" in words
    assert meta(conserved, "rows_broken") == 1 and meta(conserved, "row_gap") == 10
    assert "source=pcm" in meta(conserved, "examples")

    share = results["gold/files_daily:rejected_file_share"]
    words = failed(share)
    assert share.severity == WARN
    assert "3 of 40 files received on 2026-11-20 were rejected (7.5%; limit 5.0%)" in words
    assert "pcm 2/20" in words and "intellibus 1/20" in words
    assert meta(share, "share") == pytest.approx(0.075)
    assert meta(share, "by_source") == {"intellibus": "1/20", "pcm": "2/20"}


def fourteen_days_received(per_day: int) -> list[dict]:
    return [
        files_row(DAY - timedelta(days=n), "pcm", 1, 0, (per_day, 0, 0, per_day))
        for n in range(20)  # 6 days more than the view: they must not count
    ]


def odd(day: date, status: str, rows: int) -> dict:
    return {"ingest_date": day, "source": "pcm", "status": status, "rows": rows}


def test_non_standard_dates_pass_below_one_percent_over_14_days(warehouse: Warehouse):
    warehouse.write(FILES_DAILY, fourteen_days_received(1000))
    warehouse.write(
        NON_STANDARD_DATES,
        [odd(DAY, "unparseable", 100), odd(DAY - timedelta(days=14), "future", 5000)],
    )
    check = build_non_standard_date_share(DEFAULTS.max_non_standard_date_share)
    result = warehouse.run([check])["gold/non_standard_dates_daily:non_standard_date_share_14d"]
    assert result.passed, result.description
    assert meta(result, "rows_received") == 14_000 and meta(result, "rows_non_standard") == 100
    assert (
        meta(result, "window_start") == "2026-11-07" and meta(result, "window_end") == "2026-11-20"
    )


def test_non_standard_dates_fail_above_one_percent_over_14_days(warehouse: Warehouse):
    warehouse.write(FILES_DAILY, fourteen_days_received(1000))
    warehouse.write(
        NON_STANDARD_DATES,
        [
            odd(DAY, "unparseable", 50),
            odd(DAY - timedelta(days=5), "future", 100),
            odd(DAY - timedelta(days=13), "before_2000", 4),
            odd(DAY - timedelta(days=20), "before_2000", 900),  # outside the view
        ],
    )
    check = build_non_standard_date_share(DEFAULTS.max_non_standard_date_share)
    result = warehouse.run([check])["gold/non_standard_dates_daily:non_standard_date_share_14d"]
    words = failed(result)
    assert result.severity == WARN
    assert "154 of 14000 rows received 2026-11-07 to 2026-11-20" in words
    assert "(1.10%; limit 1.0%)" in words and "50 unparseable, 100 future, 4 before_2000" in words
    assert meta(result, "rows_future") == 100 and meta(result, "rows_before_2000") == 4
    assert meta(result, "share") == pytest.approx(154 / 14_000)


def test_unknown_vin_share_of_the_partitions_event_date(warehouse: Warehouse):
    warehouse.write(
        EVENTS_DAILY,
        [
            {"event_date": DAY, "source": "pcm", "events": 900},
            {"event_date": DAY, "source": "rfms", "events": 100},
        ],
    )
    unknown = [
        {"event_date": DAY, "source": "pcm", "events": 10, "distinct_vins": 1},
        {"event_date": DAY - timedelta(days=1), "source": "pcm", "events": 500, "distinct_vins": 9},
    ]
    warehouse.write(UNKNOWN_VINS_DAILY, unknown)
    check = build_unknown_vin_share(DEFAULTS.max_unknown_vin_share)
    result = warehouse.run([check])["gold/unknown_vins_daily:unknown_vin_share"]
    assert result.passed and meta(result, "share") == pytest.approx(0.01)

    unknown.append({"event_date": DAY, "source": "rfms", "events": 20, "distinct_vins": 3})
    warehouse.write(UNKNOWN_VINS_DAILY, unknown)
    result = warehouse.run([check])["gold/unknown_vins_daily:unknown_vin_share"]
    words = failed(result)
    assert result.severity == WARN
    assert "30 of 1000 events of 2026-11-20 come from VINs not in the reference" in words
    assert "(3.00%; limit 2.0%)" in words
    assert meta(result, "unknown_events") == 30 and meta(result, "events") == 1000
    assert meta(result, "by_source")["rfms"] == {"events": 20, "distinct_vins": 3}


def delays(day: date, source: str, p99_hours: float) -> dict:
    return {"ingest_date": day, "source": source, "events": 100, "p99_s": p99_hours * 3600}


P99 = "gold/event_delays_daily:p99_delay"


def p99_check():
    return build_p99_delay(DEFAULTS.max_daily_p99_delay_hours, DEFAULTS.max_p99_delay_120d_hours)


def test_p99_delay_passes_with_one_old_slow_day_and_reports_the_120_day_view(
    warehouse: Warehouse,
):
    warehouse.write(
        EVENT_DELAYS,
        [
            delays(DAY, "pcm", 1),
            delays(DAY, "rfms", 2),
            delays(DAY - timedelta(days=100), "pcm", 10),  # over 6 h, under 24 h
            delays(DAY - timedelta(days=120), "pcm", 50),  # outside the 120 days
        ],
    )
    result = warehouse.run([p99_check()])[P99]
    assert result.passed, result.description
    assert meta(result, "p99_hours_on_day") == {"pcm": 1.0, "rfms": 2.0}
    assert meta(result, "max_daily_p99_120d_hours") == 10.0
    assert meta(result, "days_over_daily_limit_120d") == 1
    assert meta(result, "window_start") == "2026-07-24"


def test_p99_delay_fails_when_a_source_is_late_on_the_day(warehouse: Warehouse):
    warehouse.write(EVENT_DELAYS, [delays(DAY, "pcm", 1), delays(DAY, "rfms", 7)])
    result = warehouse.run([p99_check()])[P99]
    words = failed(result)
    assert result.severity == WARN
    assert "on 2026-11-20 the p99 delay of rfms is 7.0 h (limit 6 h)" in words
    assert "1 of the 1 days with events were over 6 h" in words


def test_p99_delay_fails_when_a_day_in_120_days_was_over_24_hours(warehouse: Warehouse):
    warehouse.write(
        EVENT_DELAYS,
        [delays(DAY, "pcm", 1), delays(DAY - timedelta(days=119), "intellibus", 30)],
    )
    result = warehouse.run([p99_check()])[P99]
    words = failed(result)
    assert "the largest daily p99 delay is 30.0 h (intellibus on 2026-07-24; limit 24 h)" in words
    assert meta(result, "max_daily_p99_120d_at") == "intellibus on 2026-07-24"
    assert meta(result, "days_over_daily_limit_120d") == 1


# --- keys_unique on every gold table ----------------------------------------------------

SPECS = {spec.table.path: spec for spec in (VIN_DAYS, *GOLD_TABLES)}


def key_rows(path: str, duplicate: bool) -> list[dict]:
    """Two rows on the partition's day; same key when ``duplicate``, else the last key
    column differs."""
    schema = SPECS[path].table.schema
    keys = KEY_COLUMNS[path]
    base = {}
    for name in keys:
        base[name] = DAY if schema[name] == pl.Date() else "a"
    if SPECS[path].day_column not in keys:
        base[SPECS[path].day_column] = DAY  # rejected_files: partition_date
    other = dict(base)
    last = keys[-1]
    other[last] = (
        base[last] if duplicate else (DAY - timedelta(days=1) if base[last] == DAY else "b")
    )
    return [base, other]


def test_keys_unique_on_every_gold_table(warehouse: Warehouse):
    checks = build_keys_unique_checks()
    assert {k.asset_key.to_user_string() for c in checks for k in c.check_keys} == set(SPECS)
    for path, spec in SPECS.items():
        warehouse.write(spec.table, key_rows(path, duplicate=False))
    for path, result in warehouse.run(checks).items():
        assert result.passed, (path, result.description)
        assert meta(result, "rows") == 2

    for path, spec in SPECS.items():
        warehouse.write(spec.table, key_rows(path, duplicate=True))
    results = warehouse.run(checks)
    for path, spec in SPECS.items():
        result = results[f"{path}:keys_unique"]
        words = failed(result)
        assert result.severity == ERROR
        assert f"1 values of ({', '.join(KEY_COLUMNS[path])}) occur more than once (2 rows)" in (
            words
        )
        where = f"{path} on 2026-11-20" if spec.scope is Scope.INGEST_DAY else f"{path}:"
        assert where in words
        assert meta(result, "duplicate_keys") == 1 and meta(result, "duplicate_rows") == 2


def test_keys_unique_counts_null_keys_and_reads_only_the_partition(warehouse: Warehouse):
    (check,) = [
        c
        for c in build_keys_unique_checks()
        if dg.AssetCheckKey(FILES_DAILY_KEY, "keys_unique") in c.check_keys
    ]
    yesterday = DAY - timedelta(days=1)
    warehouse.write(
        FILES_DAILY,
        [
            {"ingest_date": DAY, "source": None},
            {"ingest_date": yesterday, "source": "pcm"},
            {"ingest_date": yesterday, "source": "pcm"},
        ],
    )
    result = warehouse.run([check])["gold/files_daily:keys_unique"]
    assert "1 rows have a null in (ingest_date, source) of 1 rows" in failed(result)
    assert meta(result, "null_keys") == 1 and meta(result, "duplicate_keys") == 0
