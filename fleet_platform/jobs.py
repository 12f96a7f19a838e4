"""Jobs of the fleet location."""

import dagster as dg

from fleet_platform.assets_common import REFERENCE_KEY, key_of
from fleet_platform.kpis.tables import GOLD_TABLES, Scope
from fleet_platform.partitions import ingest_days
from fleet_platform.settings import fleet_settings
from fleet_platform.usage.assets import COMPUTE_PROFILE_TAG, USAGE

PROCESS_JOB = "process_landed_files"
REFERENCE_JOB = "refresh_reference"
USAGE_JOB = "processing_usage"

ROLLUP_KEYS = [key_of(spec.table) for spec in GOLD_TABLES if spec.scope is Scope.ROLLUP]
_run_tags = {COMPUTE_PROFILE_TAG: fleet_settings().compute_profile}

process_landed_files = dg.define_asset_job(
    PROCESS_JOB,
    # The reference first, so that the day's unknown VINs are found against its latest
    # version (about 0.1 s a run, and one run fewer for `fleet-platform process`).
    selection=dg.AssetSelection.groups("fleet") - dg.AssetSelection.assets(key_of(USAGE)),
    partitions_def=ingest_days,
    tags=_run_tags,
    description=(
        "Read the fleet reference, ingest one day's landed files and rebuild that day's KPI rows."
    ),
)
refresh_reference = dg.define_asset_job(
    REFERENCE_JOB,
    selection=dg.AssetSelection.assets(REFERENCE_KEY, *ROLLUP_KEYS),
    partitions_def=ingest_days,
    tags=_run_tags,
    description=(
        "Read the fleet reference, bring vin_known up to date in silver, and roll the "
        "event-date KPIs up again (any partition rebuilds them whole: run it for today)."
    ),
)
processing_usage = dg.define_asset_job(
    USAGE_JOB, selection=[key_of(USAGE)], partitions_def=ingest_days, tags=_run_tags
)
