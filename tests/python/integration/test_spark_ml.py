"""The ML Python models on Spark (adapter sparkpy, src/dbt/adapters/sparkpy) give DuckDB's rows.

TPC-H at scale factor 0.01: DuckDB builds the ML models with their parents; the table they
read, fct_invoices, is copied to a local Spark warehouse as it is, so this test checks the ML
path alone (the SQL models' equality on Spark, mart_customer_360 downstream of the ML tables
included, is the Spark build's test); then one `dbt run --target spark` builds the seven ML
tables (in the dbt process, on its Spark session). The Spark tables are read back with DuckDB
from their parquet files (no second JVM). Floats may differ by the last bits between engines;
they are compared to 1e-9 relative.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from warehouse_helpers import BIN, REPO, run_command

# With test_tpch_build.py and test_bench_floor.py (the built_warehouse group) it generates
# data/tpch/sf0.01 on first use: two generations at once would clash, so one worker runs them.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.spark,
    pytest.mark.xdist_group("built_warehouse"),
]

ML_TABLES = (
    "ml_model_registry",
    "ml_customer_clusters",
    "ml_customer_predictions",
    "ml_cluster_profiles",
    "ml_model_evaluation",
    "ml_repeat_drivers",
    "ml_sales_forecast",
)
INPUTS = ("fct_invoices",)
"""What the ML models read besides the ML tables (in marts)."""
ML_VARS = "{ml_training_windows: 2, ml_permutation_repeats: 2, ml_forecast_top_countries: 2}"
"""Fewer training windows, shuffles and series than the defaults: the same code paths in less
time; both engines get the same values."""
REL_TOL = 1e-9

# The session settings of the `spark` output in profiles/profiles.yml that say where tables
# and the metastore are, for the copy of the inputs.
SEED_INPUTS = """
import sys
from pathlib import Path
from pyspark.sql import SparkSession

spark_dir, parquet_dir = Path(sys.argv[1]), Path(sys.argv[2])
spark = (
    SparkSession.builder.enableHiveSupport()
    .master("local[1]")
    .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
    .config(
        "spark.hadoop.javax.jdo.option.ConnectionURL",
        "jdbc:derby:;databaseName=metastore_db;create=true",
    )
    .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.parquet.inferTimestampNTZ.enabled", "false")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
spark.sql("create schema if not exists marts")
for path in sorted(parquet_dir.glob("*.parquet")):
    frame = spark.read.parquet(str(path))
    frame.write.mode("overwrite").format("parquet").saveAsTable(f"marts.{path.stem}")
spark.stop()
"""


def _spark_available() -> None:
    pytest.importorskip("pyspark")
    pytest.importorskip("dbt.adapters.spark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (the Spark target needs Java 17)")


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Build the ML tables on DuckDB, then on Spark from DuckDB's inputs. Yields the DuckDB
    file and the Spark warehouse folder."""
    _spark_available()
    work = tmp_path_factory.mktemp("spark_ml")
    duckdb_path = work / "tpch.duckdb"
    spark_dir = work / "spark"
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(duckdb_path),
        RW_SPARK_DIR=str(spark_dir),
        RW_SALES_SOURCE="tpch",
        RW_SCHEMA_PREFIX="",
        DBT_PROFILES_DIR=str(REPO / "profiles"),
    )
    dbt = str(BIN / "dbt")
    run_command(
        [
            str(BIN / "retail-warehouse"),
            "load",
            "--target",
            "duckdb",
            "--source-system",
            "tpch",
            "--scale-factor",
            "0.01",
        ],
        env,
    )
    common = ["--vars", ML_VARS, "--target-path", str(work / "target_duckdb")]
    selection = ["--select", "+path:python_models"]
    models_and_seeds = ["--resource-type", "model", "--resource-type", "seed"]
    run_command([dbt, "build", "--target", "duckdb", *selection, *models_and_seeds, *common], env)
    inputs = work / "inputs"
    inputs.mkdir()
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        for table in INPUTS:
            connection.execute(f"copy marts.{table} to '{inputs / table}.parquet' (format parquet)")
    subprocess.run(
        [sys.executable, "-c", SEED_INPUTS, str(spark_dir), str(inputs)],
        env=env,
        check=True,
        capture_output=True,
    )
    spark_selection = ["--select", "path:python_models"]
    spark_common = ["--vars", ML_VARS, "--target-path", str(work / "target_spark")]
    run_command([dbt, "run", "--target", "spark", *spark_selection, *spark_common], env)
    yield {"duckdb": duckdb_path, "spark_warehouse": spark_dir / "warehouse"}


def _clean(value: object) -> object:
    """One form per value: NaN is NULL, decimals are floats, timestamps are naive UTC."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _sort_key(row: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(
        (value is None, round(value, 6) if isinstance(value, float) else str(value))
        for value in row
    )


def _table(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    rows = connection.execute(sql).fetchall()
    columns = [column[0] for column in connection.description]
    cleaned = [tuple(_clean(value) for value in row) for row in rows]
    return columns, sorted(cleaned, key=_sort_key)


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=REL_TOL, abs_tol=REL_TOL)
    return left == right


def _as_declared(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str, files: Path
) -> str:
    """Select Spark's parquet rows cast to the types of DuckDB's table, as the types hook does."""
    types = connection.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    casts = []
    for name, data_type in types:
        value = f'"{name}"'
        if data_type.startswith("DECIMAL"):
            value = f"cast({value} as decimal(38, 10))"
        casts.append(f'cast({value} as {data_type}) as "{name}"')
    return f"select {', '.join(casts)} from read_parquet('{files}')"


@pytest.mark.parametrize("schema, table", [("ml", name) for name in ML_TABLES])
def test_spark_rows_equal_duckdb(both_engines: dict[str, Path], schema: str, table: str) -> None:
    files = both_engines["spark_warehouse"] / f"{schema}.db" / table / "*.parquet"
    with duckdb.connect(str(both_engines["duckdb"]), read_only=True) as connection:
        duck_columns, duck_rows = _table(connection, f"select * from {schema}.{table}")
        spark_columns, spark_rows = _table(
            connection, _as_declared(connection, schema, table, files)
        )
    parquet = duckdb.sql(f"select * from read_parquet('{files}') limit 0").columns
    assert spark_columns == duck_columns == parquet
    assert duck_rows, f"{table} is empty on DuckDB: nothing was compared"
    assert len(spark_rows) == len(duck_rows)
    differing = [
        (duck, spark)
        for duck, spark in zip(duck_rows, spark_rows, strict=True)
        if not all(_same(left, right) for left, right in zip(duck, spark, strict=True))
    ]
    assert not differing, f"{len(differing)} rows differ, e.g. {differing[:2]}"
