"""Building one input on Spark and on DuckDB and comparing every table: the helpers of
test_spark_cluster.py (TPC-H over Spark Connect) and test_spark_build.py (a sample of Online
Retail II on a local session), one Spark build per source, two modules so that the two Spark
builds can run on the two workers at once.

For each source (TPC-H at scale factor 0.01; a sample of the invoices of Online Retail II over
the whole two years, so the ML models have their history), the same files are loaded into a
DuckDB file and a Spark folder (retail-warehouse load --target spark: parquet). Spark runs one
`dbt build` of the whole project: every seed, SQL model, data test and unit test, and the
Python (ML) models through the in-repo adapter `sparkpy` (docs/spark.md), so a failing node
fails the test. DuckDB, whose tests run elsewhere in the suite, builds the models and seeds
only, at the same time (the two share no file).

After dbt exits, the Spark tables are parquet files under RW_SPARK_DIR/warehouse, read here with
DuckDB (no second JVM start), cast to the column types of DuckDB's table (the ML tables' types
are declared by an on-run-end hook on DuckDB and PostgreSQL only). Spark must have written
exactly the tables DuckDB has (views excepted), each with the same columns and rows: row by
row up to SMALL_TABLE rows (floats to 1e-9 relative, so the registry's skops artifacts, base64
text, byte for byte), else the row count and the total of every numeric column (exact for
decimals and integers, so money to the cent). One Spark session start per source.

Each module's fixture loads its input and calls ``build_both``; its test calls ``ran_whole``
and ``compare``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warehouse_helpers import BIN, REPO, both_targets, run_command

SMALL_TABLE = 5_000
"""Tables up to this many rows are compared row by row; larger ones by column totals."""

REL_TOL = 1e-9
"""Floats may differ in their last bits between engines (summation order)."""

CLOCK_COLUMNS = frozenset(
    {"loaded_at", "previous_loaded_at", "started_at", "finished_at", "run_started_at", "trained_at"}
)
"""Columns holding when a load, build or training ran: two runs of the same input differ only
there."""

BUILD_VARS = (
    "{ml_training_windows: 2, ml_permutation_repeats: 2, ml_forecast_top_countries: 2,"
    " product_affinity_min_support: 0, product_affinity_min_pair_order_count: 2,"
    " product_attach_top_n: 2}"
)
"""Fewer training windows, shuffles and series than the defaults: the same code paths in less
time. Product pairs in two orders are kept: at the default thresholds the small inputs have
none (TPC-H's parts are in at most 51 of 15,000 orders), and with two products listed per
product mart_product_attach_rates stays small enough to compare row by row, ties and all.
Both engines get the same values."""

RAW_SCHEMA = "raw"
"""The loader's schema, where the seeds go too: on Spark the loader's tables are external tables
over the lake, outside the warehouse folder, so only the seeds are compared there."""

SEEDS = frozenset(path.stem for path in (REPO / "seeds").rglob("*.csv"))


def spark_available() -> None:
    """Skip the test unless pyspark, dbt-spark and Java are installed."""
    pytest.importorskip("pyspark")
    pytest.importorskip("dbt.adapters.spark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (the Spark target needs Java 17)")


def build_both(
    work: Path,
    source_system: str,
    load_args: list[str],
    spark_target: str = "spark",
    spark_env: dict[str, str] | None = None,
    spark_exclude: Sequence[str] = (),
) -> dict[str, Any]:
    """Load the same input on DuckDB and Spark (one after the other: a TPC-H load may
    generate the files), then build both at once, Spark with the profile's output
    ``spark_target`` (``spark_cluster``: a cluster started on ``work / "spark"``, reached
    with ``spark_env``) leaving out the nodes ``spark_exclude`` selects (dbt's
    ``--exclude``); returns the paths and dbt's output."""
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        RW_SPARK_DIR=str(work / "spark"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
        RW_SALES_SOURCE=source_system,
        **(spark_env or {}),
    )
    for target in ("duckdb", "spark"):
        run_command([str(BIN / "retail-warehouse"), "load", "--target", target, *load_args], env)
    only_tables = {
        "duckdb": ["--resource-type", "model", "--resource-type", "seed"],
        spark_target: ["--exclude", *spark_exclude] if spark_exclude else [],
    }

    def build(target: str) -> str:
        folders = ["--target-path", str(work / f"target_{target}")]
        folders += ["--log-path", str(work / f"logs_{target}")]
        command = [str(BIN / "dbt"), "build", "--target", target, "--vars", BUILD_VARS]
        return run_command([*command, *only_tables[target], *folders], env).stdout

    duckdb_output, spark_output = both_targets(build, ("duckdb", spark_target))
    return {
        "duckdb": work / "warehouse.duckdb",
        "spark": work / "spark",
        "outputs": {"duckdb": duckdb_output, "spark": spark_output},
    }


def spark_tables(spark_dir: Path) -> dict[str, Path]:
    """Every table dbt wrote on Spark (schema.table -> its folder); views have no folder."""
    found: dict[str, Path] = {}
    for schema_dir in sorted((spark_dir / "warehouse").glob("*.db")):
        for table_dir in sorted(path for path in schema_dir.iterdir() if path.is_dir()):
            found[f"{schema_dir.name[:-3]}.{table_dir.name}"] = table_dir
    return found


def duckdb_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """Every table of the attached DuckDB build (schema.table) but the loader's."""
    rows = connection.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = 'duck' and table_type = 'BASE TABLE'"
    ).fetchall()
    return {f"{schema}.{table}" for schema, table in rows if schema != RAW_SCHEMA or table in SEEDS}


