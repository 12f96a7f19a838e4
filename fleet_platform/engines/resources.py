"""The ``engine`` resource: which engine the fleet assets run their rules on.

Picked once from ``FLEET_ENGINE`` (:func:`engine_resource`); the assets only see
:class:`EngineResource`. A local engine runs a step in the run's own process; the
Databricks engine (:mod:`fleet_platform.engines.databricks`) overrides the two steps to
run them as Databricks jobs. The Spark and Databricks resources live in their own modules,
imported only when ``FLEET_ENGINE`` names them (PySpark alone takes some 0.1 s to import).
"""

from datetime import UTC, date, datetime

import dagster as dg
import polars as pl

from fleet_platform.engines.base import Engine
from fleet_platform.engines.polars_engine import PolarsEngine
from fleet_platform.events.ingest import IngestSummary, PartitionIngest
from fleet_platform.kpis.build import build_gold
from fleet_platform.kpis.tables import GoldTable
from fleet_platform.landing.store import LandingBackend
from fleet_platform.settings import FleetSettings
from platform_shared.delta import DeltaWarehouse


class EngineResource(dg.ConfigurableResource):
    """Runs the fleet's two kinds of step (ingest a partition, build a gold table)."""

    def engine(self, warehouse: DeltaWarehouse) -> Engine:
        raise NotImplementedError

    @property
    def kind(self) -> str:
        """The engine's name, shown as an asset kind in the UI."""
        raise NotImplementedError

    def ingest(
        self,
        context: dg.AssetExecutionContext,
        store: LandingBackend,
        warehouse: DeltaWarehouse,
        day: date,
        full_refresh: bool,
    ) -> IngestSummary:
        """Ingest partition ``day``'s new files into the ledger, bronze and silver."""
        ingest = PartitionIngest(
            store,
            warehouse,
            day,
            datetime.now(UTC).date(),
            context.log.info,
            self.engine(warehouse),
        )
        return ingest.run(full_refresh=full_refresh)

    def gold(
        self,
        context: dg.AssetExecutionContext,
        spec: GoldTable,
        warehouse: DeltaWarehouse,
        day: date,
    ) -> pl.DataFrame:
        """Rebuild the rows of gold table ``spec`` that partition ``day`` owns."""
        return build_gold(spec, warehouse, self.engine(warehouse), day)


class PolarsEngineResource(EngineResource):
    """polars in the run's own process (the embedded default)."""

    def engine(self, warehouse: DeltaWarehouse) -> Engine:
        return PolarsEngine(warehouse)

    @property
    def kind(self) -> str:
        return "polars"


def engine_resource(settings: FleetSettings) -> EngineResource:
    """The engine resource ``FLEET_ENGINE`` names."""
    if settings.engine == "spark":
        from fleet_platform.engines.spark_resource import spark_engine_resource

        return spark_engine_resource(settings)
    if settings.engine == "databricks":
        from fleet_platform.engines.databricks import databricks_engine_resource

        return databricks_engine_resource()
    return PolarsEngineResource()


def run_executor(settings: FleetSettings) -> dg.ExecutorDefinition:
    """The executor of the location's runs. On the ``spark`` engine every step of a run
    shares one process and so one Spark session: a process per step would start a JVM
    per step (8-14 s each here). The other engines keep a process per step."""
    if settings.engine == "spark":
        return dg.in_process_executor
    return dg.multiprocess_executor
