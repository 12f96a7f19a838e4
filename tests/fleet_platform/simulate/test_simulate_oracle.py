"""The simulator's expectations hold to an independent reading of the contract.

``ContractOracle`` below re-implements contracts/fleet.md with the standard library only
(json, csv, gzip, zoneinfo): it classifies every landed file and row and counts what a
correct pipeline reports. The simulator's ``SimulationSummary`` must match it exactly.
"""

import csv
import gzip
import json
import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fleet_platform.rules.reasons import FileRejection, RowRejection, Source
from fleet_platform.simulate import FolderLandingWriter, simulate_landing
from fleet_platform.simulate.events import EventSeed, seeds_frame
from fleet_platform.simulate.fleet import build_fleet
from fleet_platform.simulate.intellibus import LAYOUTS, IntellibusGateway
from fleet_platform.simulate.pcm import PcmGateway
from fleet_platform.simulate.rfms import RfmsGateway

PARIS = ZoneInfo("Europe/Paris")
VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
DECIMAL = re.compile(r"^[+-]?\d+(,\d+)?$")
EXTENSIONS = {"pcm": ".jsonl", "intellibus": ".csv", "rfms": ".json"}
Y2K = datetime(2000, 1, 1, tzinfo=UTC)


class RowRejected(Exception):
    def __init__(self, reason: RowRejection) -> None:
        self.reason = reason


class FileRejectedError(Exception):
    def __init__(self, reason: FileRejection) -> None:
        self.reason = reason


def rfc3339(text: str) -> datetime:
    if not RFC3339.match(text):
        raise RowRejected(RowRejection.UNPARSEABLE_TIME)
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise RowRejected(RowRejection.UNPARSEABLE_TIME) from None


def paris(day: str, clock: str) -> datetime:
    if not (re.match(r"^\d{2}/\d{2}/\d{4}$", day) and re.match(r"^\d{2}:\d{2}:\d{2}$", clock)):
        raise RowRejected(RowRejection.UNPARSEABLE_TIME)
    try:
        naive = datetime.strptime(f"{day} {clock}", "%d/%m/%Y %H:%M:%S")
    except ValueError:
        raise RowRejected(RowRejection.UNPARSEABLE_TIME) from None
    local = naive.replace(tzinfo=PARIS, fold=0)
    if local.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != naive:
        raise RowRejected(RowRejection.UNPARSEABLE_TIME)  # inside the spring gap
    return local.astimezone(UTC)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def vin_of(value: str) -> str:
    vin = value.strip().upper()
    if not VIN.match(vin):
        raise RowRejected(RowRejection.INVALID_VIN)
    return vin


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def pcm_row(line: str) -> tuple[str, datetime, datetime, str]:
    try:
        record = json.loads(line)
    except ValueError:
        raise RowRejected(RowRejection.MALFORMED_ROW) from None
    if not isinstance(record, dict):
        raise RowRejected(RowRejection.MALFORMED_ROW)
    vin, ts, recv, kind = (record.get(k) for k in ("vin", "ts", "recv_ts", "type"))
    ok = (
        all(v is None or isinstance(v, str) for v in (vin, kind))
        and (
            ts is None or isinstance(ts, str) or (isinstance(ts, int) and not isinstance(ts, bool))
        )
        and (recv is None or (isinstance(recv, int) and not isinstance(recv, bool)))
        and all(
            record.get(k) is None or is_number(record.get(k))
            for k in ("odo_km", "speed_kmh", "lat", "lon", "soc_pct", "fuel_l", "engine_h")
        )
    )
    if not ok:
        raise RowRejected(RowRejection.MALFORMED_ROW)
    if blank(vin) or blank(kind) or blank(ts) or recv is None:
        raise RowRejected(RowRejection.MISSING_FIELD)
    vin = vin_of(vin)
    event = datetime.fromtimestamp(ts / 1000, UTC) if isinstance(ts, int) else rfc3339(ts)
    return vin, event, datetime.fromtimestamp(recv / 1000, UTC), kind


