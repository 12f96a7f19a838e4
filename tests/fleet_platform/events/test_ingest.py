"""PartitionIngest against a real landing folder and a real Delta warehouse (tmp_path):
idempotence, late files, full refresh, duplicates across files and days, versions, repair
after a run that died, bad keys and row accounting (contracts/fleet.md)."""

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fleet_platform.events.ingest import CHUNK_BYTES, PartitionIngest
from fleet_platform.events.tables import BRONZE, LEDGER, SILVER, Table
from fleet_platform.landing.store import FolderBackend
from platform_shared.delta import DeltaWarehouse
from platform_shared.storage import StorageRoot

TODAY = date(2026, 11, 21)
D1, D2 = date(2026, 11, 19), date(2026, 11, 20)
VIN_A, VIN_B = "VFE1BUS0000000001", "VFE1BUS0000000002"
TABLES: list[tuple[Table, list[str]]] = [
    (LEDGER, ["key", "file_version"]),
    (BRONZE, ["source_file", "file_version", "row_number"]),
    (SILVER, ["event_id", "source_file", "file_version"]),
]


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def pcm(vin: str = VIN_A, ts: str = "2026-11-19T07:00:00Z", kind: str = "POSITION", **extra) -> str:
    recv = int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000) + 3000
    return json.dumps({"vin": vin, "ts": ts, "recv_ts": recv, "type": kind, **extra})


