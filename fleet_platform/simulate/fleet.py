"""The synthetic bus fleet and its master data file ``reference/vehicles.csv``.

Everything is a pure function of ``(buses, seed, unknown_share)``:

* ``buses`` buses send telemetry. Each belongs to one gateway, about 40 % ``pcm``,
  30 % ``intellibus``, 30 % ``rfms``, in shards of :data:`SHARD_SIZE` buses
  (``pcm-gw01``, ``pcm-gw02``, ...).
* VINs are valid 17-character ISO 3779 VINs (``^[A-HJ-NPR-Z0-9]{17}$``): a real bus
  maker's WMI, a model code, the check digit, the model-year letter, a plant code
  and a unique serial.
* Operators are European city networks; energy is diesel, electric, hybrid or CNG
  (electric buses report a state of charge).
* ``reference/vehicles.csv`` lists every bus except a share ``unknown_share`` (at
  least one bus when the share is positive) that sends data without being in the
  master data, plus :data:`RETIRED_SHARE` retired buses that are listed but send
  nothing. A few VINs (:data:`REFERENCE_LOWERCASE_SHARE`) are exported in lower case,
  which the contract's trim + upper-case matching must absorb.
"""

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from fleet_platform.rules.keys import REFERENCE_KEY
from fleet_platform.rules.reasons import Source
from fleet_platform.rules.reference import REFERENCE_COLUMNS
from fleet_platform.simulate.writer import LandedFile, LandingWriter

REFERENCE_HEADER = REFERENCE_COLUMNS

SHARD_SIZE = 500
"""Buses per gateway shard: one file per shard per hour."""
GATEWAY_SHARES: dict[Source, float] = {Source.PCM: 0.4, Source.INTELLIBUS: 0.3, Source.RFMS: 0.3}
DEFAULT_UNKNOWN_SHARE = 0.01
"""Share of data-sending buses that are missing from the reference."""
RETIRED_SHARE = 0.02
"""Extra reference rows for retired buses that send nothing."""
REFERENCE_LOWERCASE_SHARE = 0.002
"""Share of reference VINs exported in lower case."""
SERVICE_START_S = 5 * 3600
SERVICE_END_S = 23 * 3600
SERVICE_JITTER_S = 20 * 60
"""Each bus's service starts and ends up to this far from 05:00 / 23:00 local time."""
PCM_TIMESTAMP_STYLES = (("offset", 0.55), ("utc", 0.30), ("epoch_ms", 0.15))
"""How a pcm bus's firmware writes ``ts``: local time with offset, ``Z``, or (older
firmware) an integer of epoch milliseconds."""

_TRANSLITERATION = {c: int(c) for c in "0123456789"} | dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_MODEL_YEAR = "123456789ABCDEFGHJKLMNPRSTVWXY"  # 2001 .. 2030


@dataclass(frozen=True)
class Operator:
    """A city bus network: name, country (ISO 3166 alpha-2), time zone, depot position."""

    name: str
    country: str
    tz: str
    lat: float
    lon: float
    weight: float


@dataclass(frozen=True)
class Model:
    """A bus model: maker's WMI and model code, and the energies it is built for."""

    name: str
    wmi: str
    code: str
    plant: str
    energies: tuple[str, ...]


OPERATORS: tuple[Operator, ...] = (
    Operator("RATP", "FR", "Europe/Paris", 48.8566, 2.3522, 5.0),
    Operator("Keolis Lyon", "FR", "Europe/Paris", 45.7640, 4.8357, 2.0),
    Operator("Tisséo", "FR", "Europe/Paris", 43.6047, 1.4442, 1.0),
    Operator("BVG", "DE", "Europe/Berlin", 52.5200, 13.4050, 3.0),
    Operator("Üstra", "DE", "Europe/Berlin", 52.3759, 9.7320, 1.0),
    Operator("GVB", "NL", "Europe/Amsterdam", 52.3676, 4.9041, 1.0),
    Operator("STIB-MIVB", "BE", "Europe/Brussels", 50.8503, 4.3517, 1.5),
    Operator("De Lijn", "BE", "Europe/Brussels", 51.2194, 4.4025, 2.0),
    Operator("TMB", "ES", "Europe/Madrid", 41.3851, 2.1734, 2.0),
    Operator("ATM Milano", "IT", "Europe/Rome", 45.4642, 9.1900, 2.0),
    Operator("Wiener Linien", "AT", "Europe/Vienna", 48.2082, 16.3738, 1.0),
    Operator("MPK Kraków", "PL", "Europe/Warsaw", 50.0647, 19.9450, 1.0),
    Operator("DPP", "CZ", "Europe/Prague", 50.0755, 14.4378, 1.0),
    Operator("Carris", "PT", "Europe/Lisbon", 38.7223, -9.1393, 1.0),
    Operator("HSL", "FI", "Europe/Helsinki", 60.1699, 24.9384, 1.0),
    Operator("Go-Ahead London", "GB", "Europe/London", 51.5072, -0.1276, 2.0),
)

