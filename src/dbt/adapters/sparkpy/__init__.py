"""dbt adapter ``sparkpy``: dbt-spark, plus Python models run in this process on the Spark
session of ``method: session`` (dbt-spark runs Python models only through Databricks).

SQL, macros and relations are dbt-spark's unchanged (``dependencies=["spark"]``: every
``spark__`` macro applies); only the Python model submission is added. The same idea as
dbt-pybridge for PostgreSQL. Method: docs/spark.md.
"""

from dbt.adapters.base import AdapterPlugin

from dbt.adapters.sparkpy.__version__ import version as __version__
from dbt.adapters.sparkpy.impl import SparkpyAdapter, SparkpyCredentials
from dbt.include import sparkpy

Plugin = AdapterPlugin(
    adapter=SparkpyAdapter,  # type: ignore[arg-type]
    credentials=SparkpyCredentials,
    include_path=sparkpy.PACKAGE_PATH,
    dependencies=["spark"],
    project_name="dbt_sparkpy",
)

__all__ = ["Plugin", "__version__"]
