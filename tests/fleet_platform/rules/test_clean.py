"""The rules every source shares (contracts/fleet.md, "What every input becomes"): rejection
precedence, VIN normalisation, date_status, delay_s, event_id and duplicates."""

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from fleet_platform.rules.clean import classify, first_distinct
from fleet_platform.rules.intellibus import parse_intellibus
from fleet_platform.rules.pcm import parse_pcm
from fleet_platform.rules.rfms import parse_rfms
from fleet_platform.rules.schema import FILE_COLUMNS, PARSED_ROWS

VIN = "VFE1BUS0000000001"
T0 = datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)
RECV = datetime(2026, 11, 21, 7, 15, 5, tzinfo=UTC)


def parsed(**values: object) -> dict[str, object]:
    """One valid parsed row; ``values`` override."""
    row: dict[str, object] = dict.fromkeys(PARSED_ROWS)
    row.update(
        row_number=1,
        raw="raw",
        malformed=False,
        missing=False,
        time_ok=True,
        vin=VIN,
        event_type="POSITION",
        event_time=T0,
        received_time=RECV,
    )
    row.update(values)
    return row


def batch(*files: list[dict[str, object]], source: str = "pcm") -> pl.DataFrame:
    """Files in processing order (file_seq 0, 1, …), rows numbered in file order."""
    frames = []
    for seq, rows in enumerate(files):
        numbered = [{**row, "row_number": number} for number, row in enumerate(rows, 1)]
        frames.append(
            pl.DataFrame(numbered, schema=PARSED_ROWS, orient="row").with_columns(
                source=pl.lit(source),
                ingest_date=pl.lit(date(2026, 11, 21)),
                source_file=pl.lit(f"{source}/2026-11-21/f{seq}"),
                file_version=pl.lit("v1"),
                file_seq=pl.lit(seq, pl.Int32),
            )
        )
    if not frames:
        return pl.DataFrame(schema={**PARSED_ROWS, **FILE_COLUMNS, "file_seq": pl.Int32()})
    return pl.concat(frames)


def run(
    rows: pl.DataFrame,
    known: Sequence[str] = (),
    kept_ids: Sequence[str] = (),
    eager: bool = False,
) -> pl.DataFrame:
    """Classify ``rows``, handed over lazily (as the Spark parity test does) or, ``eager``,
    as a DataFrame (as the polars engine does)."""
    return classify(
        rows if eager else rows.lazy(),
        pl.LazyFrame({"vin": list(known)}, schema={"vin": pl.String}),
        pl.LazyFrame({"event_id": list(kept_ids)}, schema={"event_id": pl.String}),
    ).collect()


def expected_id(source: str, vin: str, event_time: str, event_type: str) -> str:
    """SHA-256 of source, VIN, event time in epoch microseconds and type, joined by U+001F."""
    since_epoch = datetime.fromisoformat(event_time) - datetime(1970, 1, 1, tzinfo=UTC)
    micros = since_epoch // timedelta(microseconds=1)
    text = "\x1f".join((source, vin, str(micros), event_type))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- rejection reasons and their order ---------------------------------------------------


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({}, None),
        ({"malformed": True}, "malformed_row"),
        ({"missing": True}, "missing_field"),
        ({"vin": "VFE1BUS000000001"}, "invalid_vin"),
        ({"time_ok": False, "event_time": None}, "unparseable_time"),
        ({"malformed": True, "missing": True, "vin": "x", "time_ok": False}, "malformed_row"),
        ({"missing": True, "vin": "x", "time_ok": False}, "missing_field"),
        ({"vin": "x", "time_ok": False}, "invalid_vin"),
    ],
)
def test_a_row_takes_the_first_reason_that_applies(values, reason):
    out = run(batch([parsed(**values)]))
    assert out.select("reason", "fate").row(0) == (
        reason,
        "clean" if reason is None else "rejected",
    )


