"""What the fleet's asset checks share: the partitioned-check decorator, the day a check
runs for, reading a table's rows for some days, the check result in words, and the one
factory for "key columns unique".

Checks on the daily-partitioned assets are themselves partitioned by ``ingest_days``: they
run in the same run as the partition they check, read that partition's rows and show their
result per day in the UI. A check that looks across days (14-day / 120-day views, rollup
tables keyed by event date or VIN) says so in its description.
"""

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl

from fleet_platform.events.tables import Table
from fleet_platform.partitions import ingest_days
from platform_shared.delta import DeltaWarehouse, WarehouseResource

ERROR = dg.AssetCheckSeverity.ERROR
WARN = dg.AssetCheckSeverity.WARN
_EXAMPLES = 10
NO_EXAMPLES = "none"  # the examples of a check that found nothing wrong


def daily_check(**kwargs: Any) -> Callable[[Callable[..., Any]], dg.AssetChecksDefinition]:
    """``@asset_check`` partitioned like the fleet's assets (one result per ingest date).

    Partitioned checks are a Dagster preview feature; its notice is silenced here, once.
    """

    def apply(fn: Callable[..., Any]) -> dg.AssetChecksDefinition:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return dg.asset_check(partitions_def=ingest_days, **kwargs)(fn)

    return apply


def check_day(context: dg.AssetCheckExecutionContext) -> date:
    """The ingest date (partition) a partitioned check runs for."""
    key = context.partition_key if context.has_partition_key else None
    key = key or context.run.tags.get("dagster/partition")
    if not key:
        raise dg.Failure("this check runs per ingest date: launch it with a partition (YYYY-MM-DD)")
    return date.fromisoformat(key)


def window(day: date, days: int) -> list[date]:
    """The ``days`` dates ending at ``day`` (inclusive), oldest first."""
    return [day - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def scan_rows(
    tables: DeltaWarehouse,
    table: Table,
    day_column: str | None,
    days: Iterable[date] = (),
    columns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """The table's rows whose ``day_column`` is one of ``days``; every row without a column.

    ``columns`` limits what is read (bronze's ``raw`` alone is most of a day's bytes).
    """
    frame = tables.scan(table.path, table.schema)
    if day_column is not None:
        frame = frame.filter(pl.col(day_column).is_in(sorted(set(days))))
    if columns is not None:
        frame = frame.select(columns)
    return frame


def read_rows(
    tables: DeltaWarehouse,
    table: Table,
    day_column: str | None,
    days: Iterable[date] = (),
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The rows :func:`scan_rows` selects, collected."""
    return scan_rows(tables, table, day_column, days, columns).collect()


def verdict(
    passed: bool,
    *,
    severity: dg.AssetCheckSeverity,
    ok: str,
    problem: str,
    metadata: Mapping[str, Any],
) -> dg.AssetCheckResult:
    """A check result that says in words what was found: ``ok`` when it passed, ``problem``
    (what is wrong, with numbers, and what to do) when it failed."""
    return dg.AssetCheckResult(
        passed=passed,
        severity=severity,
        description=ok if passed else problem,
        metadata=dict(metadata),
    )


def share(part: float, whole: float) -> float:
    """``part / whole``, 0 when there is nothing to divide."""
    return part / whole if whole else 0.0


def examples(frame: pl.DataFrame, limit: int = _EXAMPLES) -> str:
    """The first rows of ``frame`` as ``col=value, …`` lines (for a check's metadata)."""
    lines = [
        ", ".join(f"{name}={value}" for name, value in row.items())
        for row in frame.head(limit).iter_rows(named=True)
    ]
    return "\n".join(lines) or NO_EXAMPLES


def _repeated_keys(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The key values that occur more than once, with their count, most repeated first."""
    return (
        frame.lazy()  # the streaming engine groups millions of keys about twice as fast
        .group_by(keys)
        .len("rows")
        .filter(pl.col("rows") > 1)
        .sort("rows", *keys, descending=[True, *[False] * len(keys)], nulls_last=True)
        .collect()
    )


def _hashes_distinct(frame: pl.DataFrame, keys: list[str]) -> bool:
    """Whether the rows' key hashes are all different, which proves the keys are: equal keys
    hash alike. False only says "look closer" (a repeated key, or two keys sharing a hash).

    One 64-bit hash per row counted distinct costs about a third of grouping the keys
    (measured on a day of bronze's string keys) and lists nothing.
    """
    return frame.select(keys).hash_rows().n_unique() == frame.height


def key_problems(frame: pl.DataFrame, keys: Sequence[str]) -> tuple[pl.DataFrame, int]:
    """The key values that occur more than once (with their count), and rows with a null key."""
    keys = list(keys)
    null_keys = frame.filter(pl.any_horizontal(pl.col(keys).is_null())).height
    if not null_keys and _hashes_distinct(frame, keys):
        return _repeated_keys(frame.clear(), keys), 0  # none, in the same columns
    return _repeated_keys(frame, keys), null_keys


def keys_unique_check(
    asset_key: dg.AssetKey,
    table: Table,
    keys: Sequence[str],
    day_column: str | None,
    *,
    partitioned: bool = True,
) -> dg.AssetChecksDefinition:
    """``keys_unique`` on ``asset_key``: no two rows share the key columns, none is null.

    With ``day_column`` the check reads the rows of the partition's day (``day_column`` =
    ingest date); without, the whole table (rollup tables, which every partition rebuilds).
    """
    scope = (
        f"among the rows of the partition's day ({day_column})"
        if day_column
        else "over the whole table (every partition rebuilds it)"
    )
    key_text = ", ".join(keys)
    description = (
        f"The key columns ({key_text}) are set and unique {scope}: a repeated key means a "
        "row was counted twice, a null key a row nobody can look up."
    )

    def evaluate(context: dg.AssetCheckExecutionContext, tables: DeltaWarehouse):
        days = [check_day(context)] if day_column else []
        frame = read_rows(tables, table, day_column, days, columns=list(keys))
        duplicates, null_keys = key_problems(frame, keys)
        where = f"{table.path} on {days[0]}" if days else table.path
        repeated_rows = int(duplicates["rows"].sum()) if duplicates.height else 0
        problems = []
        if duplicates.height:
            problems.append(
                f"{duplicates.height} values of ({key_text}) occur more than once "
                f"({repeated_rows} rows)"
            )
        if null_keys:
            problems.append(f"{null_keys} rows have a null in ({key_text})")
        return verdict(
            not problems,
            severity=ERROR,
            ok=f"{frame.height} rows of {where}, every ({key_text}) set and unique.",
            problem=(
                f"{where}: {'; '.join(problems)} of {frame.height} rows. Materialize the "
                "partition again (ledger, bronze, silver: with full_refresh) and, if it "
                "persists, report it to the fleet data team with the examples."
            ),
            metadata={
                "rows": frame.height,
                "duplicate_keys": duplicates.height,
                "duplicate_rows": repeated_rows,
                "null_keys": null_keys,
                "key_columns": key_text,
                "examples": examples(duplicates),
            },
        )

    if partitioned:

        @daily_check(asset=asset_key, name="keys_unique", description=description)
        def _daily(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
            return evaluate(context, warehouse.tables())

        return _daily

    @dg.asset_check(asset=asset_key, name="keys_unique", description=description)
    def _whole(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        return evaluate(context, warehouse.tables())

    return _whole
