"""Choosing the engine: one setting, ``FLEET_ENGINE``, read once; the resource it gives
and the compute profile runs are billed under."""

import dagster as dg
import pytest

from fleet_platform.engines.resources import PolarsEngineResource, engine_resource, run_executor
from fleet_platform.engines.spark_resource import SparkEngineResource, spark_config
from fleet_platform.settings import fleet_settings


def test_polars_is_the_default_engine_billed_as_local() -> None:
    settings = fleet_settings({})
    assert (settings.engine, settings.compute_profile) == ("polars", "local")
    resource = engine_resource(settings)
    assert isinstance(resource, PolarsEngineResource)
    assert resource.kind == "polars"


def test_spark_engine_takes_its_master_and_settings_but_keeps_utc() -> None:
    settings = fleet_settings(
        {
            "FLEET_ENGINE": " Spark ",
            "FLEET_SPARK_MASTER": "spark://cluster:7077",
            "FLEET_SPARK_CONF": '{"spark.driver.memory": "8g", "spark.sql.session.timeZone": "CET"}',
        }
    )
    assert (settings.engine, settings.compute_profile) == ("spark", "spark")
    resource = engine_resource(settings)
    assert isinstance(resource, SparkEngineResource)
    assert resource.kind == "spark"
    config = spark_config(settings)
    assert config["spark.master"] == "spark://cluster:7077"
    assert config["spark.driver.memory"] == "8g"
    assert config["spark.sql.session.timeZone"] == "UTC"  # event dates are UTC dates
    assert resource.pyspark.spark_config == config


def test_an_explicit_compute_profile_wins_over_the_engines() -> None:
    settings = fleet_settings({"FLEET_ENGINE": "spark", "FLEET_COMPUTE_PROFILE": "emr"})
    assert settings.compute_profile == "emr"


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        (
            {"FLEET_ENGINE": "duckdb"},
            "FLEET_ENGINE='duckdb' is not one of polars, spark, databricks",
        ),
        (
            {"FLEET_SPARK_CONF": "[1, 2]"},
            "FLEET_SPARK_CONF must be a JSON object of Spark settings",
        ),
        (
            {"FLEET_COMPUTE_PRICES": '{"local": "cheap"}'},
            "FLEET_COMPUTE_PRICES must be a JSON object",
        ),
    ],
)
def test_bad_engine_settings_say_what_is_wrong(environ: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("(", r"\(")):
        fleet_settings(environ)


def test_spark_runs_keep_every_step_in_one_process_and_session() -> None:
    assert run_executor(fleet_settings({"FLEET_ENGINE": "spark"})) is dg.in_process_executor
    assert run_executor(fleet_settings({})) is dg.multiprocess_executor
