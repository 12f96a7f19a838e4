"""The ``pcm`` gateway: NDJSON, one event per line (contracts/fleet.md, "Source pcm").

Each bus's firmware writes ``ts`` its own way (:data:`~fleet_platform.simulate.fleet.
PCM_TIMESTAMP_STYLES`): local time with its offset (``+01:00`` in Paris in winter),
UTC with ``Z``, or an integer of epoch milliseconds (older firmware). Half the shards
add an unknown ``fw`` field, which the contract says to ignore.
"""

import json
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from fleet_platform.rules.reasons import RowRejection, Source
from fleet_platform.simulate.clock import rfc3339_ms
from fleet_platform.simulate.events import TypeScheme
from fleet_platform.simulate.gateway import (
    INVALID_VIN_VARIANTS,
    Gateway,
    decimal_text,
    invalid_vin,
    utc_time,
)

_MALFORMED = (
    "not_json",
    "json_array",
    "numeric_vin",
    "float_ts",
    "string_recv_ts",
    "string_number",
)
_MISSING = ("no_vin", "no_ts", "no_recv_ts", "no_type", "empty_vin", "empty_type", "empty_ts")
_UNPARSEABLE = ("ts_no_offset", "ts_words", "ts_digit_string", "ts_impossible_date")
_REMOVED = {"no_vin": "vin", "no_ts": "ts", "no_recv_ts": "recv_ts", "no_type": "type"}
_ISO_MS = "%Y-%m-%dT%H:%M:%S%.3f"


def _replacement(event: dict[str, Any], variant: str, rng: random.Random) -> dict[str, object]:
    """The field value that makes ``variant``'s fault (one field, one fault)."""
    utc = rfc3339_ms(event["t_ms"], None)
    if variant == "numeric_vin":
        return {"vin": int(event["vin"][-6:])}
    if variant == "float_ts":
        return {"ts": event["t_ms"] + 0.5}
    if variant == "string_recv_ts":
        return {"recv_ts": str(event["recv_ms"])}
    if variant == "string_number":
        return {"speed_kmh": f"{event['speed_kmh']:.1f}".replace(".", ",")}
    if variant.startswith("empty_"):
        return {variant.removeprefix("empty_"): ""}
    if variant == "ts_no_offset":
        return {"ts": utc.removesuffix("Z")}
    if variant == "ts_words":
        return {"ts": rng.choice(("yesterday", "now", "N/A"))}
    if variant == "ts_digit_string":
        return {"ts": str(event["t_ms"])}
    if variant == "ts_impossible_date":
        return {"ts": f"{utc[:4]}-02-30{utc[10:]}"}
    raise ValueError(f"unknown pcm fault {variant!r}")


def ts_json(events: pl.DataFrame) -> pl.Expr:
    """``ts`` as each bus's firmware writes it, as JSON text (a string or an integer)."""
    utc = utc_time(pl.col("t_ms"))
    local = pl.lit(None, pl.String)
    for tz in events["tz"].unique().sort():
        local = (
            pl.when(pl.col("tz") == tz)
            .then(utc.dt.convert_time_zone(tz).dt.strftime(f"{_ISO_MS}%:z"))
            .otherwise(local)
        )
    style = pl.col("ts_style")
    return (
        pl.when(style == "epoch_ms")
        .then(pl.col("t_ms").cast(pl.String))
        .when(style == "utc")
        .then(pl.concat_str(pl.lit('"'), utc.dt.strftime(f"{_ISO_MS}Z"), pl.lit('"')))
        .otherwise(pl.concat_str(pl.lit('"'), local, pl.lit('"')))
    )


class PcmGateway(Gateway):
    """A pcm gateway shard."""

    source = Source.PCM
    extension = ".jsonl"
    gzip_share = 0.85
    line_based = True
    scheme = TypeScheme(
        first="IGNITION_ON",
        last="IGNITION_OFF",
        middle=(
            ("POSITION", 0.80, True),
            ("STOP", 0.08, False),
            ("DOOR_OPEN", 0.06, False),
            ("DOOR_CLOSE", 0.06, False),
        ),
    )
    row_faults = (
        dict.fromkeys(_MALFORMED, RowRejection.MALFORMED_ROW)
        | dict.fromkeys(_MISSING, RowRejection.MISSING_FIELD)
        | dict.fromkeys(INVALID_VIN_VARIANTS, RowRejection.INVALID_VIN)
        | dict.fromkeys(_UNPARSEABLE, RowRejection.UNPARSEABLE_TIME)
    )

    def __init__(self, shard: int, seed: int) -> None:
        super().__init__(shard, seed)
        firmware = f"{self.style_rng.randint(3, 5)}.{self.style_rng.randint(0, 9)}.{shard}"
        self.extra = f',"fw":"{firmware}"' if self.style_rng.random() < 0.5 else ""

    def rows(self, events: pl.DataFrame) -> list[str]:
        """One compact JSON object per event, fields in the contract's order."""
        if events.is_empty():
            return []

        def number(name: str, digits: int) -> pl.Expr:
            return decimal_text(pl.col(name), digits).fill_null("null")

        line = pl.concat_str(
            pl.lit('{"vin":"'),
            pl.col("vin"),
            pl.lit('","ts":'),
            ts_json(events),
            pl.lit(',"recv_ts":'),
            pl.col("recv_ms").cast(pl.String),
            pl.lit(',"type":"'),
            pl.col("kind"),
            pl.lit('","odo_km":'),
            number("odometer_km", 1),
            pl.lit(',"speed_kmh":'),
            number("speed_kmh", 1),
            pl.lit(',"lat":'),
            number("lat", 5),
            pl.lit(',"lon":'),
            number("lon", 5),
            pl.lit(',"soc_pct":'),
            number("soc_pct", 1),
            pl.lit(',"fuel_l":'),
            number("fuel_l", 1),
            pl.lit(',"engine_h":'),
            number("engine_h", 1),
            pl.lit(f"{self.extra}}}"),
        )
        return events.select(line.alias("row"))["row"].to_list()

    def faulty_row(
        self, row: str, event: dict[str, Any], variant: str, rng: random.Random, landing_day: date
    ) -> str:
        """The JSON line broken by ``variant``."""
        if variant == "not_json":
            return row[: rng.randrange(10, len(row) - 1)]
        record: dict[str, object] = json.loads(row)
        if variant == "json_array":
            return json.dumps(list(record.values()), separators=(",", ":"))
        if variant in _REMOVED:
            del record[_REMOVED[variant]]
        elif self.row_faults[variant] == RowRejection.INVALID_VIN:
            record["vin"] = invalid_vin(event["vin"], variant, rng)
        else:
            record.update(_replacement(event, variant, rng))
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False)

    def render(self, rows: Sequence[str], received_at_s: int) -> str:
        """One line per row, each ending with a newline."""
        return "\n".join(rows) + "\n" if rows else ""
