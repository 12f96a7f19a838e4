"""The contract's row rules as one table: (source, landed text, expected (fate, reason) per
row), each file run through decode → parse_* → classify, as the ingest runs it.

Plus the file rules as one table: (key, landed bytes, expected file rejection).
contracts/fleet.md, "What every input becomes".
"""

import gzip
import json
from datetime import UTC, date, datetime

import polars as pl
import pytest

from fleet_platform.events.ingest import parse_file
from fleet_platform.rules.clean import classify
from fleet_platform.rules.decode import decode_text
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.intellibus import parse_intellibus
from fleet_platform.rules.keys import parse_key
from fleet_platform.rules.pcm import parse_pcm
from fleet_platform.rules.rfms import parse_rfms

VIN = "VFE1BUS0000000001"
RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 21)

CLEAN = ("clean", None)
DUPLICATE = ("duplicate", None)
MALFORMED = ("rejected", "malformed_row")
MISSING = ("rejected", "missing_field")
INVALID_VIN = ("rejected", "invalid_vin")
UNPARSEABLE = ("rejected", "unparseable_time")

_ABSENT = object()


def gz(data: bytes) -> bytes:
    """gzip with a fixed header time, so test ids are the same in every pytest worker."""
    return gzip.compress(data, mtime=0)


def pcm(**fields: object) -> str:
    """A valid pcm line with ``fields`` replaced; ``_ABSENT`` drops a field."""
    line: dict[str, object] = {
        "vin": VIN,
        "ts": "2026-11-21T07:15:02Z",
        "recv_ts": 1795245305000,
        "type": "POSITION",
    }
    line.update(fields)
    return json.dumps({k: v for k, v in line.items() if v is not _ABSENT})


def pcm_file(*lines: str) -> str:
    return "\n".join(lines) + "\n"


HEADER = "VIN;DATE;HEURE;CODE;VALEUR;UNITE"


