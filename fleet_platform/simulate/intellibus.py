"""The ``intellibus`` gateway: ``;``-separated UTF-8 CSV with decimal comma and
Europe/Paris local times (contracts/fleet.md, "Source intellibus").

Gateways differ (:data:`LAYOUTS`, taken in turn by the shards): a BOM or not, header case and padding,
column order, an extra ``LIGNE`` column (whose values may contain ``;`` and are then
quoted), ``\\n`` or ``\\r\\n`` line ends. One row is one measurement: ``CODE`` names it,
``VALEUR``/``UNITE`` carry it (:data:`UNITS`); ``PORTE`` and ``TEMP_EXT`` use other
units (``nb``, ``°C``) that the contract keeps without a measurement, and about 1 % of
odometer readings are empty. ``DATE``/``HEURE`` are Paris wall-clock time (zone
database, DST included).
"""

import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from fleet_platform.rules.reasons import RowRejection, Source
from fleet_platform.simulate.clock import PARIS, spring_gap
from fleet_platform.simulate.events import TypeScheme
from fleet_platform.simulate.gateway import (
    INVALID_VIN_VARIANTS,
    Gateway,
    decimal_text,
    invalid_vin,
    utc_time,
)

REQUIRED = ("VIN", "DATE", "HEURE", "CODE", "VALEUR", "UNITE")
BOM = "\ufeff"


@dataclass(frozen=True)
class Layout:
    """How one gateway writes its CSV: columns (canonical names) in order, the header
    as written, BOM and line end."""

    columns: tuple[str, ...]
    header: tuple[str, ...]
    bom: bool
    newline: str


LAYOUTS: tuple[Layout, ...] = (
    Layout(REQUIRED, REQUIRED, bom=False, newline="\n"),
    Layout((*REQUIRED, "LIGNE"), (*REQUIRED, "LIGNE"), bom=True, newline="\r\n"),
    Layout(REQUIRED, tuple(name.lower() for name in REQUIRED), bom=False, newline="\n"),
    Layout(
        ("DATE", "HEURE", "VIN", "LIGNE", "CODE", "VALEUR", "UNITE"),
        ("DATE", "HEURE", "VIN", "LIGNE", "CODE", "VALEUR", "UNITE"),
        bom=True,
        newline="\n",
    ),
    Layout(
        ("LIGNE", *REQUIRED),
        ("Ligne", " Vin", "Date ", " Heure ", "Code", "Valeur", " Unite"),
        bom=False,
        newline="\r\n",
    ),
)

UNITS = {
    "CONTACT_ON": "km",
    "CONTACT_OFF": "km",
    "ODOMETRE": "km",
    "VITESSE": "km/h",
    "ARRET": "km/h",
    "CARBURANT": "l",
    "SOC": "%",
    "HEURES_MOTEUR": "h",
    "PORTE": "nb",
    "TEMP_EXT": "°C",
}
"""Unit written for each ``CODE``."""
EMPTY_ODOMETER_SHARE = 0.01

_MALFORMED = ("too_few_fields", "too_many_fields", "valeur_not_a_number")
_MISSING = ("empty_vin", "empty_date", "empty_heure", "empty_code")
_UNPARSEABLE = ("impossible_date", "iso_date", "hour_25", "spring_gap")


def csv_line(fields: Sequence[str]) -> str:
    """Fields joined by ``;``, quoted only where a field needs it."""
    if not any((";" in f) or ('"' in f) for f in fields):
        return ";".join(fields)
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="").writerow(fields)
    return out.getvalue()


def _quoted(column: pl.Expr) -> pl.Expr:
    """A CSV field: quoted (quotes doubled) when it holds ``;`` or ``"``."""
    needs = column.str.contains(r'[;"]')
    quoted = pl.concat_str(
        pl.lit('"'), column.str.replace_all('"', '""', literal=True), pl.lit('"')
    )
    return pl.when(needs).then(quoted).otherwise(column)


def _fields() -> dict[str, pl.Expr]:
    """Vectorised field values by canonical column name."""
    t_s = pl.col("t_ms") // 1000
    code = (
        pl.when((pl.col("kind") == "CARBURANT") & (pl.col("energy") == "electric"))
        .then(pl.lit("SOC"))
        .otherwise(pl.col("kind"))
    )
    day = pl.col("t_ms") // 86_400_000
    season = ((day % 365 - 15) * (2 * math.pi / 365)).cos()
    temperature = 11.0 - 9.0 * season + (t_s % 50) / 10 - 2.5
    value = (
        pl.when(code.is_in(["CONTACT_ON", "CONTACT_OFF"]))
        .then(decimal_text(pl.col("odometer_km"), 1))
        .when(code == "ODOMETRE")
        .then(
            pl.when(t_s % 100 < EMPTY_ODOMETER_SHARE * 100)
            .then(pl.lit(""))
            .otherwise(decimal_text(pl.col("odometer_km"), 1))
        )
        .when(code.is_in(["VITESSE", "ARRET"]))
        .then(decimal_text(pl.col("speed_kmh"), 1))
        .when(code == "CARBURANT")
        .then(decimal_text(pl.col("fuel_l"), 1))
        .when(code == "SOC")
        .then(decimal_text(pl.col("soc_pct"), 1))
        .when(code == "HEURES_MOTEUR")
        .then(decimal_text(pl.col("engine_h"), 1))
        .when(code == "PORTE")
        .then((1 + t_s % 3).cast(pl.String))
        .otherwise(decimal_text(temperature, 1))
        .str.replace(".", ",", literal=True)
    )
    local = utc_time(pl.col("t_ms")).dt.convert_time_zone(PARIS)
    return {
        "VIN": pl.col("vin"),
        "DATE": local.dt.strftime("%d/%m/%Y"),
        "HEURE": local.dt.strftime("%H:%M:%S"),
        "CODE": code,
        "VALEUR": value,
        "UNITE": code.replace_strict(UNITS, return_dtype=pl.String),
        "LIGNE": _quoted(pl.col("line")),
    }


