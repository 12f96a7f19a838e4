"""Each gateway's format, read back with json / csv only, and checked against the
contract and (rFMS) the standard's OpenAPI schemas."""

import csv
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
import yaml

from fleet_platform.rules.reasons import Source
from fleet_platform.simulate.events import EventSeed, seeds_frame, service_day_frame
from fleet_platform.simulate.fleet import build_fleet
from fleet_platform.simulate.intellibus import BOM, LAYOUTS, IntellibusGateway
from fleet_platform.simulate.pcm import PcmGateway
from fleet_platform.simulate.rfms import RfmsGateway

DAY = date(2026, 11, 21)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
SPEC_CANDIDATES = (
    Path(__file__).resolve().parents[3].parent / "shared/specs/rfms/rFMS_4_0.yaml",
    Path(__file__).resolve().parents[3] / "specs/rfms/rFMS_4_0.yaml",
)


def day_events(source, buses=40, day=DAY):
    fleet = build_fleet(buses, seed=11)
    members = fleet.shards(source)[1]
    scheme = GATEWAYS[source].scheme
    return members, service_day_frame(members, source, 1, day, scheme, seed=11)


GATEWAYS = {Source.PCM: PcmGateway, Source.INTELLIBUS: IntellibusGateway, Source.RFMS: RfmsGateway}


def seed_events(source, moments, kind=None):
    fleet = build_fleet(20, seed=11)
    bus = next(b for b in fleet.sending if b.source == source)
    kind = kind or GATEWAYS[source].scheme.first
    seeds = [
        EventSeed(bus, m.date(), int(m.timestamp() * 1000), 0, 0, kind, False, 0.5) for m in moments
    ]
    return bus, seeds_frame(seeds)


# --- pcm ------------------------------------------------------------------------------


def test_pcm_lines_have_the_contract_fields_and_types():
    members, events = day_events(Source.PCM)
    lines = PcmGateway(1, 11).rows(events)
    assert len(lines) == events.height > 1000
    electric = {bus.vin for bus in members if bus.electric}
    styles = set()
    for line in lines:
        record = json.loads(line)
        assert list(record)[:11] == [
            "vin", "ts", "recv_ts", "type", "odo_km", "speed_kmh",
            "lat", "lon", "soc_pct", "fuel_l", "engine_h",
        ]  # fmt: skip
        assert isinstance(record["vin"], str) and isinstance(record["type"], str)
        assert isinstance(record["recv_ts"], int) and not isinstance(record["recv_ts"], bool)
        ts = record["ts"]
        if isinstance(ts, int):
            styles.add("epoch_ms")
        else:
            assert RFC3339.match(ts), ts
            styles.add("utc" if ts.endswith("Z") else "offset")
        for name in ("odo_km", "speed_kmh", "lat", "lon", "soc_pct", "fuel_l", "engine_h"):
            assert record[name] is None or isinstance(record[name], int | float)
        assert (record["soc_pct"] is not None) == (record["vin"] in electric)
        assert (record["fuel_l"] is None) == (record["vin"] in electric)
    assert styles == {"epoch_ms", "utc", "offset"}


def test_pcm_times_agree_with_each_other_whatever_the_style():
    _, events = day_events(Source.PCM)
    for line, t_ms, recv_ms in zip(
        PcmGateway(1, 11).rows(events), events["t_ms"], events["recv_ms"], strict=True
    ):
        record = json.loads(line)
        ts = record["ts"]
        parsed = ts if isinstance(ts, int) else datetime.fromisoformat(ts).timestamp() * 1000
        assert round(parsed) == t_ms
        assert record["recv_ts"] == recv_ms
        assert 0 < recv_ms - t_ms <= 20_000


