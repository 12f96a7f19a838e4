"""Source ``intellibus``: ``;``-separated CSV with decimal comma and Paris local times
(contracts/fleet.md, "Source intellibus")."""

import csv
from datetime import datetime

import polars as pl

from fleet_platform.rules.decode import first_nonblank_line
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.parsed import blank_expr, finish, numbered_lines
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.times import paris_local_utc

REQUIRED_COLUMNS = ("vin", "date", "heure", "code", "valeur", "unite")
UNIT_COLUMNS = {
    "km": "odometer_km",
    "km/h": "speed_kmh",
    "%": "soc_pct",
    "l": "fuel_used_l",
    "h": "engine_hours",
}
_DECIMAL = r"^[+-]?\d+(?:[,.]\d+)?$"


def parse_intellibus(text: str, received_time: datetime) -> pl.DataFrame:
    """Parse an intellibus file's text into ``PARSED_ROWS``; the file's received time
    stands for every row's."""
    header = _header(text)
    lines = numbered_lines(text, skip=1)
    fields = _split_fields(lines, width=len(header))
    return _apply_rules(fields, header, received_time)


def _split_csv_line(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";", quotechar='"'), [])


def _header(text: str) -> list[str]:
    first = first_nonblank_line(text)
    header = [name.strip().lower() for name in _split_csv_line(first)]
    missing = [name.upper() for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise FileRejected(
            FileRejection.SCHEMA_MISMATCH,
            f"header lacks {';'.join(missing)} (found {';'.join(header) or 'nothing'})",
        )
    return header


def _split_fields(lines: pl.DataFrame, width: int) -> pl.DataFrame:
    """Split each line into a list of fields: plain lines in bulk, quoted ones by csv."""
    quoted = pl.col("raw").str.contains('"', literal=True)
    plain = lines.filter(~quoted).with_columns(fields=pl.col("raw").str.split(";"))
    tricky = lines.filter(quoted)
    tricky = tricky.with_columns(
        fields=pl.Series(
            [_split_csv_line(line) for line in tricky["raw"]], dtype=pl.List(pl.String)
        )
    )
    return (
        pl.concat([plain, tricky])
        .sort("row_number")
        .with_columns(malformed=pl.col("fields").list.len() != width)
    )


def _apply_rules(fields: pl.DataFrame, header: list[str], received_time: datetime) -> pl.DataFrame:
    def field(name: str) -> pl.Expr:
        return pl.col("fields").list.get(header.index(name), null_on_oob=True).str.strip_chars()

    value = field("valeur")
    unit = field("unite").str.to_lowercase()
    number = value.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    bad_value = ~blank_expr(value) & ~value.str.contains(_DECIMAL)
    # lazy, so that a field used by several rules is taken out of the line once
    return finish(
        fields.lazy()
        .with_columns(
            malformed=pl.col("malformed") | bad_value.fill_null(False),
            missing=pl.any_horizontal(
                blank_expr(field(name)) for name in ("vin", "date", "heure", "code")
            ),
            vin=field("vin"),
            event_type=field("code"),
            event_time=paris_local_utc(field("date"), field("heure")),
            received_time=pl.lit(received_time).cast(pl.Datetime("us", "UTC")),
            **{column: pl.when(unit == name).then(number) for name, column in UNIT_COLUMNS.items()},
            latitude=pl.lit(None, pl.Float64),
            longitude=pl.lit(None, pl.Float64),
        )
        .with_columns(time_ok=pl.col("event_time").is_not_null())
        .collect(engine="in-memory")
    )
