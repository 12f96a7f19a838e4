"""Source ``pcm``: NDJSON, one event per line (contracts/fleet.md, "Source pcm").

Two paths give the same answer: a bulk path in polars for files whose lines all decode,
and an exact per-line path for files with broken lines (polars fails a whole decode on
one malformed line, NOTES.md). ``tests/.../test_pcm.py`` holds them to each other.
"""

import json
import math

import polars as pl

from fleet_platform.rules.parsed import blank_expr, finish, numbered_lines
from fleet_platform.rules.times import epoch_ms_utc, rfc3339_utc

OPTIONAL_NUMBERS = {
    "odo_km": "odometer_km",
    "speed_kmh": "speed_kmh",
    "lat": "latitude",
    "lon": "longitude",
    "soc_pct": "soc_pct",
    "fuel_l": "fuel_used_l",
    "engine_h": "engine_hours",
}

# The fields of one line once decoded, before the common rules run.
_FIELDS: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "raw": pl.String(),
    "malformed": pl.Boolean(),
    "vin": pl.String(),
    "type": pl.String(),
    "ts_text": pl.String(),
    "ts_ms": pl.Int64(),
    "recv_ts": pl.Int64(),
    **{name: pl.Float64() for name in OPTIONAL_NUMBERS},
}

_DECODE_AS = pl.Struct(
    {
        "vin": pl.String,
        "type": pl.String,
        "ts": pl.String,
        "recv_ts": pl.Int64,
        **{name: pl.Float64 for name in OPTIONAL_NUMBERS},
    }
)

# A key followed by a value of a type the contract does not allow for it (a suspect:
# the exact path decides). JSON strings escape quotes, so this can't match inside one.
_NUMBER_KEYS = "|".join(OPTIONAL_NUMBERS)
_WRONG_TYPE = (
    r'[{,]\s*"(?:'
    rf'(?:{_NUMBER_KEYS})"\s*:\s*["tf{{\[]'
    r'|(?:vin|type)"\s*:\s*[-\dtf{\[]'
    r'|recv_ts"\s*:\s*(?:["tf{\[]|-?\d+[.eE])'
    r'|ts"\s*:\s*(?:[tf{\[]|-?\d+[.eE])'
    r")"
)
# The leftmost match is the first ts key; the group is there when its value is a number.
_FIRST_TS_DIGIT = r'[{,]\s*"ts"\s*:\s*(-?\d)?'
# A key may be spelled with \u escapes: such lines are left to the exact path.
_ESCAPE = "\\u"
# Stands for an integer time too wide for int64: outside EPOCH_MS_RANGE, so not a time.
_NOT_A_TIME_MS = 2**62


def parse_pcm(text: str) -> pl.DataFrame:
    """Parse a pcm file's text into ``PARSED_ROWS``."""
    lines = numbered_lines(text)
    for check_json in (False, True):
        try:
            return _apply_rules(_decode_bulk(lines, check_json))
        except pl.exceptions.PolarsError:
            continue  # a line the bulk decoder can't take: look closer, then line by line
    return _apply_rules(_decode_exact(lines))


def _decode_bulk(lines: pl.DataFrame, check_json: bool) -> pl.DataFrame:
    """Decode plain flat lines in bulk; suspect lines (not one flat object from ``{`` to
    ``}``, odd types, and with ``check_json`` lines that are not JSON at all) go the exact
    way."""
    raw = pl.col("raw")
    suspect = (
        ~raw.str.strip_chars_start().str.starts_with("{")
        # a cut-off line, the commonest broken one, without the costly ``check_json``
        | ~raw.str.strip_chars_end().str.ends_with("}")
        | (raw.str.count_matches("{", literal=True) > 1)
        | raw.str.contains(_WRONG_TYPE)
        | raw.str.contains(_ESCAPE, literal=True)
    )
    if check_json:
        suspect = suspect | raw.str.json_path_match("$").is_null()
    flagged = lines.with_columns(suspect=suspect)
    decoded = (
        flagged.filter(~pl.col("suspect"))
        .select(
            "row_number",
            "raw",
            pl.lit(False).alias("malformed"),
            pl.col("raw").str.json_decode(_DECODE_AS).alias("json"),
        )
        .unnest("json")
        .with_columns(ts_is_int=_ts_is_integer())
        .with_columns(
            ts_text=pl.when(~pl.col("ts_is_int")).then(pl.col("ts")),
            ts_ms=pl.when(pl.col("ts_is_int")).then(pl.col("ts").cast(pl.Int64, strict=False)),
        )
    )
    # An integer too wide for int64 decodes as null: rows with a null recv_ts or an
    # integer ts that did not fit (a few, and faults) are decided the exact way too,
    # which costs less than finding 19-digit numbers in every line.
    unsure = pl.col("recv_ts").is_null() | (pl.col("ts_is_int") & pl.col("ts_ms").is_null())
    line = ["row_number", "raw"]
    exact = pl.concat([flagged.filter("suspect").select(line), decoded.filter(unsure).select(line)])
    typed = decoded.filter(~unsure).select(pl.col(n).cast(t) for n, t in _FIELDS.items())
    return pl.concat([typed, _decode_exact(exact)]).sort("row_number")


