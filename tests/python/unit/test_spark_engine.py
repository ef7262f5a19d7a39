"""Which statements the Spark loader engine treats as writes to a raw table, and where it
keeps its state (engines/spark.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail_warehouse.engines.spark import LOADER_FILE, SparkWarehouse, written_table


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("insert into raw.invoice_lines (a) select 1", ("raw", "invoice_lines")),
        ("delete from tpch_raw.tpch_orders", ("tpch_raw", "tpch_orders")),
        ("update raw.load_log set status = ?", ("raw", "load_log")),
        ("create table if not exists raw.load_log (\n    a integer\n)", ("raw", "load_log")),
        ("alter table raw.load_log add column if not exists b bigint", ("raw", "load_log")),
        ("  INSERT INTO Raw.Invoice_Lines values (1)", ("raw", "invoice_lines")),
        ("select * from raw.load_log", None),
        ("create temp table rw_stage_rejects (row_number bigint)", None),
        ("insert into rw_stage_rejects values (?)", None),
        ("drop table if exists temp.main.rw_stage_invoice_lines", None),
        ("create or replace temp table temp.main.x as select 1", None),
        ("create schema if not exists raw", None),
    ],
)
def test_written_table(sql: str, table: tuple[str, str] | None) -> None:
    assert written_table(sql) == table


def test_the_first_load_makes_spark_state_folder(tmp_path: Path) -> None:
    """RW_SPARK_DIR (default data/spark) does not exist before the first Spark load, which
    makes it: the check that a DuckDB warehouse's folder exists (DUCKDB_PATH) is not Spark's
    (it stopped every Spark load on a fresh clone)."""
    spark_dir = tmp_path / "state" / "spark"
    warehouse = SparkWarehouse(spark_dir)
    try:
        warehouse.execute("create schema if not exists raw")
    finally:
        warehouse.close()
    assert (spark_dir / LOADER_FILE).is_file()
