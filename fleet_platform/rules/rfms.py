"""Source ``rfms``: one rFMS 4.0 ``VehicleStatusResponseObject`` per file
(contracts/fleet.md, "Source rfms"; specs/rfms/rFMS_4_0.yaml)."""

import json
import math

import polars as pl

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.parsed import blank, finish
from fleet_platform.rules.reasons import FileRejection
from fleet_platform.rules.times import rfc3339_utc

# canonical column → (path in the status, divisor to the contract's unit)
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
    records = [_status_fields(number, status) for number, status in enumerate(statuses, 1)]
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


def _statuses(text: str) -> list[object]:
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise FileRejected(FileRejection.MALFORMED_DOCUMENT, f"not valid JSON: {error}") from None
    response = document.get("vehicleStatusResponse") if isinstance(document, dict) else None
    statuses = response.get("vehicleStatuses") if isinstance(response, dict) else None
    if not isinstance(statuses, list):
        raise FileRejected(
            FileRejection.MALFORMED_DOCUMENT,
            "no vehicleStatusResponse.vehicleStatuses array",
        )
    return statuses


def _at(status: dict, path: tuple[str, ...]) -> object:
    value: object = status
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _status_fields(number: int, status: object) -> tuple[object, ...]:
    raw = json.dumps(status, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(status, dict):
        return (number, raw, True, True, *([None] * (len(_TEXT_FIELDS) - 4)))
    trigger = status.get("triggerType")
    required = (
        status.get("vin"),
        _at(status, ("triggerType", "triggerType")),
        status.get("createdDateTime"),
        status.get("receivedDateTime"),
    )
    measurements = [_at(status, path) for path, _ in _MEASUREMENTS.values()]
    malformed = (
        not all(value is None or isinstance(value, str) for value in required)
        or not (trigger is None or isinstance(trigger, dict))
        or not all(value is None or _is_number(value) for value in measurements)
    )
    missing = any(blank(value) for value in required)
    scaled = [
        value / divisor if _is_number(value) else None
        for value, (_, divisor) in zip(measurements, _MEASUREMENTS.values(), strict=True)
    ]
    texts = [value if isinstance(value, str) else None for value in required]
    return (number, raw, malformed, missing, *texts, *scaled)
