"""Source rfms (contracts/fleet.md, "Source rfms"): one rFMS 4.0 VehicleStatusResponseObject
per file, one event per vehicle status."""

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.rfms import (
    _DECODE_AS,
    _NODE_COLUMNS,
    _decode_bulk,
    _decode_exact,
    _read_as_written,
    parse_rfms,
)
from fleet_platform.rules.schema import PARSED_ROWS

VIN = "VFE1BUS0000000001"
FULL_STATUS = {
    "vin": VIN,
    "triggerType": {"triggerType": "TIMER", "context": "RFMS", "triggerInfo": ["x"]},
    "createdDateTime": "2026-11-21T07:15:02.123Z",
    "receivedDateTime": "2026-11-21T08:15:05+01:00",
    "hrTotalVehicleDistance": 123456700,
    "totalEngineHours": 2345.5,
    "engineTotalFuelUsed": 12345600,
    "grossCombinationVehicleWeight": 18000,
    "snapshotData": {
        "gnssPosition": {"latitude": 48.85, "longitude": 2.35, "heading": 90},
        "wheelBasedSpeed": 42.0,
        "fuelLevel1": 55,
    },
}


def document(*statuses: object) -> str:
    return json.dumps(
        {"vehicleStatusResponse": {"vehicleStatuses": list(statuses)}, "moreDataAvailable": False}
    )


def status(**changes: object) -> dict[str, object]:
    """A minimal valid status with ``changes`` applied (``...`` removes a field)."""
    base: dict[str, object] = {
        "vin": VIN,
        "triggerType": {"triggerType": "TIMER", "context": "RFMS"},
        "createdDateTime": "2026-11-21T07:15:02Z",
        "receivedDateTime": "2026-11-21T07:15:05Z",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def findings(parsed: pl.DataFrame) -> list[tuple[bool, bool, bool]]:
    return parsed.select("malformed", "missing", "time_ok").rows()


def test_every_field_maps_to_its_canonical_column_in_contract_units():
    raw = json.dumps(FULL_STATUS)  # the status exactly as landed in the document
    expected: dict[str, object] = dict.fromkeys(PARSED_ROWS)
    expected.update(
        row_number=1,
        raw=raw,
        malformed=False,
        missing=False,
        time_ok=True,
        vin=VIN,
        event_type="TIMER",
        event_time=datetime(2026, 11, 21, 7, 15, 2, 123000, tzinfo=UTC),
        received_time=datetime(2026, 11, 21, 7, 15, 5, tzinfo=UTC),
        odometer_km=123456.7,  # metres / 1000
        speed_kmh=42.0,
        latitude=48.85,
        longitude=2.35,
        soc_pct=None,
        fuel_used_l=12345.6,  # millilitres / 1000
        engine_hours=2345.5,
    )
    assert_frame_equal(
        parse_rfms(document(FULL_STATUS)),
        pl.DataFrame([expected], schema=PARSED_ROWS, orient="row"),
    )


def test_statuses_are_numbered_in_document_order_and_raw_is_the_status_as_json():
    first, second = status(vin="A" * 17), status(vin="B" * 17, note="é")
    parsed = parse_rfms(document(first, second))
    assert parsed.select("row_number", "raw", "vin").rows() == [
        (1, json.dumps(first), "A" * 17),
        (2, json.dumps(second), "B" * 17),
    ]


def test_optional_measurements_may_be_absent_or_null():
    parsed = parse_rfms(document(status(), status(hrTotalVehicleDistance=None, snapshotData={})))
    assert parsed.select(
        "odometer_km", "speed_kmh", "latitude", "longitude", "fuel_used_l", "engine_hours"
    ).rows() == [(None,) * 6, (None,) * 6]
    assert findings(parsed) == [(False, False, True), (False, False, True)]


def test_trigger_context_is_not_enforced():
    parsed = parse_rfms(document(status(triggerType={"triggerType": "IGNITION_ON"})))
    assert parsed.select("event_type").item() == "IGNITION_ON"
    assert findings(parsed) == [(False, False, True)]


@pytest.mark.parametrize(
    "changes",
    [
        {"vin": ...},
        {"vin": None},
        {"vin": "  "},
        {"createdDateTime": ...},
        {"createdDateTime": ""},
        {"receivedDateTime": ...},
        {"receivedDateTime": None},
        {"triggerType": ...},
        {"triggerType": {"context": "RFMS"}},
        {"triggerType": {"triggerType": ""}},
        {"triggerType": None},
    ],
    ids=str,
)
def test_a_required_field_absent_or_empty_is_missing(changes):
    assert findings(parse_rfms(document(status(**changes))))[0][:2] == (False, True)


@pytest.mark.parametrize(
    "changes",
    [
        {"vin": 12345},
        {"createdDateTime": 1795245302123},
        {"receivedDateTime": True},
        {"triggerType": "TIMER"},
        {"triggerType": {"triggerType": 3}},
        {"hrTotalVehicleDistance": "123"},
        {"engineTotalFuelUsed": False},
        {"snapshotData": {"wheelBasedSpeed": [1]}},
        {"snapshotData": {"gnssPosition": {"latitude": "48.85"}}},
    ],
    ids=str,
)
def test_a_wrong_type_is_malformed(changes):
    assert findings(parse_rfms(document(status(**changes))))[0][0] is True


@pytest.mark.parametrize("not_a_status", ["text", 42, None, [1, 2]], ids=str)
def test_a_status_that_is_not_an_object_is_malformed(not_a_status):
    assert findings(parse_rfms(document(not_a_status))) == [(True, True, False)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("createdDateTime", "2026-11-21T07:15:02"),  # no offset
        ("createdDateTime", "2026-02-30T07:15:02Z"),
        ("createdDateTime", "yesterday"),
        ("receivedDateTime", "2026-11-21 07:15:05Z"),
        ("receivedDateTime", "1795245305000"),
    ],
)
def test_a_required_time_that_is_not_rfc3339_with_offset_does_not_parse(field, value):
    assert findings(parse_rfms(document(status(**{field: value})))) == [(False, False, False)]


