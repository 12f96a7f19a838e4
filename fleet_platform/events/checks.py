"""Checks of the reference, the file ledger, bronze and silver (docs/checks.md).

* ``reference/vehicles``: ``reference_present`` (the file is there and names VINs),
  ``keys_unique`` (vin).
* ``ledger/landed_files``: ``sources_sending`` (every source landed a file recently; driven
  by the freshness sensor as well, see ``fleet_platform/freshness.py``), ``keys_unique``.
* ``bronze/raw_bus_events``: ``every_row_has_a_fate``, ``keys_unique``.
* ``silver/bus_events``: ``keys_unique`` (event_id within the partition).
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import polars as pl
from dagster._time import get_current_datetime

from fleet_platform.assets_common import BRONZE_KEY, LEDGER_KEY, REFERENCE_KEY, SILVER_KEY
from fleet_platform.checks_common import (
    ERROR,
    NO_EXAMPLES,
    check_day,
    daily_check,
    examples,
    keys_unique_check,
    read_rows,
    scan_rows,
    verdict,
)
from fleet_platform.events.tables import BRONZE, LEDGER, REFERENCE, SILVER
from fleet_platform.freshness import FRESH_UNTIL
from fleet_platform.rules.keys import REFERENCE_KEY as REFERENCE_FILE
from fleet_platform.rules.reasons import RowFate, RowRejection, Source
from platform_shared.delta import DeltaWarehouse, WarehouseResource

SOURCES_SENDING = "sources_sending"


def _reference_problem(instance: dg.DagsterInstance) -> str:
    """The ``problem`` the latest materialization of the reference reported."""
    event = instance.get_latest_materialization_event(REFERENCE_KEY)
    materialization = event.asset_materialization if event else None
    if materialization is None:
        return "the reference was never materialized"
    problem = materialization.metadata.get("problem")
    return str(problem.value) if problem is not None else "none"


@dg.asset_check(
    asset=REFERENCE_KEY,
    description=(
        f"{REFERENCE_FILE} was found in the landing root and names at least one VIN. Without "
        "it every VIN counts as unknown (no event is rejected for it, contracts/fleet.md)."
    ),
)
def reference_present(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    vins = read_rows(warehouse.tables(), REFERENCE, None).height
    problem = _reference_problem(context.instance)
    passed = vins > 0 and problem == "none"
    reason = problem if problem != "none" else f"{REFERENCE_FILE} names no VIN (header only)"
    return verdict(
        passed,
        severity=dg.AssetCheckSeverity.ERROR,
        ok=f"The reference names {vins} VINs.",
        problem=(
            f"The fleet reference holds {vins} VINs: {reason}. Until it is fixed every VIN "
            f"counts as unknown. Put a valid {REFERENCE_FILE} (header vin,fleet_number,"
            "operator,country,model,energy,commissioned_on) in the landing root and run the "
            "refresh_reference job."
        ),
        metadata={"vins": vins, "problem": problem},
    )


def build_sources_sending(max_silence_hours: float) -> dg.AssetChecksDefinition:
    """``sources_sending`` on the ledger, with its silence limit."""

    @dg.asset_check(
        asset=LEDGER_KEY,
        name=SOURCES_SENDING,
        description=(
            f"Every source ({', '.join(Source)}) landed a file within the last "
            f"{max_silence_hours:g} h (FLEET_MAX_SOURCE_SILENCE_HOURS): the latest "
            "received_time per source in the whole ledger, against now. Evaluated after "
            "each ingest and by fleet_freshness_checks_sensor when it may have expired."
        ),
    )
    def sources_sending(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        now = get_current_datetime().astimezone(UTC)
        latest = dict(
            read_rows(warehouse.tables(), LEDGER, None)
            .filter(pl.col("source").is_not_null())
            .group_by("source")
            .agg(pl.col("received_time").max())
            .iter_rows()
        )
        silent: dict[str, str] = {}
        hours_since: dict[str, float] = {}
        for source in Source:
            last: datetime | None = latest.get(source.value)
            if last is None:
                silent[source.value] = f"{source} never sent a file"
                continue
            quiet = (now - last).total_seconds() / 3600
            hours_since[source.value] = round(quiet, 2)
            if quiet > max_silence_hours:
                silent[source.value] = (
                    f"{source} sent nothing for {quiet:.1f} h "
                    f"(last file received {last:%Y-%m-%d %H:%M} UTC)"
                )
        metadata: dict[str, object] = {
            "hours_since_last_file": dg.MetadataValue.json(hours_since),
            "silent_sources": ", ".join(silent) or "none",
            "limit_hours": max_silence_hours,
        }
        if not silent:
            # When this check can first fail: the sensor evaluates it again then.
            metadata[FRESH_UNTIL] = dg.MetadataValue.timestamp(
                (
                    min(latest[s.value] for s in Source) + timedelta(hours=max_silence_hours)
                ).timestamp()
            )
        return verdict(
            not silent,
            severity=ERROR,
            ok=(
                f"Every source landed a file within {max_silence_hours:g} h: "
                + ", ".join(f"{s} {h:.1f} h ago" for s, h in hours_since.items())
                + "."
            ),
            problem=(
                "; ".join(silent.values())
                + f" (limit {max_silence_hours:g} h). Ask the source's gateway operator whether "
                "it is sending; if files are landing, check that process_landed_files runs."
            ),
            metadata=metadata,
        )

    return sources_sending


_FATES = [fate.value for fate in RowFate]
_REASONS = [reason.value for reason in RowRejection]
_FATE, _REASON = pl.col("fate"), pl.col("reason")
_REJECTED = _FATE.eq(RowFate.REJECTED.value)
# What can be wrong with a bronze row, and how the check says it. Each depends on the
# row's (fate, reason) alone.
_FATE_PROBLEMS = {
    "rows_without_fate": _FATE.is_null() | ~_FATE.is_in(_FATES),
    "rejected_without_reason": _REJECTED & (_REASON.is_null() | ~_REASON.is_in(_REASONS)),
    "reason_without_rejection": ~_REJECTED & _FATE.is_in(_FATES) & _REASON.is_not_null(),
}
_FATE_WORDS = {
    "rows_without_fate": "have no valid fate",
    "rejected_without_reason": "are rejected without a contract reason",
    "reason_without_rejection": "carry a reason but are not rejected",
}
_BROKEN_ROW = pl.any_horizontal(*_FATE_PROBLEMS.values())


def _fate_kinds(tables: DeltaWarehouse, day: date) -> pl.DataFrame:
    """Bronze rows of ingest date ``day`` per (fate, reason), in column ``rows``: a handful
    of kinds, so the problems are counted without holding a row per event (measured a
    third of the CPU of filtering every row)."""
    rows = scan_rows(tables, BRONZE, "ingest_date", [day], columns=["fate", "reason"])
    return rows.group_by("fate", "reason").len("rows").collect()


def _broken_rows(tables: DeltaWarehouse, day: date) -> pl.DataFrame:
    """The bronze rows of ingest date ``day`` that have one of the problems (the examples)."""
    rows = scan_rows(
        tables,
        BRONZE,
        "ingest_date",
        [day],
        columns=["source_file", "row_number", "fate", "reason"],
    )
    return rows.filter(_BROKEN_ROW).collect()


@daily_check(
    asset=BRONZE_KEY,
    description=(
        "Every bronze row of the partition's ingest date has a fate (clean | duplicate | "
        "rejected); a rejected row has one of the contract's row reasons, any other row has "
        "no reason (contracts/fleet.md, 'What every input becomes')."
    ),
)
def every_row_has_a_fate(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    day = check_day(context)
    tables = warehouse.tables()
    kinds = _fate_kinds(tables, day)
    rows = int(kinds["rows"].sum())
    counts = {name: int(kinds.filter(expr)["rows"].sum()) for name, expr in _FATE_PROBLEMS.items()}
    found = [f"{n} rows {_FATE_WORDS[name]}" for name, n in counts.items() if n]
    return verdict(
        not found,
        severity=ERROR,
        ok=f"All {rows} bronze rows of {day} have a fate and a consistent reason.",
        problem=(
            f"bronze/raw_bus_events on {day}: {'; '.join(found)} (of {rows} rows). "
            "These rows are not counted as the contract says; rebuild the partition with "
            "full_refresh and report the examples to the fleet data team."
        ),
        metadata={
            "rows": rows,
            **counts,
            # the rows are read again only to show what is wrong
            "examples": examples(_broken_rows(tables, day)) if found else NO_EXAMPLES,
        },
    )


def build_event_checks() -> list[dg.AssetChecksDefinition]:
    """The quality checks of the reference, ledger, bronze and silver, but
    ``sources_sending`` (built with its limit by ``build_sources_sending``)."""
    return [
        reference_present,
        keys_unique_check(REFERENCE_KEY, REFERENCE, ["vin"], None, partitioned=False),
        keys_unique_check(LEDGER_KEY, LEDGER, ["key", "file_version"], "partition_date"),
        every_row_has_a_fate,
        keys_unique_check(
            BRONZE_KEY, BRONZE, ["source_file", "file_version", "row_number"], "ingest_date"
        ),
        keys_unique_check(SILVER_KEY, SILVER, ["event_id"], "ingest_date"),
    ]
