"""The `sparkpy` dbt adapter (src/dbt/adapters/sparkpy): plugin wiring, the Python submission
method's guard, the Spark Connect method's profile and cursor, and how a model's pandas
result is typed for Spark. No JVM is started here;
tests/python/integration/test_spark_build.py runs the models on a Spark session."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

from dbt.adapters.spark import SparkCredentials
from dbt.adapters.spark.connections import SparkConnectionMethod
from dbt_common.exceptions import DbtRuntimeError
from pyspark.sql import types as T

from dbt.adapters.sparkpy import Plugin
from dbt.adapters.sparkpy.connect import ConnectConnection, remote_url
from dbt.adapters.sparkpy.frames import frame_rows, spark_schema, spark_type
from dbt.adapters.sparkpy.impl import (
    SessionPythonJobHelper,
    SparkpyAdapter,
    SparkpyConnectionMethod,
    SparkpyCredentials,
)


def test_plugin_is_dbt_spark_plus_python_models() -> None:
    assert Plugin.adapter.type() == "sparkpy"
    assert Plugin.dependencies == ["spark"]
    include = Path(Plugin.include_path)
    assert (include / "dbt_project.yml").is_file()
    assert "macro py_write_table" in (include / "macros" / "py_write_table.sql").read_text()


def test_python_models_default_to_the_session_method() -> None:
    adapter = object.__new__(SparkpyAdapter)  # these properties read no adapter state
    assert adapter.default_python_submission_method == "session"
    helpers = adapter.python_submission_helpers
    assert helpers["session"] is SessionPythonJobHelper
    assert {"job_cluster", "all_purpose_cluster"} <= set(helpers)  # dbt-spark's, kept


def test_the_session_method_needs_a_session_profile() -> None:
    session = SparkCredentials(host="localhost", method="session", schema="main", database=None)
    helper = SessionPythonJobHelper({"alias": "ml_x"}, session)
    assert helper.parsed_model["alias"] == "ml_x"
    # a thrift profile (built without validation: its PyHive extra is not installed here)
    thrift = SimpleNamespace(method=SparkConnectionMethod.THRIFT)
    with pytest.raises(DbtRuntimeError, match=r"ml_x.*needs the profile's `method: session`"):
        SessionPythonJobHelper({"alias": "ml_x"}, thrift)  # type: ignore[arg-type]


def test_column_types() -> None:
    frame = pd.DataFrame(
        {
            "count": np.array([1, 2], dtype="int64"),
            "small": np.array([1, 2], dtype="int32"),
            "nullable": pd.array([1, None], dtype="Int64"),
            "score": [0.5, np.nan],
            "flag": [True, False],
            "label": ["a", None],
            "day": [dt.date(2011, 12, 9), None],
            "at": pd.to_datetime(["2011-12-09 10:00", None]),
            "money": [decimal.Decimal("1.50"), decimal.Decimal("2.125")],
            "blob": [b"x", None],
            "empty": [None, None],
        }
    )
    assert spark_schema(frame) == T.StructType(
        [
            T.StructField("count", T.LongType(), True),
            T.StructField("small", T.IntegerType(), True),
            T.StructField("nullable", T.LongType(), True),
            T.StructField("score", T.DoubleType(), True),
            T.StructField("flag", T.BooleanType(), True),
            T.StructField("label", T.StringType(), True),
            T.StructField("day", T.DateType(), True),
            T.StructField("at", T.TimestampType(), True),
            T.StructField("money", T.DecimalType(38, 3), True),
            T.StructField("blob", T.BinaryType(), True),
            T.StructField("empty", T.StringType(), True),
        ]
    )


def test_missing_values_become_null_and_numpy_scalars_python() -> None:
    frame = pd.DataFrame(
        {
            "count": np.array([3], dtype="int64"),
            "score": [np.nan],
            "nullable": pd.array([None], dtype="Int64"),
            "at": pd.to_datetime([None]),
        }
    )
    (row,) = list(frame_rows(frame))
    assert row == (3, None, None, None)
    assert type(row[0]) is int


def test_an_unknown_value_type_is_named() -> None:
    with pytest.raises(TypeError, match=r"'odd'.*no Spark type.*list"):
        spark_type(pd.Series([[1, 2]], name="odd"))


def test_the_connect_method_is_a_profile_method() -> None:
    """`method: connect` (Spark Connect) parses under type sparkpy, not under dbt-spark's own
    type; its address is sc://host:port, with the token and TLS as URL parameters."""
    keys = {"host": "127.0.0.1", "port": 15012, "method": "connect", "schema": "main"}
    credentials = SparkpyCredentials.from_dict(keys)
    assert credentials.method == SparkpyConnectionMethod.CONNECT
    assert credentials.remote_url == "sc://127.0.0.1:15012"
    with pytest.raises(Exception, match="connect"):
        SparkCredentials.from_dict(keys)
    assert remote_url("spark.example", 443, "a/b", True) == (
        "sc://spark.example:443/;token=a%2Fb;use_ssl=true"
    )
    assert remote_url("sc://given:1/;x=y", 15002) == "sc://given:1/;x=y"
    helper = SessionPythonJobHelper({"alias": "ml_x"}, credentials)
    assert helper.credentials is credentials


def test_the_connect_cursor_runs_on_the_remote_session() -> None:
    """dbt-spark's session cursor, on the one remote session: statements go to its sql(),
    bindings are pasted as dbt-spark's session method pastes them, and an analysis error
    is a dbt error."""
    from pyspark.errors import AnalysisException

    ran: list[str] = []

    def sql(statement: str) -> SimpleNamespace:
        if "missing" in statement:
            raise AnalysisException(message="TABLE_OR_VIEW_NOT_FOUND missing")
        ran.append(statement)
        fields = [SimpleNamespace(name="n", dataType=T.LongType(), nullable=False)]
        return SimpleNamespace(schema=SimpleNamespace(fields=fields), collect=lambda: [(1,)])

    cursor = ConnectConnection(SimpleNamespace(sql=sql)).cursor()  # type: ignore[arg-type]
    cursor.execute("select %s as n", 1)
    assert ran == ["select 1 as n"]
    assert cursor.description == [("n", "bigint", None, None, None, None, False)]
    assert cursor.fetchall() == [(1,)]
    with pytest.raises(DbtRuntimeError, match="TABLE_OR_VIEW_NOT_FOUND"):
        cursor.execute("select * from missing")


def test_an_unreachable_connect_server_fails_at_once() -> None:
    """Nothing listens: dbt stops within the profile's connect_timeout, naming the address
    (the Connect client alone retries for about ten minutes)."""
    import socket
    import time

    from dbt.adapters.contracts.connection import Connection
    from dbt.adapters.exceptions import FailedToConnectError

    from dbt.adapters.sparkpy.impl import SparkpyConnectionManager

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    keys = {"host": "127.0.0.1", "port": port, "method": "connect", "schema": "main"}
    credentials = SparkpyCredentials.from_dict({**keys, "connect_timeout": 2})
    connection = Connection(type="sparkpy", name="t", credentials=credentials)
    started = time.monotonic()
    with pytest.raises(FailedToConnectError, match=f"sc://127.0.0.1:{port}"):
        SparkpyConnectionManager.open(connection)
    assert time.monotonic() - started < 10
