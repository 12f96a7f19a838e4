"""Whole simulated days: key layout, received times, determinism, fault coverage."""

import gzip
import json
import os
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from fleet_platform.rules.reasons import FileRejection
from fleet_platform.simulate import (
    FolderLandingWriter,
    LandedFile,
    SimulationSummary,
    simulate_landing,
)
from fleet_platform.simulate.faults import INJECTED_KEYS

DATA_KEY = re.compile(
    r"^(?P<source>pcm|intellibus|rfms)/(?P<folder>\d{4}-\d{2}-\d{2})/"
    r"(?P=source)-gw\d{2}-(?P<hour>\d{8}T\d{2})\.(?P<ext>jsonl|csv|json)(?P<gz>\.gz)?$"
)
EXTENSION = {"pcm": "jsonl", "intellibus": "csv", "rfms": "json"}
DAYS = [date(2026, 10, 24), date(2026, 10, 25)]
FILE_REJECTIONS = [reason.value for reason in FileRejection]


class Tee:
    """Keeps every landed file and also writes it to a folder."""

    def __init__(self, folder=None):
        self.files: list[LandedFile] = []
        self.folder = FolderLandingWriter(folder) if folder else None

    def write(self, file: LandedFile) -> None:
        self.files.append(file)
        if self.folder:
            self.folder.write(file)


def run(days=DAYS, buses=40, fault_rate=0.02, seed=3, folder=None) -> tuple[SimulationSummary, Tee]:
    writer = Tee(folder)
    return simulate_landing(writer, days, buses=buses, fault_rate=fault_rate, seed=seed), writer


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    summary, writer = run(folder=root)
    return summary, writer, root


@pytest.fixture(scope="module")
def clean():
    return run(fault_rate=0.0)


def test_every_data_file_fits_the_layout_and_lands_after_its_hour(clean):
    summary, writer = clean
    keys = [file.key for file in writer.files]
    assert keys[0] == "reference/vehicles.csv"
    assert len(keys) == len(set(keys)) == summary.files
    for file in writer.files[1:]:
        match = DATA_KEY.match(file.key)
        assert match, file.key
        assert file.received_at.tzinfo is not None
        assert match["folder"] == file.received_at.astimezone(UTC).date().isoformat()
        hour = datetime.strptime(match["hour"], "%Y%m%dT%H").replace(tzinfo=UTC)
        assert timedelta(minutes=62) <= file.received_at - hour <= timedelta(minutes=69)
    folders = {DATA_KEY.match(key)["folder"] for key in keys[1:]}
    assert folders == {day.isoformat() for day in DAYS}
    for source in EXTENSION:
        names = [key for key in keys if key.startswith(f"{source}/")]
        assert any(key.endswith(".gz") for key in names), source
        assert any(not key.endswith(".gz") for key in names), source


def test_a_clean_run_injects_nothing_and_every_file_decodes(clean):
    summary, writer = clean
    assert {k: v for k, v in summary.injected.items() if v} == {
        "unknown_vins_events": summary.injected["unknown_vins_events"]
    }
    assert summary.injected["unknown_vins_events"] > 0
    for file in writer.files:
        data = gzip.decompress(file.data) if file.key.endswith(".gz") else file.data
        text = data.decode("utf-8")
        assert text and "\n\n" not in text.replace("\r\n", "\n")


def test_summary_counts_what_was_written(faulty):
    summary, writer, _ = faulty
    assert summary.files == len(writer.files)
    assert summary.bytes == sum(len(file.data) for file in writer.files)
    assert summary.events == sum(summary.by_source.values())
    assert set(summary.by_source) == set(EXTENSION)
    assert list(summary.injected) == list(INJECTED_KEYS)


def test_every_fault_kind_appears_when_faults_are_on(faulty):
    summary, writer, _ = faulty
    assert all(count > 0 for count in summary.injected.values()), summary.injected
    keys = [file.key for file in writer.files]
    today = datetime.now(UTC).date()
    assert any(key.startswith("telematics/") for key in keys)  # unknown source folder
    assert any(re.match(r"^\w+/\d{4}-02-30/", key) for key in keys)  # not a real date
    assert any(re.match(r"^(pcm|intellibus|rfms)/[^/]+$", key) for key in keys)  # no folder
    future = (today + timedelta(days=365)).isoformat()
    assert any(f"/{future}/" in key for key in keys)  # later than tomorrow, real clock
    assert any(key.endswith((".xml", ".txt")) for key in keys)
    assert any(key.endswith("/_SUCCESS") for key in keys)
    assert any(re.search(r"/\.[^/]+\.part$", key) for key in keys)
    assert any(file.data == b"" for file in writer.files)