@pytest.mark.parametrize(
    ("vin", "normalised"),
    [
        (VIN, VIN),
        ("vfe1bus0000000001", VIN),
        ("  VFE1bus0000000001\t", VIN),
        ("12345678901234567", "12345678901234567"),
        ("ABCDEFGHJKLMNPRST", "ABCDEFGHJKLMNPRST"),
        ("uvwxyz00000000000", "UVWXYZ00000000000"),
    ],
)
def test_a_valid_vin_is_kept_trimmed_and_upper_cased(vin, normalised):
    out = run(batch([parsed(vin=vin)]))
    assert out.select("fate", "vin").row(0) == ("clean", normalised)


@pytest.mark.parametrize(
    "vin",
    [
        "VFE1BUS000000000I",  # I, O and Q never appear in a VIN
        "VFE1BUS000000000O",
        "VFE1BUS000000000Q",
        "vfe1bus000000000o",
        "VFE1BUS000000001",  # 16
        "VFE1BUS00000000001",  # 18
        "VFE1BUS 000000001",
        "VFE1BUS-000000001",
        "VFE1BUS00000000É1",
    ],
)
def test_an_invalid_vin_is_rejected_and_kept_as_landed(vin):
    out = run(batch([parsed(vin=vin)]))
    assert out.select("fate", "reason", "vin", "event_id").row(0) == (
        "rejected",
        "invalid_vin",
        vin,
        None,
    )


# --- date_status and delay_s ------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_time", "received_time", "status"),
    [
        (RECV, RECV, "ok"),
        (RECV + timedelta(minutes=5), RECV, "ok"),  # exactly the tolerance
        (RECV + timedelta(minutes=5, microseconds=1), RECV, "future"),
        (RECV - timedelta(days=400), RECV, "ok"),
        (datetime(2000, 1, 1, tzinfo=UTC), RECV, "ok"),
        (datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), RECV, "before_2000"),
        (datetime(1970, 1, 1, tzinfo=UTC), RECV, "before_2000"),
        (  # both: future is checked first
            datetime(1999, 1, 1, tzinfo=UTC),
            datetime(1998, 1, 1, tzinfo=UTC),
            "future",
        ),
    ],
)
def test_date_status(event_time, received_time, status):
    out = run(batch([parsed(event_time=event_time, received_time=received_time)]))
    assert out.select("fate", "date_status").row(0) == ("clean", status)


@pytest.mark.parametrize(
    ("event_time", "delay_s"),
    [
        (RECV - timedelta(seconds=3), 3.0),
        (RECV - timedelta(milliseconds=1500), 1.5),
        (RECV - timedelta(microseconds=1), 0.000001),
        (RECV - timedelta(days=2), 172800.0),
        (RECV + timedelta(minutes=10), -600.0),
    ],
)
def test_delay_is_received_minus_event_time_in_seconds(event_time, delay_s):
    out = run(batch([parsed(event_time=event_time)]))
    assert out["delay_s"].to_list() == [delay_s]


def test_event_date_is_the_utc_date_of_event_time():
    late = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    out = run(batch([parsed(event_time=late, received_time=late)]))
    assert out["event_date"].to_list() == [date(2026, 11, 21)]


def test_vin_known_compares_the_normalised_vin():
    rows = batch([parsed(vin=" vfe1bus0000000001", event_type="A"), parsed(vin="B" * 17)])
    out = run(rows, known=[VIN, VIN])
    assert out.select("vin", "vin_known").rows() == [(VIN, True), ("B" * 17, False)]


# --- event_id ------------------------------------------------------------------------------


def test_event_id_is_a_hash_of_source_vin_utc_event_time_and_type():
    t = datetime(2026, 11, 21, 7, 15, 2, 123456, tzinfo=UTC)
    out = run(batch([parsed(event_time=t, vin="vfe1bus0000000001 ")], source="intellibus"))
    assert out["event_id"].to_list() == [
        expected_id("intellibus", VIN, "2026-11-21T07:15:02.123456Z", "POSITION")
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"vin": "VFE1BUS0000000002"},
        {"event_time": T0 + timedelta(microseconds=1)},
        {"event_type": "position"},
        {"event_type": "POSITION "},
    ],
    ids=str,
)
def test_event_id_differs_when_an_identity_field_differs(change):
    out = run(batch([parsed(), parsed(**change)]))
    first, second = out["event_id"].to_list()
    assert first != second
    assert out["fate"].to_list() == ["clean", "clean"]