MODELS: tuple[Model, ...] = (
    Model("Mercedes-Benz Citaro", "WEB", "62802", "3", ("diesel", "hybrid", "CNG")),
    Model("Mercedes-Benz eCitaro", "WEB", "62803", "3", ("electric",)),
    Model("MAN Lion's City 12", "WMA", "37CZZ", "S", ("diesel", "hybrid", "CNG")),
    Model("MAN Lion's City 12 E", "WMA", "37EZZ", "S", ("electric",)),
    Model("Solaris Urbino 12", "SUU", "341CB", "B", ("diesel", "hybrid", "CNG")),
    Model("Solaris Urbino 12 electric", "SUU", "341EB", "B", ("electric",)),
    Model("Iveco Urbanway 12", "VNE", "5411A", "R", ("diesel", "hybrid", "CNG")),
    Model("Heuliez GX 337 ELEC", "VF9", "GX337", "R", ("electric",)),
    Model("Volvo 7900 Electric", "YV3", "R9L20", "G", ("electric",)),
    Model("VDL Citea LF-122", "XMG", "DE12L", "V", ("diesel", "electric")),
    Model("Scania Citywide", "YS4", "K4X2B", "K", ("diesel", "CNG")),
)
ENERGY_SHARES = (("diesel", 0.40), ("electric", 0.30), ("hybrid", 0.20), ("CNG", 0.10))


@dataclass(frozen=True)
class Bus:
    """One bus: master data plus what the simulator needs to make its telemetry."""

    index: int
    vin: str
    fleet_number: str
    operator: Operator
    model: str
    energy: str
    commissioned_on: date
    source: Source | None  # None: retired, sends nothing
    shard: int  # 1-based within its gateway; 0 when retired
    known: bool  # listed in reference/vehicles.csv
    pcm_ts_style: str
    service_start_s: int  # local seconds after midnight
    service_end_s: int
    km_per_day: float
    odometer_base_km: float
    litres_per_km: float | None  # None for electric buses
    engine_hours_base: float
    route_phase: float
    route_lat_km: float
    route_lon_km: float
    line: str

    @property
    def electric(self) -> bool:
        """Electric buses report a state of charge and use no fuel."""
        return self.energy == "electric"


@dataclass(frozen=True)
class Fleet:
    """Every bus, data-sending ones first, and the gateway shards they belong to."""

    buses: tuple[Bus, ...]
    seed: int

    @property
    def sending(self) -> tuple[Bus, ...]:
        """Buses that send telemetry (known or not)."""
        return tuple(bus for bus in self.buses if bus.source is not None)

    def shards(self, source: Source) -> dict[int, tuple[Bus, ...]]:
        """The buses of each shard of ``source``, by shard number."""
        shards: dict[int, list[Bus]] = {}
        for bus in self.buses:
            if bus.source == source:
                shards.setdefault(bus.shard, []).append(bus)
        return {shard: tuple(members) for shard, members in sorted(shards.items())}


