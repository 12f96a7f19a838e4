"""Peer: the fleet contract (shared/contracts/fleet.md) as a team would write it in pandas.

    python bench/peers/pandas_pipeline.py LANDING OUT

Python's ``json`` and ``csv`` readers turn each file into a frame (one row per non-blank
row, with the source's findings), then pandas does the rest: times, reasons in the
contract's order, normalised VINs, ``event_id`` (hashlib), duplicates (first kept wins in
(ingest_date, key) / row order), the fleet reference, bronze, silver and the gold tables,
written as Parquet under ``OUT`` (``landed.output``). One process, one thread.

Contract corners this peer does not do like the polars pipeline (see bench/README.md):
- RFC 3339 times go through ``pd.to_datetime`` (nanoseconds): a time before 1677 or
  after 2262 is ``unparseable_time`` here, valid in the pipeline.
- A repeated key in a pcm line keeps its last value (``json.loads``; the pipeline keeps
  the first).
- rFMS ``raw`` in bronze is the status re-serialised by ``json.dumps``, not the landed text.
"""

import csv
import hashlib
import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from landed import (
    DECIMAL,
    GOLD_TABLES,
    ID_LENGTH,
    ID_SEPARATOR,
    RFC3339,
    VIN_PATTERN,
    WHITESPACE,
    ZSTD_LEVEL,
    Loaded,
    arguments,
    loaded_files,
    output,
)

from fleet_platform.rules import schema
from fleet_platform.rules.intellibus import REQUIRED_COLUMNS, UNIT_COLUMNS
from fleet_platform.rules.keys import REFERENCE_KEY
from fleet_platform.rules.pcm import OPTIONAL_NUMBERS as PCM_NUMBERS
from fleet_platform.rules.rfms import MEASUREMENTS as RFMS_NUMBERS
from fleet_platform.rules.times import EPOCH_MS_RANGE

MEASUREMENTS = tuple(schema.MEASUREMENTS)  # the contract's columns, in order
UTC_US = "datetime64[us, UTC]"
_RFC3339 = re.compile(RFC3339)
_DECIMAL = re.compile(DECIMAL)


class DocumentRejected(ValueError):
    """A file rejected by its format (``schema_mismatch``, ``malformed_document``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> object:
    """``json.loads`` that refuses NaN / Infinity (not JSON)."""
    return json.loads(text, parse_constant=_reject_constant)


def blank(value: object) -> bool:
    """A required value that is absent, null or only white space."""
    return value is None or (isinstance(value, str) and not value.strip(WHITESPACE))


def is_number(value: object) -> bool:
    """A JSON number (not a boolean), finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_integer(value: object) -> bool:
    """A JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def non_blank_lines(text: str) -> list[str]:
    """The text's lines that are not blank (blank lines are not counted)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line for line in lines if line.strip(WHITESPACE)]


# --- the three formats: text -> list of row dicts -------------------------------------


def pcm_rows(text: str, received_time: datetime) -> list[dict]:
    """One row per non-blank line of a pcm file, with its findings and fields."""
    rows = []
    for number, raw in enumerate(non_blank_lines(text), 1):
        row = {"row_number": number, "raw": raw, "malformed": True, "missing": True}
        try:
            value = strict_json(raw)
        except ValueError:
            value = None
        if isinstance(value, dict):
            row.update(pcm_fields(value))
        rows.append(row)
    return rows


def pcm_fields(line: dict) -> dict:
    """The fields of one pcm JSON object, typed as the contract says; a wrong type is malformed."""
    vin, kind, ts, recv = (line.get(k) for k in ("vin", "type", "ts", "recv_ts"))
    malformed = not (
        all(v is None or isinstance(v, str) for v in (vin, kind))
        and (ts is None or isinstance(ts, str) or is_integer(ts))
        and (recv is None or is_integer(recv))
        and all(line.get(k) is None or is_number(line.get(k)) for k in PCM_NUMBERS)
    )
    return {
        "malformed": malformed,
        "missing": blank(vin) or blank(kind) or blank(ts) or recv is None,
        "vin": vin,
        "event_type": kind,
        "ts_text": ts if isinstance(ts, str) else None,
        "ts_ms": ts if is_integer(ts) else None,
        "recv_ms": recv if is_integer(recv) else None,
        **{c: line.get(k) for k, c in PCM_NUMBERS.items() if not malformed},
    }


