"""Source intellibus (contracts/fleet.md, "Source intellibus"): header, decimal comma,
units, Paris local times, field counts — from landed bytes to ``PARSED_ROWS``."""

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.rules.decode import decode_text
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.intellibus import parse_intellibus
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.schema import MEASUREMENTS, PARSED_ROWS

RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
VIN = "VFE1BUS0000000001"
HEADER = "VIN;DATE;HEURE;CODE;VALEUR;UNITE"


def parse(text: str) -> pl.DataFrame:
    return parse_intellibus(text, RECEIVED)


def parse_bytes(data: bytes) -> pl.DataFrame:
    return parse_intellibus(decode_text(data, compressed=False), RECEIVED)


def row(row_number: int, raw: str, **values: object) -> dict[str, object]:
    out: dict[str, object] = dict.fromkeys(PARSED_ROWS)
    out.update(
        row_number=row_number,
        raw=raw,
        malformed=False,
        missing=False,
        time_ok=True,
        received_time=RECEIVED,
    )
    out.update(values)
    return out


def test_a_row_maps_to_the_canonical_columns_in_utc():
    line = f"{VIN};21/11/2026;08:15:02;ODO;123456,7;km"
    assert_frame_equal(
        parse(f"{HEADER}\n{line}\n"),
        pl.DataFrame(
            [
                row(
                    1,
                    line,
                    vin=VIN,
                    event_type="ODO",
                    event_time=datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC),
                    odometer_km=123456.7,
                )
            ],
            schema=PARSED_ROWS,
            orient="row",
        ),
    )


def test_a_bom_before_the_header_is_dropped():
    rows = parse_bytes(f"\ufeff{HEADER}\n{VIN};21/11/2026;08:15:02;ODO;1;km\n".encode())
    assert rows.select("vin", "odometer_km", "malformed").rows() == [(VIN, 1.0, False)]


@pytest.mark.parametrize(
    "header",
    [
        "vin;date;heure;code;valeur;unite",
        " Vin ; Date;HEURE ;code; VALEUR;Unite ",
        "UNITE;VALEUR;CODE;HEURE;DATE;VIN",
        "DEPOT;VIN;DATE;HEURE;CODE;VALEUR;UNITE;COMMENT",
        '"VIN";"DATE";"HEURE";"CODE";"VALEUR";"UNITE"',
    ],
)
def test_the_header_is_case_insensitive_trimmed_in_any_order_with_extra_columns(header):
    names = [name.strip().strip('"').lower() for name in header.split(";")]
    values = {
        "vin": VIN,
        "date": "21/11/2026",
        "heure": "08:15:02",
        "code": "SPEED",
        "valeur": "42,5",
        "unite": "km/h",
    }
    line = ";".join(values.get(name, "x") for name in names)
    rows = parse(f"{header}\n{line}\n")
    assert rows.select(
        "vin", "event_type", "event_time", "speed_kmh", "malformed", "missing", "time_ok"
    ).rows() == [
        (VIN, "SPEED", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC), 42.5, False, False, True)
    ]


@pytest.mark.parametrize(
    "header",
    [
        "VIN;DATE;HEURE;CODE;VALEUR",  # no UNITE
        "VIN;DATE;TIME;CODE;VALEUR;UNITE",  # HEURE renamed
        "VIN,DATE,HEURE,CODE,VALEUR,UNITE",  # wrong delimiter
        f"{VIN};21/11/2026;08:15:02;ODO;1;km",  # no header at all
    ],
)
def test_a_missing_header_column_rejects_the_file_as_schema_mismatch(header):
    with pytest.raises(FileRejected) as rejected:
        parse(f"{header}\n{VIN};21/11/2026;08:15:02;ODO;1;km\n")
    assert rejected.value.reason is FileRejection.SCHEMA_MISMATCH


def test_a_file_of_blank_lines_has_no_header_and_is_schema_mismatch():
    with pytest.raises(FileRejected) as rejected:
        parse("\n \n")
    assert rejected.value.reason is FileRejection.SCHEMA_MISMATCH


def test_a_header_only_file_has_no_rows():
    assert parse(f"{HEADER}\n").height == 0


def test_blank_lines_and_crlf_are_not_counted_and_the_header_is_not_a_row():
    a = f"{VIN};21/11/2026;08:15:02;A;;"
    b = f"{VIN};21/11/2026;08:15:03;B;;"
    rows = parse_bytes(f"\r\n{HEADER}\r\n\r\n{a}\r\n  \r\n{b}\r\n".encode())
    assert rows.select("row_number", "raw", "event_type").rows() == [(1, a, "A"), (2, b, "B")]


