"""Benchmark: the same simulated day through every implementation of the contract.

    .venv/bin/python bench/engines.py [--buses 9000] [--days 1] [--fault-rate 0.001]
                                      [--only floor,polars,spark,duckdb,pandas]

Simulates the day once (kept under ``bench/data/``), then runs each alternative in its
own process, so that wall time and peak memory are per alternative:

- ``floor``: ``bench/floor.py``, polars parsing the landed files into the contract's
  fields and nothing else;
- ``polars``: ``fleet-platform process`` on an empty warehouse and a fresh Dagster home;
- ``spark``: the same with ``FLEET_ENGINE=spark`` (Spark local, a driver of 8 GiB unless
  ``FLEET_SPARK_CONF`` is set; its time includes the session start, as a user waits for it);
- ``duckdb``: ``bench/peers/duckdb_pipeline.py``, the rules as DuckDB SQL;
- ``pandas``: ``bench/peers/pandas_pipeline.py``, a straightforward pandas implementation.

An alternative that fails is reported with the first line of its error; the others
still run. Prints seconds, events per second, peak MB and the ratios to the polars
pipeline and to the floor, appends one JSON line per alternative to
``bench/results/engines.jsonl``, then checks that every finished implementation
computed the same gold numbers as the polars pipeline and prints any disagreement.
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from harness import (
    HERE,
    Day,
    Measurement,
    append_result,
    base_env,
    fresh_folder,
    measured,
    process_command,
    simulated_day,
)

REFERENCE = "polars"
SPARK_DRIVER_MEMORY = "8g"
FLOOR = "floor"


@dataclass(frozen=True)
class Alternative:
    """One implementation: how to run it on a landing into a work folder, and where its
    gold tables end up (None: it writes none)."""

    name: str
    label: str
    command: Callable[[Path, Path], list[str]]
    extra_env: dict[str, str]
    gold: Callable[[Path, str], pl.DataFrame] | None
    needs_process: str | None = None  # a process name that must show up while it runs
    default_env: dict[str, str] = field(default_factory=dict)  # unless the caller sets them


def read_delta_gold(work: Path, table: str) -> pl.DataFrame:
    """A gold table of ``fleet-platform process`` (Delta under the warehouse)."""
    return pl.read_delta(str(work / "warehouse" / "gold" / table))


def read_parquet_gold(work: Path, table: str) -> pl.DataFrame:
    """A gold table of a peer (``<out>/gold/<table>.parquet``)."""
    return pl.read_parquet(work / "out" / "gold" / f"{table}.parquet")


def _peer(script: str) -> Callable[[Path, Path], list[str]]:
    """The command of a peer script: ``LANDING OUT``."""
    return lambda landing, work: [
        sys.executable,
        str(HERE / "peers" / script),
        str(landing),
        str(work / "out"),
    ]


ALTERNATIVES = (
    Alternative(
        FLOOR,
        "floor (polars parse only)",
        lambda landing, _: [sys.executable, str(HERE / "floor.py"), str(landing)],
        {},
        None,
    ),
    Alternative(
        REFERENCE,
        "pipeline, polars",
        lambda landing, work: process_command(landing, work / "warehouse"),
        {},
        read_delta_gold,
    ),
    Alternative(
        "spark",
        "pipeline, Spark local",
        lambda landing, work: process_command(landing, work / "warehouse"),
        {"FLEET_ENGINE": "spark"},
        read_delta_gold,
        needs_process="java",
        # Spark's default 1 GiB driver dies collecting a day's chunk as Arrow (3,000
        # buses and up); the polars pipeline itself peaks at 2-3 GB.
        default_env={"FLEET_SPARK_CONF": json.dumps({"spark.driver.memory": SPARK_DRIVER_MEMORY})},
    ),
    Alternative("duckdb", "DuckDB SQL", _peer("duckdb_pipeline.py"), {}, read_parquet_gold),
    Alternative("pandas", "pandas", _peer("pandas_pipeline.py"), {}, read_parquet_gold),
)
BY_NAME = {alternative.name: alternative for alternative in ALTERNATIVES}

# Gold tables compared: key columns, value columns. Floats are compared with a tolerance.
COMPARED: dict[str, tuple[list[str], list[str]]] = {
    "files_daily": (
        ["ingest_date", "source"],
        [
            "files_received",
            "files_rejected",
            "rows_received",
            "rows_rejected",
            "rows_duplicate",
            "rows_clean",
        ],
    ),
    "rejected_files": (["key"], ["reason"]),
    "rejected_rows_daily": (["ingest_date", "source", "reason"], ["rows"]),
    "events_daily": (["event_date", "source"], ["events"]),
    "vins_daily": (["event_date"], ["unique_vins", "unique_known_vins", "unique_unknown_vins"]),
    "non_standard_dates_daily": (["ingest_date", "source", "status"], ["rows"]),
    "event_delays_daily": (
        ["ingest_date", "source"],
        ["events", "p50_s", "p90_s", "p99_s", "max_s", "over_1h", "over_24h"],
    ),
    "unknown_vins_daily": (["event_date", "source"], ["events", "distinct_vins"]),
    "unknown_vins": (["vin"], ["first_seen", "last_seen", "events", "sources"]),
}
FLOAT_TOLERANCE = 1e-6  # relative; delay percentiles differ in the last bits across engines


@dataclass
class Outcome:
    """An alternative's run, or why it has none."""

    alternative: Alternative
    work: Path
    run: Measurement | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.run is not None and self.error is None


