"""Engines: where the shared rules run (DESIGN.md, principle 3).

The cleaning rules (:func:`fleet_platform.rules.clean.classify_frame`) and the KPI
aggregations (:mod:`fleet_platform.rules.kpis`) are written once in narwhals. An engine
reads the warehouse tables they take in its own way, runs them, and hands back a polars
frame that the asset writes to its Delta table:

| ``FLEET_ENGINE`` | module | reads | runs the rules on |
|---|---|---|---|
| ``polars`` (default) | :mod:`.polars_engine` | ``scan_delta`` | polars, in the run's process |
| ``spark`` | :mod:`.spark_engine` | the Delta snapshot's Parquet files | a Spark session (``PySparkResource``) |
| ``databricks`` | :mod:`.databricks` | Delta, natively | a Databricks job (Pipes) running the Spark engine |

The rules narwhals can't express on Spark have their Spark twin in :mod:`.spark_rules`.
"""