def intellibus_rows(text: str, received_time: datetime) -> list[dict]:
    """One row per data line of an intellibus file; raises :class:`DocumentRejected` on a
    header without the required columns."""
    lines = non_blank_lines(text)
    header = [h.strip(WHITESPACE).lower() for h in next(csv.reader(lines[:1], delimiter=";"), [])]
    lacking = [c.upper() for c in REQUIRED_COLUMNS if c not in header]
    if lacking:
        raise DocumentRejected("schema_mismatch", f"header lacks {';'.join(lacking)}")
    at = {c: header.index(c) for c in REQUIRED_COLUMNS}
    rows = []
    for number, fields in enumerate(csv.reader(lines[1:], delimiter=";"), 1):
        get = {c: fields[i].strip(WHITESPACE) if i < len(fields) else None for c, i in at.items()}
        value, unit = get["valeur"], (get["unite"] or "").lower()
        bad_value = not blank(value) and not _DECIMAL.match(value)
        number_value = float(value.replace(",", ".")) if value and not bad_value else None
        row = {
            "row_number": number,
            "raw": lines[number],
            "malformed": len(fields) != len(header) or bad_value,
            "missing": any(blank(get[c]) for c in ("vin", "date", "heure", "code")),
            "vin": get["vin"],
            "event_type": get["code"],
            "local_date": get["date"],
            "local_time": get["heure"],
            "received_time": received_time,
        }
        if unit in UNIT_COLUMNS:
            row[UNIT_COLUMNS[unit]] = number_value
        rows.append(row)
    return rows


def rfms_rows(text: str, received_time: datetime) -> list[dict]:
    """One row per status of an rFMS document; raises :class:`DocumentRejected` when the
    document is not JSON or has no statuses array."""
    try:
        document = strict_json(text)
    except ValueError as error:
        raise DocumentRejected("malformed_document", f"not valid JSON: {error}") from None
    response = document.get("vehicleStatusResponse") if isinstance(document, dict) else None
    statuses = response.get("vehicleStatuses") if isinstance(response, dict) else None
    if not isinstance(statuses, list):
        raise DocumentRejected(
            "malformed_document", "no vehicleStatusResponse.vehicleStatuses array"
        )
    return [rfms_row(number, status) for number, status in enumerate(statuses, 1)]


def child(parent: object, *path: str) -> object:
    """The value at ``path`` below ``parent``, None where an object is missing on the way."""
    for name in path:
        parent = parent.get(name) if isinstance(parent, dict) else None
    return parent


def rfms_row(number: int, status: object) -> dict:
    """One rFMS status: required texts and times, measurements in the contract's units."""
    row = {"row_number": number, "raw": json.dumps(status, separators=(",", ":"))}
    if not isinstance(status, dict):
        return {**row, "malformed": True, "missing": True}
    trigger = status.get("triggerType")
    texts = [status.get("vin"), child(trigger, "triggerType")]
    times = [status.get("createdDateTime"), status.get("receivedDateTime")]
    numbers = {c: child(status, *path) for c, (path, _) in RFMS_NUMBERS.items()}
    malformed = (
        any(v is not None and not isinstance(v, str) for v in texts + times)
        or (trigger is not None and not isinstance(trigger, dict))
        or any(v is not None and not is_number(v) for v in numbers.values())
    )
    return {
        **row,
        "malformed": malformed,
        "missing": any(blank(v) for v in texts + times),
        "vin": texts[0],
        "event_type": texts[1],
        "created": times[0] if isinstance(times[0], str) else None,
        "received": times[1] if isinstance(times[1], str) else None,
        **{c: v / RFMS_NUMBERS[c][1] if is_number(v) else None for c, v in numbers.items()},
    }


PARSERS: dict[str, Callable[[str, datetime], list[dict]]] = {
    "pcm": pcm_rows,
    "intellibus": intellibus_rows,
    "rfms": rfms_rows,
}


# --- times, per source, on whole columns -----------------------------------------------


def rfc3339_utc(text: pd.Series) -> pd.Series:
    """RFC 3339 with an offset → UTC; NaT for anything else."""
    valid = text.fillna("").str.match(_RFC3339)
    parsed = pd.to_datetime(
        text.where(valid).str.upper(), format="ISO8601", utc=True, errors="coerce"
    )
    return parsed.astype(UTC_US)