def run_alternative(alternative: Alternative, day: Day) -> Outcome:
    """Run one alternative on a fresh work folder; a failure is kept, not raised."""
    work = fresh_folder(day.work / "runs" / alternative.name)
    env = {**alternative.default_env, **base_env(work), **alternative.extra_env}
    print(f"running {alternative.name} ...", flush=True)
    run = measured(alternative.command(day.landing, work), env, work / "logs")
    outcome = Outcome(alternative, work, run)
    if not run.ok:
        outcome.error = run.error
    elif alternative.needs_process and alternative.needs_process not in run.commands_seen:
        outcome.error = (
            f"no {alternative.needs_process} process was started: this checkout's "
            f"command ignores {', '.join(f'{k}={v}' for k, v in alternative.extra_env.items())}"
        )
    if outcome.error:
        print(f"  {alternative.name} failed: {outcome.error} (logs in {work / 'logs'})")
    return outcome


# --- how many events, and the table of numbers -----------------------------------------


def events_of(outcomes: list[Outcome]) -> tuple[int, str]:
    """The day's number of events (rows received by the accepted files) and who says so:
    the polars pipeline's files_daily, else a finished peer's, else the floor's count."""
    with_gold = sorted(
        (o for o in outcomes if o.ok and o.alternative.gold),
        key=lambda o: o.alternative.name != REFERENCE,
    )
    for outcome in with_gold:
        files = outcome.alternative.gold(outcome.work, "files_daily")  # type: ignore[misc]
        return int(files["rows_received"].sum()), f"rows received ({outcome.alternative.name})"
    for outcome in outcomes:
        if outcome.ok and outcome.alternative.name == FLOOR:
            return int(outcome.run.stdout.strip().splitlines()[-1]), "events parsed by the floor"  # type: ignore[union-attr]
    return 0, "no alternative finished"


def _ratio(seconds: float, base: Outcome | None) -> float | None:
    """``seconds`` over ``base``'s, if ``base`` finished."""
    return seconds / base.run.seconds if base and base.ok and base.run else None  # type: ignore[union-attr]


def result_rows(outcomes: list[Outcome], events: int) -> list[dict[str, object]]:
    """One record per alternative: seconds, events/s, peak MB, ratios (or the error)."""
    by_name = {o.alternative.name: o for o in outcomes}
    rows = []
    for outcome in outcomes:
        row: dict[str, object] = {"alternative": outcome.alternative.name}
        if outcome.ok and outcome.run:
            seconds = outcome.run.seconds
            row.update(
                status="ok",
                seconds=round(seconds, 2),
                events_per_s=round(events / seconds),
                peak_mb=round(outcome.run.peak_mb),
                x_polars=_rounded(_ratio(seconds, by_name.get(REFERENCE))),
                x_floor=_rounded(_ratio(seconds, by_name.get(FLOOR))),
            )
        else:
            row.update(status="failed", error=outcome.error)
            if outcome.run:
                row.update(
                    seconds=round(outcome.run.seconds, 2), peak_mb=round(outcome.run.peak_mb)
                )
        rows.append(row)
    return rows


def _rounded(value: float | None) -> float | None:
    """Two decimals, None stays None."""
    return None if value is None else round(value, 2)


def print_table(outcomes: list[Outcome], rows: list[dict[str, object]]) -> None:
    """The results as a table, one line per alternative."""
    header = f"{'alternative':<28}{'seconds':>9}{'events/s':>12}{'peak MB':>9}{'x polars':>10}{'x floor':>9}"
    print("\n" + header)
    for outcome, row in zip(outcomes, rows, strict=True):
        label = outcome.alternative.label
        if row["status"] != "ok":
            after = (
                f" after {row['seconds']:.0f} s, {row['peak_mb']:,} MB" if "seconds" in row else ""
            )
            print(f"{label:<28}  failed{after}: {row['error']}")
            continue
        ratios = "".join(
            f"{'-' if row[k] is None else format(row[k], '.2f'):>{w}}"
            for k, w in (("x_polars", 10), ("x_floor", 9))
        )
        print(
            f"{label:<28}{row['seconds']:>9.1f}{row['events_per_s']:>12,}{row['peak_mb']:>9,}{ratios}"
        )


# --- do they compute the same answers? --------------------------------------------------


def _normalised(frame: pl.DataFrame, keys: list[str], values: list[str]) -> pl.DataFrame:
    """The compared columns with engine-neutral types (Int64, UTC microseconds, sorted lists)."""
    frame = frame.select(keys + values)
    return frame.with_columns(
        pl.col(pl.List(pl.String)).list.sort(),
        pl.col(pl.Datetime).dt.cast_time_unit("us").dt.convert_time_zone("UTC"),
        pl.col(pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64).cast(
            pl.Int64
        ),
    )