@pytest.mark.parametrize(
    ("valeur", "unite", "column", "value"),
    [
        ("123456,7", "km", "odometer_km", 123456.7),
        ("42,5", "km/h", "speed_kmh", 42.5),
        ("87", "%", "soc_pct", 87.0),
        ("12345,6", "l", "fuel_used_l", 12345.6),
        ("2345,5", "h", "engine_hours", 2345.5),
        ("-3,25", "km/h", "speed_kmh", -3.25),
        (" 12,5 ", "km", "odometer_km", 12.5),
    ],
)
def test_each_unit_fills_its_measurement(valeur, unite, column, value):
    rows = parse(f"{HEADER}\n{VIN};21/11/2026;08:15:02;X;{valeur};{unite}\n")
    measurements = rows.select(list(MEASUREMENTS)).row(0, named=True)
    assert measurements == {name: (value if name == column else None) for name in MEASUREMENTS}
    assert rows.select("malformed", "missing", "time_ok").row(0) == (False, False, True)


@pytest.mark.parametrize(
    ("valeur", "unite"),
    [("12,5", "kWh"), ("12,5", ""), ("12,5", "bar"), ("", "km"), ("", "")],
)
def test_an_unknown_unit_or_empty_value_keeps_the_event_without_measurement(valeur, unite):
    rows = parse(f"{HEADER}\n{VIN};21/11/2026;08:15:02;DOOR;{valeur};{unite}\n")
    assert rows.select(list(MEASUREMENTS)).row(0) == (None,) * len(MEASUREMENTS)
    assert rows.select("vin", "event_type", "malformed", "missing", "time_ok").row(0) == (
        VIN,
        "DOOR",
        False,
        False,
        True,
    )


@pytest.mark.parametrize("valeur", ["abc", "12,5,3", "1 234", "12,", ",5", "1e3", "--1"])
def test_a_value_that_is_not_a_decimal_number_is_malformed(valeur):
    rows = parse(f"{HEADER}\n{VIN};21/11/2026;08:15:02;ODO;{valeur};km\n")
    assert rows["malformed"].to_list() == [True]


@pytest.mark.parametrize(
    "line",
    [
        f"{VIN};21/11/2026;08:15:02;ODO;1",  # one field short
        f"{VIN};21/11/2026;08:15:02;ODO;1;km;extra",  # one field too many
        f"{VIN};21/11/2026;08:15:02;ODO;12;5;km",  # decimal comma confused with the delimiter
        VIN,
    ],
)
def test_a_wrong_number_of_fields_is_malformed(line):
    rows = parse(f"{HEADER}\n{line}\n")
    assert rows["malformed"].to_list() == [True]


def test_a_quoted_field_may_hold_the_delimiter():
    line = f'{VIN};21/11/2026;08:15:02;"DOOR;OPEN";"12,5";km'
    rows = parse(f"{HEADER}\n{line}\n")
    assert rows.select("raw", "event_type", "odometer_km", "malformed").rows() == [
        (line, "DOOR;OPEN", 12.5, False)
    ]


def test_quoted_and_plain_lines_of_one_file_keep_their_order_and_their_own_fields():
    lines = [
        f"  {VIN}  ;21/11/2026;08:15:01;A;1;km",  # plain, padded
        f'{VIN};21/11/2026;08:15:02;"B;C";" 2,5 ";km',  # quoted: the delimiter inside
        f"{VIN};21/11/2026;08:15:03;D;3;km;extra",  # plain, one field too many
        f'{VIN};21/11/2026;08:15:04;"E";4',  # quoted, one field short
        f'{VIN};21/11/2026;08:15:05;"F;G;H";5;km',  # quoted: 8 pieces between ";", 6 fields
        f"{VIN};21/11/2026;08:15:06;I;6",  # plain, one field short
    ]
    rows = parse("\n".join([HEADER, *lines]) + "\n")
    at = [datetime(2026, 11, 21, 7, 15, second, tzinfo=UTC) for second in range(1, 7)]
    assert rows.select(
        "row_number", "raw", "vin", "event_type", "event_time", "odometer_km", "malformed"
    ).rows() == [
        (1, lines[0], VIN, "A", at[0], 1.0, False),
        (2, lines[1], VIN, "B;C", at[1], 2.5, False),
        (3, lines[2], VIN, "D", at[2], 3.0, True),
        (4, lines[3], VIN, "E", at[3], None, True),
        (5, lines[4], VIN, "F;G;H", at[4], 5.0, False),
        (6, lines[5], VIN, "I", at[5], None, True),
    ]


