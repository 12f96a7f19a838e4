"""Appends written by polars and committed by delta-rs (``platform_shared.delta_files``):
the same files' statistics as delta-rs writes, rows read back under filters."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import polars as pl
import pytest
from deltalake.exceptions import SchemaMismatchError
from polars.testing import assert_frame_equal

from platform_shared.delta import DeltaWarehouse
from platform_shared.delta_files import Codec, file_stats
from platform_shared.storage import StorageRoot

SCHEMA = {
    "day": pl.Date(),
    "name": pl.String(),
    "count": pl.Int64(),
    "value": pl.Float64(),
    "flag": pl.Boolean(),
    "at": pl.Datetime("us", "UTC"),
    "text": pl.String(),
}


def _rows(offset: int) -> pl.DataFrame:
    at = datetime(2026, 11, 30, 12, 0, 0, 900, tzinfo=UTC)  # 0.9 ms: below the stats' precision
    day, before = date(2026, 11, 30), date(2026, 11, 29)
    return pl.DataFrame(
        {
            "day": [before, before, day, day, day, None],
            "name": ["b", "c", "a", None, "d", "z"],
            "count": [offset + 3, offset + 5, offset - 1, None, offset + 2, offset],
            "value": [1.5, -0.0, None, -0.25, 2.0, 7.0],
            "flag": [True, False, False, None, True, True],
            "at": [
                at.replace(second=59, microsecond=999_999),
                at.replace(hour=11),
                at,
                None,
                at.replace(hour=13),
                at.replace(hour=1),
            ],
            "text": ["long text nobody filters on", "w", "x", "y", None, "z"],
        },
        schema=SCHEMA,
    )


def _warehouse(tmp_path, name: str) -> DeltaWarehouse:
    return DeltaWarehouse(StorageRoot.from_url(tmp_path / name))


def _added_files(warehouse: DeltaWarehouse, version: int) -> pl.DataFrame:
    """The add actions of the files a commit added, by partition, without path, size or time."""
    table = warehouse.table("t")
    before = {
        row["path"] for row in _actions(warehouse.table("t", version - 1)).iter_rows(named=True)
    }
    actions = _actions(table).filter(~pl.col("path").is_in(before))
    return actions.drop("path", "size_bytes", "modification_time").sort(
        "partition.day", nulls_last=True
    )


def _actions(table) -> pl.DataFrame:
    return pl.DataFrame(table.get_add_actions(flatten=True))


def test_appended_files_carry_the_statistics_delta_rs_writes(tmp_path):
    ours, theirs = _warehouse(tmp_path, "ours"), _warehouse(tmp_path, "theirs")
    for warehouse in (ours, theirs):
        warehouse.append("t", _rows(0), ["day"], unindexed=["text"])  # created by delta-rs

    ours.append("t", _rows(10), ["day"], unindexed=["text"])  # polars writes, delta-rs commits
    theirs._write("t", _rows(10), "append", {"partition_by": ["day"]}, ["text"])  # delta-rs alone

    assert ours.version("t") == theirs.version("t") == 1
    assert_frame_equal(_added_files(ours, 1), _added_files(theirs, 1))
    assert _added_files(ours, 1)["min.text"].is_null().all()  # unindexed: no bounds


def test_appended_rows_read_back_under_filters_on_their_statistics(tmp_path):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0).head(0), ["day"])
    warehouse.append("t", _rows(0), ["day"])

    scan = warehouse.scan("t", SCHEMA)
    noon = datetime(2026, 11, 30, 12, 0, 0, 500, tzinfo=UTC)
    # The stats hold 12:00:00.000 for the row at 12:00:00.000900: readers widen the maximum.
    later = scan.filter(pl.col("at") > noon).select("count").collect()["count"]
    assert later.sort().to_list() == [-1, 2, 3]
    assert scan.filter(pl.col("day").is_null()).select("name").collect().item() == "z"
    assert_frame_equal(
        scan.collect().sort("name", nulls_last=True),
        _rows(0).sort("name", nulls_last=True),
        check_column_order=False,
    )


def test_an_empty_append_to_an_existing_table_commits_nothing(tmp_path):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0), ["day"])

    warehouse.append("t", _rows(0).head(0), ["day"])

    assert warehouse.version("t") == 0


def test_appends_to_a_table_on_s3_read_back(bucket):
    warehouse = DeltaWarehouse(StorageRoot.from_url(f"s3://{bucket}/warehouse"))
    warehouse.append("t", _rows(0), ["day"])  # created by delta-rs

    warehouse.append("t", _rows(10), ["day"])  # polars writes to S3, delta-rs commits

    assert warehouse.version("t") == 1
    both = pl.concat([_rows(0), _rows(10)]).sort("count", nulls_last=True)
    read = warehouse.scan("t", SCHEMA).collect().sort("count", nulls_last=True)
    assert_frame_equal(read, both, check_column_order=False)


def test_text_partitions_that_need_quoting_land_where_delta_rs_puts_them(tmp_path):
    ours, theirs = _warehouse(tmp_path, "ours"), _warehouse(tmp_path, "theirs")
    rows = _rows(0).with_columns(name=pl.Series(["a b", "x/y%z", "plain", "a b", "é", "z"]))
    for warehouse in (ours, theirs):
        warehouse.append("t", rows, ["name"])  # created by delta-rs
    ours.append("t", rows, ["name"])  # polars writes the files in place
    theirs._write("t", rows, "append", {"partition_by": ["name"]})  # delta-rs alone

    def folders(warehouse: DeltaWarehouse) -> set[str]:
        root = tmp_path / warehouse.root.path.rsplit("/", 1)[-1] / "t"
        return {path.parent.name for path in root.rglob("*.parquet")}

    assert folders(ours) == folders(theirs)
    for warehouse in (ours, theirs):
        read = warehouse.scan("t", SCHEMA).collect().sort("count", "name")
        assert_frame_equal(
            read, pl.concat([rows, rows]).sort("count", "name"), check_column_order=False
        )


@pytest.mark.parametrize(
    ("codec", "written"),
    [(Codec.ZSTD, "ZSTD"), (Codec.LZ4, "LZ4")],  # pyarrow names Parquet's LZ4_RAW "LZ4"
    ids=["zstd", "lz4"],
)
def test_a_table_is_written_with_its_codec(tmp_path, codecs, codec, written):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0), ["day"], codec=codec)  # created by delta-rs
    warehouse.append("t", _rows(10), ["day"], codec=codec)  # polars writes, delta-rs commits

    assert codecs(warehouse, "t") == {written}
    read = warehouse.scan("t", SCHEMA).collect().sort("count", nulls_last=True)
    both = pl.concat([_rows(0), _rows(10)]).sort("count", nulls_last=True)
    assert_frame_equal(read, both, check_column_order=False)


REWRITES = {
    "delete_where": lambda w, codec: w.delete_where("t", "count = 3", codec),
    "delete_matching": lambda w, codec: w.delete_matching(
        "t", pl.DataFrame({"count": [3]}), ["count"], codec
    ),
    "update_matching": lambda w, codec: w.update_matching(
        "t", pl.DataFrame({"count": [3], "value": [9.0]}), ["count"], codec
    ),
}


@pytest.mark.parametrize("rewrite", REWRITES.values(), ids=REWRITES.keys())
def test_files_a_delete_or_merge_rewrites_keep_the_codec(tmp_path, codecs, rewrite):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0), codec=Codec.LZ4)  # one file holding every row

    assert rewrite(warehouse, Codec.LZ4) == 1

    table = warehouse.table("t")
    assert table is not None and table.version() == 1 and len(table.file_uris()) == 1
    assert codecs(warehouse, "t") == {"LZ4"}


def test_appends_racing_each_other_all_land(tmp_path):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0), ["day"])

    def append_five(offset: int) -> None:
        for n in range(5):
            warehouse.append("t", _rows(offset + n), ["day"])

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(append_five, [100, 200]))

    assert warehouse.version("t") == 10
    assert warehouse.scan("t", SCHEMA).collect().height == 11 * _rows(0).height


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: rows.with_columns(extra=pl.lit(1)),
        lambda rows: rows.drop("text"),
        lambda rows: rows.with_columns(pl.lit("not a number").alias("count")),
    ],
    ids=["extra-column", "missing-column", "value-that-does-not-cast"],
)
def test_rows_that_do_not_fit_the_table_are_refused(tmp_path, change):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0), ["day"])

    with pytest.raises(SchemaMismatchError, match=r"^t: "):
        warehouse.append("t", change(_rows(10)), ["day"])

    assert warehouse.version("t") == 0


def test_rows_are_cast_to_the_table_types(tmp_path):
    warehouse = _warehouse(tmp_path, "w")
    warehouse.append("t", _rows(0), ["day"])

    warehouse.append("t", _rows(10).with_columns(pl.col("count").cast(pl.Int32)), ["day"])

    assert warehouse.scan("t", SCHEMA).collect_schema()["count"] == pl.Int64()
    assert warehouse.scan("t", SCHEMA).collect().height == 2 * _rows(0).height


def test_long_text_bounds_stay_bounds():
    long_low, long_high = "a" * 100, "é" * 100
    stats = json.loads(file_stats(pl.DataFrame({"text": [long_low, long_high, "m"]})))

    assert stats["minValues"]["text"] == "a" * 64  # a prefix: still below every value
    assert "text" not in stats["maxValues"]  # a cut maximum would be below the value
