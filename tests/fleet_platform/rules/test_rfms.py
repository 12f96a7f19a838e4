"""Source rfms (contracts/fleet.md, "Source rfms"): one rFMS 4.0 VehicleStatusResponseObject
per file, one event per vehicle status."""

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.rfms import parse_rfms
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