@pytest.mark.parametrize(
    ("quoted", "expected"),
    [
        # a quoted field past the required ones: csv changes ``malformed`` alone
        (f'{VIN};21/11/2026;08:15:02;ODO;1,5;km;"78; 79"', (VIN, "ODO", 1.5, False)),
        # a quote inside a field: csv splits as the bulk split did, nothing changes
        (f'{VIN};21/11/2026;08:15:02;O"D"O;1,5;km;x', (VIN, 'O"D"O', 1.5, False)),
        # a quoted required field: csv changes that field
        (f'"{VIN}";21/11/2026;08:15:02;ODO;1,5;km;x', (VIN, "ODO", 1.5, False)),
    ],
)
def test_a_quoted_line_among_plain_ones_gets_the_fields_csv_gives_it(quoted, expected):
    plain = f"{VIN};21/11/2026;08:15:01;A;1;km;x"
    rows = parse(f"{HEADER};LIGNE\n{plain}\n{quoted}\n{plain}\n")
    assert rows.select("vin", "event_type", "odometer_km", "malformed").rows() == [
        (VIN, "A", 1.0, False),
        expected,
        (VIN, "A", 1.0, False),
    ]


def test_a_quote_left_open_ends_with_its_line():
    left_open = f'{VIN};21/11/2026;08:15:01;"DOOR;1;km'
    rows = parse(f'{HEADER}\n{left_open}\n{VIN};21/11/2026;08:15:02;"ODO";2;km\n')
    assert rows.select("row_number", "event_type", "odometer_km", "malformed").rows() == [
        (1, "DOOR;1;km", None, True),
        (2, "ODO", 2.0, False),
    ]


@pytest.mark.parametrize(
    ("date", "heure", "utc"),
    [
        ("21/11/2026", "08:15:02", datetime(2026, 11, 21, 7, 15, 2, tzinfo=UTC)),  # CET
        ("21/07/2026", "08:15:02", datetime(2026, 7, 21, 6, 15, 2, tzinfo=UTC)),  # CEST
        ("01/01/2026", "00:30:00", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
        ("25/10/2026", "01:59:59", datetime(2026, 10, 24, 23, 59, 59, tzinfo=UTC)),
        ("25/10/2026", "02:30:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # twice: earlier
        ("25/10/2026", "03:00:00", datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        ("29/03/2026", "01:59:59", datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)),
        ("29/03/2026", "03:00:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        ("29/02/2028", "12:00:00", datetime(2028, 2, 29, 11, 0, tzinfo=UTC)),
    ],
)
def test_date_and_heure_are_paris_local_time(date, heure, utc):
    rows = parse(f"{HEADER}\n{VIN};{date};{heure};ODO;;\n")
    assert rows.select("event_time", "time_ok").row(0) == (utc, True)


@pytest.mark.parametrize(
    ("date", "heure"),
    [
        ("29/03/2026", "02:30:00"),  # inside the spring gap: does not exist
        ("29/03/2026", "02:00:00"),
        ("31/02/2026", "08:00:00"),  # impossible date
        ("29/02/2026", "08:00:00"),
        ("21/13/2026", "08:00:00"),
        ("21/11/2026", "24:00:00"),
        ("21/11/2026", "08:60:00"),
        ("2026-11-21", "08:15:02"),  # wrong date format
        ("21/11/26", "08:15:02"),
        ("21/11/2026", "8:15:02"),
        ("21/11/2026", "08:15"),
        ("21/11/2026", "08:15:02.5"),
    ],
)
def test_a_local_time_that_does_not_exist_or_is_misformatted_does_not_parse(date, heure):
    rows = parse(f"{HEADER}\n{VIN};{date};{heure};ODO;;\n")
    assert rows.select("event_time", "time_ok", "malformed", "missing").row(0) == (
        None,
        False,
        False,
        False,
    )


@pytest.mark.parametrize("blank", ["VIN", "DATE", "HEURE", "CODE"])
def test_an_empty_required_field_is_missing(blank):
    values = {"VIN": VIN, "DATE": "21/11/2026", "HEURE": "08:15:02", "CODE": "ODO"}
    values[blank] = "  "
    line = ";".join([values["VIN"], values["DATE"], values["HEURE"], values["CODE"], "1", "km"])
    rows = parse(f"{HEADER}\n{line}\n")
    assert rows.select("missing", "malformed").row(0) == (True, False)


def test_every_row_gets_the_file_received_time():
    rows = parse(f"{HEADER}\n{VIN};21/11/2026;08:15:02;A;;\n{VIN};21/11/2025;08:15:02;B;;\n")
    assert rows["received_time"].to_list() == [RECEIVED, RECEIVED]
