"""The ``rfms`` gateway: one rFMS 4.0 ``VehicleStatusResponseObject`` per file, as
``GET /vehiclestatuses`` returns it (specs/rfms/rFMS_4_0.yaml; contracts/fleet.md,
"Source rfms").

Statuses follow the standard's ``VehicleStatusObject``: ``vin``, ``triggerType``
(``TriggerObject``: ``triggerType`` from the standard's list, ``context`` ``RFMS``),
``createdDateTime``/``receivedDateTime`` (RFC 3339, ``Z``), ``hrTotalVehicleDistance``
(metres), ``totalEngineHours`` (combustion) or ``totalElectricMotorHours`` (electric),
``engineTotalFuelUsed`` (millilitres; ``totalFuelUsedGaseous`` in kg for CNG,
``totalElectricEnergyUsed`` in Wh for electric) and ``snapshotData`` with
``wheelBasedSpeed``, ``gnssPosition`` (when there is a fix) and the battery charge or
fuel level. Some servers write the document on one line, some one status per line.
"""

import json
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from fleet_platform.rules.reasons import RowRejection, Source
from fleet_platform.simulate.clock import rfc3339_z
from fleet_platform.simulate.events import TypeScheme
from fleet_platform.simulate.gateway import (
    INVALID_VIN_VARIANTS,
    Gateway,
    decimal_text,
    invalid_vin,
    utc_time,
)

_MALFORMED = ("status_not_object", "status_array")
_MISSING = (
    "no_vin",
    "empty_vin",
    "no_created",
    "no_received",
    "no_trigger",
    "no_trigger_type",
)
_UNPARSEABLE = ("created_words", "created_no_offset", "created_impossible", "received_garbage")
_REMOVED = {
    "no_vin": "vin",
    "no_created": "createdDateTime",
    "no_received": "receivedDateTime",
    "no_trigger": "triggerType",
}
_Z_SECONDS = "%Y-%m-%dT%H:%M:%SZ"


def _integer(column: pl.Expr) -> pl.Expr:
    return column.round(0).cast(pl.Int64).cast(pl.String)


