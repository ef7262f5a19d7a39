"""Apache Spark: the raw tables as parquet files that Spark reads as external tables.

The loader does not start Spark (a JVM costs about 25 s to start and a cluster may be far
away). A Spark warehouse, for the loader, is a folder (``RW_SPARK_DIR``): the loader reads,
checks and inserts exactly as on DuckDB (the same stage, the same rules, the same load log and
transactions) into ``loader.duckdb`` in that folder, and every commit writes the raw tables it
changed as parquet, ``lake/<schema>/<table>/data.parquet``, with a list of the tables in
``lake/<schema>/rw_lake_tables/``. At the start of every dbt run on Spark the
``register_lake_tables`` hook (macros/spark/) reads that list and declares each table in the
Spark metastore over its folder, so ``source()`` finds it (docs/spark.md).

A commit writes the new files beside the old ones first, then commits DuckDB, then moves them
into place: a failed load leaves the parquet as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retail_warehouse.engines.duckdb import DuckDBWarehouse

LOADER_FILE = "loader.duckdb"
"""The loader's own DuckDB file in the Spark folder: the raw tables and the load log."""

LAKE_DIR = "lake"
"""The folder, in the Spark folder, of the raw tables as parquet."""

LAKE_TABLES = "rw_lake_tables"
"""The table (one per schema) listing the schema's parquet tables, for dbt to declare."""

DATA_FILE = "data.parquet"
"""The one file of a raw table's folder (rewritten whole by each load)."""

_WRITE = re.compile(
    r"^\s*(?:insert\s+into|delete\s+from|update|alter\s+table"
    r"|create\s+table(?:\s+if\s+not\s+exists)?)\s+([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b",
    re.IGNORECASE,
)
"""A statement that changes a schema-qualified table (temporary tables are not qualified)."""


def written_table(sql: str) -> tuple[str, str] | None:
    """The ``(schema, table)`` a statement writes to, or ``None`` (a read, or a temporary
    table)."""
    found = _WRITE.match(sql)
    if found is None or found.group(1).lower() == "temp":
        return None
    return found.group(1).lower(), found.group(2).lower()


def lake_path(spark_dir: Path, schema: str, table: str) -> Path:
    """The folder of one raw table's parquet file."""
    return spark_dir / LAKE_DIR / schema / table


class SparkWarehouse(DuckDBWarehouse):
    """The loader's side of a Spark warehouse: DuckDB in ``RW_SPARK_DIR``, and parquet for
    Spark."""

    target = "spark"

    def __init__(self, spark_dir: Path, read_only: bool = False) -> None:
        self.spark_dir = spark_dir.resolve()
        if not read_only:
            # RW_SPARK_DIR is Spark's state folder (default data/spark), made on first use
            # as the profile's metastore and tables are; the rule that a warehouse's folder
            # must exist is DUCKDB_PATH's, against typos in a path the user names
            self.spark_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(self.spark_dir / LOADER_FILE, read_only=read_only)
        self._changed: set[tuple[str, str]] = set()
        self._in_transaction = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement and note the table it changes; outside a transaction the table
        is written out at once."""
        super().execute(sql, params)
        table = written_table(sql)
        if table is None:
            return
        self._changed.add(table)
        if not self._in_transaction:
            self._write_changed()

    def begin(self) -> None:
        """Start a transaction."""
        super().begin()
        self._in_transaction = True

    def commit(self) -> None:
        """Write the changed tables' parquet files, commit, then move the files into place."""
        staged = self._stage_parquet() if self._in_transaction else []
        super().commit()
        self._in_transaction = False
        self._move_into_place(staged)

    def rollback(self) -> None:
        """Roll back and forget the changes."""
        super().rollback()
        self._in_transaction = False
        self._changed.clear()

    def _write_changed(self) -> None:
        self._move_into_place(self._stage_parquet())

    def _stage_parquet(self) -> list[tuple[Path, Path]]:
        """Write every changed table (and its schema's table list) to a hidden file beside
        its final place; returns (written, final) pairs."""
        schemas = {schema for schema, _ in self._changed}
        staged: list[tuple[Path, Path]] = []
        for schema, table in sorted(self._changed):
            staged.append(self._copy_to_parquet(f"select * from {schema}.{table}", schema, table))
        for schema in sorted(schemas):
            listing = (
                "select table_schema as schema_name, table_name from information_schema.tables "
                f"where table_schema = '{schema}' and table_type = 'BASE TABLE' order by 2"
            )
            staged.append(self._copy_to_parquet(listing, schema, LAKE_TABLES))
        self._changed.clear()
        return staged

    def _copy_to_parquet(self, query: str, schema: str, table: str) -> tuple[Path, Path]:
        folder = lake_path(self.spark_dir, schema, table)
        folder.mkdir(parents=True, exist_ok=True)
        hidden = folder / f".{DATA_FILE}.new"  # Spark and DuckDB globs skip dot files
        self.connection.execute(f"copy ({query}) to '{hidden}' (format parquet)")
        return hidden, folder / DATA_FILE

    @staticmethod
    def _move_into_place(staged: Sequence[tuple[Path, Path]]) -> None:
        for written, final in staged:
            os.replace(written, final)

    def drop_stage(self) -> None:
        """Drop the temporary stage; files of a load that did not commit are removed."""
        super().drop_stage()
        for leftover in (self.spark_dir / LAKE_DIR).glob(f"*/*/.{DATA_FILE}.new"):
            with contextlib.suppress(OSError):
                leftover.unlink()
