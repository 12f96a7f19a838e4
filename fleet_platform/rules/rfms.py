"""Source ``rfms``: one rFMS 4.0 ``VehicleStatusResponseObject`` per file
(contracts/fleet.md, "Source rfms"; specs/rfms/rFMS_4_0.yaml).

Two paths give the same answer, as for pcm: a bulk path where polars decodes every
status at once, and an exact path that decodes each status with Python's JSON scanner.
Statuses the bulk decoder could read differently (odd types, repeated keys, escapes, not
an object) take the exact path; a document the bulk path can't take at all (it isn't
valid JSON, its statuses array is repeated, ...) is decided, and rejected, by the exact
path. ``tests/.../test_rfms.py`` holds the two to each other.
"""

import json
import re

import polars as pl

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.json_array import element_texts
from fleet_platform.rules.parsed import blank, blank_expr, finish
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.times import rfc3339_utc

# canonical column → (path in the status, divisor to the contract's unit); the paths are
# read by ``_measurements``, in this order
MEASUREMENTS: dict[str, tuple[tuple[str, ...], float]] = {
    "odometer_km": (("hrTotalVehicleDistance",), 1000.0),
    "engine_hours": (("totalEngineHours",), 1.0),
    "fuel_used_l": (("engineTotalFuelUsed",), 1000.0),
    "speed_kmh": (("snapshotData", "wheelBasedSpeed"), 1.0),
    "latitude": (("snapshotData", "gnssPosition", "latitude"), 1.0),
    "longitude": (("snapshotData", "gnssPosition", "longitude"), 1.0),
}
_TEXT_FIELDS: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "raw": pl.String(),
    "malformed": pl.Boolean(),
    "missing": pl.Boolean(),
    "vin": pl.String(),
    "event_type": pl.String(),
    "created": pl.String(),
    "received": pl.String(),
    **{name: pl.Float64() for name in MEASUREMENTS},
}


# The required text fields: column → path in the status.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "vin": ("vin",),
    "event_type": ("triggerType", "triggerType"),
    "created": ("createdDateTime",),
    "received": ("receivedDateTime",),
}


def parse_rfms(text: str) -> pl.DataFrame:
    """Parse an rFMS vehicle-status document into ``PARSED_ROWS``, one row per status."""
    fields = _decode_bulk(text)
    if fields is None:
        fields = _decode_exact(text)
    timed = fields.lazy().with_columns(**_TIMES).with_columns(time_ok=_TIME_OK)
    return finish(timed.collect(engine="in-memory"))


# each time converted once: time_ok reads the converted columns
_TIMES = {
    "event_time": rfc3339_utc(pl.col("created")),
    "received_time": rfc3339_utc(pl.col("received")),
    "soc_pct": pl.lit(None, pl.Float64),
}
_TIME_OK = pl.col("event_time").is_not_null() & pl.col("received_time").is_not_null()


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_BLANK = re.compile(r"[ \t\n\r]*")
_PATH = ("vehicleStatusResponse", "vehicleStatuses")