class Landing:
    """A landing folder where each file gets an explicit modification time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = FolderBackend(root)

    def land(self, key: str, content: str | bytes, received: datetime) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        stamp = int(received.timestamp() * 1_000_000_000)
        os.utime(path, ns=(stamp, stamp))


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def warehouse(tmp_path: Path) -> DeltaWarehouse:
    return DeltaWarehouse(StorageRoot.from_url(tmp_path / "warehouse"))


def ingest(landing: Landing, warehouse: DeltaWarehouse, day: date, **options):
    return PartitionIngest(landing.store, warehouse, day, TODAY).run(**options)


def table(warehouse: DeltaWarehouse, which: Table) -> pl.DataFrame:
    return warehouse.scan(which.path, which.schema).collect().select(list(which.schema))


def snapshot(warehouse: DeltaWarehouse, drop_processed_at: bool = False) -> dict[str, pl.DataFrame]:
    tables = {which.path: table(warehouse, which).sort(order) for which, order in TABLES}
    if drop_processed_at:
        tables[LEDGER.path] = tables[LEDGER.path].drop("processed_at")
    return tables


def assert_same_tables(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    assert left.keys() == right.keys()
    for name in left:
        assert (name, left[name].height) == (name, right[name].height)
        assert_frame_equal(left[name], right[name], check_exact=True)


def fates(warehouse: DeltaWarehouse, key: str) -> list[tuple[str, str | None]]:
    bronze = table(warehouse, BRONZE).filter(pl.col("source_file") == key)
    return bronze.sort("file_version", "row_number").select("fate", "reason").rows()


def land_mixed_day(landing: Landing) -> None:
    """A day-1 partition with every kind of file and row."""
    landing.land(
        "pcm/2026-11-19/a.jsonl",
        "\n".join(
            [
                pcm(ts="2026-11-19T07:00:00Z"),
                "",
                pcm(ts="2026-11-19T07:00:01Z", kind="DOOR"),
                "{broken",
                pcm(ts="2026-11-19T07:00:00Z"),  # duplicate of row 1
                pcm(vin="VFE1BUS000000000O"),
                "   ",
            ]
        )
        + "\n",
        at(D1, 8),
    )
    landing.land(
        "intellibus/2026-11-19/b.csv",
        "VIN;DATE;HEURE;CODE;VALEUR;UNITE\n"
        f"{VIN_B};19/11/2026;08:00:00;ODO;12,5;km\n"
        f"{VIN_B};29/03/2026;02:30:00;ODO;;\n"
        f"{VIN_B};19/11/2026;08:00:00;ODO;13;km\n",
        at(D1, 9),
    )
    landing.land(
        "rfms/2026-11-19/c.json",
        json.dumps(
            {
                "vehicleStatusResponse": {
                    "vehicleStatuses": [
                        {
                            "vin": VIN_A,
                            "triggerType": {"triggerType": "TIMER"},
                            "createdDateTime": "2026-11-19T07:00:00Z",
                            "receivedDateTime": "2026-11-19T07:00:05Z",
                            "hrTotalVehicleDistance": 1000,
                        },
                        {"vin": VIN_A, "triggerType": {"triggerType": "TIMER"}},
                    ]
                }
            }
        ),
        at(D1, 9, 30),
    )
    landing.land("pcm/2026-11-19/d.jsonl.gz", b"not gzip", at(D1, 10))
    landing.land("rfms/2026-11-19/e.json", b"", at(D1, 10))
    landing.land("pcm/2026-11-19/_SUCCESS", b"", at(D1, 11))
    landing.land("pcm/2026-11-19/.a.jsonl.tmp", b"partial", at(D1, 11))


def test_every_row_of_every_accepted_file_is_counted_exactly_once(landing, warehouse):
    land_mixed_day(landing)
    summary = ingest(landing, warehouse, D1)

    assert fates(warehouse, "pcm/2026-11-19/a.jsonl") == [
        ("clean", None),
        ("clean", None),
        ("rejected", "malformed_row"),
        ("duplicate", None),
        ("rejected", "invalid_vin"),
    ]
    assert fates(warehouse, "intellibus/2026-11-19/b.csv") == [
        ("clean", None),
        ("rejected", "unparseable_time"),
        ("duplicate", None),
    ]
    assert fates(warehouse, "rfms/2026-11-19/c.json") == [
        ("clean", None),
        ("rejected", "missing_field"),
    ]
    ledger = table(warehouse, LEDGER).sort("key")
    assert ledger.select(
        "key",
        "status",
        "reason",
        "rows_received",
        "rows_rejected",
        "rows_duplicate",
        "rows_clean",
    ).rows() == [
        ("intellibus/2026-11-19/b.csv", "accepted", None, 3, 1, 1, 1),
        ("pcm/2026-11-19/a.jsonl", "accepted", None, 5, 2, 1, 2),
        ("pcm/2026-11-19/d.jsonl.gz", "rejected", "corrupt_compression", 0, 0, 0, 0),
        ("rfms/2026-11-19/c.json", "accepted", None, 2, 1, 0, 1),
        ("rfms/2026-11-19/e.json", "rejected", "empty_file", 0, 0, 0, 0),
    ]
    assert (
        ledger["rows_received"]
        == ledger["rows_rejected"] + ledger["rows_duplicate"] + ledger["rows_clean"]
    ).all()
    bronze = table(warehouse, BRONZE)
    per_file = bronze.group_by("source_file", "file_version").agg(
        rows=pl.len(), clean=(pl.col("fate") == "clean").sum()
    )
    silver = table(warehouse, SILVER)
    silver_per_file = silver.group_by("source_file", "file_version").agg(silver=pl.len())
    accounted = (
        ledger.filter(pl.col("status") == "accepted")
        .join(per_file, left_on=["key", "file_version"], right_on=["source_file", "file_version"])
        .join(
            silver_per_file,
            left_on=["key", "file_version"],
            right_on=["source_file", "file_version"],
        )
    )
    assert accounted.height == 3
    assert (accounted["rows"] == accounted["rows_received"]).all()
    assert (accounted["clean"] == accounted["rows_clean"]).all()
    assert (accounted["silver"] == accounted["rows_clean"]).all()
    assert silver["event_id"].n_unique() == silver.height == 4
    assert bronze.select(["source_file", "row_number"]).is_unique().all()
    assert summary.files_listed == 5
    assert summary.files_rejected == 2
    assert dict(summary.rows) == {"clean": 4, "duplicate": 2, "rejected": 4}


def test_bronze_keeps_each_row_as_landed_numbered_without_blank_lines(landing, warehouse):
    lines = [pcm(ts="2026-11-19T07:00:00Z"), pcm(ts="2026-11-19T07:00:01Z")]
    landing.land("pcm/2026-11-19/a.jsonl", f"\n{lines[0]}\r\n\n  \n{lines[1]}\n", at(D1))
    ingest(landing, warehouse, D1)
    bronze = table(warehouse, BRONZE)
    assert bronze.sort("row_number").select(
        "source", "ingest_date", "source_file", "row_number", "raw"
    ).rows() == [
        ("pcm", D1, "pcm/2026-11-19/a.jsonl", 1, lines[0]),
        ("pcm", D1, "pcm/2026-11-19/a.jsonl", 2, lines[1]),
    ]


def test_a_rerun_changes_nothing(landing, warehouse):
    land_mixed_day(landing)
    ingest(landing, warehouse, D1)
    before = snapshot(warehouse)

    summary = ingest(landing, warehouse, D1)

    assert summary.files_new == 0
    assert_same_tables(snapshot(warehouse), before)


def test_a_file_landed_later_is_processed_alone(landing, warehouse):
    land_mixed_day(landing)
    ingest(landing, warehouse, D1)
    before = snapshot(warehouse)
    late = [pcm(ts="2026-11-19T07:00:00Z"), pcm(ts="2026-11-19T09:00:00Z")]
    landing.land("pcm/2026-11-19/z-late.jsonl", "\n".join(late), at(D2, 3))

    summary = ingest(landing, warehouse, D1)

    assert summary.files_new == 1
    after = snapshot(warehouse)
    for name, old in before.items():
        column = "key" if name == LEDGER.path else "source_file"
        kept = after[name].filter(pl.col(column) != "pcm/2026-11-19/z-late.jsonl")
        assert_frame_equal(kept, old)  # nothing else touched, processed_at included
    assert fates(warehouse, "pcm/2026-11-19/z-late.jsonl") == [("duplicate", None), ("clean", None)]
    new_ledger = after[LEDGER.path].filter(pl.col("key") == "pcm/2026-11-19/z-late.jsonl")
    assert new_ledger.select("rows_received", "rows_duplicate", "rows_clean").rows() == [(2, 1, 1)]


def test_a_full_refresh_rebuilds_identical_tables(landing, warehouse):
    land_mixed_day(landing)
    landing.land("pcm/2026-11-20/a.jsonl", pcm(ts="2026-11-19T07:00:00Z"), at(D2))
    landing.land("gps/x.jsonl", pcm(), at(D1, 12))
    ingest(landing, warehouse, D1)
    ingest(landing, warehouse, D2)
    before = snapshot(warehouse, drop_processed_at=True)

    ingest(landing, warehouse, D1, full_refresh=True)
    ingest(landing, warehouse, D2, full_refresh=True)

    assert_same_tables(snapshot(warehouse, drop_processed_at=True), before)


def test_a_full_refresh_of_one_day_leaves_other_days_alone(landing, warehouse):
    land_mixed_day(landing)
    landing.land("pcm/2026-11-20/a.jsonl", pcm(ts="2026-11-20T07:00:00Z"), at(D2))
    ingest(landing, warehouse, D1)
    ingest(landing, warehouse, D2)
    before = snapshot(warehouse)

    ingest(landing, warehouse, D2, full_refresh=True)

    after = snapshot(warehouse)
    day1 = {
        LEDGER.path: pl.col("partition_date") == D1,
        BRONZE.path: pl.col("ingest_date") == D1,
        SILVER.path: pl.col("ingest_date") == D1,
    }
    for name, predicate in day1.items():
        assert_frame_equal(after[name].filter(predicate), before[name].filter(predicate))


# A chunk per file: a chunk is classified while the one before is still being written.
CHUNKINGS = pytest.mark.parametrize("chunk_bytes", [CHUNK_BYTES, 1], ids=["one-chunk", "per-file"])


@CHUNKINGS
def test_duplicates_across_files_and_across_days(landing, warehouse, chunk_bytes):
    e1, e2, e3 = (
        pcm(ts="2026-11-19T07:00:00Z"),
        pcm(ts="2026-11-20T07:00:00Z"),
        pcm(ts="2026-11-20T08:00:00Z"),
    )
    landing.land("pcm/2026-11-19/a.jsonl", e1, at(D1))
    landing.land("pcm/2026-11-20/a.jsonl", f"{e1}\n{e2}\n", at(D2))
    landing.land("pcm/2026-11-20/b.jsonl", f"{e2}\n{e3}\n", at(D2))
    # the same event through another source is another event
    landing.land(
        "intellibus/2026-11-20/a.csv",
        f"VIN;DATE;HEURE;CODE;VALEUR;UNITE\n{VIN_A};19/11/2026;08:00:00;POSITION;;\n",
        at(D2),
    )

    ingest(landing, warehouse, D1, chunk_bytes=chunk_bytes)
    ingest(landing, warehouse, D2, chunk_bytes=chunk_bytes)

    assert fates(warehouse, "pcm/2026-11-19/a.jsonl") == [("clean", None)]
    assert fates(warehouse, "pcm/2026-11-20/a.jsonl") == [("duplicate", None), ("clean", None)]
    assert fates(warehouse, "pcm/2026-11-20/b.jsonl") == [("duplicate", None), ("clean", None)]
    assert fates(warehouse, "intellibus/2026-11-20/a.csv") == [("clean", None)]
    silver = table(warehouse, SILVER).sort("source", "event_time")
    assert silver.select("source", "event_time", "source_file").rows() == [
        ("intellibus", at(D1, 7), "intellibus/2026-11-20/a.csv"),
        ("pcm", at(D1, 7), "pcm/2026-11-19/a.jsonl"),
        ("pcm", at(D2, 7), "pcm/2026-11-20/a.jsonl"),
        ("pcm", at(D2, 8), "pcm/2026-11-20/b.jsonl"),
    ]


def test_chunks_change_nothing_but_the_commits(tmp_path, landing, warehouse):
    land_mixed_day(landing)
    landing.land("pcm/2026-11-19/b.jsonl", pcm(ts="2026-11-19T07:00:00Z"), at(D1, 12))
    one_chunk = DeltaWarehouse(StorageRoot.from_url(tmp_path / "one-chunk"))
    ingest(landing, one_chunk, D1)

    ingest(landing, warehouse, D1, chunk_bytes=1)

    assert_same_tables(
        snapshot(warehouse, drop_processed_at=True), snapshot(one_chunk, drop_processed_at=True)
    )
    assert warehouse.version(LEDGER.path) > one_chunk.version(LEDGER.path)


def _bounded(warehouse: DeltaWarehouse, which: Table) -> dict[str, bool]:
    """Column → whether the Delta log bounds it (a minimum) in every file of the table."""
    actions = pl.DataFrame(warehouse.table(which.path).get_add_actions(flatten=True))
    return {
        name: f"min.{name}" in actions.columns and actions[f"min.{name}"].is_not_null().all()
        for name in which.schema
        if name not in which.partition_by
    }


@CHUNKINGS
def test_raw_text_and_event_ids_get_no_delta_statistics(landing, warehouse, chunk_bytes):
    """No bounds in the Delta log, which file skipping reads: not for the first chunk, which
    creates the tables (delta-rs writes), nor for later ones, which append (polars writes)."""
    land_mixed_day(landing)

    ingest(landing, warehouse, D1, chunk_bytes=chunk_bytes)

    bronze, silver = _bounded(warehouse, BRONZE), _bounded(warehouse, SILVER)
    assert not bronze["raw"] and bronze["row_number"] and bronze["source_file"]
    assert not silver["event_id"] and silver["vin"] and silver["event_time"]


@CHUNKINGS
def test_silver_is_written_with_lz4_and_bronze_and_the_ledger_with_zstd(
    landing, warehouse, chunk_bytes, codecs
):
    """Each table's codec, on its first chunk (delta-rs writes) and later ones (polars)."""
    land_mixed_day(landing)

    ingest(landing, warehouse, D1, chunk_bytes=chunk_bytes)

    assert codecs(warehouse, SILVER.path) == {"LZ4"}
    assert codecs(warehouse, BRONZE.path) == codecs(warehouse, LEDGER.path) == {"ZSTD"}