def vin_check_digit(vin: str) -> str:
    """ISO 3779 (North-American) check digit of a 17-character VIN: position 9."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def make_vin(model: Model, year: int, serial: int) -> str:
    """A valid VIN for ``model`` built in ``year`` with a 6-digit ``serial``."""
    draft = f"{model.wmi}{model.code}0{_MODEL_YEAR[(year - 2001) % 30]}{model.plant}{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


def _weighted(rng: random.Random, options: Sequence[tuple[object, float]]) -> object:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _line_label(rng: random.Random, operator: Operator) -> str:
    """The line a bus serves, as an intellibus ``LIGNE`` value (some contain ``;``)."""
    number = rng.randint(1, 199)
    roll = rng.random()
    if roll < 0.05:
        return f"{number}; {number + 1}"  # a bus alternating two lines
    if roll < 0.10:
        return f"{number} Hôtel de Ville"
    if roll < 0.15:
        return f"N{number % 40:02d}"  # night line
    return str(number)


def _make_bus(
    rng: random.Random,
    index: int,
    serial: int,
    fleet_numbers: dict[str, int],
    source: Source | None,
    shard: int,
    known: bool,
) -> Bus:
    operator = _weighted(rng, [(op, op.weight) for op in OPERATORS])
    assert isinstance(operator, Operator)
    energy = str(_weighted(rng, ENERGY_SHARES))
    model = rng.choice([m for m in MODELS if energy in m.energies])
    if source is None:
        commissioned = date(2008, 1, 1) + timedelta(days=rng.randrange(6 * 365))
    else:
        commissioned = date(2013, 1, 1) + timedelta(days=rng.randrange(13 * 365))
    fleet_numbers[operator.name] = fleet_numbers.get(operator.name, rng.randrange(1000, 8000)) + 1
    km_per_day = rng.uniform(140.0, 280.0)
    age_days = max(0, (date(2026, 1, 1) - commissioned).days)
    return Bus(
        index=index,
        vin=make_vin(model, commissioned.year, serial),
        fleet_number=str(fleet_numbers[operator.name]),
        operator=operator,
        model=model.name,
        energy=energy,
        commissioned_on=commissioned,
        source=source,
        shard=shard,
        known=known,
        pcm_ts_style=str(_weighted(rng, PCM_TIMESTAMP_STYLES)),
        service_start_s=SERVICE_START_S + rng.randint(-SERVICE_JITTER_S, SERVICE_JITTER_S),
        service_end_s=SERVICE_END_S + rng.randint(-SERVICE_JITTER_S, SERVICE_JITTER_S),
        km_per_day=km_per_day,
        odometer_base_km=rng.uniform(0.0, 5000.0) + 0.85 * km_per_day * age_days,
        litres_per_km=None
        if energy == "electric"
        else {"diesel": 0.42, "hybrid": 0.31, "CNG": 0.48}[energy] * rng.uniform(0.9, 1.1),
        engine_hours_base=rng.uniform(0.0, 300.0) + 15.0 * 0.85 * age_days,
        route_phase=rng.uniform(0.0, 6.283185307179586),
        route_lat_km=rng.uniform(2.0, 8.0),
        route_lon_km=rng.uniform(2.0, 8.0),
        line=_line_label(rng, operator),
    )


@lru_cache(maxsize=8)
def build_fleet(buses: int, seed: int = 42, unknown_share: float = DEFAULT_UNKNOWN_SHARE) -> Fleet:
    """The deterministic fleet of ``buses`` data-sending buses (plus retired ones)."""
    if buses < 1:
        raise ValueError(f"buses must be at least 1, got {buses}")
    if not 0.0 <= unknown_share < 1.0:
        raise ValueError(f"unknown_share must be in [0, 1), got {unknown_share}")
    rng = random.Random(f"fleet:{seed}:{buses}")
    retired = round(buses * RETIRED_SHARE)
    serials = rng.sample(range(1_000_000), buses + retired)

    order = list(range(buses))
    rng.shuffle(order)
    n_pcm = round(buses * GATEWAY_SHARES[Source.PCM])
    n_intellibus = round(buses * GATEWAY_SHARES[Source.INTELLIBUS])
    gateway_of: dict[int, tuple[Source, int]] = {}
    for source, members in (
        (Source.PCM, order[:n_pcm]),
        (Source.INTELLIBUS, order[n_pcm : n_pcm + n_intellibus]),
        (Source.RFMS, order[n_pcm + n_intellibus :]),
    ):
        for position, index in enumerate(sorted(members)):
            gateway_of[index] = (source, position // SHARD_SIZE + 1)

    n_unknown = round(buses * unknown_share)
    if unknown_share > 0 and buses > 1:
        n_unknown = max(1, n_unknown)
    unknown = set(rng.sample(range(buses), n_unknown))

    fleet_numbers: dict[str, int] = {}
    members: list[Bus] = []
    for index in range(buses):
        source, shard = gateway_of[index]
        members.append(
            _make_bus(
                rng, index, serials[index], fleet_numbers, source, shard, index not in unknown
            )
        )
    for index in range(buses, buses + retired):
        members.append(_make_bus(rng, index, serials[index], fleet_numbers, None, 0, True))
    return Fleet(buses=tuple(members), seed=seed)


def render_reference(fleet: Fleet) -> bytes:
    """``reference/vehicles.csv``: comma-separated, the contract's header, known buses
    sorted by operator and fleet number."""
    rng = random.Random(f"reference:{fleet.seed}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REFERENCE_HEADER)
    listed = sorted(
        (bus for bus in fleet.buses if bus.known),
        key=lambda bus: (bus.operator.name, int(bus.fleet_number), bus.vin),
    )
    for bus in listed:
        vin = bus.vin.lower() if rng.random() < REFERENCE_LOWERCASE_SHARE else bus.vin
        writer.writerow(
            (
                vin,
                bus.fleet_number,
                bus.operator.name,
                bus.operator.country,
                bus.model,
                bus.energy,
                bus.commissioned_on.isoformat(),
            )
        )
    return out.getvalue().encode("utf-8")


def write_reference(
    writer: LandingWriter,
    buses: int,
    seed: int = 42,
    unknown_share: float = DEFAULT_UNKNOWN_SHARE,
    *,
    received_at: datetime | None = None,
) -> LandedFile:
    """Land ``reference/vehicles.csv`` for the fleet of ``buses`` buses.

    ``received_at`` (default: now, UTC) becomes the file's mtime. Returns the landed file.
    """
    file = LandedFile(
        key=REFERENCE_KEY,
        data=render_reference(build_fleet(buses, seed, unknown_share)),
        received_at=received_at or datetime.now(UTC).replace(microsecond=0),
    )
    writer.write(file)
    return file