def test_an_empty_status_array_has_no_rows():
    assert_frame_equal(
        parse_rfms(document()), pl.DataFrame(schema=PARSED_ROWS), check_column_order=True
    )


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        document(status())[:-5],  # truncated
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":NaN}]}}',  # NaN is not JSON
        "[]",
        '"vehicleStatuses"',
        "{}",
        '{"vehicleStatuses":[]}',  # array not under vehicleStatusResponse
        '{"vehicleStatusResponse":{}}',
        '{"vehicleStatusResponse":[]}',
        '{"vehicleStatusResponse":{"vehicleStatuses":null}}',
        '{"vehicleStatusResponse":{"vehicleStatuses":{"vin":"x"}}}',
        '{"vehicleStatusResponse":{"vehicleStatuses":"[]"}}',
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"A"},]}}',  # trailing commas
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"A"}],}}',
        '{"vehicleStatusResponse":{"vehicleStatuses":[]},}',
    ],
)
def test_a_document_without_a_status_array_is_malformed_document(text):
    with pytest.raises(FileRejected) as rejected:
        parse_rfms(text)
    assert rejected.value.reason is FileRejection.MALFORMED_DOCUMENT


def test_raw_is_the_status_text_as_landed_even_pretty_printed_with_repeated_keys():
    text = (
        '{ "vehicleStatusResponse" : { "vehicleStatuses" : [\n'
        '   {"vin": "AAAAAAAAAAAAAAAAA",  "x": [1, {"y": "]"}]} ,\n'
        '   {"vin": "BBBBBBBBBBBBBBBBB"}\n'
        ' ] , "vehicleStatuses": [] }, "vehicleStatusResponse": '
        '{"vehicleStatuses": [ {"vin": "CCCCCCCCCCCCCCCCC"} ]} }'
    )
    # json.loads keeps the last of a repeated key; so does the walker that keeps raw text
    assert parse_rfms(text).select("raw", "vin").rows() == [
        ('{"vin": "CCCCCCCCCCCCCCCCC"}', "C" * 17)
    ]
    first = '{ "vehicleStatusResponse" : { "vehicleStatuses" : [\n {"vin": "A", "x": "]"} ,\n {"vin": "B"}\n ] } }'
    assert parse_rfms(first)["raw"].to_list() == ['{"vin": "A", "x": "]"}', '{"vin": "B"}']


# --- bulk and exact paths: the same frame on every document -----------------------------