def csv_file(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def csv(
    vin: str = VIN,
    day: str = "21/11/2026",
    clock: str = "08:15:02",
    code: str = "ODO",
    value: str = "123,4",
    unit: str = "km",
) -> str:
    return ";".join([vin, day, clock, code, value, unit])


def status(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "vin": VIN,
        "triggerType": {"triggerType": "TIMER", "context": "RFMS"},
        "createdDateTime": "2026-11-21T07:15:02Z",
        "receivedDateTime": "2026-11-21T07:15:05Z",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not _ABSENT}


def rfms_file(*statuses: object) -> str:
    return json.dumps({"vehicleStatusResponse": {"vehicleStatuses": list(statuses)}})


# fmt: off
ROW_CORPUS = [
    # --- pcm ------------------------------------------------------------------------------
    ("pcm", pcm_file(pcm()), [CLEAN], "pcm-clean"),
    ("pcm", pcm_file(pcm(vin=12345678901234567), pcm(type=_ABSENT), pcm(vin="VFE1BUS000000000O"), pcm(ts="2026-11-21T07:15:02")),
     [MALFORMED, MISSING, INVALID_VIN, UNPARSEABLE], "pcm-each-reason"),
    # precedence: a row with several problems takes the first reason
    ("pcm", pcm_file(pcm(vin=1, type=_ABSENT, ts="x")), [MALFORMED], "pcm-malformed-before-missing"),
    ("pcm", pcm_file(pcm(ts=1.5, vin="bad")), [MALFORMED], "pcm-malformed-before-invalid-vin"),
    ("pcm", pcm_file(pcm(vin=_ABSENT, ts="x")), [MISSING], "pcm-missing-before-unparseable"),
    ("pcm", pcm_file(pcm(recv_ts=_ABSENT, vin="bad")), [MISSING], "pcm-missing-before-invalid-vin"),
    ("pcm", pcm_file(pcm(vin="bad", ts="yesterday")), [INVALID_VIN], "pcm-invalid-vin-before-unparseable"),
    # strict types
    ("pcm", pcm_file(pcm(vin=12345678901234567)), [MALFORMED], "pcm-numeric-vin"),
    ("pcm", pcm_file(pcm(vin=True)), [MALFORMED], "pcm-boolean-vin"),
    ("pcm", pcm_file(pcm(type=3)), [MALFORMED], "pcm-numeric-type"),
    ("pcm", pcm_file(pcm(ts=1795245302123.0)), [MALFORMED], "pcm-float-ts"),
    ("pcm", pcm_file(pcm(ts=True)), [MALFORMED], "pcm-boolean-ts"),
    ("pcm", pcm_file(pcm(recv_ts="1795245305000")), [MALFORMED], "pcm-string-recv-ts"),
    ("pcm", pcm_file(pcm(recv_ts=1795245305000.5)), [MALFORMED], "pcm-float-recv-ts"),
    ("pcm", pcm_file(pcm(odo_km="12.5")), [MALFORMED], "pcm-string-measurement"),
    ("pcm", pcm_file(pcm(speed_kmh=False)), [MALFORMED], "pcm-boolean-measurement"),
    ("pcm", pcm_file(pcm(lat=[48.85])), [MALFORMED], "pcm-array-measurement"),
    ("pcm", pcm_file(pcm(ts="1795245302123")), [UNPARSEABLE], "pcm-epoch-string-ts"),
    ("pcm", pcm_file(pcm(ts="yesterday")), [UNPARSEABLE], "pcm-word-ts"),
    ("pcm", pcm_file(pcm(ts="2026-11-21T07:15:02")), [UNPARSEABLE], "pcm-ts-without-offset"),
    ("pcm", pcm_file(pcm(ts="2026-02-30T07:15:02Z")), [UNPARSEABLE], "pcm-impossible-date"),
    ("pcm", pcm_file(pcm(ts=1795245302123)), [CLEAN], "pcm-epoch-ms-integer-ts"),
    ("pcm", pcm_file(pcm(ts="2026-11-21T07:15:02Z")), [CLEAN], "pcm-z-offset"),
    ("pcm", pcm_file(pcm(ts="2026-11-21T08:15:02+01:00")), [CLEAN], "pcm-plus-offset"),
    ("pcm", pcm_file(pcm(ts="2026-11-21T02:15:02-05:00")), [CLEAN], "pcm-minus-offset"),
    ("pcm", pcm_file(pcm(firmware="4.2", meta={"a": [1, {"b": None}]}, flag=True)), [CLEAN], "pcm-unknown-fields-ignored"),
    ("pcm", pcm_file(pcm(odo_km=None, speed_kmh=None, lat=None, lon=None, soc_pct=None, fuel_l=None, engine_h=None)),
     [CLEAN], "pcm-null-optional-fields"),
    ("pcm", pcm_file(pcm(vin=None)), [MISSING], "pcm-null-vin"),
    ("pcm", pcm_file(pcm(vin="   ")), [MISSING], "pcm-blank-vin"),
    ("pcm", pcm_file(pcm(ts=None)), [MISSING], "pcm-null-ts"),
    ("pcm", pcm_file(pcm(ts="")), [MISSING], "pcm-empty-ts"),
    ("pcm", pcm_file(pcm(recv_ts=None)), [MISSING], "pcm-null-recv-ts"),
    ("pcm", pcm_file(pcm(type="")), [MISSING], "pcm-empty-type"),
    ("pcm", pcm_file(pcm(vin=" vfe1bus0000000001 ")), [CLEAN], "pcm-vin-trimmed-upper-cased"),
    ("pcm", pcm_file(pcm(vin="VFE1BUS000000001")), [INVALID_VIN], "pcm-vin-16-chars"),
    ("pcm", pcm_file(pcm(vin="VFE1BUS000000000I")), [INVALID_VIN], "pcm-vin-with-I"),
    ("pcm", pcm_file(pcm(vin="VFE1BUS000000000Q")), [INVALID_VIN], "pcm-vin-with-Q"),
    ("pcm", "\n\n" + pcm(type="A") + "\n   \n\n" + pcm(type="B") + "\r\n\t\n" + pcm(type="C") + "\n\n",
     [CLEAN, CLEAN, CLEAN], "pcm-blank-lines-not-counted"),
    ("pcm", pcm_file("[1,2]", '"text"', "42", "null", "{}"), [MALFORMED] * 4 + [MISSING], "pcm-non-object-lines"),
    ("pcm", pcm_file(pcm(type="A"), "{broken json", pcm(vin=5), pcm(ts="x"), pcm(type="B"), pcm(type="B")),
     [CLEAN, MALFORMED, MALFORMED, UNPARSEABLE, CLEAN, DUPLICATE], "pcm-broken-line-exact-path"),
    ("pcm", pcm_file(pcm(type="A"), pcm(vin=5), pcm(ts="x"), pcm(type="B"), pcm(type="B")),
     [CLEAN, MALFORMED, UNPARSEABLE, CLEAN, DUPLICATE], "pcm-same-without-broken-line"),
    ("pcm", pcm_file(pcm(), pcm(ts="2026-11-21T08:15:02+01:00", odo_km=1), pcm(ts=1795245302000, vin="vfe1bus0000000001")),
     [CLEAN, DUPLICATE, DUPLICATE], "pcm-duplicate-identity-spelled-three-ways"),
    # --- intellibus -----------------------------------------------------------------------
    ("intellibus", csv_file(csv()), [CLEAN], "intellibus-clean"),
    ("intellibus", "\ufeff" + csv_file(csv()), [CLEAN], "intellibus-bom"),
    ("intellibus", csv_file(csv(), header=" vin ;Date; heure;CODE ;valeur;Unite"), [CLEAN], "intellibus-header-case-space"),
    ("intellibus", csv_file("km;123,4;ODO;08:15:02;21/11/2026;" + VIN, header="UNITE;VALEUR;CODE;HEURE;DATE;VIN"),
     [CLEAN], "intellibus-header-order"),
    ("intellibus", csv_file("D1;" + csv() + ";note", header="DEPOT;" + HEADER + ";COMMENT"), [CLEAN], "intellibus-extra-columns"),
    ("intellibus", csv_file(csv(vin="", value="abc"), csv(code="", day="31/02/2026"), csv(vin="bad", clock="xx")),
     [MALFORMED, MISSING, INVALID_VIN], "intellibus-precedence"),
    ("intellibus", csv_file(csv(value="12,5")), [CLEAN], "intellibus-decimal-comma"),
    ("intellibus", csv_file(csv(value="")), [CLEAN], "intellibus-valeur-empty"),
    ("intellibus", csv_file(csv(value="abc")), [MALFORMED], "intellibus-valeur-not-a-number"),
    ("intellibus", csv_file(csv() + ";extra", csv()[: -len(";km")]), [MALFORMED, MALFORMED], "intellibus-wrong-field-count"),
    ("intellibus", csv_file(*(csv(code=u, unit=u) for u in ["km", "km/h", "%", "l", "h", "kWh"])),
     [CLEAN] * 6, "intellibus-each-unit-and-unknown"),
    ("intellibus", csv_file(csv(vin="")), [MISSING], "intellibus-empty-vin"),
    ("intellibus", csv_file(csv(day=" ")), [MISSING], "intellibus-empty-date"),
    ("intellibus", csv_file(csv(clock="")), [MISSING], "intellibus-empty-heure"),
    ("intellibus", csv_file(csv(code="")), [MISSING], "intellibus-empty-code"),
    ("intellibus", csv_file(csv(vin="vfe1bus0000000001")), [CLEAN], "intellibus-lower-case-vin"),
    ("intellibus", csv_file(csv(vin="VFE1BUS00000000O1")), [INVALID_VIN], "intellibus-invalid-vin"),
    ("intellibus", csv_file(csv(day="25/10/2026", clock="02:30:00")), [CLEAN], "intellibus-autumn-hour-twice"),
    ("intellibus", csv_file(csv(day="29/03/2026", clock="02:30:00")), [UNPARSEABLE], "intellibus-spring-gap"),
    ("intellibus", csv_file(csv(day="31/02/2026")), [UNPARSEABLE], "intellibus-impossible-date"),
    ("intellibus", csv_file(csv(day="2026-11-21")), [UNPARSEABLE], "intellibus-iso-date"),
    ("intellibus", csv_file(csv(), csv(value="999"), csv(code="OTHER")), [CLEAN, DUPLICATE, CLEAN], "intellibus-duplicate"),
    ("intellibus", HEADER + "\r\n\r\n" + csv(code="A") + "\r\n \r\n" + csv(code="B") + "\r\n",
     [CLEAN, CLEAN], "intellibus-crlf-blank-lines"),
    # --- rfms -----------------------------------------------------------------------------
    ("rfms", rfms_file(status()), [CLEAN], "rfms-clean"),
    ("rfms", rfms_file(status(triggerType={"triggerType": "TIMER"})), [CLEAN], "rfms-context-not-enforced"),
    ("rfms", rfms_file(status(vin=_ABSENT), status(createdDateTime=_ABSENT), status(receivedDateTime=""),
                       status(triggerType={"context": "RFMS"}), status(triggerType=_ABSENT)),
     [MISSING] * 5, "rfms-required-fields"),
    ("rfms", rfms_file(status(vin=123), status(hrTotalVehicleDistance="1"), "status", None),
     [MALFORMED] * 4, "rfms-wrong-types"),
    ("rfms", rfms_file(status(vin="bad")), [INVALID_VIN], "rfms-invalid-vin"),
    ("rfms", rfms_file(status(createdDateTime="2026-11-21T07:15:02")), [UNPARSEABLE], "rfms-created-without-offset"),
    ("rfms", rfms_file(status(receivedDateTime="21/11/2026")), [UNPARSEABLE], "rfms-received-unparseable"),
    ("rfms", rfms_file(status(vin=1, createdDateTime=_ABSENT), status(vin=_ABSENT, createdDateTime="x"),
                       status(vin="bad", receivedDateTime="x")),
     [MALFORMED, MISSING, INVALID_VIN], "rfms-precedence"),
    ("rfms", rfms_file(status(), status(hrTotalVehicleDistance=5), status(vin="vfe1bus0000000001")),
     [CLEAN, DUPLICATE, DUPLICATE], "rfms-duplicate"),
    ("rfms", rfms_file(), [], "rfms-no-statuses"),
]
# fmt: on


def classify_file(source: str, text: str) -> pl.DataFrame:
    decoded = decode_text(text.encode(), compressed=False)
    match source:
        case "pcm":
            parsed = parse_pcm(decoded)
        case "intellibus":
            parsed = parse_intellibus(decoded, RECEIVED)
        case "rfms":
            parsed = parse_rfms(decoded)
    rows = parsed.with_columns(
        source=pl.lit(source),
        ingest_date=pl.lit(TODAY),
        source_file=pl.lit(f"{source}/2026-11-21/file"),
        file_version=pl.lit("v1"),
        file_seq=pl.lit(0, pl.Int32),
    )
    return classify(
        rows.lazy(),
        pl.LazyFrame(schema={"vin": pl.String}),
        pl.LazyFrame(schema={"event_id": pl.String}),
    ).collect()


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [pytest.param(*case[:3], id=case[3]) for case in ROW_CORPUS],
)
def test_every_row_gets_its_fate_and_reason(source, text, expected):
    out = classify_file(source, text)
    assert out["row_number"].to_list() == list(range(1, len(expected) + 1))
    assert out.select("fate", "reason").rows() == expected