def _declared(connection: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """DuckDB's columns of a table (name, type), in order, without CLOCK_COLUMNS."""
    schema, table = name.split(".")
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = 'duck' and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [(column, kind) for column, kind in rows if column not in CLOCK_COLUMNS]


def _as_declared(columns: list[tuple[str, str]], relation: str) -> str:
    """Select the columns from a relation cast to DuckDB's types (decimals through a wide
    decimal, so a double is rounded once, half away from zero, as the types hook does)."""
    casts = []
    for name, kind in columns:
        value = f'"{name}"'
        if kind.startswith("DECIMAL"):
            value = f"cast({value} as decimal(38, 10))"
        casts.append(f'cast({value} as {kind}) as "{name}"')
    return f"select {', '.join(casts)} from {relation}"


def _clean(value: Any) -> Any:
    """One form per value: NaN is NULL, decimals are floats, timestamps are naive UTC."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        (value is None, round(value, 6) if isinstance(value, float) else str(value))
        for value in row
    )


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    rows = connection.execute(sql).fetchall()
    return sorted((tuple(_clean(value) for value in row) for row in rows), key=_sort_key)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=REL_TOL, abs_tol=REL_TOL)
    return bool(left == right)


def _totals(
    connection: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]], sql: str
) -> list[Any]:
    """Row count and, per numeric column, its total: decimals and integers summed exactly,
    floats as doubles."""
    sums = []
    for name, kind in columns:
        if kind.startswith("DECIMAL") or kind in {"INTEGER", "BIGINT", "HUGEINT", "SMALLINT"}:
            sums.append(f'sum(cast("{name}" as decimal(38, 6)))')
        elif kind in {"DOUBLE", "FLOAT"}:
            sums.append(f'sum("{name}")')
    row = connection.execute(f"select count(*), {', '.join(sums) or '0'} from ({sql})").fetchone()
    assert row is not None
    return [_clean(value) for value in row]


def _difference(connection: duckdb.DuckDBPyConnection, name: str, folder: Path) -> str | None:
    """How the Spark table differs from DuckDB's, or None when they are equal."""
    columns = _declared(connection, name)
    duck = _as_declared(columns, f"duck.{name}")
    files = sorted(str(path) for path in folder.rglob("*.parquet"))
    if not files:
        count = connection.execute(f"select count(*) from duck.{name}").fetchone()
        return f"{name}: no rows on Spark, {count} on DuckDB" if count and count[0] else None
    parquet = f"read_parquet({files!r})"
    spark_columns = connection.execute(f"describe select * from {parquet}").fetchall()
    spark_names = sorted(str(row[0]) for row in spark_columns if row[0] not in CLOCK_COLUMNS)
    if spark_names != sorted(column for column, _ in columns):
        return f"{name}: columns differ: spark {spark_names}, duckdb {sorted(dict(columns))}"
    spark = _as_declared(columns, parquet)
    count = connection.execute(f"select count(*) from duck.{name}").fetchone()
    if count is not None and count[0] > SMALL_TABLE:
        ours, theirs = _totals(connection, columns, spark), _totals(connection, columns, duck)
        if len(ours) != len(theirs) or not all(map(_same, ours, theirs)):
            return f"{name}: totals differ: spark {ours}, duckdb {theirs}"
        return None
    duck_rows, spark_rows = _rows(connection, duck), _rows(connection, spark)
    if len(spark_rows) != len(duck_rows):
        return f"{name}: {len(spark_rows)} rows on Spark, {len(duck_rows)} on DuckDB"
    differing = [
        (theirs, ours)
        for theirs, ours in zip(duck_rows, spark_rows, strict=True)
        if not all(map(_same, theirs, ours))
    ]
    if differing:
        return f"{name}: {len(differing)} rows differ, e.g. (duckdb, spark) {differing[:2]}"
    return None


def compare(builds: dict[str, Any]) -> list[str]:
    """Every difference between the Spark build and the DuckDB build, one line each."""
    tables = spark_tables(builds["spark"])
    problems: list[str] = []
    with duckdb.connect() as connection:
        connection.execute(f"attach '{builds['duckdb']}' as duck (read_only)")
        expected = duckdb_tables(connection)
        if missing := sorted(expected - set(tables)):
            problems.append(f"tables not built on Spark: {missing}")
        if extra := sorted(set(tables) - expected):
            problems.append(f"tables built on Spark only: {extra}")
        for name in sorted(expected & set(tables)):
            if (problem := _difference(connection, name, tables[name])) is not None:
                problems.append(problem)
    return problems


def ran_whole(builds: dict[str, Any]) -> None:
    """dbt exited 0 (run_command checks it) and skipped nothing, the ML models included."""
    output = builds["outputs"]["spark"]
    assert "SKIP=0" in output, output[-3000:]
    assert "ml_model_registry" in output and "mart_customer_360" in output
