"""Fleet master data: ``reference/vehicles.csv`` (contracts/fleet.md, "Fleet reference")."""

import io

import polars as pl

from fleet_platform.rules.clean import normalise_vin

REFERENCE_COLUMNS = (
    "vin",
    "fleet_number",
    "operator",
    "country",
    "model",
    "energy",
    "commissioned_on",
)
VEHICLES: dict[str, pl.DataType] = {name: pl.String() for name in REFERENCE_COLUMNS}


class ReferenceError(ValueError):
    """The reference file can't be read; the message says why."""


def parse_reference(data: bytes) -> pl.DataFrame:
    """Vehicles of the reference file, VINs trimmed and upper-cased, one row per VIN."""
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8", separator=",")
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as error:
        raise ReferenceError(f"reference/vehicles.csv is not a readable CSV: {error}") from None
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    missing = [name for name in REFERENCE_COLUMNS if name not in frame.columns]
    if missing:
        raise ReferenceError(f"reference/vehicles.csv lacks the columns {', '.join(missing)}")
    return (
        frame.select(REFERENCE_COLUMNS)
        .with_columns(vin=normalise_vin(pl.col("vin")))
        .filter(pl.col("vin").is_not_null() & (pl.col("vin") != ""))
        .unique("vin", keep="first", maintain_order=True)
    )