def file_reason(file: LandedFile, today: date) -> str | None:
    """The contract's file-level outcome of one landed file (None: accepted)."""
    parts = file.key.split("/")
    if parts[-1].startswith((".", "_")):
        return "ignored_marker"
    if parts[0] not in EXTENSION or len(parts) != 3:
        return "bad_key"
    try:
        folder = (
            date.fromisoformat(parts[1]) if re.match(r"^\d{4}-\d{2}-\d{2}$", parts[1]) else None
        )
    except ValueError:
        folder = None
    if folder is None or folder > today + timedelta(days=1):
        return "bad_key"
    if not parts[2].removesuffix(".gz").endswith(f".{EXTENSION[parts[0]]}"):
        return "unsupported_format"
    if not file.data:
        return "empty_file"
    data = file.data
    if parts[2].endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return "corrupt_compression"
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return "encoding"
    if parts[0] == "intellibus":
        header = {name.strip().lower() for name in text.splitlines()[0].split(";")}
        if not {"vin", "date", "heure", "code", "valeur", "unite"} <= header:
            return "schema_mismatch"
    if parts[0] == "rfms":
        try:
            statuses = json.loads(text)["vehicleStatusResponse"]["vehicleStatuses"]
        except (ValueError, KeyError, TypeError):
            return "malformed_document"
        if not isinstance(statuses, list):
            return "malformed_document"
    return None


def test_file_level_counts_match_the_files(faulty):
    summary, writer, _ = faulty
    today = datetime.now(UTC).date()
    reasons = Counter(file_reason(file, today) for file in writer.files[1:])
    file_keys = [*FILE_REJECTIONS, "ignored_marker"]
    assert {key: reasons[key] for key in file_keys} == {k: summary.injected[k] for k in file_keys}


def test_folder_writer_sets_mtime_to_received_time_and_leaves_no_temporary_files(faulty):
    _, writer, root = faulty
    on_disk = {
        path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()
    }
    assert set(on_disk) == {file.key for file in writer.files}
    for file in writer.files:
        path = on_disk[file.key]
        assert path.read_bytes() == file.data
        assert os.stat(path).st_mtime == file.received_at.timestamp()


def test_same_seed_same_landing_other_seed_other_landing():
    days = [date(2026, 11, 20)]
    _, first = run(days=days, buses=15, seed=5)
    _, second = run(days=days, buses=15, seed=5)
    _, other = run(days=days, buses=15, seed=6)
    assert first.files == second.files
    assert [f.data for f in first.files] != [f.data for f in other.files]


def test_days_are_simulated_in_date_order_whatever_the_order_given():
    summary, writer = run(days=[date(2026, 11, 20), date(2026, 11, 19)], buses=10, fault_rate=0)
    folders = [file.key.split("/")[1] for file in writer.files[1:]]
    assert folders == sorted(folders)
    assert summary.events > 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"days": []}, "days is empty"),
        ({"days": [datetime.now(UTC).date() + timedelta(days=2)]}, "later than tomorrow"),
        ({"days": DAYS, "fault_rate": 0.5}, "fault_rate"),
        ({"days": DAYS, "buses": 0}, "buses"),
    ],
)
def test_bad_arguments_say_what_is_wrong(arguments, message):
    with pytest.raises(ValueError, match=message):
        simulate_landing(Tee(), **arguments)


def test_landed_file_keys_cannot_leave_the_landing_root():
    moment = datetime(2026, 11, 21, tzinfo=UTC)
    for key in ("../x.csv", "/abs/x.csv", "pcm//x.csv", ""):
        with pytest.raises(ValueError, match="landing root"):
            LandedFile(key=key, data=b"", received_at=moment)
    with pytest.raises(ValueError, match="tz-aware"):
        LandedFile(key="pcm/x", data=b"", received_at=datetime(2026, 11, 21))
