"""The rules narwhals can't express on Spark (DESIGN.md, principle 3): one small function
per rule, the Spark twin of the polars one in :mod:`fleet_platform.rules.clean`.

narwhals on Spark has no epoch / duration arithmetic (``dt.timestamp``, ``dt.total_*``)
and no hashing, so ``event_id`` and ``delay_s`` are written here with
``pyspark.sql.functions``. Each takes and returns a PySpark DataFrame.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from fleet_platform.rules.clean import ID_LENGTH, ID_SEPARATOR

_IDENTITY = ("source", "vin", "event_time", "event_type")


def _identity_text() -> Column:
    """As polars' ``identity_text``: source, vin, epoch microseconds of event_time and
    event_type joined by U+001F; null if any is null (``concat_ws`` alone skips nulls)."""
    fields = [F.col(c) for c in _IDENTITY]
    fields[2] = F.unix_micros(F.col("event_time")).cast("string")
    any_null = F.lit(False)
    for c in _IDENTITY:
        any_null = any_null | F.col(c).isNull()
    return F.when(~any_null, F.concat_ws(ID_SEPARATOR, *fields))


def event_id(rows: DataFrame) -> DataFrame:
    """First 128 bits (hex) of SHA-256 over the identity text (UTF-8)."""
    return rows.withColumn("event_id", F.substring(F.sha2(_identity_text(), 256), 1, ID_LENGTH))


def delay_s(rows: DataFrame) -> DataFrame:
    """``delay_s``: received time minus event time, in seconds (microsecond precision)."""
    micros = F.unix_micros(F.col("received_time")) - F.unix_micros(F.col("event_time"))
    return rows.withColumn("delay_s", micros.cast("double") / F.lit(1_000_000.0))