def test_pcm_local_offsets_follow_daylight_saving_time():
    moments = [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC)]
    bus, events = seed_events(Source.PCM, moments)
    lines = PcmGateway(1, 0).rows(events.with_columns(ts_style=pl.lit("offset")))
    zone = ZoneInfo(bus.operator.tz)
    for line, moment in zip(lines, moments, strict=True):
        ts = json.loads(line)["ts"]
        assert datetime.fromisoformat(ts) == moment
        assert ts.endswith(moment.astimezone(zone).isoformat()[-6:])


def test_odometer_fuel_and_engine_hours_never_decrease_per_bus():
    _, events = day_events(Source.PCM)
    for _, group in events.sort("t_ms").group_by("vin"):
        for name in ("odometer_km", "engine_h", "fuel_l"):
            values = group[name].drop_nulls()
            assert values.diff().drop_nulls().min() >= 0 if values.len() > 1 else True


def test_regular_event_identities_are_distinct_seconds_per_bus():
    _, events = day_events(Source.PCM)
    assert events.select(["vin", (events["t_ms"] // 1000).alias("s")]).is_unique().all()


# --- intellibus ------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: ";".join(layout.header))
def test_intellibus_files_parse_with_every_layout(layout):
    _, events = day_events(Source.INTELLIBUS)
    gateway = IntellibusGateway(1, 0, layout)
    text = gateway.render(gateway.rows(events), 0)
    assert text.startswith(BOM) == layout.bom
    raw_lines = text.removeprefix(BOM).split(layout.newline)
    assert raw_lines[-1] == "" and all("\r" not in line and "\n" not in line for line in raw_lines)
    reader = csv.reader(raw_lines[:-1], delimiter=";")
    header = [name.strip().upper() for name in next(reader)]
    assert {"VIN", "DATE", "HEURE", "CODE", "VALEUR", "UNITE"} <= set(header)
    units = set()
    for fields in reader:
        assert len(fields) == len(header)
        row = dict(zip(header, fields, strict=True))
        assert re.match(r"^\d{2}/\d{2}/\d{4}$", row["DATE"])
        assert re.match(r"^\d{2}:\d{2}:\d{2}$", row["HEURE"])
        assert row["VALEUR"] == "" or re.match(r"^-?\d+(,\d+)?$", row["VALEUR"]), row
        assert "." not in row["VALEUR"]
        units.add(row["UNITE"])
    assert {"km", "km/h", "h", "nb", "°C"} <= units and units & {"l", "%"}


def test_intellibus_quotes_a_value_holding_the_delimiter():
    gateway = IntellibusGateway(1, 0, LAYOUTS[1])
    fleet = build_fleet(20, seed=11)
    bus = next(b for b in fleet.sending if b.source == Source.INTELLIBUS)
    seed = EventSeed(bus, DAY, 1_795_000_000_000, 0, 0, "PORTE", False, 0.5)
    events = seeds_frame([seed])
    [line] = gateway.rows(events.with_columns(line=pl.lit('12; 14 "express"')))
    assert line.endswith(';"12; 14 ""express"""')
    assert next(csv.reader([line], delimiter=";"))[-1] == '12; 14 "express"'


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), ("29/03/2026", "01:59:59")),
        (datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC), ("29/03/2026", "03:00:00")),
        (datetime(2026, 10, 25, 0, 30, 0, tzinfo=UTC), ("25/10/2026", "02:30:00")),
        (datetime(2026, 10, 25, 1, 30, 0, tzinfo=UTC), ("25/10/2026", "02:30:00")),
        (datetime(2026, 10, 25, 2, 0, 0, tzinfo=UTC), ("25/10/2026", "03:00:00")),
        (datetime(2026, 11, 21, 23, 30, 0, tzinfo=UTC), ("22/11/2026", "00:30:00")),
    ],
)
def test_intellibus_local_times_are_paris_wall_clock_across_dst(utc, expected):
    _, events = seed_events(Source.INTELLIBUS, [utc])
    gateway = IntellibusGateway(1, 0, LAYOUTS[0])
    fields = next(csv.reader(gateway.rows(events), delimiter=";"))
    assert (fields[1], fields[2]) == expected


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_intellibus_service_day_times_read_back_to_the_true_instant_on_dst_days(day):
    _, events = day_events(Source.INTELLIBUS, day=day)
    gateway = IntellibusGateway(1, 0, LAYOUTS[0])
    paris = ZoneInfo("Europe/Paris")
    for line, t_ms in zip(gateway.rows(events), events["t_ms"], strict=True):
        fields = next(csv.reader([line], delimiter=";"))
        local = datetime.strptime(f"{fields[1]} {fields[2]}", "%d/%m/%Y %H:%M:%S")
        instant = local.replace(tzinfo=paris)  # fold=0: the contract's earlier instant
        assert instant.astimezone(UTC).astimezone(paris).replace(tzinfo=None) == local
        assert instant.timestamp() * 1000 == t_ms