def status_json() -> pl.Expr:
    """Each event's ``VehicleStatusObject`` as compact JSON text."""
    created = utc_time(pl.col("t_ms")).dt.strftime(_Z_SECONDS)
    received = utc_time(pl.col("recv_ms")).dt.strftime(_Z_SECONDS)
    engine_h = decimal_text(pl.col("engine_h"), 1)
    energy = pl.col("energy")
    totals = (
        pl.when(energy == "electric")
        .then(
            pl.concat_str(
                pl.lit(',"totalElectricMotorHours":'),
                engine_h,
                pl.lit(',"totalElectricEnergyUsed":'),
                _integer(pl.col("odometer_km") * 1150),
            )
        )
        .when(energy == "CNG")
        .then(
            pl.concat_str(
                pl.lit(',"totalEngineHours":'),
                engine_h,
                pl.lit(',"totalFuelUsedGaseous":'),
                _integer(pl.col("fuel_l") * 0.72),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit(',"totalEngineHours":'),
                engine_h,
                pl.lit(',"engineTotalFuelUsed":'),
                _integer(pl.col("fuel_l") * 1000),
            )
        )
    )
    t_s = pl.col("t_ms") // 1000
    speed = decimal_text(pl.col("speed_kmh"), 1)
    position = (
        pl.when(pl.col("lat").is_not_null())
        .then(
            pl.concat_str(
                pl.lit('"gnssPosition":{"latitude":'),
                decimal_text(pl.col("lat"), 6),
                pl.lit(',"longitude":'),
                decimal_text(pl.col("lon"), 6),
                pl.lit(',"heading":'),
                (t_s % 360).cast(pl.String),
                pl.lit(',"altitude":'),
                (20 + t_s % 80).cast(pl.String),
                pl.lit(',"speed":'),
                speed,
                pl.lit(',"positionDateTime":"'),
                created,
                pl.lit('"},'),
            )
        )
        .otherwise(pl.lit(""))
    )
    level = (
        pl.when(pl.col("soc_pct").is_not_null())
        .then(
            pl.concat_str(
                pl.lit(',"hybridBatteryPackRemainingCharge":'), decimal_text(pl.col("soc_pct"), 1)
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit(',"fuelLevel1":'),
                (30 + (pl.col("t_ms") // 60_000) % 70).cast(pl.String),
                pl.lit(".0"),
            )
        )
    )
    return pl.concat_str(
        pl.lit('{"vin":"'),
        pl.col("vin"),
        pl.lit('","triggerType":{"triggerType":"'),
        pl.col("kind"),
        pl.lit('","context":"RFMS"},"createdDateTime":"'),
        created,
        pl.lit('","receivedDateTime":"'),
        received,
        pl.lit('","hrTotalVehicleDistance":'),
        _integer(pl.col("odometer_km") * 1000),
        totals,
        pl.lit(',"snapshotData":{'),
        position,
        pl.lit('"wheelBasedSpeed":'),
        speed,
        level,
        pl.lit("}}"),
    )


class RfmsGateway(Gateway):
    """An rFMS server polled by one shard's poller."""

    source = Source.RFMS
    extension = ".json"
    gzip_share = 0.3
    line_based = False
    scheme = TypeScheme(
        first="IGNITION_ON",
        last="IGNITION_OFF",
        middle=(
            ("TIMER", 0.90, True),
            ("DISTANCE_TRAVELLED", 0.06, True),
            ("PARKING_BRAKE_SWITCH_CHANGE", 0.04, False),
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
        self.one_status_per_line = self.style_rng.random() < 0.4

    def rows(self, events: pl.DataFrame) -> list[str]:
        """Each event's status as compact JSON text."""
        if events.is_empty():
            return []
        return events.select(status_json().alias("row"))["row"].to_list()

    def faulty_row(
        self, row: str, event: dict[str, Any], variant: str, rng: random.Random, landing_day: date
    ) -> str:
        """The status broken by ``variant`` (an array element that is not an object is
        a malformed row)."""
        record = json.loads(row)
        created = str(record["createdDateTime"])
        if variant == "status_not_object":
            broken: object = rng.choice(("vehicle status unavailable", 0))
        elif variant == "status_array":
            broken = [event["vin"], created]
        else:
            broken = record
            if variant in _REMOVED:
                del record[_REMOVED[variant]]
            elif variant == "empty_vin":
                record["vin"] = ""
            elif variant == "no_trigger_type":
                record["triggerType"] = {"context": "RFMS"}
            elif self.row_faults[variant] == RowRejection.INVALID_VIN:
                record["vin"] = invalid_vin(event["vin"], variant, rng)
            elif variant == "created_words":
                record["createdDateTime"] = rng.choice(("not-a-date", "unknown", "0"))
            elif variant == "created_no_offset":
                record["createdDateTime"] = created.removesuffix("Z")
            elif variant == "created_impossible":
                record["createdDateTime"] = f"{created[:4]}-02-30{created[10:]}"
            elif variant == "received_garbage":
                record["receivedDateTime"] = f"{created[8:10]}/{created[5:7]}/{created[:4]} 25:00"
            else:
                raise ValueError(f"unknown rfms fault {variant!r}")
        return json.dumps(broken, separators=(",", ":"), ensure_ascii=False)

    def render(self, rows: Sequence[str], received_at_s: int) -> str:
        """The ``VehicleStatusResponseObject`` holding ``rows`` as JSON text."""
        server_time = rfc3339_z(received_at_s)
        if not self.one_status_per_line:
            return (
                '{"vehicleStatusResponse":{"vehicleStatuses":[' + ",".join(rows) + "]},"
                f'"moreDataAvailable":false,"requestServerDateTime":"{server_time}"}}'
            )
        statuses = ",\n      ".join(rows)
        return (
            '{\n  "vehicleStatusResponse": {\n    "vehicleStatuses": [\n      '
            + statuses
            + "\n    ]\n  },\n"
            + f'  "moreDataAvailable": false,\n  "requestServerDateTime": "{server_time}"\n}}\n'
        )