def intellibus_row(fields: list[str], header: list[str], received: datetime):
    if len(fields) != len(header):
        raise RowRejected(RowRejection.MALFORMED_ROW)
    value = dict(zip(header, (f.strip() for f in fields), strict=True))
    if value["valeur"] and not DECIMAL.match(value["valeur"]):
        raise RowRejected(RowRejection.MALFORMED_ROW)
    if any(not value[k] for k in ("vin", "date", "heure", "code")):
        raise RowRejected(RowRejection.MISSING_FIELD)
    vin = vin_of(value["vin"])
    return vin, paris(value["date"], value["heure"]), received, value["code"]


def rfms_row(status: object) -> tuple[str, datetime, datetime, str]:
    if not isinstance(status, dict):
        raise RowRejected(RowRejection.MALFORMED_ROW)
    trigger = status.get("triggerType")
    kind = trigger.get("triggerType") if isinstance(trigger, dict) else None
    values = (
        status.get("vin"),
        kind,
        status.get("createdDateTime"),
        status.get("receivedDateTime"),
    )
    if not all(v is None or isinstance(v, str) for v in values) or not (
        trigger is None or isinstance(trigger, dict)
    ):
        raise RowRejected(RowRejection.MALFORMED_ROW)
    if any(blank(v) for v in values):
        raise RowRejected(RowRejection.MISSING_FIELD)
    vin = vin_of(values[0])
    return vin, rfc3339(values[2]), rfc3339(values[3]), values[1]


@dataclass
class ContractOracle:
    """What a correct pipeline reports for a landing root (contracts/fleet.md)."""

    root: Path
    today: date
    counts: Counter = field(default_factory=Counter)
    rows_by_source: Counter = field(default_factory=Counter)
    seen: set = field(default_factory=set)
    max_delay: dict = field(default_factory=dict)

    def run(self) -> "ContractOracle":
        known = set()
        reference = self.root / "reference" / "vehicles.csv"
        with reference.open(encoding="utf-8", newline="") as handle:
            known = {row["vin"].strip().upper() for row in csv.DictReader(handle)}
        files = []
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key != "reference/vehicles.csv":
                files.append(key)
        accepted = []
        for key in files:
            if key.rsplit("/", 1)[-1].startswith((".", "_")):
                self.counts["ignored_marker"] += 1
                continue
            try:
                accepted.append((self.check_key(key), key))
            except FileRejectedError as rejected:
                self.counts[rejected.reason.value] += 1
        for _, key in sorted(accepted):
            try:
                rows = self.read(key)
            except FileRejectedError as rejected:
                self.counts[rejected.reason.value] += 1
                continue
            source = key.split("/")[0]
            for parsed in rows:
                self.rows_by_source[source] += 1
                if isinstance(parsed, RowRejection):
                    self.counts[parsed.value] += 1
                    continue
                vin, event, received, kind = parsed
                identity = (source, vin, event, kind)
                if identity in self.seen:
                    self.counts["duplicate"] += 1
                    continue
                self.seen.add(identity)
                if event > received + timedelta(minutes=5):
                    self.counts["future"] += 1
                elif event < Y2K:
                    self.counts["before_2000"] += 1
                else:
                    delay = received - event
                    self.max_delay[source] = max(self.max_delay.get(source, delay), delay)
                    if vin not in known:
                        self.counts["unknown_vins_events"] += 1
        return self

    def check_key(self, key: str) -> date:
        parts = key.split("/")
        if parts[0] not in EXTENSIONS or len(parts) != 3:
            raise FileRejectedError(FileRejection.BAD_KEY)
        try:
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", parts[1]):
                raise ValueError
            day = date.fromisoformat(parts[1])
        except ValueError:
            raise FileRejectedError(FileRejection.BAD_KEY) from None
        if day > self.today + timedelta(days=1):
            raise FileRejectedError(FileRejection.BAD_KEY)
        if not parts[2].removesuffix(".gz").endswith(EXTENSIONS[parts[0]]):
            raise FileRejectedError(FileRejection.UNSUPPORTED_FORMAT)
        return day

    def read(self, key: str) -> list:
        path = self.root / key
        data = path.read_bytes()
        if not data:
            raise FileRejectedError(FileRejection.EMPTY_FILE)
        if key.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                raise FileRejectedError(FileRejection.CORRUPT_COMPRESSION) from None
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            raise FileRejectedError(FileRejection.ENCODING) from None
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        source = key.split("/")[0]
        if source == "rfms":
            try:
                document = json.loads(text)
                statuses = document["vehicleStatusResponse"]["vehicleStatuses"]
            except (ValueError, KeyError, TypeError):
                raise FileRejectedError(FileRejection.MALFORMED_DOCUMENT) from None
            if not isinstance(statuses, list):
                raise FileRejectedError(FileRejection.MALFORMED_DOCUMENT)
            return [self.row(rfms_row, status) for status in statuses]
        lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
        if source == "pcm":
            return [self.row(pcm_row, line) for line in lines]
        header = [name.strip().lower() for name in next(csv.reader([lines[0]], delimiter=";"))]
        if any(name not in header for name in ("vin", "date", "heure", "code", "valeur", "unite")):
            raise FileRejectedError(FileRejection.SCHEMA_MISMATCH)
        return [
            self.row(intellibus_row, next(csv.reader([line], delimiter=";")), header, received)
            for line in lines[1:]
        ]

    @staticmethod
    def row(parse, *args):
        try:
            return parse(*args)
        except RowRejected as rejected:
            return rejected.reason


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    """Sixty buses over the spring DST change, with faults, landed in a folder."""
    root = tmp_path_factory.mktemp("landing")
    summary = simulate_landing(
        FolderLandingWriter(root), [date(2026, 3, 28), date(2026, 3, 29)], buses=60, fault_rate=0.01
    )
    return root, summary