def test_an_overwritten_key_is_a_new_version_processed_again(landing, warehouse):
    e1, e2, e3 = (pcm(ts=f"2026-11-19T07:00:0{n}Z") for n in (1, 2, 3))
    key = "pcm/2026-11-19/a.jsonl"
    landing.land(key, f"{e1}\n{e2}\n", at(D1, 8))
    ingest(landing, warehouse, D1)
    before = snapshot(warehouse)
    landing.land(key, f"{e1}\n{e2}\n{e3}\n", at(D1, 9))  # new size and mtime

    summary = ingest(landing, warehouse, D1)

    assert summary.files_new == 1
    ledger = table(warehouse, LEDGER).sort("received_time")
    assert ledger.select(
        "key", "size_bytes", "rows_received", "rows_duplicate", "rows_clean"
    ).rows() == [
        (key, len(e1) + len(e2) + 2, 2, 0, 2),
        (key, len(e1) + len(e2) + len(e3) + 3, 3, 2, 1),
    ]
    assert ledger["file_version"].n_unique() == 2
    old = ledger["file_version"][0]
    assert_frame_equal(
        table(warehouse, BRONZE).filter(pl.col("file_version") == old).sort("row_number"),
        before[BRONZE.path],
    )  # nothing already counted is retracted
    assert fates(warehouse, key) == [("clean", None)] * 2 + [("duplicate", None)] * 2 + [
        ("clean", None)
    ]