class _StatusesWalker:
    """Walks the document once with the C JSON scanner, keeping each status's exact text.

    Every value is decoded exactly once, so an invalid document fails here, and ``raw``
    is the status as landed (not re-serialised). A repeated key keeps its last value, as
    ``json.loads`` does.
    """

    def __init__(self, text: str, decode_statuses: bool = True) -> None:
        self.text = text
        self.decode_statuses = decode_statuses
        self.depth = 0
        self.end = 0
        self.arrays = 0

    def skip_blank(self, index: int) -> int:
        return _BLANK.match(self.text, index).end()  # type: ignore[union-attr]

    def expect(self, index: int, char: str) -> int:
        index = self.skip_blank(index)
        if self.text[index : index + 1] != char:
            raise ValueError(f"expected {char!r} at character {index}")
        return self.skip_blank(index + 1)

    def after_comma(self, index: int, closer: str) -> int:
        """The index after a comma, which JSON doesn't allow before ``closer``."""
        index = self.skip_blank(index + 1)
        if self.text[index : index + 1] == closer:
            raise ValueError(f"a comma before {closer!r} at character {index}")
        return index

    def value(self, index: int) -> tuple[object, int]:
        return _DECODER.raw_decode(self.text, self.skip_blank(index))

    def members(self, index: int, wanted: str) -> tuple[object, int]:
        """Walk the object at ``index``; returns what its key ``wanted`` holds and the
        index after the object."""
        index = self.expect(index, "{")
        found: object = None
        while self.text[index : index + 1] != "}":
            key, index = _DECODER.raw_decode(self.text, index)
            if not isinstance(key, str):
                raise ValueError("object keys must be strings")
            index = self.expect(index, ":")
            if key == wanted:
                found, index = self.walk_wanted(index)
            else:
                _, index = self.value(index)
            index = self.skip_blank(index)
            if self.text[index : index + 1] == ",":
                index = self.after_comma(index, "}")
            elif self.text[index : index + 1] != "}":
                raise ValueError(f"expected ',' or '}}' at character {index}")
        return found, index + 1

    def walk_wanted(self, index: int) -> tuple[object, int]:
        """The response object (depth 0) or the statuses array (depth 1), tagged."""
        index = self.skip_blank(index)
        if self.depth == 0 and self.text[index : index + 1] == "{":
            self.depth = 1
            found, end = self.members(index, _PATH[1])
            self.depth = 0
            return ("object", found), end
        if self.depth == 1 and self.text[index : index + 1] == "[":
            return ("array", self.elements(index)), self.end
        value, end = self.value(index)
        return ("other", value), end

    def elements(self, index: int) -> list[tuple[str, object]] | pl.Series:
        """(raw text, decoded value) of each element; without decoding, the texts as a
        String column (the bulk path decodes them)."""
        self.arrays += 1
        if not self.decode_statuses:
            texts, self.end = element_texts(self.text, self.skip_blank(index))
            return texts
        index = self.expect(index, "[")
        items: list[tuple[str, object]] = []
        while self.text[index : index + 1] != "]":
            value, end = _DECODER.raw_decode(self.text, index)
            items.append((self.text[index:end], value))
            index = self.skip_blank(end)
            if self.text[index : index + 1] == ",":
                index = self.after_comma(index, "]")
            elif self.text[index : index + 1] != "]":
                raise ValueError(f"expected ',' or ']' at character {index}")
        self.end = index + 1
        return items


def _statuses(
    text: str, walker: _StatusesWalker | None = None
) -> list[tuple[str, object]] | pl.Series:
    """(raw text, decoded value) of each element of vehicleStatusResponse.vehicleStatuses;
    with a walker that doesn't decode statuses, the raw texts as a String column."""
    walker = walker or _StatusesWalker(text)
    try:
        if walker.text[walker.skip_blank(0) : walker.skip_blank(0) + 1] != "{":
            _, end = walker.value(0)
            found: object = None
        else:
            found, end = walker.members(0, _PATH[0])
        if walker.skip_blank(end) != len(text):
            raise ValueError(f"extra data at character {end}")
    except (ValueError, IndexError) as error:
        raise FileRejected(FileRejection.MALFORMED_DOCUMENT, f"not valid JSON: {error}") from None
    response = found[1] if isinstance(found, tuple) and found[0] == "object" else None
    if not (isinstance(response, tuple) and response[0] == "array"):
        raise FileRejected(
            FileRejection.MALFORMED_DOCUMENT,
            "no vehicleStatusResponse.vehicleStatuses array",
        )
    return response[1]


def _child(parent: object, name: str) -> object:
    return parent.get(name) if type(parent) is dict else None


def _measurements(status: dict) -> tuple[object, ...]:
    """The values at the ``MEASUREMENTS`` paths, in that order (hot: one call per status)."""
    snapshot = status.get("snapshotData")
    gnss = _child(snapshot, "gnssPosition")
    return (
        status.get("hrTotalVehicleDistance"),
        status.get("totalEngineHours"),
        status.get("engineTotalFuelUsed"),
        _child(snapshot, "wheelBasedSpeed"),
        _child(gnss, "latitude"),
        _child(gnss, "longitude"),
    )


_DIVISORS = tuple(divisor for _, divisor in MEASUREMENTS.values())
_NUMBER = (int, float)  # JSON numbers; ``type(True)`` is bool, so booleans are not numbers


def _status_fields(number: int, raw: str, status: object) -> tuple[object, ...]:
    if type(status) is not dict:
        return (number, raw, True, True, *([None] * (len(_TEXT_FIELDS) - 4)))
    trigger = status.get("triggerType")
    required = (
        status.get("vin"),
        _child(trigger, "triggerType"),
        status.get("createdDateTime"),
        status.get("receivedDateTime"),
    )
    measurements = _measurements(status)
    malformed = (
        any(value is not None and type(value) is not str for value in required)
        or (trigger is not None and type(trigger) is not dict)
        or any(value is not None and type(value) not in _NUMBER for value in measurements)
    )
    missing = any(blank(value) for value in required)
    scaled = [
        value / divisor if type(value) in _NUMBER else None
        for value, divisor in zip(measurements, _DIVISORS, strict=True)
    ]
    texts = [value if type(value) is str else None for value in required]
    return (number, raw, malformed, missing, *texts, *scaled)