class IntellibusGateway(Gateway):
    """An intellibus gateway shard."""

    source = Source.INTELLIBUS
    extension = ".csv"
    gzip_share = 0.2
    line_based = True
    scheme = TypeScheme(
        first="CONTACT_ON",
        last="CONTACT_OFF",
        middle=(
            ("ODOMETRE", 0.27, True),
            ("VITESSE", 0.32, True),
            ("CARBURANT", 0.15, True),  # SOC for an electric bus
            ("HEURES_MOTEUR", 0.12, True),
            ("PORTE", 0.05, False),
            ("ARRET", 0.07, False),
            ("TEMP_EXT", 0.02, True),
        ),
    )
    row_faults = (
        dict.fromkeys(_MALFORMED, RowRejection.MALFORMED_ROW)
        | dict.fromkeys(_MISSING, RowRejection.MISSING_FIELD)
        | dict.fromkeys(INVALID_VIN_VARIANTS, RowRejection.INVALID_VIN)
        | dict.fromkeys(_UNPARSEABLE, RowRejection.UNPARSEABLE_TIME)
    )

    def __init__(self, shard: int, seed: int, layout: Layout | None = None) -> None:
        super().__init__(shard, seed)
        # Shards take the layouts in turn (from a seed-dependent start), so a fleet of
        # five shards or more shows them all.
        turn = (shard - 1 + random.Random(f"layouts:{seed}").randrange(len(LAYOUTS))) % len(LAYOUTS)
        self.layout = layout or LAYOUTS[turn]

    def rows(self, events: pl.DataFrame) -> list[str]:
        """One CSV line per event, columns in this gateway's order."""
        if events.is_empty():
            return []
        fields = _fields()
        line = pl.concat_str([fields[name] for name in self.layout.columns], separator=";")
        return events.select(line.alias("row"))["row"].to_list()

    def fault_available(self, variant: str, landing_day: date) -> bool:
        """A time in the spring-forward gap needs a day that has one."""
        return variant != "spring_gap" or spring_gap(landing_day) is not None

    def faulty_row(
        self, row: str, event: dict[str, Any], variant: str, rng: random.Random, landing_day: date
    ) -> str:
        """The CSV line broken by ``variant``."""
        values = next(csv.reader([row], delimiter=";"))
        if variant == "too_few_fields":
            return csv_line(values[:-1])
        if variant == "too_many_fields":
            return csv_line([*values, rng.choice(("0", "", "x"))])
        fields = dict(zip(self.layout.columns, values, strict=True))
        reason = self.row_faults[variant]
        if variant == "valeur_not_a_number":
            fields["VALEUR"] = rng.choice(("abc", "#ERR", "12,5,3"))
        elif reason == RowRejection.MISSING_FIELD:
            fields[variant.removeprefix("empty_").upper()] = ""
        elif reason == RowRejection.INVALID_VIN:
            fields["VIN"] = invalid_vin(event["vin"], variant, rng)
        elif variant == "impossible_date":
            fields["DATE"] = "31/02/" + fields["DATE"][-4:]
        elif variant == "iso_date":
            dd, mm, yyyy = fields["DATE"].split("/")
            fields["DATE"] = f"{yyyy}-{mm}-{dd}"
        elif variant == "hour_25":
            fields["HEURE"] = "25" + fields["HEURE"][2:]
        elif variant == "spring_gap":
            gap = spring_gap(landing_day)
            if gap is None:
                raise ValueError(f"{landing_day} has no spring-forward gap")
            wall = rng.randrange(*gap)
            fields["DATE"] = landing_day.strftime("%d/%m/%Y")
            fields["HEURE"] = f"{wall // 3600:02d}:{wall // 60 % 60:02d}:{wall % 60:02d}"
        else:
            raise ValueError(f"unknown intellibus fault {variant!r}")
        return csv_line([fields[name] for name in self.layout.columns])

    def header_line(self, header: Sequence[str] | None = None) -> str:
        """The header as this gateway writes it (or ``header`` instead)."""
        return csv_line(list(header or self.layout.header))

    def render(
        self, rows: Sequence[str], received_at_s: int, header: Sequence[str] | None = None
    ) -> str:
        """BOM (if the gateway writes one), header, then one line per row."""
        newline = self.layout.newline
        body = newline.join([self.header_line(header), *rows])
        return (BOM if self.layout.bom else "") + body + newline