def test_the_corpus_covers_every_fate_and_row_reason_in_every_source():
    covered = {(source, outcome) for source, _, expected, _ in ROW_CORPUS for outcome in expected}
    outcomes = [CLEAN, DUPLICATE, MALFORMED, MISSING, INVALID_VIN, UNPARSEABLE]
    assert {(s, o) for s in ("pcm", "intellibus", "rfms") for o in outcomes} <= covered


# --- file rules -----------------------------------------------------------------------------

GOOD_CSV = csv_file(csv()).encode()
GOOD_PCM = pcm_file(pcm()).encode()
GOOD_RFMS = rfms_file(status()).encode()

FILE_CORPUS = [
    ("pcm/2026-11-21/a.jsonl", GOOD_PCM, None),
    ("pcm/2026-11-21/a.jsonl.gz", gz(GOOD_PCM), None),
    ("intellibus/2026-11-21/b.csv", GOOD_CSV, None),
    ("intellibus/2026-11-21/b.csv.gz", gz(b"\xef\xbb\xbf" + GOOD_CSV), None),
    ("rfms/2026-11-21/c.json", GOOD_RFMS, None),
    ("rfms/2026-11-21/c.json.gz", gz(GOOD_RFMS), None),
    ("pcm/2026-11-22/a.jsonl", GOOD_PCM, None),  # tomorrow is allowed
    ("gps/2026-11-21/a.jsonl", GOOD_PCM, "bad_key"),
    ("pcm/2026-02-30/a.jsonl", GOOD_PCM, "bad_key"),
    ("pcm/a.jsonl", GOOD_PCM, "bad_key"),
    ("pcm/2026-11-23/a.jsonl", GOOD_PCM, "bad_key"),
    ("pcm/2026-11-21/a.csv", GOOD_CSV, "unsupported_format"),
    ("rfms/2026-11-21/c.json.zip", GOOD_RFMS, "unsupported_format"),
    ("pcm/2026-11-21/a.jsonl", b"", "empty_file"),
    ("pcm/2026-11-21/a.jsonl.gz", b"", "empty_file"),
    ("pcm/2026-11-21/a.jsonl.gz", gz(GOOD_PCM)[:-6], "corrupt_compression"),
    ("intellibus/2026-11-21/b.csv.gz", GOOD_CSV, "corrupt_compression"),
    ("intellibus/2026-11-21/b.csv", "VIN;DATE;HEURE;CODE;VALEUR;UNITE\nVFE;été\n".encode("cp1252"), "encoding"),
    ("pcm/2026-11-21/a.jsonl", b'{"vin":"\xe9"}\n', "encoding"),
    ("intellibus/2026-11-21/b.csv", b"VIN;DATE;HEURE;CODE;VALEUR\n", "schema_mismatch"),
    ("rfms/2026-11-21/c.json", b'{"vehicleStatusResponse":', "malformed_document"),
    ("rfms/2026-11-21/c.json", b'{"vehicleStatusResponse":{"vehicleStatuses":{}}}', "malformed_document"),
]  # fmt: skip


def file_rejection(key: str, data: bytes) -> str | None:
    try:
        parse_file(parse_key(key, TODAY), data, RECEIVED)
    except FileRejected as rejected:
        return rejected.reason.value
    return None


@pytest.mark.parametrize(("key", "data", "reason"), FILE_CORPUS)
def test_every_file_is_accepted_or_rejected_with_its_reason(key, data, reason):
    assert file_rejection(key, data) == reason


def test_the_file_corpus_covers_every_file_reason():
    reasons = {reason for _, _, reason in FILE_CORPUS}
    assert reasons == {
        None,
        "bad_key",
        "unsupported_format",
        "empty_file",
        "corrupt_compression",
        "encoding",
        "schema_mismatch",
        "malformed_document",
    }