def test_every_expected_count_matches_the_contract_oracle(two_days):
    root, summary = two_days
    oracle = ContractOracle(root, datetime.now(UTC).date()).run()
    assert {key: oracle.counts.get(key, 0) for key in summary.injected} == summary.injected
    assert dict(oracle.rows_by_source) == {k: v for k, v in summary.by_source.items() if v}
    assert summary.events == sum(oracle.rows_by_source.values())
    assert all(count > 0 for count in summary.injected.values())
    assert set(oracle.max_delay) == {source.value for source in Source}
    assert all(delay > timedelta(days=120) for delay in oracle.max_delay.values())


def test_autumn_day_with_faults_matches_the_oracle_too(tmp_path):
    summary = simulate_landing(
        FolderLandingWriter(tmp_path), [date(2026, 10, 25)], buses=25, fault_rate=0.02, seed=7
    )
    oracle = ContractOracle(tmp_path, datetime.now(UTC).date()).run()
    assert {key: oracle.counts.get(key, 0) for key in summary.injected} == summary.injected
    assert summary.events == sum(oracle.rows_by_source.values())


@pytest.mark.parametrize("gateway_type", [PcmGateway, IntellibusGateway, RfmsGateway])
def test_each_row_fault_variant_gives_its_reason_and_nothing_else(gateway_type):
    fleet = build_fleet(12, seed=3)
    bus = next(b for b in fleet.sending if b.source == gateway_type.source)
    day = date(2026, 3, 29)
    t_ms = int(datetime(2026, 3, 29, 9, 30, 5, tzinfo=UTC).timestamp() * 1000)
    seed = EventSeed(bus, day, t_ms, t_ms + 4000, t_ms, gateway_type.scheme.first, False, 0.5)
    events = seeds_frame([seed])
    event = events.row(0, named=True)
    rng = random.Random(1)
    layouts = LAYOUTS if gateway_type is IntellibusGateway else (None,)
    for layout in layouts:
        gateway = IntellibusGateway(1, 0, layout) if layout else gateway_type(1, 0)
        [clean] = gateway.rows(events)
        assert not isinstance(_classify(gateway, clean, t_ms), RowRejection)
        dirty = gateway.dirty_row(clean, bus.vin, rng)
        assert dirty != clean
        assert _classify(gateway, dirty, t_ms) == _classify(gateway, clean, t_ms)
        for variant, reason in gateway_type.row_faults.items():
            row = gateway.faulty_row(clean, event, variant, rng, day)
            assert _classify(gateway, row, t_ms) == reason, (variant, layout, row)


def _classify(gateway, row, t_ms):
    received = datetime.fromtimestamp(t_ms / 1000 + 60, UTC)
    if gateway.source == Source.PCM:
        return ContractOracle.row(pcm_row, row)
    if gateway.source == Source.RFMS:
        return ContractOracle.row(rfms_row, json.loads(row))
    header = [name.strip().lower() for name in gateway.layout.header]
    fields = next(csv.reader([row], delimiter=";"))
    return ContractOracle.row(intellibus_row, fields, header, received)