# --- rfms ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rfms_schemas():
    spec_path = next((path for path in SPEC_CANDIDATES if path.exists()), None)
    assert spec_path is not None, f"rFMS 4.0 spec not found at {SPEC_CANDIDATES}"
    return yaml.safe_load(spec_path.read_text(encoding="utf-8"))["components"]["schemas"]


def check_schema(value, schema, schemas, path="$"):
    """A small OpenAPI 3 schema check: $ref, type, required, enum, nested properties."""
    if "$ref" in schema:
        return check_schema(value, schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas, path)
    kind = schema.get("type")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "integer": int,
        "number": (int, float),
    }
    if kind:
        assert isinstance(value, types[kind]), f"{path}: {value!r} is not {kind}"
        assert kind in ("boolean",) or not isinstance(value, bool), f"{path}: boolean"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{path}: required {name} missing"
        for name, item in value.items():
            if name in schema.get("properties", {}):
                check_schema(item, schema["properties"][name], schemas, f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check_schema(item, schema["items"], schemas, f"{path}[{i}]")
    if kind == "string" and schema.get("format") == "date-time":
        assert RFC3339.match(value) and value.endswith("Z"), f"{path}: {value}"


@pytest.mark.parametrize("one_status_per_line", [False, True])
def test_rfms_documents_validate_against_the_rfms_spec(rfms_schemas, one_status_per_line):
    members, events = day_events(Source.RFMS, buses=60)
    gateway = RfmsGateway(1, 0)
    gateway.one_status_per_line = one_status_per_line
    document = json.loads(gateway.render(gateway.rows(events), 1_795_300_000))
    check_schema(document, rfms_schemas["VehicleStatusResponseObject"], rfms_schemas)
    statuses = document["vehicleStatusResponse"]["vehicleStatuses"]
    assert len(statuses) == events.height
    trigger_types = set(
        re.findall(r"^\s*([A-Z_0-9]+) - ", rfms_schemas["TriggerObject"]["properties"][
            "triggerType"]["description"].replace("\\n", "\n"), re.M)
    )  # fmt: skip
    assert {s["triggerType"]["triggerType"] for s in statuses} <= trigger_types
    energies = {bus.vin: bus.energy for bus in members}
    for status in statuses:
        assert "totalEngineHours" in status or "totalElectricMotorHours" in status
        assert {"engineTotalFuelUsed", "totalFuelUsedGaseous", "totalElectricEnergyUsed"} & set(
            status
        )
        if energies[status["vin"]] == "electric":
            assert "hybridBatteryPackRemainingCharge" in status["snapshotData"]
        assert status["createdDateTime"] <= status["receivedDateTime"]


def test_rfms_empty_document_is_still_a_valid_response(rfms_schemas):
    for per_line in (False, True):
        gateway = RfmsGateway(1, 0)
        gateway.one_status_per_line = per_line
        document = json.loads(gateway.render([], 1_795_300_000))
        check_schema(document, rfms_schemas["VehicleStatusResponseObject"], rfms_schemas)
        assert document["vehicleStatusResponse"]["vehicleStatuses"] == []
