"""Gold KPI aggregations (fleet_platform.rules.kpis): tiny inputs, exact outputs."""

from datetime import UTC, date, datetime, timedelta

import narwhals as nw
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.rules import kpi_schema, kpis
from fleet_platform.rules.schema import BUS_EVENTS, LANDED_FILES, RAW_BUS_EVENTS

D1, D2, D3 = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
VIN_A, VIN_B, VIN_C = "VFE1BUS0000000001", "VFE1BUS0000000002", "VFE1BUS0000000003"


def frame(schema: dict[str, pl.DataType], rows: list[dict]) -> nw.LazyFrame:
    """A narwhals LazyFrame over polars with the full ``schema``; missing fields are null."""
    data = {name: [row.get(name) for row in rows] for name in schema}
    return nw.from_native(pl.DataFrame(data, schema=schema).lazy())


def run(result: nw.LazyFrame) -> pl.DataFrame:
    return result.collect().to_native()


def expect(schema: dict[str, pl.DataType], rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame({name: [row[name] for row in rows] for name in schema}, schema=schema)


def ledger_row(key: str, status: str = "accepted", **values) -> dict:
    source, ingest = key.split("/")[:2]
    return {
        "key": key,
        "file_version": "v1",
        "source": source,
        "ingest_date": date.fromisoformat(ingest),
        "partition_date": date.fromisoformat(ingest),
        "size_bytes": 100,
        "status": status,
        **values,
    }


def accepted(key: str, rejected: int, duplicate: int, clean: int, **values) -> dict:
    return ledger_row(
        key,
        rows_received=rejected + duplicate + clean,
        rows_rejected=rejected,
        rows_duplicate=duplicate,
        rows_clean=clean,
        **values,
    )


def event(
    vin: str = VIN_A,
    *,
    source: str = "pcm",
    ingest_date: date = D2,
    event_time: datetime = T0,
    delay_s: float = 10.0,
    known: bool | None = True,
    status: str = "ok",
) -> dict:
    return {
        "source": source,
        "vin": vin,
        "event_time": event_time,
        "received_time": event_time + timedelta(seconds=delay_s),
        "event_date": event_time.date(),
        "ingest_date": ingest_date,
        "event_type": "POSITION",
        "vin_known": known,
        "date_status": status,
        "delay_s": delay_s,
    }


def raw(fate: str, reason: str | None = None, *, source: str = "pcm", day: date = D2) -> dict:
    return {"source": source, "ingest_date": day, "fate": fate, "reason": reason}


# --- files_daily / rejected_files -----------------------------------------------------


LEDGER = [
    accepted("pcm/2026-11-20/a.jsonl", rejected=1, duplicate=2, clean=7),
    accepted("pcm/2026-11-20/b.jsonl", rejected=0, duplicate=0, clean=5),
    # a second version of the same key counts as another file received
    accepted("pcm/2026-11-20/b.jsonl", rejected=0, duplicate=5, clean=1, file_version="v2"),
    ledger_row("pcm/2026-11-20/c.txt", "rejected", reason="unsupported_format", detail="ext .txt"),
    ledger_row("rfms/2026-11-19/x.json", "rejected", reason="empty_file", size_bytes=0),
    accepted("intellibus/2026-11-20/y.csv", rejected=3, duplicate=0, clean=0),
    {  # bad_key: no source, no ingest_date
        "key": "other/z.bin",
        "file_version": "v1",
        "partition_date": D2,
        "size_bytes": 9,
        "status": "rejected",
        "reason": "bad_key",
        "detail": "unknown source folder",
    },
]


def test_files_daily_counts_every_version_and_rejected_files_add_no_rows():
    result = run(kpis.files_daily(frame(LANDED_FILES, LEDGER)))

    expected = expect(
        kpi_schema.FILES_DAILY,
        [
            dict(ingest_date=D2, source="intellibus", files_received=1, files_rejected=0,
                 rows_received=3, rows_rejected=3, rows_duplicate=0, rows_clean=0),
            dict(ingest_date=D1, source="rfms", files_received=1, files_rejected=1,
                 rows_received=0, rows_rejected=0, rows_duplicate=0, rows_clean=0),
            dict(ingest_date=D2, source="pcm", files_received=4, files_rejected=1,
                 rows_received=21, rows_rejected=1, rows_duplicate=7, rows_clean=13),
        ],
    ).sort("ingest_date", "source")  # fmt: skip
    assert_frame_equal(result, expected)
    invariant = result["rows_rejected"] + result["rows_duplicate"] + result["rows_clean"]
    assert (result["rows_received"] == invariant).all()


def test_files_daily_ignores_row_counts_on_a_rejected_file():
    # a rejected ledger row that (wrongly) carries counts still contributes no rows
    row = ledger_row("pcm/2026-11-20/c.txt", "rejected", rows_received=4, rows_clean=4)
    result = run(kpis.files_daily(frame(LANDED_FILES, [row])))
    assert result.row(0, named=True) == dict(
        ingest_date=D2, source="pcm", files_received=1, files_rejected=1,
        rows_received=0, rows_rejected=0, rows_duplicate=0, rows_clean=0,
    )  # fmt: skip


def test_rejected_files_keeps_bad_key_files_with_null_source_and_date():
    result = run(kpis.rejected_files(frame(LANDED_FILES, LEDGER)))

    expected = expect(
        kpi_schema.REJECTED_FILES,
        [
            dict(key="other/z.bin", source=None, ingest_date=None, reason="bad_key",
                 detail="unknown source folder", size_bytes=9, file_version="v1",
                 partition_date=D2),
            dict(key="pcm/2026-11-20/c.txt", source="pcm", ingest_date=D2,
                 reason="unsupported_format", detail="ext .txt", size_bytes=100,
                 file_version="v1", partition_date=D2),
            dict(key="rfms/2026-11-19/x.json", source="rfms", ingest_date=D1,
                 reason="empty_file", detail=None, size_bytes=0, file_version="v1",
                 partition_date=D1),
        ],
    )  # fmt: skip
    assert_frame_equal(result, expected)


# --- rejected_rows_daily / non_standard_dates_daily -----------------------------------


BRONZE = [
    raw("clean"),
    raw("duplicate"),
    raw("rejected", "invalid_vin"),
    raw("rejected", "invalid_vin"),
    raw("rejected", "unparseable_time"),
    raw("rejected", "unparseable_time", source="intellibus", day=D1),
    raw("rejected", "malformed_row", source="rfms", day=D3),
]


def test_rejected_rows_daily_counts_rejected_rows_by_reason():
    result = run(kpis.rejected_rows_daily(frame(RAW_BUS_EVENTS, BRONZE)))

    expected = expect(
        kpi_schema.REJECTED_ROWS_DAILY,
        [
            dict(ingest_date=D1, source="intellibus", reason="unparseable_time", rows=1),
            dict(ingest_date=D2, source="pcm", reason="invalid_vin", rows=2),
            dict(ingest_date=D2, source="pcm", reason="unparseable_time", rows=1),
            dict(ingest_date=D3, source="rfms", reason="malformed_row", rows=1),
        ],
    )
    assert_frame_equal(result, expected)


def test_non_standard_dates_daily_merges_unparseable_rows_and_odd_clean_dates():
    silver = [
        event(status="ok"),
        event(status="future"),
        event(status="future"),
        event(status="before_2000", event_time=datetime(1999, 1, 1, tzinfo=UTC)),
        event(status="future", source="rfms", ingest_date=D3),
    ]
    result = run(
        kpis.non_standard_dates_daily(frame(RAW_BUS_EVENTS, BRONZE), frame(BUS_EVENTS, silver))
    )

    expected = expect(
        kpi_schema.NON_STANDARD_DATES_DAILY,
        [
            dict(ingest_date=D1, source="intellibus", status="unparseable", rows=1),
            dict(ingest_date=D2, source="pcm", status="before_2000", rows=1),
            dict(ingest_date=D2, source="pcm", status="future", rows=2),
            dict(ingest_date=D2, source="pcm", status="unparseable", rows=1),
            dict(ingest_date=D3, source="rfms", status="future", rows=1),
        ],
    )
    assert_frame_equal(result, expected)


# --- event_delays_daily ---------------------------------------------------------------


def test_event_delays_daily_interpolates_percentiles_linearly():
    delays = [0.0, 10.0, 20.0, 30.0, 100.0]
    silver = [event(delay_s=d) for d in delays]
    silver.append(event(delay_s=1e9, status="future"))  # not date-ok: left out
    silver.append(event(source="rfms", delay_s=7.5))  # a one-event group

    result = run(kpis.event_delays_daily(frame(BUS_EVENTS, silver)))

    # ranks over 5 values: p50 -> 20; p90 -> index 3.6 -> 30 + 0.6 * 70 = 72;
    # p99 -> index 3.96 -> 30 + 0.96 * 70 = 97.2
    expected = expect(
        kpi_schema.EVENT_DELAYS_DAILY,
        [
            dict(ingest_date=D2, source="pcm", events=5, p50_s=20.0, p90_s=72.0,
                 p99_s=97.2, max_s=100.0, over_1h=0, over_24h=0),
            dict(ingest_date=D2, source="rfms", events=1, p50_s=7.5, p90_s=7.5,
                 p99_s=7.5, max_s=7.5, over_1h=0, over_24h=0),
        ],
    )  # fmt: skip
    assert_frame_equal(result, expected)


def test_event_delays_daily_thresholds_are_strictly_greater_than():
    delays = [3600.0, 3600.5, 86400.0, 86400.001]
    result = run(kpis.event_delays_daily(frame(BUS_EVENTS, [event(delay_s=d) for d in delays])))
    row = result.row(0, named=True)
    # 3600 is not over an hour; 86400 is over an hour but not over a day
    assert (row["events"], row["over_1h"], row["over_24h"]) == (4, 3, 1)
    assert row["max_s"] == 86400.001


def test_event_delays_daily_ignores_null_delays_in_statistics_but_counts_the_event():
    silver = [event(delay_s=5.0), {**event(), "delay_s": None}]
    row = run(kpis.event_delays_daily(frame(BUS_EVENTS, silver))).row(0, named=True)
    assert row == dict(ingest_date=D2, source="pcm", events=2, p50_s=5.0, p90_s=5.0,
                       p99_s=5.0, max_s=5.0, over_1h=0, over_24h=0)  # fmt: skip


# --- vin_days and the event-date KPIs ---------------------------------------------------


SILVER = [
    # VIN A, known: two pcm events on D2 landed D2, one landed a day late (D3)
    event(VIN_A, event_time=T0),
    event(VIN_A, event_time=T0 + timedelta(hours=2)),
    event(VIN_A, event_time=T0 + timedelta(hours=1), ingest_date=D3),
    # VIN B, unknown: pcm and rfms on D2, intellibus on D3; null vin_known = unknown
    event(VIN_B, known=False, event_time=T0 + timedelta(minutes=5)),
    event(VIN_B, known=None, source="rfms", event_time=T0 + timedelta(minutes=1)),
    event(VIN_B, known=False, source="intellibus", event_time=T0 + timedelta(days=1)),
    # VIN C, unknown, only rfms
    event(VIN_C, known=False, source="rfms", event_time=T0 - timedelta(hours=3)),
    # not date-ok: left out of every event-date KPI
    event(VIN_C, known=False, status="future", event_time=T0 + timedelta(days=30)),
]


def vin_day_rows() -> nw.LazyFrame:
    return kpis.vin_days(frame(BUS_EVENTS, SILVER))


def test_vin_days_one_row_per_ingest_date_event_date_source_vin():
    result = run(vin_day_rows())
    h, m = timedelta(hours=1), timedelta(minutes=1)
    expected = expect(
        kpi_schema.VIN_DAYS,
        [
            dict(ingest_date=D2, event_date=D2, source="pcm", vin=VIN_A, vin_known=True,
                 events=2, first_event_time=T0, last_event_time=T0 + 2 * h),
            dict(ingest_date=D2, event_date=D2, source="pcm", vin=VIN_B, vin_known=False,
                 events=1, first_event_time=T0 + 5 * m, last_event_time=T0 + 5 * m),
            dict(ingest_date=D2, event_date=D2, source="rfms", vin=VIN_B, vin_known=False,
                 events=1, first_event_time=T0 + m, last_event_time=T0 + m),
            dict(ingest_date=D2, event_date=D2, source="rfms", vin=VIN_C, vin_known=False,
                 events=1, first_event_time=T0 - 3 * h, last_event_time=T0 - 3 * h),
            dict(ingest_date=D2, event_date=D3, source="intellibus", vin=VIN_B, vin_known=False,
                 events=1, first_event_time=T0 + 24 * h, last_event_time=T0 + 24 * h),
            dict(ingest_date=D3, event_date=D2, source="pcm", vin=VIN_A, vin_known=True,
                 events=1, first_event_time=T0 + h, last_event_time=T0 + h),
        ],
    )  # fmt: skip
    assert_frame_equal(result, expected)


def test_events_daily_sums_across_ingest_dates():
    result = run(kpis.events_daily(vin_day_rows()))
    expected = expect(
        kpi_schema.EVENTS_DAILY,
        [
            dict(event_date=D2, source="pcm", events=4),
            dict(event_date=D2, source="rfms", events=2),
            dict(event_date=D3, source="intellibus", events=1),
        ],
    )
    assert_frame_equal(result, expected)


def test_vins_daily_counts_each_vin_once_across_sources_and_ingest_dates():
    result = run(kpis.vins_daily(vin_day_rows()))
    expected = expect(
        kpi_schema.VINS_DAILY,
        [
            dict(event_date=D2, unique_vins=3, unique_known_vins=1, unique_unknown_vins=2),
            dict(event_date=D3, unique_vins=1, unique_known_vins=0, unique_unknown_vins=1),
        ],
    )
    assert_frame_equal(result, expected)


def test_vins_daily_rolls_up_from_any_subset_of_vin_days():
    subset = vin_day_rows().filter(nw.col("event_date") == D3)
    assert run(kpis.vins_daily(subset)).rows() == [(D3, 1, 0, 1)]


def test_unknown_vins_daily_counts_events_and_distinct_unknown_vins():
    extra = event(VIN_B, known=False, ingest_date=D3, event_time=T0 + timedelta(minutes=7))
    result = run(kpis.unknown_vins_daily(kpis.vin_days(frame(BUS_EVENTS, [*SILVER, extra]))))
    expected = expect(
        kpi_schema.UNKNOWN_VINS_DAILY,
        [
            dict(event_date=D2, source="pcm", events=2, distinct_vins=1),
            dict(event_date=D2, source="rfms", events=2, distinct_vins=2),
            dict(event_date=D3, source="intellibus", events=1, distinct_vins=1),
        ],
    )
    assert_frame_equal(result, expected)


def test_unknown_vins_lists_sorted_distinct_sources():
    result = run(kpis.unknown_vins(vin_day_rows()))
    expected = expect(
        kpi_schema.UNKNOWN_VINS,
        [
            dict(vin=VIN_B, first_seen=T0 + timedelta(minutes=1),
                 last_seen=T0 + timedelta(days=1), events=3,
                 sources=["intellibus", "pcm", "rfms"]),
            dict(vin=VIN_C, first_seen=T0 - timedelta(hours=3),
                 last_seen=T0 - timedelta(hours=3), events=1, sources=["rfms"]),
        ],
    )  # fmt: skip
    assert_frame_equal(result, expected)


# --- empty inputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "schema"),
    [
        (lambda: kpis.files_daily(frame(LANDED_FILES, [])), kpi_schema.FILES_DAILY),
        (lambda: kpis.rejected_files(frame(LANDED_FILES, [])), kpi_schema.REJECTED_FILES),
        (
            lambda: kpis.rejected_rows_daily(frame(RAW_BUS_EVENTS, [])),
            kpi_schema.REJECTED_ROWS_DAILY,
        ),
        (
            lambda: kpis.non_standard_dates_daily(frame(RAW_BUS_EVENTS, []), frame(BUS_EVENTS, [])),
            kpi_schema.NON_STANDARD_DATES_DAILY,
        ),
        (lambda: kpis.event_delays_daily(frame(BUS_EVENTS, [])), kpi_schema.EVENT_DELAYS_DAILY),
        (lambda: kpis.vin_days(frame(BUS_EVENTS, [])), kpi_schema.VIN_DAYS),
        (lambda: kpis.events_daily(kpis.vin_days(frame(BUS_EVENTS, []))), kpi_schema.EVENTS_DAILY),
        (lambda: kpis.vins_daily(kpis.vin_days(frame(BUS_EVENTS, []))), kpi_schema.VINS_DAILY),
        (
            lambda: kpis.unknown_vins_daily(kpis.vin_days(frame(BUS_EVENTS, []))),
            kpi_schema.UNKNOWN_VINS_DAILY,
        ),
        (lambda: kpis.unknown_vins(kpis.vin_days(frame(BUS_EVENTS, []))), kpi_schema.UNKNOWN_VINS),
    ],
)
def test_empty_input_gives_an_empty_table_with_the_gold_schema(build, schema):
    result = run(build())
    assert result.height == 0
    assert result.schema == pl.Schema(schema)


