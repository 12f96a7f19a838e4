"""Source pcm (contracts/fleet.md, "Source pcm"): field mapping, time formats, numbering,
and the bulk and exact decoding paths held to each other on tricky lines."""

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.rules.parsed import numbered_lines
from fleet_platform.rules.pcm import _decode_bulk, _decode_exact, parse_pcm
from fleet_platform.rules.schema import PARSED_ROWS

VIN = "VFE1BUS0000000001"
RECV_MS = 1795245305000  # 2026-11-21T07:15:05Z
RECV = datetime(2026, 11, 21, 7, 15, 5, tzinfo=UTC)
EVENT = datetime(2026, 11, 21, 7, 15, 2, 123000, tzinfo=UTC)
FULL = (
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T08:15:02.123+01:00","recv_ts":1795245305000,'
    '"type":"POSITION","odo_km":123456.7,"speed_kmh":42.0,"lat":48.85,"lon":2.35,'
    '"soc_pct":null,"fuel_l":12345.6,"engine_h":2345.5}'
)


def line(**fields: object) -> str:
    """A pcm line: a valid event with ``fields`` replaced (``...`` drops a field)."""
    base: dict[str, object] = {
        "vin": VIN,
        "ts": "2026-11-21T07:15:02Z",
        "recv_ts": RECV_MS,
        "type": "POSITION",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}, separators=(",", ":"))


