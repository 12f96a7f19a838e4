"""Checks of the gold KPI tables (docs/checks.md): ``keys_unique`` on every table, and the
monitoring thresholds — row conservation, rejected-file share, non-standard dates over 14
days, unknown-VIN share, p99 delays over 120 days.

The 14-day and 120-day views are computed from the daily rows, as the contract says
(contracts/fleet.md, "Tables"): sums of counts, and for delays the daily p99 values.
"""

import dagster as dg
import polars as pl

from fleet_platform.assets_common import key_of
from fleet_platform.check_settings import (
    DELAY_WINDOW_DAYS,
    NON_STANDARD_DATES_WINDOW_DAYS,
    CheckSettings,
)
from fleet_platform.checks_common import (
    ERROR,
    WARN,
    check_day,
    daily_check,
    examples,
    keys_unique_check,
    read_rows,
    share,
    verdict,
    window,
)
from fleet_platform.events.tables import Table
from fleet_platform.kpis.tables import GOLD_TABLES, VIN_DAYS, GoldTable, Scope
from fleet_platform.rules.reasons import DateStatus
from platform_shared.delta import WarehouseResource

# Key columns of each table (contracts/fleet.md, "Tables"). A rejected file is keyed by its
# key *and version*: an overwritten key rejected twice is two rows.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "silver/vin_days": ("ingest_date", "event_date", "source", "vin"),
    "gold/files_daily": ("ingest_date", "source"),
    "gold/rejected_files": ("key", "file_version"),
    "gold/rejected_rows_daily": ("ingest_date", "source", "reason"),
    "gold/non_standard_dates_daily": ("ingest_date", "source", "status"),
    "gold/event_delays_daily": ("ingest_date", "source"),
    "gold/events_daily": ("event_date", "source"),
    "gold/vins_daily": ("event_date",),
    "gold/unknown_vins_daily": ("event_date", "source"),
    "gold/unknown_vins": ("vin",),
}
_SPECS: dict[str, GoldTable] = {spec.table.path: spec for spec in (VIN_DAYS, *GOLD_TABLES)}


def _table(path: str) -> Table:
    return _SPECS[path].table


FILES_DAILY = _table("gold/files_daily")
NON_STANDARD_DATES = _table("gold/non_standard_dates_daily")
EVENT_DELAYS = _table("gold/event_delays_daily")
EVENTS_DAILY = _table("gold/events_daily")
UNKNOWN_VINS_DAILY = _table("gold/unknown_vins_daily")
_COUNTS = ("rows_rejected", "rows_duplicate", "rows_clean")


def build_keys_unique_checks() -> list[dg.AssetChecksDefinition]:
    """``keys_unique`` on every gold table: over the partition's rows for tables written per
    ingest date, over the whole table for the rollups every partition rebuilds."""
    return [
        keys_unique_check(
            key_of(spec.table),
            spec.table,
            KEY_COLUMNS[path],
            spec.day_column if spec.scope is Scope.INGEST_DAY else None,
        )
        for path, spec in _SPECS.items()
    ]