def test_event_id_differs_between_sources():
    pcm = run(batch([parsed()], source="pcm"))["event_id"].item()
    rfms = run(batch([parsed()], source="rfms"))["event_id"].item()
    assert pcm != rfms


def test_measurements_and_received_time_are_not_part_of_the_identity():
    other = parsed(received_time=RECV + timedelta(hours=1), odometer_km=5.0, raw="other")
    out = run(batch([parsed(), other]))
    assert out["event_id"].n_unique() == 1
    assert out["fate"].to_list() == ["clean", "duplicate"]


def test_the_same_identity_written_differently_gives_one_event_id():
    # Three pcm spellings of one event: offset, Z, epoch ms; VIN in other case and padded.
    text = "\n".join(
        [
            '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T08:15:02+01:00","recv_ts":1795245305000,"type":"POSITION"}',
            '{"vin":" vfe1bus0000000001 ","ts":"2026-11-21T07:15:02.000Z","recv_ts":1795245305000,"type":"POSITION","odo_km":1}',
            '{"vin":"VFE1bus0000000001","ts":1795245302000,"recv_ts":1795245399000,"type":"POSITION"}',
        ]
    )
    out = run(batch(parse_pcm(text).to_dicts()))
    assert (
        out["event_id"].to_list()
        == [expected_id("pcm", VIN, "2026-11-21T07:15:02.000000Z", "POSITION")] * 3
    )
    assert out["fate"].to_list() == ["clean", "duplicate", "duplicate"]


def test_the_same_instant_from_paris_local_time_and_rfc3339_gives_the_same_time_part():
    csv = f"VIN;DATE;HEURE;CODE;VALEUR;UNITE\n{VIN};21/11/2026;08:15:02;POSITION;;\n"
    rfms = (
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"VFE1BUS0000000001",'
        '"triggerType":{"triggerType":"POSITION"},"createdDateTime":"2026-11-21T07:15:02Z",'
        '"receivedDateTime":"2026-11-21T07:15:05Z"}]}}'
    )
    intellibus_id = run(batch(parse_intellibus(csv, RECV).to_dicts(), source="intellibus"))
    rfms_id = run(batch(parse_rfms(rfms).to_dicts(), source="rfms"))
    assert intellibus_id["event_id"].to_list() == [
        expected_id("intellibus", VIN, "2026-11-21T07:15:02.000000Z", "POSITION")
    ]
    assert rfms_id["event_id"].to_list() == [
        expected_id("rfms", VIN, "2026-11-21T07:15:02.000000Z", "POSITION")
    ]


# --- duplicates ------------------------------------------------------------------------------


def test_duplicates_within_a_file_the_first_row_wins():
    rows = batch([parsed(raw="a"), parsed(raw="b", event_type="OTHER"), parsed(raw="c")])
    out = run(rows)
    assert out.select("row_number", "fate").rows() == [(1, "clean"), (2, "clean"), (3, "duplicate")]


@pytest.mark.parametrize("eager", [False, True], ids=["lazy", "eager"])
def test_duplicates_across_files_follow_processing_order(eager):
    # file_seq decides, whatever order the rows arrive in.
    rows = batch([parsed(raw="first file")], [parsed(raw="second file")])
    out = run(rows.reverse(), eager=eager)
    assert out.select("file_seq", "fate").rows() == [(0, "clean"), (1, "duplicate")]


@pytest.mark.parametrize("eager", [False, True], ids=["lazy", "eager"])
def test_rows_out_of_order_within_a_file_are_put_in_order(eager):
    rows = batch([parsed(raw="a"), parsed(raw="b", event_type="OTHER"), parsed(raw="c")])
    out = run(rows.reverse(), eager=eager)
    assert out.select("row_number", "fate").rows() == [(1, "clean"), (2, "clean"), (3, "duplicate")]


