"""``method: connect``: dbt's SQL and the Python models over Spark Connect.

dbt-spark's ``session`` method wraps a pyspark session in a pyodbc-like cursor (its
``dbt.adapters.spark.session``): ``execute`` runs ``spark.sql``, ``description`` reads the
DataFrame's schema, ``fetchall``/``fetchone`` collect. A Spark Connect session
(``pyspark.sql.connect``) has the same DataFrame API, so the same cursor works once it is
handed the remote session instead of building a local one for every statement (which
``SparkSession.builder.enableHiveSupport()`` would do: a Connect client cannot set the
static ``spark.sql.catalogImplementation``; the catalog is the server's).

One remote session per server and process: dbt's threads and the Python models share it,
as the local ``session`` method shares its one session, so temporary views and the
session's SQL settings are seen by every node.
"""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from dbt.adapters.spark.session import Connection, Cursor
from dbt_common.exceptions import DbtRuntimeError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_SESSIONS: dict[str, SparkSession] = {}
_SESSIONS_LOCK = threading.Lock()


def remote_url(host: str, port: int, token: str | None = None, use_ssl: bool = False) -> str:
    """The Spark Connect address of a profile's keys: ``sc://host:port``, with the token and
    TLS as URL parameters (``/;token=...;use_ssl=true``); a host given as ``sc://...`` is
    taken as it is."""
    if host.startswith("sc://"):
        return host
    parameters = []
    if token:
        parameters.append(f"token={quote(token, safe='')}")
    if use_ssl:
        parameters.append("use_ssl=true")
    suffix = "/;" + ";".join(parameters) if parameters else ""
    return f"sc://{host}:{port}{suffix}"


def check_reachable(url: str, timeout: float) -> None:
    """Fail within ``timeout`` seconds when nothing answers at the address of ``url``: the
    Connect client retries an unavailable server for about ten minutes before it says so."""
    address = urlsplit(url)
    host, port = address.hostname or "", address.port or 15002
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port} ({exc})") from exc


def connect_session(url: str, parameters: dict[str, str], timeout: float = 10) -> SparkSession:
    """The process's Spark Connect session to ``url``, created once (after
    :func:`check_reachable` with ``timeout``), with the profile's ``server_side_parameters``
    set on it (settings the server does not let a client change, such as the warehouse
    folder, are the server's and are skipped)."""
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(url)
        if session is None:
            check_reachable(url, timeout)
            from pyspark.sql.connect.session import SparkSession as RemoteSparkSession

            session = RemoteSparkSession.builder.remote(url).create()
            for key, value in parameters.items():
                _set_if_allowed(session, key, value)
            _SESSIONS[url] = session
        return session


def _set_if_allowed(session: SparkSession, key: str, value: str) -> None:
    from pyspark.errors import AnalysisException

    try:
        session.conf.set(key, value)
    except AnalysisException as exc:
        # CANNOT_MODIFY_CONFIG / static configs: the server's to set (spark_cluster.sh)
        if "CANNOT_MODIFY" not in str(exc) and "static" not in str(exc).lower():
            raise


class ConnectCursor(Cursor):
    """dbt-spark's session cursor on a given (remote) session."""

    def __init__(self, session: SparkSession) -> None:
        super().__init__()
        self._session = session

    def execute(self, sql: str, *parameters: Any) -> None:
        from pyspark.errors import AnalysisException

        if parameters:
            sql = sql % parameters
        try:
            self._df = self._session.sql(sql)
        except AnalysisException as exc:
            raise DbtRuntimeError(str(exc)) from exc


class ConnectConnection(Connection):
    """dbt-spark's session connection whose cursors run on the Spark Connect session."""

    def __init__(self, session: SparkSession) -> None:
        super().__init__()
        self.session = session

    def cursor(self) -> Cursor:
        return ConnectCursor(self.session)