# --- processing_usage_daily -------------------------------------------------------------


def runs(rows: list[tuple[str, str, datetime, datetime | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=kpi_schema.PROCESSING_RUNS, orient="row")


def test_processing_usage_daily_sums_minutes_per_start_date_and_profile():
    start = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    result = kpis.processing_usage_daily(
        runs(
            [
                # starts on the 20th, ends on the 21st: counted on the 20th
                ("r1", "small", start, start + timedelta(minutes=2)),
                ("r2", "small", start, start + timedelta(seconds=1)),  # 0.01666.. min
                ("r3", "spark", start, start + timedelta(minutes=10)),
                ("r4", "small", start + timedelta(minutes=5), start + timedelta(minutes=6)),
                ("r5", "small", start, None),  # still running: not counted yet
            ]
        ),
        {"small": 0.5, "spark": 2.0, "unused": 9.0},
    )
    expected = expect(
        kpi_schema.PROCESSING_USAGE_DAILY,
        [
            dict(date=D2, compute_profile="small", runs=2, minutes=2.017, cost_eur=1.0085),
            dict(date=D2, compute_profile="spark", runs=1, minutes=10.0, cost_eur=20.0),
            dict(date=D3, compute_profile="small", runs=1, minutes=1.0, cost_eur=0.5),
        ],
    )
    assert_frame_equal(result, expected)


def test_processing_usage_daily_names_a_profile_without_a_price():
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    frame_ = runs([("r1", "gpu", start, start + timedelta(minutes=1))])
    with pytest.raises(ValueError, match="'gpu'"):
        kpis.processing_usage_daily(frame_, {"small": 0.5})


def test_processing_usage_daily_of_no_runs_is_empty():
    result = kpis.processing_usage_daily(runs([]), {})
    assert result.height == 0
    assert result.schema == pl.Schema(kpi_schema.PROCESSING_USAGE_DAILY)
