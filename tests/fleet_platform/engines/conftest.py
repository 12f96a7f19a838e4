"""One local Spark session for the whole test run (it takes seconds to start).

Without Java (or pyspark) the Spark tests skip on a developer's machine and fail in CI
(CI=true), so a CI image that lost Java can't pass by skipping them.
"""

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# --import-mode=importlib leaves sys.path alone: put this folder on it for engine_corpus.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"Spark tests need {reason} in CI (CI=true)", pytrace=False)
    pytest.skip(f"Spark tests need {reason}")


def _has_java() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


@pytest.fixture(scope="session")
def java() -> None:
    """Java is there for a local Spark (this process's, or a job script's)."""
    if not _has_java():
        _missing("Java (set JAVA_HOME or put java on PATH)")


@pytest.fixture(scope="session")
def spark(java: None) -> Iterator[object]:
    """A ``local[2]`` SparkSession in UTC, Arrow on, no UI; stopped at the end of the run."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _missing("pyspark")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("fleet-platform-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
