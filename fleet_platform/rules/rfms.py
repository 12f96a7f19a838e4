"""Source ``rfms``: one rFMS 4.0 ``VehicleStatusResponseObject`` per file
(contracts/fleet.md, "Source rfms"; specs/rfms/rFMS_4_0.yaml)."""

import json
import re

import polars as pl

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.parsed import blank, finish
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.times import rfc3339_utc

# canonical column → (path in the status, divisor to the contract's unit); the paths are
# read by ``_measurements``, in this order
_MEASUREMENTS: dict[str, tuple[tuple[str, ...], float]] = {
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
    **{name: pl.Float64() for name in _MEASUREMENTS},
}


def parse_rfms(text: str) -> pl.DataFrame:
    """Parse an rFMS vehicle-status document into ``PARSED_ROWS``, one row per status."""
    statuses = _statuses(text)
    records = [
        _status_fields(number, raw, status) for number, (raw, status) in enumerate(statuses, 1)
    ]
    fields = pl.DataFrame(records, schema=_TEXT_FIELDS, orient="row")
    created = rfc3339_utc(pl.col("created"))
    received = rfc3339_utc(pl.col("received"))
    return finish(
        fields.with_columns(
            event_time=created,
            received_time=received,
            time_ok=created.is_not_null() & received.is_not_null(),
            soc_pct=pl.lit(None, pl.Float64),
        )
    )


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

    def __init__(self, text: str) -> None:
        self.text = text
        self.depth = 0
        self.end = 0

    def skip_blank(self, index: int) -> int:
        return _BLANK.match(self.text, index).end()  # type: ignore[union-attr]

    def expect(self, index: int, char: str) -> int:
        index = self.skip_blank(index)
        if self.text[index : index + 1] != char:
            raise ValueError(f"expected {char!r} at character {index}")
        return self.skip_blank(index + 1)

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
                index = self.skip_blank(index + 1)
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

    def elements(self, index: int) -> list[tuple[str, object]]:
        index = self.expect(index, "[")
        items: list[tuple[str, object]] = []
        while self.text[index : index + 1] != "]":
            value, end = _DECODER.raw_decode(self.text, index)
            items.append((self.text[index:end], value))
            index = self.skip_blank(end)
            if self.text[index : index + 1] == ",":
                index = self.skip_blank(index + 1)
            elif self.text[index : index + 1] != "]":
                raise ValueError(f"expected ',' or ']' at character {index}")
        self.end = index + 1
        return items


def _statuses(text: str) -> list[tuple[str, object]]:
    """(raw text, decoded value) of each element of vehicleStatusResponse.vehicleStatuses."""
    walker = _StatusesWalker(text)
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
    """The values at the ``_MEASUREMENTS`` paths, in that order (hot: one call per status)."""
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


_DIVISORS = tuple(divisor for _, divisor in _MEASUREMENTS.values())
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