def epoch_ms_utc(millis: pd.Series) -> pd.Series:
    """Integer epoch milliseconds → UTC; NaT outside the years 1 to 9999."""
    numbers = pd.to_numeric(millis, errors="coerce")
    low, high = EPOCH_MS_RANGE
    in_range = numbers.between(low, high)
    as_ms = np.where(in_range, numbers.fillna(0), 0).astype("int64").astype("datetime64[ms]")
    return (
        pd.Series(as_ms, index=millis.index)
        .astype("datetime64[us]")
        .dt.tz_localize("UTC")
        .where(in_range)
    )


def paris_utc(day: pd.Series, clock: pd.Series) -> pd.Series:
    """Paris wall-clock → UTC: the earlier instant of the repeated autumn hour, NaT in
    the spring gap."""
    well_formed = day.fillna("").str.match(r"^\d{2}/\d{2}/\d{4}$") & clock.fillna("").str.match(
        r"^\d{2}:\d{2}:\d{2}$"
    )
    local = pd.to_datetime(
        (day + " " + clock).where(well_formed), format="%d/%m/%Y %H:%M:%S", errors="coerce"
    )
    earlier = np.ones(len(local), dtype=bool)  # True: the summer-time (earlier) instant
    paris = local.dt.tz_localize("Europe/Paris", ambiguous=earlier, nonexistent="NaT")
    return paris.dt.tz_convert("UTC").astype(UTC_US)