def parsed_row(row_number: int, raw: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(PARSED_ROWS)
    row.update(row_number=row_number, raw=raw, malformed=False, missing=False, time_ok=True)
    row.update(values)
    return row


def expected(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PARSED_ROWS, orient="row")


def test_every_field_maps_to_its_canonical_column():
    assert_frame_equal(
        parse_pcm(FULL + "\n"),
        expected(
            [
                parsed_row(
                    1,
                    FULL,
                    vin=VIN,
                    event_type="POSITION",
                    event_time=EVENT,
                    received_time=RECV,
                    odometer_km=123456.7,
                    speed_kmh=42.0,
                    latitude=48.85,
                    longitude=2.35,
                    soc_pct=None,
                    fuel_used_l=12345.6,
                    engine_hours=2345.5,
                )
            ]
        ),
    )


@pytest.mark.parametrize(
    ("ts", "event_time"),
    [
        ("2026-11-21T07:15:02Z", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),
        ("2026-11-21T07:15:02z", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),
        ("2026-11-21t07:15:02Z", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),
        ("2026-11-21T08:15:02+01:00", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),
        ("2026-11-20T21:45:02-09:30", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),
        ("2026-11-21T07:15:02+00:00", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),
        ("2026-11-21T07:15:02.5Z", datetime(2026, 11, 21, 7, 15, 2, 500000, tzinfo=UTC)),
        ("2026-11-21T07:15:02.123456Z", datetime(2026, 11, 21, 7, 15, 2, 123456, tzinfo=UTC)),
        ("2026-11-21T07:15:02.123456789Z", datetime(2026, 11, 21, 7, 15, 2, 123456, tzinfo=UTC)),
        ("2026-01-01T00:30:00+01:00", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
        (1795245302123, datetime(2026, 11, 21, 7, 15, 2, 123000, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (-1000, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_ts_is_rfc3339_with_offset_or_epoch_milliseconds(ts, event_time):
    rows = parse_pcm(line(ts=ts))
    assert rows.select("event_time", "time_ok", "malformed", "missing").row(0) == (
        event_time,
        True,
        False,
        False,
    )


@pytest.mark.parametrize(
    "ts",
    [
        "2026-11-21T07:15:02",  # no offset
        "2026-11-21T07:15:02.123",
        "2026-11-21 07:15:02Z",  # space, not T
        "2026-11-21T07:15:02+0100",  # offset without colon
        "2026-11-21T07:15Z",  # no seconds
        "2026-02-30T07:15:02Z",  # impossible date
        "2026-11-21T25:15:02Z",
        "1795245302123",  # epoch milliseconds as a string
        "yesterday",
        "21/11/2026 07:15:02",
    ],
)
def test_a_ts_string_that_is_not_rfc3339_with_offset_does_not_parse(ts):
    rows = parse_pcm(line(ts=ts))
    assert rows.select("event_time", "time_ok", "malformed", "missing").row(0) == (
        None,
        False,
        False,
        False,
    )


def test_recv_ts_is_epoch_milliseconds_utc():
    rows = parse_pcm(line(recv_ts=1795245600000))
    assert rows["received_time"].to_list() == [datetime(2026, 11, 21, 7, 20, tzinfo=UTC)]


@pytest.mark.parametrize(
    "layout",
    ["\n{a}\n\n   \n\t\n{b}\r\n\r\n{c}\n\n", "{a}\r\n{b}\r{c}\r\n"],
    ids=["blank-lines-skipped-and-not-counted", "lone-cr-ends-a-line-beside-crlf"],
)
def test_lines_are_numbered_whatever_ends_them(layout):
    a, b, c = line(type="A"), line(type="B"), line(type="C")
    rows = parse_pcm(layout.format(a=a, b=b, c=c))
    assert rows.select("row_number", "raw", "event_type").rows() == [
        (1, a, "A"),
        (2, b, "B"),
        (3, c, "C"),
    ]


def test_a_ts_of_digits_is_an_integer_only_when_it_is_not_quoted():
    # Decoded as text, 1795245302123 and "1795245302123" look alike: the line decides,
    # even when another field holds the same digits, quoted or not.
    as_int = line(ts=1795245302123, firmware="1795245302123")
    as_text = line(ts="1795245302123", recv_ts=1795245302123)
    negative = line(ts=-1000, firmware="-1000")
    rows = parse_pcm(f"{as_int}\n{as_text}\n{negative}")
    assert rows.select("event_time", "time_ok", "malformed").rows() == [
        (EVENT, True, False),
        (None, False, False),
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), True, False),
    ]


def test_a_file_of_blank_lines_has_no_rows():
    assert_frame_equal(parse_pcm("\n  \n\r\n"), expected([]))


def test_raw_is_the_line_as_landed_without_its_line_end():
    spaced = '  { "vin" : "VFE1BUS0000000001" , "ts" : 1795245302123 , "recv_ts" : 1795245305000 , "type" : "P" }  '
    rows = parse_pcm(spaced + "\r\n")
    assert rows["raw"].to_list() == [spaced]
    assert rows.select("vin", "event_type", "event_time", "malformed").row(0) == (
        VIN,
        "P",
        EVENT,
        False,
    )


def test_row_numbers_are_the_same_whether_or_not_a_line_forces_the_exact_path():
    good = line(type="A")
    clean_file = parse_pcm(f"{good}\n\n{good}\n")
    broken_file = parse_pcm(f"{good}\n\n{{not json\n{good}\n")
    assert clean_file.select("row_number", "malformed").rows() == [(1, False), (2, False)]
    assert broken_file.select("row_number", "malformed").rows() == [
        (1, False),
        (2, True),
        (3, False),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ts", 9223372036854775807),  # int64 max: ms * 1000 does not fit a time
        ("ts", -9223372036854775807),
        ("recv_ts", 9223372036854775807),
        ("ts", 99999999999999999999),  # wider than int64
        ("recv_ts", 99999999999999999999),
    ],
)
def test_epoch_milliseconds_out_of_range_are_not_a_valid_time(field, value):
    # A JSON integer (right type) that is not a representable instant: the required time
    # is not a valid time → time_ok false (unparseable_time), never a wrapped-around date.
    for text in (line(**{field: value}), line(**{field: value}) + "\n{broken"):
        rows = parse_pcm(text)
        assert rows.select("malformed", "missing", "time_ok").row(0) == (False, False, False)


# --- bulk and exact paths: the same frame on every line --------------------------------

_OK = f'"vin":"{VIN}","ts":"2026-11-21T07:15:02Z","recv_ts":1795245305000,"type":"POSITION"'

TRICKY_LINES = [
    FULL,
    "{" + _OK + "}",
    '{"vin":"VFE1BUS0000000001","ts":1795245302123,"recv_ts":1795245305000,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":-1795245302123,"recv_ts":1795245305000,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":0,"recv_ts":0,"type":"P"}',
    "{" + _OK + ',"odo_km":null,"speed_kmh":null,"lat":null,"lon":null,"soc_pct":null}',
    "{" + _OK + ',"firmware":"4.2.1","extra":17,"flag":true,"nothing":null}',
    "{" + _OK + ',"meta":{"fw":"1.2","nested":{"deep":[1,2,{"x":null}]}}}',
    "{" + _OK + ',"tags":[1,"two",false,null,3.5]}',
    "{" + _OK + ',"note":"he said \\"vin\\":123, \\"ts\\":1.5"}',
    '{"vin":"VFE1BUS0000000001","type":"x,\\"ts\\":1","ts":"2026-11-21T07:15:02Z","recv_ts":1}',
    '{"vin":"VFE1BUS0000000001","type":"\\"odo_km\\":\\"12\\"","ts":1,"recv_ts":1}',
    "{" + _OK + ',"note":"a { brace } inside"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"ÉTÉ ✓ 公交车 🚌"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"\\u00e9v\\u00e9nement\\ud83d\\ude8c"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"a\\/b\\\\c\\n\\t"}',
    '{ "vin" : "VFE1BUS0000000001" , "ts" : 1795245302123 , "recv_ts" : 1795245305000 , "type" : "P" }',
    '{\t"vin":\t"VFE1BUS0000000001",\t"ts":\t"2026-11-21T07:15:02Z",\t"recv_ts":\t1,\t"type":"P"\t}',
    '   {"type":"P","recv_ts":1,"ts":1795245302123,"vin":"VFE1BUS0000000001"}   ',
    '{"vin":12345678901234567,"ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
    '{"vin":true,"ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
    '{"vin":null,"ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
    '{"vin":["VFE1BUS0000000001"],"ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":1795245302.123,"recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":1.795e12,"recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":true,"recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":null,"recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"1795245302123","recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02","recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":"1795245305000","type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1795245305000.0,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1.7e12,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":null,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":12345678901234567890,"recv_ts":1,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":1,"recv_ts" :  -99999999999999999999,"type":"P"}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","type":"P"}',
    "{" + _OK + ',"odo_km":"123.4"}',
    "{" + _OK + ',"odo_km":false}',
    "{" + _OK + ',"odo_km":{"value":1}}',
    "{" + _OK + ',"speed_kmh":[42]}',
    "{" + _OK + ',"odo_km":12,"speed_kmh":-3,"lat":1.5e1,"lon":-2E-1,"engine_h":0}',
    "{" + _OK + ',"odo_km":123456789012345678901234567890,"lat":-12345678901234567890}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":7}',
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":{"k":"P"}}',
    '{"vin":"","ts":"","recv_ts":1,"type":"  "}',
    "{}",
    "[1,2,3]",
    '"just a string"',
    "42",
    "null",
    "true",
]

# Keys written with JSON escapes and repeated keys: still the same JSON object for a
# JSON parser, so both paths must read them alike.
ESCAPED_AND_REPEATED_KEYS = [
    pytest.param(
        '{"\\u0076in":123,"ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
        id="escaped-key-numeric-vin",
    ),
    pytest.param(
        '{"vin":"VFE1BUS0000000001","t\\u0073":1.5,"recv_ts":1,"type":"P"}',
        id="escaped-key-float-ts",
    ),
    pytest.param(
        '{"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P","odo\\u005fkm":"x"}',
        id="escaped-key-string-measurement",
    ),
    pytest.param(
        '{"vin":"VFE1BUS0000000001","vin":"VFE1BUS0000000002","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
        id="repeated-key-vin",
    ),
    pytest.param(
        '{"ts":1795245302123,"vin":"VFE1BUS0000000001","ts":"2026-11-21T07:15:02Z","recv_ts":1,"type":"P"}',
        id="repeated-key-ts-int-then-string",
    ),
    pytest.param(
        '{"ts":"2026-11-21T07:15:02Z","vin":"VFE1BUS0000000001","ts":1795245302123,"recv_ts":1,"type":"P"}',
        id="repeated-key-ts-string-then-int",
    ),
    pytest.param(
        '{"ts":"1795245302123","vin":"VFE1BUS0000000001","ts":1795245302123,"recv_ts":1,"type":"P"}',
        id="repeated-key-ts-digits-string-then-int",
    ),
]

# Lines polars can't decode at all: the bulk decode fails and the file takes the exact path.
BROKEN_LINES = [
    "{not json",
    "{" + _OK,
    "{" + _OK + "} trailing",
    "{" + _OK + ',"odo_km":NaN}',
    "{" + _OK + ',"odo_km":Infinity}',
    "{" + _OK + ',"odo_km":1' + "0" * 400 + "}",  # an integer beyond float64, as 1e400
    "{" + _OK + ",}",
    "{'vin':'VFE1BUS0000000001'}",
]


@pytest.mark.parametrize("check_json", [False, True])
def test_bulk_and_exact_decode_a_corpus_of_tricky_lines_identically(check_json):
    lines = numbered_lines("\n".join(TRICKY_LINES))
    assert lines.height == len(TRICKY_LINES)
    assert_frame_equal(_decode_bulk(lines, check_json), _decode_exact(lines))


@pytest.mark.parametrize(
    "raw",
    [pytest.param(raw, id=f"tricky-{n:02d}") for n, raw in enumerate(TRICKY_LINES)]
    + ESCAPED_AND_REPEATED_KEYS,
)
@pytest.mark.parametrize("check_json", [False, True])
def test_bulk_and_exact_decode_each_line_identically(raw, check_json):
    # The bulk path may give up (a PolarsError sends the file a more careful way), but
    # when it answers, it answers like the exact path.
    lines = numbered_lines(raw)
    try:
        bulk = _decode_bulk(lines, check_json)
    except pl.exceptions.PolarsError:
        return
    assert_frame_equal(bulk, _decode_exact(lines))


@pytest.mark.parametrize("raw", BROKEN_LINES, ids=lambda raw: raw[-12:])
def test_a_line_polars_cannot_decode_is_malformed_on_the_exact_path(raw):
    good = "{" + _OK + "}"
    rows = parse_pcm(f"{good}\n{raw}\n{good}")
    assert rows.select("row_number", "malformed").rows() == [(1, False), (2, True), (3, False)]
    lines = numbered_lines(f"{good}\n{raw}\n{good}")
    if raw.endswith("}"):  # a line that doesn't end like an object never reaches polars
        with pytest.raises(pl.exceptions.PolarsError):
            _decode_bulk(lines, check_json=False)
    else:
        assert_frame_equal(_decode_bulk(lines, check_json=False), _decode_exact(lines))
    # checking which lines are JSON first keeps the rest of the file on the bulk path
    assert_frame_equal(_decode_bulk(lines, check_json=True), _decode_exact(lines))