def _differs(column: str, dtype: pl.DataType) -> pl.Expr:
    """Whether a value column differs from the peer's (floats within the tolerance)."""
    mine, theirs = pl.col(column), pl.col(f"{column}_peer")
    if dtype.is_float():
        close = (mine - theirs).abs() <= FLOAT_TOLERANCE * pl.max_horizontal(mine.abs(), 1.0)
        return ~close.fill_null(mine.is_null() & theirs.is_null())
    return mine.ne_missing(theirs)


def disagreements(
    reference: pl.DataFrame, peer: pl.DataFrame, keys: list[str], values: list[str]
) -> pl.DataFrame:
    """Rows (by key) where ``peer`` differs from ``reference`` or exists in only one."""
    mine, theirs = _normalised(reference, keys, values), _normalised(peer, keys, values)
    theirs = theirs.cast({c: mine.schema[c] for c in keys + values}, strict=False)
    joined = mine.with_columns(_in_ref=pl.lit(True)).join(
        theirs.with_columns(_in_peer=pl.lit(True)),
        on=keys,
        how="full",
        coalesce=True,
        nulls_equal=True,
        suffix="_peer",
    )
    only_one = pl.col("_in_peer").is_null() | pl.col("_in_ref").is_null()
    differs = pl.any_horizontal(_differs(c, mine.schema[c]) for c in values)
    return joined.filter(only_one | differs).drop("_in_peer", "_in_ref")


def cross_check(outcomes: list[Outcome]) -> dict[str, bool]:
    """Compare every finished implementation's gold tables with the polars pipeline's;
    print what differs. Returns alternative name → agrees."""
    finished = [o for o in outcomes if o.ok and o.alternative.gold]
    reference = next((o for o in finished if o.alternative.name == REFERENCE), None)
    if reference is None:
        print("\nNo cross-check: the polars pipeline did not run or did not finish.")
        return {}
    verdicts = {}
    print(f"\nGold tables against the polars pipeline ({', '.join(COMPARED)}):")
    for outcome in (o for o in finished if o is not reference):
        verdicts[outcome.alternative.name] = agrees = compare_gold(reference, outcome)
        print(f"  {outcome.alternative.name}: {'same numbers' if agrees else 'DISAGREES'}")
    return verdicts


def compare_gold(reference: Outcome, peer: Outcome) -> bool:
    """Compare every gold table of ``peer`` with ``reference``'s; print what differs."""
    agrees = True
    for table, (keys, values) in COMPARED.items():
        try:
            mine = reference.alternative.gold(reference.work, table)  # type: ignore[misc]
            theirs = peer.alternative.gold(peer.work, table)  # type: ignore[misc]
            differing = disagreements(mine, theirs, keys, values)
        except (OSError, pl.exceptions.PolarsError, ValueError) as error:
            print(f"    {table}: could not compare: {str(error).splitlines()[0]}")
            agrees = False
            continue
        if not differing.is_empty():
            agrees = False
            print(f"    {table}: {len(differing)} rows differ (polars | {peer.alternative.name}):")
            with pl.Config(tbl_rows=8, tbl_cols=20, tbl_width_chars=160):
                print(differing.head(8))
    return agrees


# --- main ------------------------------------------------------------------------------


def selected(only: str | None) -> list[Alternative]:
    """The alternatives ``--only`` names, in the benchmark's order (all by default)."""
    if not only:
        return list(ALTERNATIVES)
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        raise SystemExit(
            f"unknown alternative(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}"
        )
    return [alternative for alternative in ALTERNATIVES if alternative.name in names]


def main() -> None:
    """Simulate, run, print, keep and cross-check (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buses", type=int, default=9000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.001)
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BY_NAME)}")
    args = parser.parse_args()

    started = datetime.now(UTC).isoformat(timespec="seconds")
    alternatives = selected(args.only)
    day = simulated_day(args.buses, args.days, args.fault_rate)
    outcomes = [run_alternative(alternative, day) for alternative in alternatives]
    events, counted = events_of(outcomes)
    print(
        f"\n{args.buses} buses x {args.days} day(s), fault rate {args.fault_rate}: "
        f"{events:,} events ({counted}), {day.landed_mb:.0f} MB landed"
    )
    rows = result_rows(outcomes, events)
    print_table(outcomes, rows)
    verdicts = cross_check(outcomes)
    run = {
        "run": started,
        "buses": args.buses,
        "days": args.days,
        "fault_rate": args.fault_rate,
    }
    for row in rows:
        record = {**run, "events": events, "landed_mb": round(day.landed_mb), **row}
        if row["alternative"] in verdicts:
            record["gold_agrees"] = verdicts[str(row["alternative"])]
        path = append_result("engines.jsonl", record)
    print(f"\nappended to {path}")


if __name__ == "__main__":
    main()
