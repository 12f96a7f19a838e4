"""Hand-made files with every fate and reason of every rule, in files that repeat each
other's events, so duplicates are found within and across files (contracts/fleet.md, "What
every input becomes"; the full table is tests/fleet_platform/rules/test_rule_corpus.py).
Shared by the engine parity tests."""

from datetime import UTC, date, datetime
from pathlib import Path

VIN = "VFE1BUS0000000001"
RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _pcm(vin: str = VIN, ts: str = "2026-11-21T07:15:02Z", kind: str = "POSITION") -> str:
    return f'{{"vin": "{vin}", "ts": "{ts}", "recv_ts": 1795245305000, "type": "{kind}"}}'


def _csv(vin: str = VIN, day: str = "21/11/2026", clock: str = "08:15:02") -> str:
    return f"{vin};{day};{clock};ODO;123,4;km"


HEADER = "VIN;DATE;HEURE;CODE;VALEUR;UNITE"

CORPUS: list[tuple[str, str]] = [
    ("pcm", "\n".join([_pcm(), _pcm(), _pcm(vin=" vfe1bus0000000001 "), "{not json", '{"vin": 1}'])),
    ("pcm", "\n".join([_pcm(vin="bad"), _pcm(ts="2026-11-21T07:15:02"), _pcm(ts="1999-12-31T23:59:59Z")])),
    ("pcm", "\n".join([_pcm(ts="2026-11-21T09:05:01Z"), _pcm(ts="2026-11-21T09:04:59+00:00"), _pcm()])),
    ("pcm", "\n".join([_pcm(ts="2026-11-21T07:15:02.000001Z"), _pcm(kind="STATUS")])),
    ("intellibus", "\n".join([HEADER, _csv(), _csv(), _csv(vin="x"), _csv(clock="25:00:00"), "a;b"])),
    ("intellibus", "\n".join([HEADER, _csv(day="29/03/2026", clock="02:30:00"), _csv(clock="")])),
    ("intellibus", "\n".join([HEADER, _csv(day="25/10/2026", clock="02:30:00"), _csv()])),
    ("rfms", '{"vehicleStatusResponse": {"vehicleStatuses": ['
     '{"vin": "VFE1BUS0000000001", "triggerType": {"triggerType": "TIMER", "context": "RFMS"},'
     ' "createdDateTime": "2026-11-21T07:15:02Z", "receivedDateTime": "2026-11-21T09:00:00Z"},'
     '{"vin": 5}, {"vin": "VFE1BUS0000000002"}]}}'),
]  # fmt: skip


def land_corpus(root: Path, day: date) -> None:
    """Write the corpus into the landing folder ``root``, as files landed on ``day``."""
    for number, (source, text) in enumerate(CORPUS):
        suffix = {"pcm": "jsonl", "intellibus": "csv", "rfms": "json"}[source]
        path = root / source / day.isoformat() / f"corpus-{number}.{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
