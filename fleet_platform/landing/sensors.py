"""Sensors that turn landed files into runs of exactly the partitions they belong to.

- ``fleet_landing_sensor`` lists only the folders that can still receive files (the last
  ``FLEET_LATE_DAYS`` days to tomorrow, plus the places bad keys land) and launches each new
  file version once (cursor in ``watch.py``; run keys make a retried tick harmless).
- ``fleet_landing_sweep`` compares the whole landing with the ledger once a day and
  launches the partitions that still have unprocessed versions: files landed later than
  the routine window, and files whose run failed.
- ``fleet_reference_sensor`` refreshes the reference, and what depends on it, when
  ``reference/vehicles.csv`` changes.
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from fleet_platform.events.pending import pending_partitions
from fleet_platform.jobs import PROCESS_JOB, process_landed_files, refresh_reference
from fleet_platform.landing.discovery import files_in_window
from fleet_platform.landing.resource import LandingResource
from fleet_platform.landing.watch import LandingCursor, run_key, watch
from fleet_platform.rules.keys import REFERENCE_KEY
from fleet_platform.settings import fleet_settings
from platform_shared.delta import WarehouseResource
from platform_shared.deployment import default_sensor_status

STATUS_VARIABLE = "FLEET_SENSORS_DEFAULT_STATUS"
TRIGGER_TAG = "fleet/trigger"
_settings = fleet_settings()


def utc_today() -> date:
    return datetime.now(UTC).date()


def _first_partition() -> date:
    return date.fromisoformat(_settings.start_date)


@dg.sensor(
    name="fleet_landing_sensor",
    job=process_landed_files,
    minimum_interval_seconds=_settings.sensor_interval_seconds,
    default_status=default_sensor_status(STATUS_VARIABLE),
    description=(
        "Launches process_landed_files for each partition with new file versions in the "
        "folders that can still receive files (the last FLEET_LATE_DAYS days to tomorrow)."
    ),
)
def fleet_landing_sensor(
    context: dg.SensorEvaluationContext, landing: LandingResource
) -> dg.SensorResult:
    today = utc_today()
    first = max(today - timedelta(days=_settings.late_days), _first_partition())
    listed = files_in_window(landing.backend(), first, today)
    result = watch(listed, LandingCursor.load(context.cursor), today)
    requests = [
        dg.RunRequest(
            partition_key=day.isoformat(),
            run_key=run_key(day, objects),
            tags={TRIGGER_TAG: "landing_sensor", "fleet/new_file_versions": str(len(objects))},
        )
        for day, objects in result.new_by_partition.items()
    ]
    context.log.info(
        f"{len(listed)} files listed in {first}..{today + timedelta(days=1)}; "
        f"{sum(len(o) for o in result.new_by_partition.values())} new versions"
    )
    return dg.SensorResult(run_requests=requests, cursor=result.cursor.dump())


def _partitions_in_flight(instance: dg.DagsterInstance) -> set[str]:
    runs = instance.get_runs(
        dg.RunsFilter(
            job_name=PROCESS_JOB,
            statuses=[
                dg.DagsterRunStatus.QUEUED,
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ],
        )
    )
    return {run.tags.get("dagster/partition", "") for run in runs}


@dg.sensor(
    name="fleet_landing_sweep",
    job=process_landed_files,
    minimum_interval_seconds=_settings.sweep_interval_hours * 3600,
    default_status=default_sensor_status(STATUS_VARIABLE),
    description=(
        "Once a day: compares every landed file version with the ledger and launches the "
        "partitions that still have unprocessed ones (late files, failed runs)."
    ),
)
def fleet_landing_sweep(
    context: dg.SensorEvaluationContext, landing: LandingResource, warehouse: WarehouseResource
) -> dg.SensorResult:
    busy = _partitions_in_flight(context.instance)
    pending = pending_partitions(landing.backend(), warehouse.tables(), utc_today())
    requests = [
        dg.RunRequest(
            partition_key=day.isoformat(),
            run_key=f"sweep-{run_key(day, objects)}",
            tags={TRIGGER_TAG: "landing_sweep", "fleet/new_file_versions": str(len(objects))},
        )
        for day, objects in pending.items()
        if day >= _first_partition() and day.isoformat() not in busy
    ]
    return dg.SensorResult(run_requests=requests)


@dg.sensor(
    name="fleet_reference_sensor",
    job=refresh_reference,
    minimum_interval_seconds=_settings.sensor_interval_seconds,
    default_status=default_sensor_status(STATUS_VARIABLE),
    description="Refreshes reference/vehicles and what depends on it when the file changes.",
)
def fleet_reference_sensor(
    context: dg.SensorEvaluationContext, landing: LandingResource
) -> dg.SensorResult:
    versions = [obj.version for obj in landing.list("reference/") if obj.key == REFERENCE_KEY]
    version = versions[0] if versions else "missing"
    if version == context.cursor:
        return dg.SensorResult(run_requests=[])
    request = dg.RunRequest(
        partition_key=utc_today().isoformat(),
        run_key=f"reference-{context.cursor}-{version}",  # a change back is a change too
        tags={TRIGGER_TAG: "reference_sensor"},
    )
    return dg.SensorResult(run_requests=[request], cursor=version)


landing_sensors = [fleet_landing_sensor, fleet_landing_sweep, fleet_reference_sensor]
