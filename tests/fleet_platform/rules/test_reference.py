"""Fleet master data (contracts/fleet.md, "Fleet reference"): reference/vehicles.csv."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.rules.reference import VEHICLES, ReferenceError, parse_reference

HEADER = "vin,fleet_number,operator,country,model,energy,commissioned_on"


def vehicles(rows: list[tuple[str, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=VEHICLES, orient="row")


def test_rows_are_read_as_text_with_the_contract_columns():
    data = f"{HEADER}\nVFE1BUS0000000001,0042,RATP,FR,Citaro,diesel,2019-03-01\n".encode()
    assert_frame_equal(
        parse_reference(data),
        vehicles([("VFE1BUS0000000001", "0042", "RATP", "FR", "Citaro", "diesel", "2019-03-01")]),
    )


def test_vins_are_trimmed_and_upper_cased_other_values_kept_as_landed():
    data = f"{HEADER}\n  vfe1bus0000000001\t,7, RATP ,FR,m,e,\n".encode()
    assert_frame_equal(
        parse_reference(data),
        vehicles([("VFE1BUS0000000001", "7", " RATP ", "FR", "m", "e", None)]),
    )


def test_the_header_is_case_insensitive_trimmed_in_any_order_with_extra_columns():
    data = (
        b"Commissioned_On, Energy ,MODEL,country,operator,fleet_number,VIN,depot\n"
        b"2019-03-01,diesel,Citaro,FR,RATP,0042,VFE1BUS0000000001,Lagny\n"
    )
    assert_frame_equal(
        parse_reference(data),
        vehicles([("VFE1BUS0000000001", "0042", "RATP", "FR", "Citaro", "diesel", "2019-03-01")]),
    )


def test_a_bom_before_the_header_is_dropped():
    data = f"\ufeff{HEADER}\nVFE1BUS0000000001,1,o,FR,m,e,2020-01-01\n".encode()
    assert parse_reference(data)["vin"].to_list() == ["VFE1BUS0000000001"]


def test_one_row_per_vin_the_first_wins_and_blank_vins_are_dropped():
    data = (
        f"{HEADER}\n"
        "VFE1BUS0000000001,1,first,FR,m,e,\n"
        ",2,no vin,FR,m,e,\n"
        "   ,3,blank vin,FR,m,e,\n"
        " vfe1bus0000000001,4,second,FR,m,e,\n"
        "VFE1BUS0000000002,5,other,FR,m,e,\n"
    ).encode()
    assert parse_reference(data).select("vin", "operator").rows() == [
        ("VFE1BUS0000000001", "first"),
        ("VFE1BUS0000000002", "other"),
    ]


def test_a_header_only_file_has_no_vehicles():
    assert_frame_equal(parse_reference(f"{HEADER}\n".encode()), vehicles([]))


@pytest.mark.parametrize(
    "header",
    [
        "fleet_number,operator,country,model,energy,commissioned_on",
        "vin,fleet_number,operator,country,model,energy",
        "vin;fleet_number;operator;country;model;energy;commissioned_on",
    ],
)
def test_a_missing_column_is_a_reference_error(header):
    row = ",".join("x" for _ in header.split(","))
    with pytest.raises(ReferenceError, match="lacks the columns"):
        parse_reference(f"{header}\n{row}\n".encode())


def test_the_error_names_the_missing_columns():
    with pytest.raises(ReferenceError) as error:
        parse_reference(b"vin,fleet_number,operator,country,model\nX,1,o,FR,m\n")
    assert str(error.value) == "reference/vehicles.csv lacks the columns energy, commissioned_on"


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00v\x00i\x00n"])
def test_an_unreadable_file_is_a_reference_error(data):
    with pytest.raises(ReferenceError):
        parse_reference(data)