def _decode_exact(text: str) -> pl.DataFrame:
    """Every status decoded by Python's JSON scanner, as the contract types it."""
    records = [
        _status_fields(number, raw, status)
        for number, (raw, status) in enumerate(_statuses(text), 1)
    ]
    return pl.DataFrame(records, schema=_TEXT_FIELDS, orient="row")


def _decode_schema() -> pl.Struct:
    """The status fields the contract reads, as the nested struct polars decodes into."""
    tree: dict = {}
    leaves = [(path, pl.String()) for path in _REQUIRED.values()]
    leaves += [(path, pl.Float64()) for path, _ in MEASUREMENTS.values()]
    for path, dtype in leaves:
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = dtype

    def struct(node: dict) -> pl.Struct:
        return pl.Struct({k: struct(v) if isinstance(v, dict) else v for k, v in node.items()})

    return struct(tree)


_PATHS = [*_REQUIRED.values(), *(path for path, _ in MEASUREMENTS.values())]
# every key on the contract's paths: the values it reads and the objects holding them
_NODES = sorted({path[:depth] for path in _PATHS for depth in range(1, len(path) + 1)})
_DECODE_AS = _decode_schema()
# The trigger is the one key that names both an object and the text inside it.
_TRIGGER = _REQUIRED["event_type"][0]
_SPACE = r"[ \t\n\r]*"


def _any_key(keys: set[str]) -> str:
    """A pattern: the text of one of ``keys``, quoted."""
    return f'"(?:{"|".join(sorted(keys))})"'


def _key_then(keys: set[str], value: str) -> str:
    """A pattern: one of ``keys`` followed by a value matching ``value``."""
    return f"{_any_key(keys)}{_SPACE}:{_SPACE}{value}"


_TEXT_KEYS = {path[-1] for path in _REQUIRED.values()} - {_TRIGGER}
_NUMBER_KEYS = {path[-1] for path, _ in MEASUREMENTS.values()}
_OBJECT_KEYS = {node[-1] for node in _NODES if node not in _PATHS} - {_TRIGGER}
# a value that is not null and starts unlike text / a number / an object, or (a trigger,
# inside the trigger or not) unlike both
_WRONG_TYPE = "|".join(
    [
        _key_then(_TEXT_KEYS, r'[^"n \t\n\r]'),
        _key_then(_NUMBER_KEYS, r"[^\-0-9n \t\n\r]"),
        _key_then(_OBJECT_KEYS, r"[^{n \t\n\r]"),
        _key_then({_TRIGGER}, r'[^{"n \t\n\r]'),
    ]
)
_TRIGGER_OBJECT = _key_then({_TRIGGER}, r"\{")
# the first trigger's value: a flat object, or its first character
_FIRST_TRIGGER = _key_then({_TRIGGER}, r"(\{[^{}]*\}|.)")
_TRIGGER_NOT_TEXT = _key_then({_TRIGGER}, r'[^"n \t\n\r]')
_READ_KEYS = _any_key({node[-1] for node in _NODES})


def _at(path: tuple[str, ...]) -> pl.Expr:
    expr = pl.col("status")
    for key in path:
        expr = expr.struct.field(key)
    return expr


def _plain(raw: pl.Expr, escapes: bool = True) -> pl.Expr:
    """Before decoding: a status that polars can only read one way, or fail to: an object
    without escapes (a key may be spelled with them) in which no key the contract reads
    holds a value of another type (polars would read a number as text, ``true`` as 1.0).
    Without ``escapes`` in the document, the statuses are not searched for them."""
    plain = raw.str.starts_with("{") & ~raw.str.contains(_WRONG_TYPE)
    return plain & ~raw.str.contains("\\", literal=True) if escapes else plain


def _plain_trigger(raw: pl.Expr) -> pl.Expr:
    """A trigger polars decodes without failing: absent, null, or a flat object whose own
    trigger is text or null (polars fails the whole decode on text where it expects the
    trigger object, or an object where it expects the text inside)."""
    trigger = raw.str.extract(_FIRST_TRIGGER, 1)
    return (
        trigger.is_null()
        | (trigger == "n")
        | ((trigger.str.len_chars() > 1) & ~trigger.str.contains(_TRIGGER_NOT_TEXT))
    )