def with_times(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``event_time`` and ``received_time`` (UTC, or NaT where unparseable) and ``time_ok``."""
    for column in (
        "ts_text",
        "ts_ms",
        "recv_ms",
        "local_date",
        "local_time",
        "created",
        "received",
    ):
        if column not in frame:
            frame[column] = None
    if source == "pcm":
        ints = frame["ts_ms"].notna()
        frame["event_time"] = epoch_ms_utc(frame["ts_ms"]).where(
            ints, rfc3339_utc(frame["ts_text"])
        )
        frame["received_time"] = epoch_ms_utc(frame["recv_ms"])
    elif source == "intellibus":
        frame["event_time"] = paris_utc(frame["local_date"], frame["local_time"])
        frame["received_time"] = pd.to_datetime(frame["received_time"], utc=True).astype(UTC_US)
    else:
        frame["event_time"] = rfc3339_utc(frame["created"])
        frame["received_time"] = rfc3339_utc(frame["received"])
    frame["time_ok"] = frame["event_time"].notna() & frame["received_time"].notna()
    return frame


# --- the pipeline ----------------------------------------------------------------------


class PandasPipeline:
    """One run: read the landing, classify every row, write the outputs."""

    def __init__(self, landing: Path, out: Path) -> None:
        self.landing, self.out = landing, out
        self.files: list[dict] = []
        self.frames: dict[str, list[pd.DataFrame]] = {source: [] for source in PARSERS}

    def read(self) -> None:
        """Load, decode and parse every landed file into one frame per file."""
        for seq, item in enumerate(loaded_files(self.landing)):
            self.files.append(self.file_row(seq, item))
            if item.text is None:
                continue
            try:
                rows = PARSERS[item.file.source](item.text, item.file.received_time)
            except DocumentRejected as rejected:
                self.files[-1].update(reason=rejected.reason, detail=rejected.detail)
                continue
            if not rows:
                continue
            frame = pd.DataFrame(rows)
            frame["file_seq"] = seq
            frame["source"] = item.file.source
            frame["ingest_date"] = item.file.ingest_date
            frame["source_file"] = item.file.key
            self.frames[item.file.source].append(frame)

    @staticmethod
    def file_row(seq: int, item: Loaded) -> dict:
        """The file list's row for one loaded file."""
        f = item.file
        return {
            "file_seq": seq,
            "key": f.key,
            "source": f.source,
            "ingest_date": f.ingest_date,
            "size_bytes": f.size_bytes,
            "reason": item.reason,
            "detail": item.detail,
        }

    def parsed(self) -> pd.DataFrame:
        """Every parsed row with its times, in processing order (file_seq, row_number)."""
        parts = [
            with_times(s, pd.concat(frames, ignore_index=True))
            for s, frames in self.frames.items()
            if frames
        ]
        columns = [
            "file_seq", "source", "ingest_date", "source_file", "row_number", "raw", "malformed",
            "missing", "time_ok", "vin", "event_type", "event_time", "received_time", *MEASUREMENTS,
        ]  # fmt: skip
        rows = pd.concat([part.reindex(columns=columns) for part in parts], ignore_index=True)
        return rows.sort_values(["file_seq", "row_number"], ignore_index=True)

    def known_vins(self) -> set[str]:
        """VINs of ``reference/vehicles.csv``, trimmed and upper-cased; none if it is missing."""
        path = self.landing / REFERENCE_KEY
        if not path.exists():
            return set()
        vehicles = pd.read_csv(path, dtype=str, keep_default_na=False)
        vehicles.columns = [c.strip().lower() for c in vehicles.columns]
        vins = vehicles["vin"].str.strip(WHITESPACE).str.upper()
        return set(vins[vins != ""])

    def classify(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Reason, fate, normalised VIN, event_id, vin_known, date_status, delay_s, event_date."""
        normalised = rows["vin"].astype("str").str.strip(WHITESPACE).str.upper()
        valid_vin = normalised.str.match(VIN_PATTERN) & rows["vin"].notna()
        rows["reason"] = np.select(
            [rows["malformed"], rows["missing"], ~valid_vin, ~rows["time_ok"].astype(bool)],
            ["malformed_row", "missing_field", "invalid_vin", "unparseable_time"],
            default=None,
        )
        kept = rows["reason"].isna()
        rows.loc[kept, "vin"] = normalised[kept]
        identity = ["source", "vin", "event_time", "event_type"]
        duplicate = kept & rows[identity].where(kept).duplicated(keep="first")
        rows["fate"] = np.select([~kept, duplicate], ["rejected", "duplicate"], default="clean")
        micros = rows["event_time"].astype("int64")  # datetime64[us]: epoch microseconds
        rows["event_id"] = [
            event_id(source, vin, micro, kind) if keep else None
            for keep, source, vin, micro, kind in zip(
                kept, rows["source"], rows["vin"], micros, rows["event_type"], strict=True
            )
        ]
        rows["vin_known"] = rows["vin"].isin(self.known_vins())
        future = rows["event_time"] > rows["received_time"] + pd.Timedelta(minutes=5)
        old = rows["event_time"] < pd.Timestamp("2000-01-01", tz="UTC")
        rows["date_status"] = np.select([future, old], ["future", "before_2000"], default="ok")
        rows["delay_s"] = (rows["received_time"] - rows["event_time"]) / pd.Timedelta(seconds=1)
        rows["event_date"] = rows["event_time"].dt.date
        return rows

    def write(self, rows: pd.DataFrame) -> dict[str, int]:
        """Write bronze, silver and gold; returns the rows by fate."""
        bronze = rows[
            ["source", "ingest_date", "source_file", "row_number", "raw", "fate", "reason"]
        ]
        self.save(bronze, "bronze", "raw_bus_events")
        silver = rows.loc[rows["fate"] == "clean", [
            "event_id", "source", "vin", "event_time", "received_time", "event_date", "ingest_date",
            "event_type", *MEASUREMENTS, "vin_known", "date_status", "delay_s", "source_file",
        ]]  # fmt: skip
        self.save(silver, "silver", "bus_events")
        for table, frame in gold_tables(pd.DataFrame(self.files), rows, silver).items():
            self.save(frame, "gold", table)
        return rows["fate"].value_counts().to_dict()

    def save(self, frame: pd.DataFrame, layer: str, table: str) -> None:
        """One table as Parquet."""
        path = output(self.out, layer, table)
        frame.to_parquet(path, index=False, compression="zstd", compression_level=ZSTD_LEVEL)


def event_id(source: str, vin: str, micros: int, event_type: str) -> str:
    """First 128 bits (hex) of SHA-256 over the identity, as the pipeline's ``event_id``."""
    text = ID_SEPARATOR.join((source, vin, str(micros), event_type))
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LENGTH]


# --- gold ------------------------------------------------------------------------------


def count(frame: pd.DataFrame, keys: list[str], name: str) -> pd.DataFrame:
    """Rows per ``keys``, in a column ``name``."""
    return frame.groupby(keys, dropna=False).size().rename(name).reset_index()


def files_daily(files: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Files and rows by fate per (ingest_date, source); every file of a source/date
    folder counts, rejected ones with no rows."""
    per_file = pd.crosstab(rows["file_seq"], rows["fate"]).reindex(
        columns=["rejected", "duplicate", "clean"], fill_value=0
    )
    per_file.columns = ["rows_rejected", "rows_duplicate", "rows_clean"]
    per_file["rows_received"] = per_file.sum(axis=1)
    folders = files.dropna(subset=["source", "ingest_date"]).join(per_file, on="file_seq")
    folders["files_rejected"] = folders["reason"].notna()
    counts = ["rows_received", "rows_rejected", "rows_duplicate", "rows_clean"]
    folders[counts] = folders[counts].fillna(0)
    daily = folders.groupby(["ingest_date", "source"]).agg(
        files_received=("file_seq", "size"),
        files_rejected=("files_rejected", "sum"),
        **{c: (c, "sum") for c in counts},
    )
    return daily.reset_index().astype(
        {c: "int64" for c in ["files_received", "files_rejected", *counts]}
    )


def event_delays_daily(ok: pd.DataFrame) -> pd.DataFrame:
    """Delay percentiles (linear), maximum and counts over 1 h / 24 h per (ingest_date, source)."""
    delay = ok.groupby(["ingest_date", "source"])["delay_s"]
    return pd.DataFrame(
        {
            "events": delay.size(),
            "p50_s": delay.quantile(0.5),
            "p90_s": delay.quantile(0.9),
            "p99_s": delay.quantile(0.99),
            "max_s": delay.max(),
            "over_1h": delay.apply(lambda d: int((d > 3600).sum())),
            "over_24h": delay.apply(lambda d: int((d > 86400).sum())),
        }
    ).reset_index()


def vins_daily(ok: pd.DataFrame) -> pd.DataFrame:
    """Distinct VINs per event date, known and unknown."""
    per_vin = ok.groupby(["event_date", "vin"])["vin_known"].any().reset_index()
    daily = per_vin.groupby("event_date")["vin_known"].agg(
        unique_vins="size", unique_known_vins="sum"
    )
    daily["unique_unknown_vins"] = daily["unique_vins"] - daily["unique_known_vins"]
    return daily.reset_index()


def gold_tables(
    files: pd.DataFrame, rows: pd.DataFrame, silver: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The contract's gold tables from the file list, the classified rows and silver."""
    ok = silver[silver["date_status"] == "ok"]
    unknown = ok[~ok["vin_known"]]
    rejected = rows[rows["fate"] == "rejected"]
    unparseable = rejected[rejected["reason"] == "unparseable_time"].assign(status="unparseable")
    odd = silver[silver["date_status"].isin(["future", "before_2000"])]
    tables = {
        "files_daily": files_daily(files, rows),
        "rejected_files": files.loc[
            files["reason"].notna(),
            ["key", "source", "ingest_date", "reason", "detail", "size_bytes"],
        ].sort_values("key"),
        "rejected_rows_daily": count(rejected, ["ingest_date", "source", "reason"], "rows"),
        "events_daily": count(ok, ["event_date", "source"], "events"),
        "vins_daily": vins_daily(ok),
        "non_standard_dates_daily": count(
            pd.concat([unparseable, odd.assign(status=odd["date_status"])]),
            ["ingest_date", "source", "status"],
            "rows",
        ),
        "event_delays_daily": event_delays_daily(ok),
        "unknown_vins_daily": unknown.groupby(["event_date", "source"])
        .agg(events=("vin", "size"), distinct_vins=("vin", "nunique"))
        .reset_index(),
        "unknown_vins": unknown.groupby("vin")
        .agg(
            first_seen=("event_time", "min"),
            last_seen=("event_time", "max"),
            events=("event_time", "size"),
            sources=("source", lambda s: sorted(set(s))),
        )
        .reset_index(),
    }
    assert set(tables) == set(GOLD_TABLES)
    return tables


def main() -> None:
    """Run the pandas peer on the landing and output folders of the command line."""
    landing, out = arguments(__doc__.split("\n")[0])
    pipeline = PandasPipeline(landing, out)
    pipeline.read()
    print(pipeline.write(pipeline.classify(pipeline.parsed())))


if __name__ == "__main__":
    main()