_NESTED = {"accumulatedData": {"classes": [{"label": "a", "seconds": 1}, {"label": "b"}]}}
TRICKY_STATUSES = [
    FULL_STATUS,
    status(),
    status(note="é ✓ 公交车 🚌"),
    status(**_NESTED),
    status(note='he said "vin": 5, },{ and ] ['),
    status(note="back\\slash and \\u00e9"),
    status(hrTotalVehicleDistance=None, snapshotData=None),
    status(snapshotData={"gnssPosition": None, "wheelBasedSpeed": None}),
    status(totalEngineHours=0, engineTotalFuelUsed=-0.0, hrTotalVehicleDistance=2**60),
    status(hrTotalVehicleDistance=12345678901234567890123, totalEngineHours=1.5e300),
    status(snapshotData={"gnssPosition": {"latitude": 1e-5, "longitude": -2e1}}),
    status(driverPosition={"latitude": "far away", "vin": 7}),
    status(context="vin"),
    status(vin=12345),
    status(vin=True),
    status(vin={"id": VIN}),
    status(createdDateTime=1795245302123),
    status(receivedDateTime=["2026-11-21T07:15:05Z"]),
    status(triggerType="TIMER"),
    status(triggerType=7),
    status(triggerType={"triggerType": 3}),
    status(triggerType={"triggerType": {"name": "TIMER"}}),
    status(triggerType={"triggerType": None, "context": "RFMS"}),
    status(hrTotalVehicleDistance="123"),
    status(engineTotalFuelUsed=False),
    status(snapshotData=5),
    status(snapshotData="none"),
    status(snapshotData=[1, 2]),
    status(snapshotData={"gnssPosition": "x"}),
    status(snapshotData={"wheelBasedSpeed": True}),
    status(snapshotData={"gnssPosition": {"latitude": "48.85"}}),
    status(vin=None),
    status(vin=" \t "),
    {},
    "text",
    42,
    None,
    [1, 2],
    True,
]

# Statuses json.dumps can't write: repeated keys, keys spelled with escapes, odd spacing.
_REQUIRED_TEXT = (
    '"triggerType":{"triggerType":"TIMER"},'
    '"createdDateTime":"2026-11-21T07:15:02Z","receivedDateTime":"2026-11-21T07:15:05Z"'
)
HANDWRITTEN_STATUSES = [
    '{"vin":"AAAAAAAAAAAAAAAAA","vin":"BBBBBBBBBBBBBBBBB",' + _REQUIRED_TEXT + "}",
    '{"vin":"AAAAAAAAAAAAAAAAA","vin":null,' + _REQUIRED_TEXT + "}",
    '{"vin":null,"vin":"AAAAAAAAAAAAAAAAA",' + _REQUIRED_TEXT + "}",
    '{"vin":"AAAAAAAAAAAAAAAAA","vin":5,' + _REQUIRED_TEXT + "}",
    '{"vin":"AAAAAAAAAAAAAAAAA",' + _REQUIRED_TEXT + ',"triggerType":"X"}',
    '{"vin":"AAAAAAAAAAAAAAAAA",' + _REQUIRED_TEXT + ',"triggerType":{"context":"X"}}',
    '{"vin":"AAAAAAAAAAAAAAAAA","triggerType":{"triggerType":"A","triggerType":"B"},'
    '"createdDateTime":"2026-11-21T07:15:02Z","receivedDateTime":"2026-11-21T07:15:05Z"}',
    '{"vin":"AAAAAAAAAAAAAAAAA",' + _REQUIRED_TEXT + ',"snapshotData":{"wheelBasedSpeed":1},'
    '"snapshotData":{"wheelBasedSpeed":2}}',
    '{"\\u0076in":"AAAAAAAAAAAAAAAAA",' + _REQUIRED_TEXT + "}",
    '{"vin":"AAAAAAAAAAAAAAAAA",' + _REQUIRED_TEXT + ',"totalEngineHours":null}',
    '{ "vin" :\n"AAAAAAAAAAAAAAAAA" ,\t"triggerType" : { "triggerType" : "TIMER" } ,'
    ' "createdDateTime" : "2026-11-21T07:15:02Z" , "receivedDateTime" : "2026-11-21T07:15:05Z" }',
]


def handwritten_document(*statuses: str, separator: str = ",") -> str:
    return '{"vehicleStatusResponse":{"vehicleStatuses":[' + separator.join(statuses) + "]}}"


def test_the_bulk_path_reads_a_plain_document_like_the_exact_path():
    text = document(*[status(vin=f"{n:017d}", totalEngineHours=n / 10) for n in range(50)])
    assert_frame_equal(_decode_bulk(text), _decode_exact(text))


