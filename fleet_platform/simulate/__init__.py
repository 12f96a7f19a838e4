"""Landing simulator: a synthetic bus fleet's gateways landing files the way the real
ones do, faults included, with exact expectations of what a correct pipeline reports.

Modules: :mod:`.fleet` (buses, VINs, ``reference/vehicles.csv``), :mod:`.events`
(per-bus event rates and measurements), :mod:`.pcm` / :mod:`.intellibus` /
:mod:`.rfms` (one module per gateway format, on :mod:`.gateway`), :mod:`.faults`
(fault injection and expected counts), :mod:`.landing` (a day, file by file),
:mod:`.writer` (where files go), :mod:`.clock` (time zones and time formats).
No Dagster here: the CLI and assets call :func:`simulate_landing`.
"""

from fleet_platform.simulate.fleet import write_reference
from fleet_platform.simulate.landing import SimulationSummary, simulate_landing
from fleet_platform.simulate.writer import (
    FolderLandingWriter,
    LandedFile,
    LandingWriter,
    S3LandingWriter,
    landing_writer,
)

__all__ = [
    "FolderLandingWriter",
    "LandedFile",
    "LandingWriter",
    "S3LandingWriter",
    "SimulationSummary",
    "landing_writer",
    "simulate_landing",
    "write_reference",
]
