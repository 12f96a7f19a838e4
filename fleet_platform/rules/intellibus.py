"""Source ``intellibus``: ``;``-separated CSV with decimal comma and Paris local times
(contracts/fleet.md, "Source intellibus")."""

import csv
from datetime import datetime

import polars as pl

from fleet_platform.rules.decode import first_nonblank_line
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.parsed import blank_expr, finish, numbered_lines
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.schema import UTC_TIME
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


def _blank(name: str) -> pl.Expr:
    return blank_expr(pl.col(name), stripped=True)  # the fields are stripped first


# Built once, not for every file: building them cost about a quarter of a small file's
# parse. Rules that read a computed column (``unit``, ``number``, ``event_time``) come after
# it, as an eager frame computes a shared sub-expression again for each use.
_QUOTED = pl.col("raw").str.contains('"', literal=True)
_STRIPPED = pl.col(REQUIRED_COLUMNS).str.strip_chars()
_SHARED = {
    "unit": pl.col("unite").str.to_lowercase(),
    "number": pl.col("valeur").str.replace(",", ".", literal=True).cast(pl.Float64, strict=False),
    "event_time": paris_local_utc(pl.col("date"), pl.col("heure")),
}
_RULES = {
    "malformed": pl.col("malformed")
    | (~_blank("valeur") & ~pl.col("valeur").str.contains(_DECIMAL)).fill_null(False),
    "missing": pl.any_horizontal(_blank(name) for name in ("vin", "date", "heure", "code")),
    "vin": pl.col("vin"),
    "event_type": pl.col("code"),
    "time_ok": pl.col("event_time").is_not_null(),
    **{
        column: pl.when(pl.col("unit") == unit).then("number")
        for unit, column in UNIT_COLUMNS.items()
    },
    "latitude": pl.lit(None, pl.Float64),
    "longitude": pl.lit(None, pl.Float64),
}


def parse_intellibus(text: str, received_time: datetime) -> pl.DataFrame:
    """Parse an intellibus file's text into ``PARSED_ROWS``; the file's received time
    stands for every row's."""
    header = _header(text)
    lines = numbered_lines(text, skip=1)
    fields = _split_fields(lines, header, maybe_quoted='"' in text)
    return _apply_rules(fields, received_time)


def _split_csv_line(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";", quotechar='"'), [])


def _split_csv_lines(lines: list[str]) -> list[list[str]]:
    """:func:`_split_csv_line` of each line, by one reader when no quote stays open at
    the end of a line (a reader would carry it on into the next line)."""
    rows = list(csv.reader(lines, delimiter=";", quotechar='"'))
    if len(rows) == len(lines):
        return rows
    return [_split_csv_line(line) for line in lines]


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


def _split_fields(lines: pl.DataFrame, header: list[str], maybe_quoted: bool) -> pl.DataFrame:
    """The lines with their required fields as columns, white space stripped (null past
    the end of a short line), and ``malformed`` when a line has not one field per column.

    Lines are split in bulk, then those with quotes (only if ``maybe_quoted``) again by csv."""
    width = len(header)
    at = {name: header.index(name) for name in REQUIRED_COLUMNS}
    # One field more than the header: not null when the line has too many. Unnesting the
    # struct costs less than reading its fields one by one.
    split = lines.select(
        "row_number", "raw", pl.col("raw").str.split_exact(";", width).alias("split")
    ).unnest("split")
    field = [f"field_{index}" for index in range(width + 1)]
    fields = split.select(
        "row_number",
        "raw",
        malformed=pl.col(field[width - 1]).is_null() | pl.col(field[width]).is_not_null(),
        **{name: pl.col(field[index]) for name, index in at.items()},
    )
    if maybe_quoted:
        fields = _resplit_quoted(fields, width, at)
    return fields.with_columns(_STRIPPED)


def _resplit_quoted(fields: pl.DataFrame, width: int, at: dict[str, int]) -> pl.DataFrame:
    """Lines with quotes split again, by csv: a quoted field may hold the delimiter.

    Their values are put in place (rather than concatenating and sorting the two kinds
    of lines back into order, which cost twice as much)."""
    quoted = fields.select(_QUOTED.arg_true()).to_series()
    if quoted.is_empty():
        return fields
    rows = _split_csv_lines(fields["raw"].gather(quoted).to_list())
    values: dict[str, pl.Series] = {
        "malformed": pl.Series([len(row) != width for row in rows], dtype=pl.Boolean),
        **{
            name: pl.Series(
                [row[index] if index < len(row) else None for row in rows], dtype=pl.String
            )
            for name, index in at.items()
        },
    }
    return fields.with_columns(
        fields.get_column(name).clone().scatter(quoted, column) for name, column in values.items()
    )


def _apply_rules(fields: pl.DataFrame, received_time: datetime) -> pl.DataFrame:
    """``PARSED_ROWS`` from the split fields (contracts/fleet.md, "Source intellibus")."""
    return finish(
        fields.with_columns(**_SHARED).with_columns(
            **_RULES, received_time=pl.lit(received_time).cast(UTC_TIME)
        )
    )
