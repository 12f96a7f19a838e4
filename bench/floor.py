"""The floor: polars parsing the landed files into the contract's fields, nothing else.

No validation, no rejection reasons, no duplicates, no writes: the least work any
implementation must do to read a landed day. ``bench/process_day.py`` compares against it,
on one thread (the reference) and on two (``--threads 2``, as the pipeline reads files).
"""

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from isal import igzip, isal_zlib

_PCM = pl.Struct(
    {
        "vin": pl.String,
        "ts": pl.String,
        "recv_ts": pl.Int64,
        "type": pl.String,
        **{
            name: pl.Float64
            for name in ("odo_km", "speed_kmh", "lat", "lon", "soc_pct", "fuel_l", "engine_h")
        },
    }
)
_PCM_AS_TEXT = pl.Struct({name: pl.String for name in _PCM.to_schema()})
_RFC3339 = "%Y-%m-%dT%H:%M:%S%.f%:z"


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = igzip.decompress(data)  # ISA-L, as the pipeline: the fastest gzip at hand
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def _decode_pcm(series: pl.Series) -> pl.DataFrame:
    try:
        return series.str.json_decode(_PCM).struct.unnest()
    except pl.exceptions.PolarsError:  # broken lines: keep the JSON objects, any value types
        pass
    shaped = series.str.strip_chars()
    shaped = series.filter(shaped.str.starts_with("{") & shaped.str.ends_with("}"))
    try:  # a cut-off line, the commonest broken one, is found without a JSON check
        return shaped.str.json_decode(_PCM_AS_TEXT).struct.unnest()
    except pl.exceptions.PolarsError:
        series = series.filter(series.str.json_path_match("$").str.starts_with("{"))
        return series.str.json_decode(_PCM_AS_TEXT).struct.unnest()


def parse_pcm(text: str) -> pl.DataFrame:
    series = pl.Series("raw", [text]).str.split("\n").explode()
    series = series.filter(series.str.strip_chars() != "")
    return _decode_pcm(series).with_columns(
        event_time=pl.col("ts").str.replace("Z$", "+00:00").str.to_datetime(_RFC3339, strict=False),
        received_time=pl.from_epoch(pl.col("recv_ts").cast(pl.Int64, strict=False), time_unit="ms"),
    )


def parse_intellibus(text: str) -> pl.DataFrame:
    frame = pl.read_csv(
        text.encode(), separator=";", infer_schema=False, truncate_ragged_lines=True
    )
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    return frame.with_columns(
        event_time=pl.concat_str("date", pl.lit(" "), "heure")
        .str.to_datetime("%d/%m/%Y %H:%M:%S", strict=False)
        .dt.replace_time_zone("Europe/Paris", ambiguous="earliest", non_existent="null"),
        value=pl.col("valeur").str.replace(",", ".").cast(pl.Float64, strict=False),
    )


def parse_rfms(text: str) -> pl.DataFrame:
    statuses = json.loads(text)["vehicleStatusResponse"]["vehicleStatuses"]
    objects = [status for status in statuses if isinstance(status, dict)]
    frame = pl.from_dicts(objects, infer_schema_length=None, strict=False)
    return frame.with_columns(
        event_time=pl.col("createdDateTime").str.to_datetime(strict=False),
        received_time=pl.col("receivedDateTime").str.to_datetime(strict=False),
    )


PARSERS = {"pcm": parse_pcm, "intellibus": parse_intellibus, "rfms": parse_rfms}


def _parse_file(source: str, path: Path) -> int:
    """Events in one landed file (0 for a file the floor can't read)."""
    try:
        text = _text(path)
    except (OSError, EOFError, isal_zlib.error):  # corrupt: rejected, nothing to parse
        return 0
    try:
        return len(PARSERS[source](text))
    except (pl.exceptions.PolarsError, ValueError, KeyError, TypeError) as error:
        print(f"floor could not parse {path.name}: {error}", file=sys.stderr)
        return 0


def parse_landing(root: Path, threads: int = 1) -> int:
    """Parse every data file of the landing, on ``threads`` threads (files in parallel, as
    the pipeline reads them); returns the number of events read."""
    files = [
        (source, path)
        for source in PARSERS
        for path in sorted((root / source).glob("*/*"))
        if not path.name.startswith((".", "_"))
    ]
    with ThreadPoolExecutor(threads) as pool:
        counts = list(pool.map(lambda file: _parse_file(*file), files))
    by_source: dict[str, int] = {}
    for (source, _), count in zip(files, counts, strict=True):
        by_source[source] = by_source.get(source, 0) + count
    print(f"floor events by source: {by_source}", file=sys.stderr)
    return sum(counts)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(parse_landing(args.landing, args.threads))
