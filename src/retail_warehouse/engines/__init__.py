"""The warehouse engines: connect, raw tables, transactions and lock checks.

Everything that talks to a warehouse (the loader, ``summary``, ``report``, ``build``) gets its
connection from ``open_warehouse`` and uses the ``Warehouse`` interface; engine differences
(placeholders, regular expressions, bulk reading, locking) stay in ``duckdb.py`` and
``postgres.py``; ``spark.py`` loads through DuckDB and writes the raw tables as parquet.
"""

from __future__ import annotations

from retail_warehouse.engines.base import (
    LOAD_COLUMNS,
    LOAD_LOG,
    REJECTS_TABLE,
    STAGE_TABLE,
    RawTable,
    Warehouse,
    quarantine_columns,
    text_columns,
)
from retail_warehouse.engines.duckdb import DuckDBWarehouse, check_duckdb_free
from retail_warehouse.engines.postgres import PostgresWarehouse, throwaway_database
from retail_warehouse.engines.spark import SparkWarehouse
from retail_warehouse.errors import LoadError
from retail_warehouse.settings import TARGETS, Settings

__all__ = [
    "LOAD_COLUMNS",
    "LOAD_LOG",
    "REJECTS_TABLE",
    "STAGE_TABLE",
    "DuckDBWarehouse",
    "PostgresWarehouse",
    "RawTable",
    "SparkWarehouse",
    "Warehouse",
    "check_duckdb_free",
    "open_warehouse",
    "quarantine_columns",
    "text_columns",
    "throwaway_database",
]


def open_warehouse(target: str, settings: Settings, read_only: bool = False) -> Warehouse:
    """Connect to the warehouse of ``target`` ('duckdb', 'postgres' or 'spark': the loader's
    side of Spark, see ``engines.spark``)."""
    if target == "duckdb":
        # The memory bound is for writers (the loader); readers (report, summary, API) keep
        # DuckDB's default configuration, because a process cannot open one file twice with
        # two configurations and a reader may share its process with another reader.
        memory_limit = None if read_only else settings.duckdb_memory_limit
        return DuckDBWarehouse(settings.duckdb_path, read_only=read_only, memory_limit=memory_limit)
    if target == "postgres":
        return PostgresWarehouse(settings.postgres)
    if target == "spark":
        return SparkWarehouse(settings.spark_dir, read_only=read_only)
    raise LoadError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
