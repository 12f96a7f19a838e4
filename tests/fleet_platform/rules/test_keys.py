"""Landing layout (contracts/fleet.md, "Landing layout"): one key per rule, exact outcome."""

from datetime import date

import pytest

from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.keys import LandingKey, is_marker, known_source, parse_key
from fleet_platform.rules.reasons import FileRejection, Source

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("pcm/2026-11-19/a.jsonl", LandingKey("pcm/2026-11-19/a.jsonl", Source.PCM, date(2026, 11, 19), False)),
        ("pcm/2026-11-19/a.jsonl.gz", LandingKey("pcm/2026-11-19/a.jsonl.gz", Source.PCM, date(2026, 11, 19), True)),
        ("intellibus/2026-11-19/b.csv", LandingKey("intellibus/2026-11-19/b.csv", Source.INTELLIBUS, date(2026, 11, 19), False)),
        ("intellibus/2026-11-19/b.csv.gz", LandingKey("intellibus/2026-11-19/b.csv.gz", Source.INTELLIBUS, date(2026, 11, 19), True)),
        ("rfms/2026-11-19/c.json", LandingKey("rfms/2026-11-19/c.json", Source.RFMS, date(2026, 11, 19), False)),
        ("rfms/2026-11-19/c.json.gz", LandingKey("rfms/2026-11-19/c.json.gz", Source.RFMS, date(2026, 11, 19), True)),
        # today and tomorrow (UTC) are allowed date folders; older ones too (late files)
        ("pcm/2026-11-20/a.jsonl", LandingKey("pcm/2026-11-20/a.jsonl", Source.PCM, date(2026, 11, 20), False)),
        ("pcm/2026-11-21/a.jsonl", LandingKey("pcm/2026-11-21/a.jsonl", Source.PCM, date(2026, 11, 21), False)),
        ("pcm/2024-02-29/a.jsonl", LandingKey("pcm/2024-02-29/a.jsonl", Source.PCM, date(2024, 2, 29), False)),
    ],
)  # fmt: skip
def test_a_key_that_fits_the_layout_gives_source_date_and_compression(key, expected):
    assert parse_key(key, TODAY) == expected


@pytest.mark.parametrize(
    "key",
    [
        "gps/2026-11-19/a.jsonl",  # unknown source folder
        "PCM/2026-11-19/a.jsonl",  # source folders are lower case
        "pcm/19-11-2026/a.jsonl",  # not a YYYY-MM-DD folder
        "pcm/2026-11-1/a.jsonl",
        "pcm/20261119/a.jsonl",
        "pcm/latest/a.jsonl",
        "pcm/2026-02-30/a.jsonl",  # impossible date
        "pcm/2026-13-01/a.jsonl",
        "pcm/2025-02-29/a.jsonl",  # not a leap year
        "pcm/a.jsonl",  # directly under a source folder
        "pcm/2026-11-19/sub/a.jsonl",  # nested deeper
        "pcm/2026-11-22/a.jsonl",  # later than today + 1 day
        "pcm/2027-01-01/a.jsonl",
        "a.jsonl",  # directly under the landing root
    ],
)
def test_a_key_outside_the_layout_is_bad_key(key):
    with pytest.raises(FileRejected) as rejected:
        parse_key(key, TODAY)
    assert rejected.value.reason is FileRejection.BAD_KEY


@pytest.mark.parametrize(
    "key",
    [
        "pcm/2026-11-19/a.csv",
        "pcm/2026-11-19/a.json",
        "pcm/2026-11-19/a.jsonl.zip",
        "pcm/2026-11-19/a.gz",
        "pcm/2026-11-19/a.jsonl.tmp",  # a temp name without a leading dot is not a marker
        "intellibus/2026-11-19/b.jsonl",
        "intellibus/2026-11-19/b.txt",
        "intellibus/2026-11-19/b.csv.bz2",
        "rfms/2026-11-19/c.jsonl",
        "rfms/2026-11-19/c.xml",
        "rfms/2026-11-19/c",
    ],
)
def test_another_extension_for_the_source_is_unsupported_format(key):
    with pytest.raises(FileRejected) as rejected:
        parse_key(key, TODAY)
    assert rejected.value.reason is FileRejection.UNSUPPORTED_FORMAT


def test_layout_is_checked_before_the_extension():
    with pytest.raises(FileRejected) as rejected:
        parse_key("pcm/2026-02-30/a.txt", TODAY)
    assert rejected.value.reason is FileRejection.BAD_KEY


@pytest.mark.parametrize(
    ("key", "marker"),
    [
        ("pcm/2026-11-19/_SUCCESS", True),
        ("pcm/2026-11-19/.a.jsonl.tmp", True),
        ("pcm/2026-11-19/.tmp", True),
        ("pcm/2026-11-19/_a.jsonl", True),
        ("_SUCCESS", True),
        ("gps/.DS_Store", True),
        ("pcm/2026-11-19/a.jsonl", False),
        ("pcm/2026-11-19/a.jsonl.tmp", False),
        ("pcm/_2026-11-19/a.jsonl", False),  # only the file name counts
        ("pcm/2026-11-19/a_.jsonl", False),
    ],
)
def test_markers_are_names_starting_with_dot_or_underscore(key, marker):
    assert is_marker(key) is marker


@pytest.mark.parametrize(
    ("key", "source"),
    [
        ("pcm/2026-11-19/a.jsonl", Source.PCM),
        ("intellibus/x", Source.INTELLIBUS),
        ("rfms", Source.RFMS),
        ("reference/vehicles.csv", None),
        ("gps/2026-11-19/a.jsonl", None),
    ],
)
def test_known_source_reads_the_first_folder(key, source):
    assert known_source(key) == source
