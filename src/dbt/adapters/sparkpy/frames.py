"""What a Python model returns, written as a Spark table.

dbt-spark's own writer goes through pandas-on-Spark and defaults to Delta; here a pandas
DataFrame becomes a Spark DataFrame with a schema read from its dtypes (NaN and NA become
NULL, as DuckDB and PostgreSQL store them), and the table takes the model's
``file_format`` or, without one, the session's default source (parquet), like the SQL
models."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterator
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T


def spark_type(column: pd.Series) -> T.DataType:
    """The Spark type of a pandas column: by dtype, and for object or string columns by the
    Python type of their values (all-NULL columns become strings)."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return T.BooleanType()
    if pd.api.types.is_integer_dtype(dtype):
        return T.IntegerType() if dtype.itemsize <= 4 else T.LongType()
    if pd.api.types.is_float_dtype(dtype):
        return T.DoubleType()
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return T.TimestampType()
    values = column.dropna()
    if values.empty:
        return T.StringType()
    kinds = {type(value) for value in values}
    if kinds <= {bool}:
        return T.BooleanType()
    if kinds <= {int}:
        return T.LongType()
    if kinds <= {int, float}:
        return T.DoubleType()
    if kinds <= {dt.date}:
        return T.DateType()
    if all(issubclass(kind, dt.datetime) for kind in kinds) or kinds <= {pd.Timestamp}:
        return T.TimestampType()
    if kinds <= {decimal.Decimal}:
        return T.DecimalType(38, _decimal_scale(values))
    if kinds <= {bytes, bytearray}:
        return T.BinaryType()
    if kinds <= {str}:
        return T.StringType()
    names = ", ".join(sorted(kind.__name__ for kind in kinds))
    raise TypeError(f"column {column.name!r}: no Spark type for values of type {names}")


def _decimal_scale(values: pd.Series) -> int:
    exponents = [value.as_tuple().exponent for value in values]
    return max([0, *(-exponent for exponent in exponents if isinstance(exponent, int))])


def spark_schema(frame: pd.DataFrame) -> T.StructType:
    """The Spark schema of a pandas DataFrame, column by column (:func:`spark_type`)."""
    return T.StructType(
        [T.StructField(str(name), spark_type(frame[name]), True) for name in frame.columns]
    )


def _python_value(value: Any) -> Any:
    """A cell as Spark takes it: NULL for NaN, NA and NaT; numpy scalars as Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes, decimal.Decimal)):
        return _python_value(item())
    return value


def frame_rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The rows of a pandas DataFrame as tuples of Python values (:func:`_python_value`)."""
    for row in frame.itertuples(index=False, name=None):
        yield tuple(_python_value(value) for value in row)


def to_spark(spark: SparkSession, result: Any) -> DataFrame:
    """A model's result as a Spark DataFrame: a Spark DataFrame as it is, a pandas one with
    :func:`spark_schema`."""
    if isinstance(result, DataFrame):
        return result
    if isinstance(result, pd.DataFrame):
        return spark.createDataFrame(list(frame_rows(result)), spark_schema(result))
    raise TypeError(
        f"a Python model on Spark returns a pandas or Spark DataFrame, not {type(result).__name__}"
    )


def write_table(spark: SparkSession, result: Any, relation: str, file_format: str | None) -> None:
    """Write a model's result to ``relation`` (replacing it) in ``file_format``, or in the
    session's default source when it is empty."""
    writer = to_spark(spark, result).write.mode("overwrite")
    if file_format:
        writer = writer.format(file_format)
    writer.saveAsTable(relation)
