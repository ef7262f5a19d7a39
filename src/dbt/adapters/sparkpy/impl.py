"""The ``sparkpy`` adapter: dbt-spark's adapter with one more Python submission method,
``session``, which runs the compiled model in this process on the Spark session that
``method: session`` connects with, so Python models run on open-source Spark without a
Databricks workspace."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.spark import SparkAdapter, SparkConnectionManager, SparkCredentials
from dbt.adapters.spark.connections import SparkConnectionMethod
from dbt_common.exceptions import DbtRuntimeError

ADAPTER_TYPE = "sparkpy"
SESSION_SUBMISSION = "session"
"""The submission method of this adapter: the Python model runs in the dbt process."""


@dataclass
class SparkpyCredentials(SparkCredentials):
    """dbt-spark's profile keys, unchanged, under ``type: sparkpy``."""

    @property
    def type(self) -> str:
        return ADAPTER_TYPE


class SparkpyConnectionManager(SparkConnectionManager):
    TYPE = ADAPTER_TYPE


_ONE_MODEL_AT_A_TIME = threading.Lock()
"""Python models run one at a time in the dbt process (SQL nodes still run beside them):
with threads 2, two models importing scikit-learn at once in two threads failed with
"cannot import name 'clone' from partially initialized module 'sklearn.base'"."""


class SessionPythonJobHelper(PythonJobHelper):
    """Runs a compiled Python model with ``exec`` in this process: ``spark`` is the session
    dbt-spark's ``session`` method runs SQL on (built the same way, so the model reads and
    writes the same catalog). The compiled code is dbt-spark's: the model, then
    ``py_write_table`` (overridden in this adapter's macros) writing the result."""

    def __init__(self, parsed_model: dict[str, Any], credentials: SparkCredentials) -> None:
        if credentials.method != SparkConnectionMethod.SESSION:
            raise DbtRuntimeError(
                f"Python model {parsed_model.get('alias')!r}: submission_method 'session' runs "
                "the model in the dbt process and needs the profile's `method: session` "
                f"(this profile has `method: {credentials.method}`)"
            )
        self.parsed_model = parsed_model
        self.credentials = credentials

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.enableHiveSupport()
        for parameter, value in self.credentials.server_side_parameters.items():
            builder = builder.config(parameter, value)
        spark = builder.getOrCreate()
        source = str(self.parsed_model.get("original_file_path") or self.parsed_model["alias"])
        code = compile(compiled_code, source, "exec")
        scope = {"__name__": f"dbt_python_model_{self.parsed_model['alias']}", "spark": spark}
        with _ONE_MODEL_AT_A_TIME:
            exec(code, scope)


class SparkpyAdapter(SparkAdapter):
    """dbt-spark's adapter; Python models run by default with the in-process ``session``
    method (which refuses a profile without ``method: session`` with a message saying so);
    dbt-spark's Databricks methods stay available through ``submission_method``."""

    ConnectionManager = SparkpyConnectionManager

    @property
    def default_python_submission_method(self) -> str:
        return SESSION_SUBMISSION

    @property
    def python_submission_helpers(self) -> dict[str, type[PythonJobHelper]]:
        return {**super().python_submission_helpers, SESSION_SUBMISSION: SessionPythonJobHelper}