def _column(node: tuple[str, ...]) -> str:
    return ".".join(node)


# a decoded status as one column per node the contract reads, named by its path
_NODE_COLUMNS = [_at(node).alias(_column(node)) for node in _NODES]


def _read_as_written() -> pl.Expr:
    """After decoding :func:`_plain` statuses (on ``raw`` and the ``_NODE_COLUMNS``):
    every key the contract reads is written once and holds a value, and the trigger is an
    object.

    The texts ``"key"`` count at least once for each key polars found a value for; as
    many, and none was repeated (polars keeps the first, JSON parsers the last), nor null,
    nor anywhere polars doesn't look. So the trigger's texts are the trigger's and the one
    inside it, in that order, and one holds an object exactly when polars found a trigger.
    """
    raw = pl.col("raw")
    found = pl.sum_horizontal(pl.col(_column(node)).is_not_null() for node in _NODES)
    trigger = pl.col(_TRIGGER).is_not_null().cast(pl.UInt32)
    return (raw.str.count_matches(_READ_KEYS) == found) & (
        raw.str.count_matches(_TRIGGER_OBJECT) == trigger
    )


_READ_AS_WRITTEN = _read_as_written()
# ``_TEXT_FIELDS`` from the ``_NODE_COLUMNS`` (a status polars reads is not malformed)
_BULK_FIELDS = {
    "row_number": pl.col("row_number"),
    "raw": pl.col("raw"),
    "malformed": pl.lit(False),
    "missing": pl.any_horizontal(blank_expr(pl.col(_column(path))) for path in _REQUIRED.values()),
    **{column: pl.col(_column(path)) for column, path in _REQUIRED.items()},
    **{column: pl.col(_column(path)) / divisor for column, (path, divisor) in MEASUREMENTS.items()},
}


def _status_texts(text: str) -> pl.Series | None:
    """Each status's exact text, found without decoding the statuses; None when the
    document is one the exact path must decide (not valid JSON, a repeated statuses array
    that must be valid JSON too, ...)."""
    walker = _StatusesWalker(text, decode_statuses=False)
    try:
        texts = _statuses(text, walker)
    except FileRejected:
        return None
    return texts if walker.arrays == 1 and isinstance(texts, pl.Series) else None


def _decoded(statuses: pl.LazyFrame) -> pl.DataFrame:
    """The ``statuses`` polars reads as written, decoded, as ``_TEXT_FIELDS``."""
    decoded = statuses.select("row_number", "raw", status=pl.col("raw").str.json_decode(_DECODE_AS))
    return (
        decoded.select("row_number", "raw", *_NODE_COLUMNS)
        .filter(_READ_AS_WRITTEN)
        .select(**_BULK_FIELDS)
        .collect(engine="in-memory")
    )


def _decode_bulk(text: str) -> pl.DataFrame | None:
    """The statuses decoded by polars in one go, the others by the exact path; None when
    the document needs the exact path as a whole.

    The triggers are looked at only when the decode fails: :func:`_read_as_written`
    keeps any trigger polars misread off the bulk path, but one it can't read at all
    fails the whole decode, which then runs again without it.
    """
    texts = _status_texts(text)
    if texts is None:
        return None
    numbers = pl.int_range(1, texts.len() + 1, dtype=pl.Int64, eager=True)
    lines = pl.DataFrame({"row_number": numbers, "raw": texts})
    plain = lines.lazy().filter(_plain(pl.col("raw"), escapes="\\" in text))
    try:
        try:
            bulk = _decoded(plain)
        except pl.exceptions.PolarsError:  # a trigger polars can't read fails them all
            bulk = _decoded(plain.filter(_plain_trigger(pl.col("raw"))))
        if bulk.height == lines.height:
            return bulk
        others = lines.join(bulk.select("row_number"), on="row_number", how="anti")
        exact = [
            _status_fields(number, raw, _DECODER.decode(raw)) for number, raw in others.iter_rows()
        ]
    except (pl.exceptions.PolarsError, ValueError, RecursionError):
        return None
    exact_rows = pl.DataFrame(exact, schema=_TEXT_FIELDS, orient="row")
    return pl.concat([bulk, exact_rows]).sort("row_number")