def test_a_key_touched_with_the_same_content_is_a_new_version_of_duplicates(landing, warehouse):
    e1, e2 = pcm(ts="2026-11-19T07:00:01Z"), pcm(ts="2026-11-19T07:00:02Z")
    key = "pcm/2026-11-19/a.jsonl"
    landing.land(key, f"{e1}\n{e2}\n", at(D1, 8))
    ingest(landing, warehouse, D1)
    landing.land(key, f"{e1}\n{e2}\n", at(D1, 9))  # same size, new mtime

    ingest(landing, warehouse, D1)

    ledger = table(warehouse, LEDGER).sort("received_time")
    assert ledger.select("rows_received", "rows_duplicate", "rows_clean").rows() == [
        (2, 0, 2),
        (2, 2, 0),
    ]
    assert table(warehouse, SILVER).height == 2


@pytest.mark.parametrize("dies_on", [SILVER, LEDGER], ids=lambda t: t.path)
def test_a_run_that_died_half_way_is_repaired_by_the_next_run(
    tmp_path, landing, warehouse, dies_on
):
    land_mixed_day(landing)
    landing.land("pcm/2026-11-19/b.jsonl", pcm(ts="2026-11-19T07:00:00Z"), at(D1, 12))
    clean_run = DeltaWarehouse(StorageRoot.from_url(tmp_path / "clean-run"))
    ingest(landing, clean_run, D1)
    expected = snapshot(clean_run, drop_processed_at=True)

    real_append = warehouse.append
    appended: list[str] = []

    def append_then_die(path, frame, *args):
        if path == dies_on.path and path in appended:
            raise RuntimeError("the run died")
        appended.append(path)
        real_append(path, frame, *args)

    # One file per chunk: the first chunk commits, the second dies before its ledger rows.
    broken = DeltaWarehouse(warehouse.root)
    broken.append = append_then_die
    with pytest.raises(RuntimeError, match="the run died"):
        ingest(landing, broken, D1, chunk_bytes=1)
    half_done = snapshot(warehouse)
    assert 0 < half_done[LEDGER.path].height < expected[LEDGER.path].height
    assert half_done[BRONZE.path].height > 0

    summary = ingest(landing, warehouse, D1, chunk_bytes=1)

    assert summary.rows_repaired > 0
    assert_same_tables(snapshot(warehouse, drop_processed_at=True), expected)


