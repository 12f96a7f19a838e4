"""The synthetic fleet and its reference file."""

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime

from fleet_platform.rules.reasons import Source
from fleet_platform.simulate import write_reference
from fleet_platform.simulate.fleet import (
    REFERENCE_KEY,
    SHARD_SIZE,
    build_fleet,
    render_reference,
    vin_check_digit,
)

VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


class Collect:
    def __init__(self):
        self.files = []

    def write(self, file):
        self.files.append(file)


def test_vins_are_valid_unique_and_carry_their_check_digit():
    fleet = build_fleet(9000, seed=42)
    vins = [bus.vin for bus in fleet.buses]
    assert all(VIN.match(vin) for vin in vins)
    assert len(set(vins)) == len(vins)
    assert all(vin_check_digit(vin) == vin[8] for vin in vins)


def test_gateways_split_40_30_30_in_shards_of_500():
    fleet = build_fleet(9000, seed=42)
    counts = Counter(bus.source for bus in fleet.sending)
    assert counts == {Source.PCM: 3600, Source.INTELLIBUS: 2700, Source.RFMS: 2700}
    for source in Source:
        shards = fleet.shards(source)
        assert list(shards) == list(range(1, len(shards) + 1))
        assert all(0 < len(members) <= SHARD_SIZE for members in shards.values())


def test_fleet_is_european_mixed_energy_and_deterministic():
    fleet = build_fleet(2000, seed=7)
    assert build_fleet(2000, seed=7) == fleet
    assert build_fleet(2000, seed=8).buses[0].vin != fleet.buses[0].vin
    energies = Counter(bus.energy for bus in fleet.sending)
    assert set(energies) == {"diesel", "electric", "hybrid", "CNG"}
    assert 0.2 < energies["electric"] / 2000 < 0.4
    assert all(bus.operator.tz.startswith("Europe/") for bus in fleet.buses)
    assert {bus.operator.country for bus in fleet.buses} >= {"FR", "DE", "NL", "BE", "ES", "IT"}


def test_reference_lists_known_buses_and_retired_ones_but_not_the_unknown():
    fleet = build_fleet(1000, seed=42, unknown_share=0.01)
    text = render_reference(fleet).decode("utf-8")
    assert text.splitlines()[0] == "vin,fleet_number,operator,country,model,energy,commissioned_on"
    rows = list(csv.DictReader(io.StringIO(text)))
    listed = {row["vin"].strip().upper() for row in rows}
    unknown = {bus.vin for bus in fleet.sending if not bus.known}
    assert len(unknown) == 10
    assert not listed & unknown
    assert {bus.vin for bus in fleet.sending if bus.known} < listed  # plus retired buses
    assert all(VIN.match(vin) for vin in listed)
    assert all(row["energy"] in {"diesel", "electric", "hybrid", "CNG"} for row in rows)
    assert all(datetime.strptime(row["commissioned_on"], "%Y-%m-%d") for row in rows)


def test_unknown_share_is_configurable_and_at_least_one_bus():
    assert sum(not b.known for b in build_fleet(50, unknown_share=0.01).sending) == 1
    assert sum(not b.known for b in build_fleet(1000, unknown_share=0.05).sending) == 50
    assert all(b.known for b in build_fleet(1000, unknown_share=0.0).sending)


def test_write_reference_lands_the_file_with_its_received_time():
    writer = Collect()
    moment = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    write_reference(writer, buses=30, seed=1, received_at=moment)
    [file] = writer.files
    assert (file.key, file.received_at) == (REFERENCE_KEY, moment)
    assert file.data == render_reference(build_fleet(30, 1))
