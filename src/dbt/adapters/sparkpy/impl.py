"""The ``sparkpy`` adapter: dbt-spark's adapter with one more Python submission method,
``session``, which runs the compiled model in this process on the Spark session that
``method: session`` connects with, so Python models run on open-source Spark without a
Databricks workspace; and one more connection method, ``connect``, which runs the SQL and
the Python models on a Spark cluster over Spark Connect (``host``, ``port``, optional
``token`` and ``use_ssl``; :mod:`dbt.adapters.sparkpy.connect`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.contracts.connection import Connection, ConnectionState
from dbt.adapters.exceptions import FailedToConnectError
from dbt.adapters.spark import SparkAdapter, SparkConnectionManager, SparkCredentials
from dbt.adapters.spark.connections import SparkConnectionMethod
from dbt.adapters.spark.session import SessionConnectionWrapper
from dbt_common.exceptions import DbtRuntimeError

from dbt.adapters.sparkpy.connect import ConnectConnection, connect_session, remote_url

ADAPTER_TYPE = "sparkpy"
SESSION_SUBMISSION = "session"
"""The submission method of this adapter: the Python model runs in the dbt process."""


class SparkpyConnectionMethod(StrEnum):
    """dbt-spark's connection methods and ``connect`` (Spark Connect)."""

    THRIFT = "thrift"
    HTTP = "http"
    ODBC = "odbc"
    SESSION = "session"
    CONNECT = "connect"


@dataclass
class SparkpyCredentials(SparkCredentials):
    """dbt-spark's profile keys under ``type: sparkpy``; ``method`` may also be
    ``connect`` (``host``, ``port``, and ``token``/``use_ssl`` when the server wants them)."""

    method: SparkpyConnectionMethod = None  # type: ignore[assignment]

    @property
    def type(self) -> str:
        return ADAPTER_TYPE

    @property
    def remote_url(self) -> str:
        """The Spark Connect address (``sc://host:port``) of ``method: connect``."""
        return remote_url(str(self.host), self.port, self.token, self.use_ssl)


def spark_session(credentials: SparkCredentials) -> Any:
    """The Spark session a profile's SQL runs on, for its Python models: the Spark Connect
    session of ``method: connect``, else a local session built as dbt-spark's ``session``
    method builds it (the same catalog)."""
    if credentials.method == SparkpyConnectionMethod.CONNECT:
        assert isinstance(credentials, SparkpyCredentials)
        return connect_session(
            credentials.remote_url,
            credentials.server_side_parameters,
            credentials.connect_timeout,
        )
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for parameter, value in credentials.server_side_parameters.items():
        builder = builder.config(parameter, value)
    return builder.getOrCreate()


class SparkpyConnectionManager(SparkConnectionManager):
    TYPE = ADAPTER_TYPE

    @classmethod
    def open(cls, connection: Connection) -> Connection:
        """dbt-spark's ``open``; ``method: connect`` opens (once per process) a Spark
        Connect session and wraps it in dbt-spark's session cursor."""
        credentials = connection.credentials
        if credentials.method != SparkpyConnectionMethod.CONNECT:
            return super().open(connection)
        if connection.state == ConnectionState.OPEN:
            return connection
        try:
            session = spark_session(credentials)
        except Exception as exc:
            raise FailedToConnectError(
                f"failed to connect to Spark Connect at {credentials.remote_url}: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            ) from exc
        connection.handle = SessionConnectionWrapper(ConnectConnection(session))
        connection.state = ConnectionState.OPEN
        return connection


_ONE_MODEL_AT_A_TIME = threading.Lock()
"""Python models run one at a time in the dbt process (SQL nodes still run beside them):
with threads 2, two models importing scikit-learn at once in two threads failed with
"cannot import name 'clone' from partially initialized module 'sklearn.base'"."""


class SessionPythonJobHelper(PythonJobHelper):
    """Runs a compiled Python model with ``exec`` in this process: ``spark`` is the session
    the profile's SQL runs on (:func:`spark_session`: the local one of ``method: session``,
    or the Spark Connect one of ``method: connect``), so the model reads and writes the same
    catalog. The compiled code is dbt-spark's: the model, then ``py_write_table`` (overridden
    in this adapter's macros) writing the result."""

    def __init__(self, parsed_model: dict[str, Any], credentials: SparkCredentials) -> None:
        if credentials.method not in {
            SparkConnectionMethod.SESSION,
            SparkpyConnectionMethod.CONNECT,
        }:
            raise DbtRuntimeError(
                f"Python model {parsed_model.get('alias')!r}: submission_method 'session' runs "
                "the model in the dbt process and needs the profile's `method: session` or "
                f"`method: connect` (this profile has `method: {credentials.method}`)"
            )
        self.parsed_model = parsed_model
        self.credentials = credentials

    def submit(self, compiled_code: str) -> None:
        spark = spark_session(self.credentials)
        source = str(self.parsed_model.get("original_file_path") or self.parsed_model["alias"])
        code = compile(compiled_code, source, "exec")
        scope = {"__name__": f"dbt_python_model_{self.parsed_model['alias']}", "spark": spark}
        with _ONE_MODEL_AT_A_TIME:
            exec(code, scope)


class SparkpyAdapter(SparkAdapter):
    """dbt-spark's adapter; Python models run by default with the in-process ``session``
    method (which refuses a profile without ``method: session`` or ``method: connect``
    with a message saying so);
    dbt-spark's Databricks methods stay available through ``submission_method``."""

    ConnectionManager = SparkpyConnectionManager

    @property
    def default_python_submission_method(self) -> str:
        return SESSION_SUBMISSION

    @property
    def python_submission_helpers(self) -> dict[str, type[PythonJobHelper]]:
        return {**super().python_submission_helpers, SESSION_SUBMISSION: SessionPythonJobHelper}