def test_bad_key_files_land_in_the_partition_of_their_receipt_date(landing, warehouse):
    landing.land("gps/2026-11-19/a.jsonl", pcm(), at(D2, 1))
    landing.land("pcm/2026-02-30/a.jsonl", pcm(), at(D2, 2))
    landing.land("pcm/a.jsonl", pcm(), at(D1, 3))
    landing.land("pcm/2026-11-30/a.jsonl", pcm(), at(D2, 4))  # later than tomorrow
    landing.land("rfms/latest/a.json", "{}", at(D2, 5))
    landing.land("a.jsonl", pcm(), at(D2, 6))
    landing.land("pcm/2026-11-19/a.txt", "x", at(D2, 7))  # a valid folder: its own date
    landing.land("gps/_SUCCESS", b"", at(D2, 8))  # a marker: ignored
    landing.land("pcm/.a.jsonl.tmp", b"", at(D2, 8))
    landing.land("reference/vehicles.csv", b"vin\n", at(D2, 9))  # not a landed data file

    ingest(landing, warehouse, D1)
    ingest(landing, warehouse, D2)

    ledger = table(warehouse, LEDGER).sort("key")
    assert ledger.select(
        "key", "source", "ingest_date", "partition_date", "status", "reason"
    ).rows() == [
        ("a.jsonl", None, None, D2, "rejected", "bad_key"),
        ("gps/2026-11-19/a.jsonl", None, None, D2, "rejected", "bad_key"),
        ("pcm/2026-02-30/a.jsonl", "pcm", None, D2, "rejected", "bad_key"),
        ("pcm/2026-11-19/a.txt", "pcm", D1, D1, "rejected", "unsupported_format"),
        ("pcm/2026-11-30/a.jsonl", "pcm", None, D2, "rejected", "bad_key"),
        ("pcm/a.jsonl", "pcm", None, D1, "rejected", "bad_key"),
        ("rfms/latest/a.json", "rfms", None, D2, "rejected", "bad_key"),
    ]
    assert table(warehouse, BRONZE).height == 0
