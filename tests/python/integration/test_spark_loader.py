"""The loader's Spark target: the same load through DuckDB (RW_SPARK_DIR/loader.duckdb), with
each committed raw table written as parquet for Spark (engines/spark.py). No JVM is started:
the parquet files are read back with DuckDB.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from raw_files import EXPECTED_RAW, ROWS, write_csv

from retail_warehouse.engines.spark import LAKE_TABLES, lake_path
from retail_warehouse.errors import LoadError
from retail_warehouse.load import load
from retail_warehouse.settings import Settings

pytestmark = pytest.mark.integration


def _parquet(spark_dir: Path, table: str, query: str = "select * from t") -> list[tuple]:
    path = lake_path(spark_dir, "raw", table) / "*.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"create view t as select * from read_parquet('{path}')")
        return connection.execute(query).fetchall()


def _loader(spark_dir: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(spark_dir / "loader.duckdb"), read_only=True) as connection:
        return connection.execute(query).fetchall()


def test_load_writes_the_raw_tables_and_log_as_parquet(tmp_path: Path) -> None:
    spark_dir = tmp_path / "spark"
    settings = Settings(spark_dir=spark_dir)
    result = load(write_csv(tmp_path / "a.csv"), "spark", settings=settings)
    assert (result.status, result.rows_loaded, result.target) == ("succeeded", len(ROWS), "spark")
    raw = _parquet(
        spark_dir,
        "invoice_lines",
        "select invoice, stock_code, description, quantity, invoice_date, price, customer_id, "
        "country from t order by source_row_number",
    )
    assert raw == EXPECTED_RAW
    columns = "load_id, status, rows_loaded, file_sha256"
    assert _parquet(spark_dir, "load_log", f"select {columns} from t") == _loader(
        spark_dir, f"select {columns} from raw.load_log"
    )
    assert _parquet(spark_dir, "quarantine_lines", "select count(*) from t") == [(0,)]
    listed = _parquet(spark_dir, LAKE_TABLES, "select schema_name, table_name from t order by 2")
    assert listed == [("raw", "invoice_lines"), ("raw", "load_log"), ("raw", "quarantine_lines")]
    assert not list(spark_dir.rglob(".*.new"))


def test_failed_load_leaves_the_raw_parquet_as_it_was(tmp_path: Path) -> None:
    spark_dir = tmp_path / "spark"
    settings = Settings(spark_dir=spark_dir)
    load(write_csv(tmp_path / "a.csv"), "spark", settings=settings)
    before = _parquet(spark_dir, "invoice_lines", "select * from t order by source_row_number")
    rows = [list(row) for row in ROWS]
    rows[2][3] = "abc"
    with pytest.raises(LoadError, match="line 4, column Quantity"):
        load(write_csv(tmp_path / "bad.csv", rows), "spark", settings=settings)
    after = _parquet(spark_dir, "invoice_lines", "select * from t order by source_row_number")
    assert after == before
    log = _parquet(spark_dir, "load_log", "select load_id, status from t order by 1")
    assert log == [(1, "succeeded"), (2, "failed")]
    assert not list(spark_dir.rglob(".*.new"))


def test_second_load_appends_and_a_repeat_is_a_no_op(tmp_path: Path) -> None:
    spark_dir = tmp_path / "spark"
    settings = Settings(spark_dir=spark_dir)
    load(write_csv(tmp_path / "a.csv", ROWS[:3]), "spark", settings=settings)
    load(write_csv(tmp_path / "b.csv", ROWS[3:]), "spark", settings=settings)
    again = load(write_csv(tmp_path / "b2.csv", ROWS[3:]), "spark", settings=settings)
    assert again.status == "skipped"
    counts = _parquet(spark_dir, "invoice_lines", "select load_id, count(*) from t group by 1")
    assert sorted(counts) == [(1, 3), (2, len(ROWS) - 3)]
