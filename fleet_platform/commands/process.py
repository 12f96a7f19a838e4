"""``fleet-platform process``: materialise everything landed so far through the same
Dagster definitions the UI uses, then print what came out."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dagster as dg
import polars as pl

from fleet_platform.events.pending import ledger_totals, pending_partitions
from fleet_platform.jobs import PROCESS_JOB, REFERENCE_JOB, USAGE_JOB
from fleet_platform.kpis.tables import GOLD_TABLES
from fleet_platform.settings import fleet_settings
from platform_shared.delta import DeltaWarehouse
from platform_shared.storage import StorageRoot


@dataclass
class ProcessReport:
    partitions: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_runs


_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run(defs: dg.Definitions, job: str, instance: dg.DagsterInstance, **kwargs) -> bool:
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, raise_on_error=False, run_config=_QUIET, **kwargs
    )
    return result.success


def fleet_definitions(
    landing_url: str | None = None, warehouse_url: str | None = None
) -> dg.Definitions:
    """The fleet location's definitions on these roots (default: the settings')."""
    if landing_url:
        os.environ["FLEET_LANDING_URL"] = landing_url
    if warehouse_url:
        os.environ["FLEET_WAREHOUSE_URL"] = warehouse_url
    from fleet_platform.definitions import defs  # reads the settings just set

    return defs


def process_landed(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    out: Callable[[str], None] = print,
) -> ProcessReport:
    """Materialise every partition with unseen files (each run reads the reference first;
    with none, the reference alone), then today's usage."""
    settings = fleet_settings()
    today = datetime.now(UTC).date()
    report = ProcessReport()
    out(f"landing   {settings.landing_url}\nwarehouse {settings.warehouse_url}")
    landing = defs.resources["landing"]
    warehouse = DeltaWarehouse(StorageRoot.from_url(settings.warehouse_url))
    first = date.fromisoformat(settings.start_date)
    pending = pending_partitions(landing.backend(), warehouse, today)
    for day in sorted(day for day in pending if day < first):
        out(f"skipping {day}: before FLEET_START_DATE {first} ({len(pending[day])} files)")
        report.skipped.append(day)
    to_process = sorted(day for day in pending if day >= first)
    # A partition's run reads the reference first: with nothing to process, refresh it alone.
    if not to_process and not _run(defs, REFERENCE_JOB, instance, partition_key=today.isoformat()):
        report.failed_runs.append(REFERENCE_JOB)
    for day in to_process:
        out(f"processing {day}: {len(pending[day])} new file versions")
        report.partitions.append(day)
        if not _run(defs, PROCESS_JOB, instance, partition_key=day.isoformat()):
            report.failed_runs.append(f"{PROCESS_JOB}[{day}]")
    if not _run(defs, USAGE_JOB, instance, partition_key=today.isoformat()):
        report.failed_runs.append(f"{USAGE_JOB}[{today}]")
    print_summary(warehouse, out)
    home = instance.root_directory
    out(f"\nRun history: {home}\nBrowse it: DAGSTER_HOME={home} dagster dev -w workspace.yaml")
    return report


_GOLD = {spec.table.path: spec.table for spec in GOLD_TABLES}


def _read(warehouse: DeltaWarehouse, path: str) -> pl.DataFrame:
    """A gold table, whole (an empty frame of its schema before its first run)."""
    return warehouse.scan(path, _GOLD[path].schema).collect()


def print_summary(warehouse: DeltaWarehouse, out: Callable[[str], None] = print) -> None:
    """Files and rows by fate, top rejection reasons, and the KPIs of the last day."""
    with pl.Config(tbl_rows=20, tbl_cols=12, tbl_width_chars=120, tbl_hide_dataframe_shape=True):
        out("\nFiles and rows by fate (whole ledger):")
        out(str(ledger_totals(warehouse)))
        rejected_files = _read(warehouse, "gold/rejected_files")
        rejected_rows = _read(warehouse, "gold/rejected_rows_daily")
        out("\nTop file rejection reasons:")
        out(
            str(
                rejected_files.group_by("reason")
                .agg(files=pl.len())
                .sort("files", descending=True)
                .head(7)
            )
        )
        out("\nTop row rejection reasons:")
        out(
            str(
                rejected_rows.group_by("reason")
                .agg(pl.col("rows").sum())
                .sort("rows", descending=True)
                .head(4)
            )
        )
        files_daily = _read(warehouse, "gold/files_daily")
        if files_daily.is_empty():
            out("\nNo accepted files yet.")
            return
        last_ingest = files_daily["ingest_date"].max()
        out(f"\nKPIs of the last ingest date, {last_ingest}:")
        by_ingest_date = {
            "gold/files_daily": files_daily,
            "gold/event_delays_daily": _read(warehouse, "gold/event_delays_daily"),
            "gold/non_standard_dates_daily": _read(warehouse, "gold/non_standard_dates_daily"),
        }
        for path, frame in by_ingest_date.items():
            out(f"{path}:\n{frame.filter(pl.col('ingest_date') == last_ingest)}")
        by_event_date = {
            path: _read(warehouse, path)
            for path in ("gold/events_daily", "gold/vins_daily", "gold/unknown_vins_daily")
        }
        events = by_event_date["gold/events_daily"]
        last_event = events.filter(pl.col("event_date") <= last_ingest)["event_date"].max()
        for path, frame in by_event_date.items():
            out(f"{path} ({last_event}):\n{frame.filter(pl.col('event_date') == last_event)}")