def test_an_event_kept_earlier_makes_every_occurrence_a_duplicate():
    earlier = run(batch([parsed()]))["event_id"].item()
    out = run(batch([parsed()], [parsed()]), kept_ids=[earlier])
    assert out["fate"].to_list() == ["duplicate", "duplicate"]


def test_kept_ids_of_other_events_change_nothing():
    other = expected_id("pcm", VIN, "2026-11-21T07:15:03.000000Z", "POSITION")
    assert run(batch([parsed()]), kept_ids=[other])["fate"].to_list() == ["clean"]


def test_rejected_rows_never_count_as_duplicates_nor_hide_one():
    # same identity as the clean row, but rejected for another reason first
    rows = batch(
        [
            parsed(malformed=True, raw="malformed first"),
            parsed(missing=True, raw="missing"),
            parsed(raw="kept"),
            parsed(raw="kept again"),
            parsed(time_ok=False, raw="bad time"),
        ]
    )
    out = run(rows)
    assert out.select("fate", "reason").rows() == [
        ("rejected", "malformed_row"),
        ("rejected", "missing_field"),
        ("clean", None),
        ("duplicate", None),
        ("rejected", "unparseable_time"),
    ]


def test_future_and_before_2000_rows_are_kept_and_deduplicated_like_any_other():
    old = datetime(1999, 6, 1, tzinfo=UTC)
    rows = batch([parsed(event_time=old), parsed(event_time=old)])
    assert run(rows).select("fate", "date_status").rows() == [
        ("clean", "before_2000"),
        ("duplicate", "before_2000"),
    ]


def test_an_empty_batch_classifies_to_nothing():
    assert run(batch()).height == 0


def test_rows_already_in_order_classify_as_when_sorted_first():
    rows = batch(
        [parsed(raw="a"), parsed(raw="b", event_type="OTHER"), parsed(raw="c")],
        [parsed(raw="d"), parsed(raw="e", vin="x")],
    )
    assert run(rows, eager=True).equals(run(rows.reverse(), eager=True))
    assert run(rows, eager=True)["fate"].to_list() == [
        "clean",
        "clean",
        "duplicate",
        "duplicate",
        "rejected",
    ]


@pytest.fixture
def colliding_hashes(monkeypatch):
    """Every id hashes to 0: polars compares ids by their 64-bit hashes first, so this
    leaves every decision to the exact comparison of the strings."""

    def constant(self, *args, **kwargs):
        return pl.repeat(0, self.len(), dtype=pl.UInt64, eager=True)

    monkeypatch.setattr(pl.Series, "hash", constant)
    monkeypatch.setattr(pl.Expr, "hash", lambda self, *a, **k: pl.lit(0, pl.UInt64))


@pytest.mark.parametrize("collide", [False, True], ids=["hashes", "colliding hashes"])
def test_first_distinct_is_the_first_occurrence_of_each_id(collide, request):
    if collide:
        request.getfixturevalue("colliding_hashes")
    ids = pl.Series("event_id", ["a", "b", None, "a", "c", None, "b", "b", "d"])
    expected = [True, True, True, False, True, False, False, False, True]
    assert first_distinct(ids).to_list() == expected


def test_duplicates_are_found_by_id_when_hashes_collide(colliding_hashes):
    other = expected_id("pcm", VIN, "2026-11-21T07:15:03.000000Z", "POSITION")
    rows = batch([parsed(raw="a"), parsed(raw="b", event_type="OTHER"), parsed(raw="c")])
    assert run(rows, kept_ids=[other])["fate"].to_list() == ["clean", "clean", "duplicate"]
    earlier = run(batch([parsed()]))["event_id"].item()
    assert run(batch([parsed()]), kept_ids=[other, earlier])["fate"].to_list() == ["duplicate"]