def _ts_is_integer() -> pl.Expr:
    """Whether a decoded line's ``ts`` was a JSON integer rather than a string.

    Decoded as a string, the integer ``12`` and the string ``"12"`` look alike, so the raw
    line decides: the first ``ts`` key (the one decoded, as the first of repeated keys
    wins) followed by a digit. Only lines whose ``ts`` reads as an integer are searched,
    which saves most of the regex's time.
    """
    integer_like = pl.col("ts").str.contains(r"^-?[0-9]+$")
    # "" rather than null elsewhere: a null hides a string from the result, not the regex
    searched = pl.when(integer_like).then(pl.col("raw")).otherwise(pl.lit(""))
    return searched.str.extract(_FIRST_TS_DIGIT, 1).is_not_null()


def _decode_exact(lines: pl.DataFrame) -> pl.DataFrame:
    records = [
        _decode_line(number, raw)
        for number, raw in zip(lines["row_number"], lines["raw"], strict=True)
    ]
    return pl.DataFrame(records, schema=_FIELDS, orient="row")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _first_wins(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A repeated key keeps its first value, as the bulk decoder does."""
    result: dict[str, object] = {}
    for key, value in pairs:
        result.setdefault(key, value)
    return result


def _int64_or_not_a_time(value: int) -> int:
    return value if -(2**63) <= value < 2**63 else _NOT_A_TIME_MS


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float64, like 1e400: not a number
        return False


def _decode_line(number: int, raw: str) -> tuple[object, ...]:
    """One line, exactly as the contract types it; a wrong type makes it malformed."""
    malformed = (number, raw, True, *([None] * (len(_FIELDS) - 3)))
    try:
        value = json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_first_wins)
    except ValueError:
        return malformed
    if not isinstance(value, dict):
        return malformed
    vin, kind, ts, recv = (value.get(k) for k in ("vin", "type", "ts", "recv_ts"))
    strings_ok = all(v is None or isinstance(v, str) for v in (vin, kind))
    ts_ok = ts is None or isinstance(ts, str) or (isinstance(ts, int) and not isinstance(ts, bool))
    recv_ok = recv is None or (isinstance(recv, int) and not isinstance(recv, bool))
    numbers = [value.get(name) for name in OPTIONAL_NUMBERS]
    numbers_ok = all(v is None or _is_number(v) for v in numbers)
    if not (strings_ok and ts_ok and recv_ok and numbers_ok):
        return malformed
    ts_text = ts if isinstance(ts, str) else None
    ts_ms = _int64_or_not_a_time(ts) if isinstance(ts, int) else None
    recv = _int64_or_not_a_time(recv) if isinstance(recv, int) else None
    return (number, raw, False, vin, kind, ts_text, ts_ms, recv, *numbers)


def _apply_rules(fields: pl.DataFrame) -> pl.DataFrame:
    event_time = (
        pl.when(pl.col("ts_ms").is_not_null())
        .then(epoch_ms_utc(pl.col("ts_ms")))
        .otherwise(rfc3339_utc(pl.col("ts_text")))
    )
    missing = (
        blank_expr(pl.col("vin"))
        | blank_expr(pl.col("type"))
        | (pl.col("ts_ms").is_null() & blank_expr(pl.col("ts_text")))
        | pl.col("recv_ts").is_null()
    )
    return finish(
        fields.with_columns(
            missing=missing,
            event_time=event_time,
            received_time=epoch_ms_utc(pl.col("recv_ts")),
            event_type=pl.col("type"),
            **{canonical: pl.col(name) for name, canonical in OPTIONAL_NUMBERS.items()},
        ).with_columns(
            time_ok=pl.col("event_time").is_not_null() & pl.col("received_time").is_not_null()
        )
    )