@pytest.mark.parametrize("layout", ["compact", "pretty"])
def test_bulk_and_exact_decode_a_corpus_of_tricky_statuses_identically(layout):
    indent = 2 if layout == "pretty" else None
    text = json.dumps(
        {"vehicleStatusResponse": {"vehicleStatuses": TRICKY_STATUSES}}, indent=indent
    )
    text = text[:-1] + ', "moreDataAvailable": false}'
    handwritten = handwritten_document(*HANDWRITTEN_STATUSES, separator=" ,\n ")
    for doc in (text, handwritten):
        bulk = _decode_bulk(doc)
        assert bulk is not None
        assert_frame_equal(bulk, _decode_exact(doc))


@pytest.mark.parametrize(
    "one",
    [pytest.param(json.dumps(s), id=f"tricky-{n:02d}") for n, s in enumerate(TRICKY_STATUSES)]
    + [pytest.param(s, id=f"handwritten-{n:02d}") for n, s in enumerate(HANDWRITTEN_STATUSES)],
)
def test_bulk_and_exact_decode_each_status_identically(one):
    # The bulk path may hand the whole document over (None), but when it answers, it
    # answers like the exact path.
    text = handwritten_document(json.dumps(status()), one, json.dumps(status()))
    bulk = _decode_bulk(text)
    if bulk is not None:
        assert_frame_equal(bulk, _decode_exact(text))


@pytest.mark.parametrize(
    "text",
    [
        handwritten_document('{"vin":NaN}'),
        handwritten_document('{"vin":"A"}', "", '{"vin":"B"}'),
        handwritten_document('{"vin":"A"}', ""),
        handwritten_document('{"vin":"A"} {"vin":"B"}'),
        handwritten_document('{"vin":"a\tb"}'),
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"A"}',
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"A"]}}',
    ],
)
def test_an_invalid_status_array_is_left_to_the_exact_path_which_rejects_it(text):
    assert _decode_bulk(text) is None
    with pytest.raises(FileRejected) as rejected:
        parse_rfms(text)
    assert rejected.value.reason is FileRejection.MALFORMED_DOCUMENT


def test_documents_the_bulk_path_cannot_read_alone_go_the_exact_way():
    repeated = (
        '{"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"A"}]},'
        '"vehicleStatusResponse":{"vehicleStatuses":[{"vin":"B"}]}}'
    )
    too_big = handwritten_document('{"vin":"A","hrTotalVehicleDistance":1e400}')
    for text in (repeated, too_big):
        assert _decode_bulk(text) is None
    assert parse_rfms(repeated)["vin"].to_list() == ["B"]
    assert parse_rfms(too_big)["odometer_km"].to_list() == [float("inf")]


@pytest.mark.parametrize(
    "odd",
    [
        status(triggerType="TIMER"),  # text where polars expects the trigger object
        status(triggerType={"triggerType": {"name": "TIMER"}}),  # an object inside
    ],
    ids=str,
)
def test_a_trigger_polars_cannot_decode_leaves_the_others_on_the_bulk_path(odd):
    # polars decodes every plain status at once and fails them all on such a trigger: the
    # statuses are decoded again without it, and it alone takes the exact path
    text = document(status(vin="A" * 17), odd, status(vin="B" * 17))
    bulk = _decode_bulk(text)
    assert bulk is not None
    assert_frame_equal(bulk, _decode_exact(text))
    assert findings(parse_rfms(text))[1][0] is True


def test_only_statuses_polars_read_as_written_stay_on_the_bulk_path():
    # what a more lenient decoder could make of a trigger that is text, or holds an
    # object: a trigger, and text inside it
    read = [
        ('{"triggerType":"TIMER"}', {"triggerType": {"triggerType": None}}, False),
        ('{"triggerType":{"triggerType":{"x":1}}}', {"triggerType": {"triggerType": "{}"}}, False),
        (
            '{"triggerType":{"triggerType":"TIMER"}}',
            {"triggerType": {"triggerType": "TIMER"}},
            True,
        ),
        ('{"vin":"A","vin":"B"}', {"vin": "A"}, False),
        ('{"vin":"A","x":{"vin":"B"}}', {"vin": "A"}, False),
        ('{"vin":null}', {"vin": None}, False),
        ('{"vin":"A"}', {"vin": "A"}, True),
    ]
    decoded = pl.DataFrame(
        {"raw": [raw for raw, _, _ in read], "status": [status for _, status, _ in read]},
        schema={"raw": pl.String, "status": _DECODE_AS},
    )
    nodes = decoded.select("raw", *_NODE_COLUMNS)
    assert nodes.select(_read_as_written()).to_series().to_list() == [ok for *_, ok in read]