@daily_check(
    asset=key_of(FILES_DAILY),
    description=(
        "On every row of the partition's ingest date, rows_received = rows_rejected + "
        "rows_duplicate + rows_clean: no row is lost or counted twice."
    ),
)
def rows_conserved(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    day = check_day(context)
    rows = read_rows(warehouse.tables(), FILES_DAILY, "ingest_date", [day])
    accounted = pl.sum_horizontal(pl.col(c).fill_null(0) for c in _COUNTS)
    broken = rows.filter(pl.col("rows_received").fill_null(0) != accounted)
    gap = int(broken.select((pl.col("rows_received") - accounted).abs().sum()).item() or 0)
    return verdict(
        broken.is_empty(),
        severity=ERROR,
        ok=f"{rows.height} rows of {day}: rows_received = rejected + duplicate + clean on each.",
        problem=(
            f"gold/files_daily on {day}: on {broken.height} of {rows.height} rows "
            f"rows_received differs from rows_rejected + rows_duplicate + rows_clean (by "
            f"{gap} rows in all). Rows were lost or counted twice; rebuild the partition "
            "with full_refresh and report the examples to the fleet data team."
        ),
        metadata={
            "rows_checked": rows.height,
            "rows_broken": broken.height,
            "row_gap": gap,
            "examples": examples(broken.select("source", "rows_received", *_COUNTS)),
        },
    )


def build_rejected_file_share(limit: float) -> dg.AssetChecksDefinition:
    @daily_check(
        asset=key_of(FILES_DAILY),
        name="rejected_file_share",
        description=(
            f"At most {limit:.1%} (FLEET_MAX_REJECTED_FILE_SHARE) of the files received on the "
            "partition's ingest date are rejected (files_rejected / files_received, all "
            "sources)."
        ),
    )
    def rejected_file_share(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        day = check_day(context)
        rows = read_rows(warehouse.tables(), FILES_DAILY, "ingest_date", [day]).sort("source")
        received = int(rows["files_received"].sum())
        rejected = int(rows["files_rejected"].sum())
        ratio = share(rejected, received)
        by_source = {
            row["source"]: f"{row['files_rejected']}/{row['files_received']}"
            for row in rows.iter_rows(named=True)
        }
        return verdict(
            ratio <= limit,
            severity=WARN,
            ok=f"{rejected} of {received} files of {day} rejected ({ratio:.1%}; limit {limit:.1%}).",
            problem=(
                f"{rejected} of {received} files received on {day} were rejected ({ratio:.1%}; "
                f"limit {limit:.1%}). By source (rejected/received): "
                + ", ".join(f"{s} {v}" for s, v in by_source.items())
                + ". gold/rejected_files says which files and why; tell the source's gateway "
                "operator."
            ),
            metadata={
                "files_received": received,
                "files_rejected": rejected,
                "share": ratio,
                "limit": limit,
                "by_source": dg.MetadataValue.json(by_source),
            },
        )

    return rejected_file_share


def build_non_standard_date_share(limit: float) -> dg.AssetChecksDefinition:
    days = NON_STANDARD_DATES_WINDOW_DAYS

    @daily_check(
        asset=key_of(NON_STANDARD_DATES),
        name="non_standard_date_share_14d",
        additional_deps=[key_of(FILES_DAILY)],
        description=(
            f"Over the {days} ingest dates ending at the partition, rows with a non-standard "
            f"date (unparseable, future, before_2000) are at most {limit:.1%} "
            "(FLEET_MAX_NON_STANDARD_DATE_SHARE) of rows_received in gold/files_daily."
        ),
    )
    def non_standard_date_share_14d(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        day = check_day(context)
        dates = window(day, days)
        tables = warehouse.tables()
        odd = read_rows(tables, NON_STANDARD_DATES, "ingest_date", dates)
        by_status = {
            status.value: int(odd.filter(pl.col("status") == status.value)["rows"].sum())
            for status in (DateStatus.UNPARSEABLE, DateStatus.FUTURE, DateStatus.BEFORE_2000)
        }
        received = int(read_rows(tables, FILES_DAILY, "ingest_date", dates)["rows_received"].sum())
        odd_rows = int(odd["rows"].sum())
        ratio = share(odd_rows, received)
        found = (
            f"{odd_rows} of {received} rows received {dates[0]} to {dates[-1]} have a "
            f"non-standard date ({ratio:.2%}; limit {limit:.1%})"
        )
        return verdict(
            ratio <= limit,
            severity=WARN,
            ok=f"{found}.",
            problem=(
                f"{found}: "
                + ", ".join(f"{n} {s}" for s, n in by_status.items())
                + ". Look at gold/non_standard_dates_daily for the source; a gateway clock "
                "or time format is wrong."
            ),
            metadata={
                **{f"rows_{status}": n for status, n in by_status.items()},
                "rows_non_standard": odd_rows,
                "rows_received": received,
                "share": ratio,
                "limit": limit,
                "window_start": str(dates[0]),
                "window_end": str(dates[-1]),
            },
        )

    return non_standard_date_share_14d


def build_unknown_vin_share(limit: float) -> dg.AssetChecksDefinition:
    @daily_check(
        asset=key_of(UNKNOWN_VINS_DAILY),
        name="unknown_vin_share",
        additional_deps=[key_of(EVENTS_DAILY)],
        description=(
            f"Of the clean, date-ok events whose event date is the partition's date, at most "
            f"{limit:.1%} (FLEET_MAX_UNKNOWN_VIN_SHARE) come from VINs not in the reference "
            "(gold/unknown_vins_daily.events / gold/events_daily.events)."
        ),
    )
    def unknown_vin_share(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        day = check_day(context)
        tables = warehouse.tables()
        unknown = read_rows(tables, UNKNOWN_VINS_DAILY, "event_date", [day]).sort("source")
        events = int(read_rows(tables, EVENTS_DAILY, "event_date", [day])["events"].sum())
        unknown_events = int(unknown["events"].sum())
        ratio = share(unknown_events, events)
        by_source = {
            row["source"]: {"events": row["events"], "distinct_vins": row["distinct_vins"]}
            for row in unknown.iter_rows(named=True)
        }
        return verdict(
            ratio <= limit,
            severity=WARN,
            ok=(
                f"{unknown_events} of {events} events of {day} come from unknown VINs "
                f"({ratio:.2%}; limit {limit:.1%})."
            ),
            problem=(
                f"{unknown_events} of {events} events of {day} come from VINs not in the "
                f"reference ({ratio:.2%}; limit {limit:.1%}). gold/unknown_vins lists them: "
                "add the buses to reference/vehicles.csv (then run refresh_reference), or ask "
                "the source why it sends them."
            ),
            metadata={
                "unknown_events": unknown_events,
                "events": events,
                "share": ratio,
                "limit": limit,
                "by_source": dg.MetadataValue.json(by_source),
            },
        )

    return unknown_vin_share


def build_p99_delay(day_limit_hours: float, window_limit_hours: float) -> dg.AssetChecksDefinition:
    days = DELAY_WINDOW_DAYS

    @daily_check(
        asset=key_of(EVENT_DELAYS),
        name="p99_delay",
        description=(
            f"The partition's p99 delay (received - event time) of every source is at most "
            f"{day_limit_hours:g} h (FLEET_MAX_DAILY_P99_DELAY_HOURS), and the largest daily "
            f"p99 of the {days} ingest dates ending at the partition is at most "
            f"{window_limit_hours:g} h (FLEET_MAX_P99_DELAY_120D_HOURS)."
        ),
    )
    def p99_delay(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        day = check_day(context)
        dates = window(day, days)
        rows = read_rows(warehouse.tables(), EVENT_DELAYS, "ingest_date", dates).with_columns(
            p99_h=pl.col("p99_s") / 3600
        )
        today = rows.filter(pl.col("ingest_date") == day).sort("source")
        p99_today = {s: round(h, 3) for s, h in today.select("source", "p99_h").iter_rows()}
        late_sources = {s: h for s, h in p99_today.items() if h > day_limit_hours}
        daily_max = rows.group_by("ingest_date").agg(pl.col("p99_h").max())
        days_over = daily_max.filter(pl.col("p99_h") > day_limit_hours).height
        worst = rows.sort("p99_h", descending=True, nulls_last=True).head(1)
        worst_h = float(worst["p99_h"][0]) if worst.height else 0.0
        worst_at = f"{worst['source'][0]} on {worst['ingest_date'][0]}" if worst.height else "-"
        problems = []
        if late_sources:
            problems.append(
                f"on {day} the p99 delay of "
                + ", ".join(f"{s} is {h:.1f} h" for s, h in late_sources.items())
                + f" (limit {day_limit_hours:g} h)"
            )
        if worst_h > window_limit_hours:
            problems.append(
                f"over the {days} ingest dates {dates[0]} to {day} the largest daily p99 delay "
                f"is {worst_h:.1f} h ({worst_at}; limit {window_limit_hours:g} h)"
            )
        return verdict(
            not problems,
            severity=WARN,
            ok=(
                f"p99 delay on {day}: "
                + (", ".join(f"{s} {h:.1f} h" for s, h in p99_today.items()) or "no events")
                + f"; largest daily p99 over {days} days {worst_h:.1f} h; {days_over} days over "
                f"{day_limit_hours:g} h."
            ),
            problem=(
                "; ".join(problems)
                + f". {days_over} of the {daily_max.height} days with events were over "
                f"{day_limit_hours:g} h. Events arrive late: ask the source's gateway operator "
                "(buffering, connectivity), or look for a backlog of late files."
            ),
            metadata={
                "p99_hours_on_day": dg.MetadataValue.json(p99_today),
                "max_daily_p99_120d_hours": round(worst_h, 3),
                "max_daily_p99_120d_at": worst_at,
                "days_over_daily_limit_120d": days_over,
                "days_with_events_120d": daily_max.height,
                "daily_limit_hours": day_limit_hours,
                "window_limit_hours": window_limit_hours,
                "window_start": str(dates[0]),
                "window_end": str(dates[-1]),
            },
        )

    return p99_delay


def build_kpi_checks(settings: CheckSettings) -> list[dg.AssetChecksDefinition]:
    """Every check of the gold tables, with the settings' thresholds."""
    return [
        *build_keys_unique_checks(),
        rows_conserved,
        build_rejected_file_share(settings.max_rejected_file_share),
        build_non_standard_date_share(settings.max_non_standard_date_share),
        build_unknown_vin_share(settings.max_unknown_vin_share),
        build_p99_delay(settings.max_daily_p99_delay_hours, settings.max_p99_delay_120d_hours),
    ]
