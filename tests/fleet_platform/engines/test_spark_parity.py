"""The shared row rules (``classify_frame``) give the same rows on polars and on Spark
(DESIGN.md, principle 3): the contract's fault corpus plus a small simulated landing,
parsed by the source parsers, classified on both engines, compared row by row."""

import random
from datetime import date

import narwhals as nw
import polars as pl
import pytest
from engine_corpus import CORPUS, RECEIVED
from polars.testing import assert_frame_equal

from fleet_platform.events.ingest import parse_file
from fleet_platform.rules.clean import ORDER, classify, classify_frame
from fleet_platform.rules.decode import decode_text
from fleet_platform.rules.errors import FileRejected
from fleet_platform.rules.intellibus import parse_intellibus
from fleet_platform.rules.keys import parse_key
from fleet_platform.rules.pcm import parse_pcm
from fleet_platform.rules.rfms import parse_rfms
from fleet_platform.rules.schema import FILE_COLUMNS, PARSED_ROWS
from fleet_platform.simulate.landing import simulate_landing
from fleet_platform.simulate.writer import LandedFile

DAY = date(2026, 11, 21)


def _parse(source: str, text: str) -> pl.DataFrame:
    decoded = decode_text(text.encode(), compressed=False)
    match source:
        case "pcm":
            return parse_pcm(decoded)
        case "intellibus":
            return parse_intellibus(decoded, RECEIVED)
        case _:
            return parse_rfms(decoded)


class _Files:
    def __init__(self) -> None:
        self.files: list[LandedFile] = []

    def write(self, file: LandedFile) -> None:
        self.files.append(file)


def _simulated() -> list[tuple[str, pl.DataFrame]]:
    landing = _Files()
    simulate_landing(landing, [DAY], buses=6, fault_rate=0.05, seed=7)
    parsed = []
    for file in sorted(landing.files, key=lambda f: f.key):
        try:
            key = parse_key(file.key, DAY)
            rows = parse_file(key, file.data, file.received_at)
        except FileRejected:
            continue
        parsed.append((file.key, rows.with_columns(source=pl.lit(key.source.value))))
    return parsed


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    """Parsed rows of every corpus and simulated file, numbered in processing order and
    shuffled, so neither engine can rely on the input order."""
    files = [
        (f"{source}/2026-11-21/case-{i}", _parse(source, text).with_columns(source=pl.lit(source)))
        for i, (source, text) in enumerate(CORPUS)
    ] + _simulated()
    numbered = [
        parsed.with_columns(
            ingest_date=pl.lit(DAY),
            source_file=pl.lit(key),
            file_version=pl.lit("v1"),
            file_seq=pl.lit(seq, pl.Int32),
        )
        for seq, (key, parsed) in enumerate(files)
    ]
    empty = pl.DataFrame(schema={**PARSED_ROWS, **FILE_COLUMNS, "file_seq": pl.Int32()})
    parsed = pl.concat([empty, *numbered], how="diagonal_relaxed")
    return parsed.sample(fraction=1.0, shuffle=True, seed=11)


def _lookups(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Known VINs (every other VIN) and event ids kept before (every fifth clean one)."""
    first_pass = classify(
        rows.lazy(),
        pl.LazyFrame(schema={"vin": pl.String}),
        pl.LazyFrame(schema={"event_id": pl.String}),
    ).collect()
    vins = sorted(first_pass.filter(pl.col("reason").is_null())["vin"].unique().to_list())
    ids = sorted(first_pass.filter(pl.col("fate") == "clean")["event_id"].to_list())
    random.Random(5).shuffle(ids)
    known = pl.DataFrame({"vin": vins[::2]}, schema={"vin": pl.String})
    kept = pl.DataFrame({"event_id": ids[::5]}, schema={"event_id": pl.String})
    return known, kept


def test_classify_gives_the_same_rows_on_polars_and_spark(spark, rows):
    known, kept = _lookups(rows)
    on_polars = classify(rows.lazy(), known.lazy(), kept.lazy()).collect()
    assert set(on_polars["fate"]) == {"clean", "duplicate", "rejected"}
    assert set(on_polars["reason"].drop_nulls()) == {
        "malformed_row",
        "missing_field",
        "invalid_vin",
        "unparseable_time",
    }
    assert set(on_polars["date_status"]) == {"ok", "future", "before_2000"}
    assert on_polars["vin_known"].any() and not on_polars["vin_known"].all()
    assert on_polars.filter(pl.col("event_id").is_in(kept["event_id"].implode()))[
        "fate"
    ].unique().to_list() == ["duplicate"]

    def to_spark(frame: pl.DataFrame):
        return nw.from_native(spark.createDataFrame(frame.to_arrow()))

    on_spark = classify_frame(to_spark(rows), to_spark(known), to_spark(kept)).to_native()
    back = pl.from_arrow(on_spark.toArrow())
    assert isinstance(back, pl.DataFrame)
    assert back.columns == on_polars.columns
    assert_frame_equal(
        back.cast(dict(on_polars.schema)).sort(ORDER),
        on_polars.sort(ORDER),
    )
