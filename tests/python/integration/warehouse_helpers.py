"""Helpers shared by the integration tests: queries on either engine, a throwaway PostgreSQL
database, a process that holds a DuckDB file, and running the command line."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import psycopg2
import pytest

from retail_warehouse.engines import throwaway_database
from retail_warehouse.settings import from_env

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
TARGETS = ("duckdb", "postgres")

T = TypeVar("T")


def both_targets(work: Callable[[str], T], targets: Sequence[str] = TARGETS) -> list[T]:
    """``work(target)`` for each target at the same time, one thread each (the work is
    mostly child processes: dbt, the loader, the database server); the results in the
    order of ``targets``. A failure in either is raised here, after both have ended, so
    neither is left running into the next test."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(targets)) as pool:
        futures = [pool.submit(work, target) for target in targets]
    return [future.result() for future in futures]


def pg_params(dbname: str) -> dict[str, Any]:
    """psycopg2 connection settings from the PG* variables (the package's own reading of
    them), for one database."""
    return dataclasses.replace(from_env().postgres, dbname=dbname).connect_kwargs()


def query_columns(
    connection: object, sql: str, params: Sequence[object] = ()
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a query on a DuckDB or psycopg2 connection (placeholders in
    the engine's own style)."""
    if isinstance(connection, duckdb.DuckDBPyConnection):
        result = connection.execute(sql, list(params))
        return [column[0] for column in result.description], result.fetchall()
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(sql, tuple(params))
        return [column[0] for column in cursor.description], cursor.fetchall()


def query_rows(
    connection: object, sql: str, params: Sequence[object] = ()
) -> list[tuple[Any, ...]]:
    """The rows of a query on a DuckDB or psycopg2 connection."""
    return query_columns(connection, sql, params)[1]


@contextlib.contextmanager
def throwaway_pg_database(prefix: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL of the PG* variables, dropped afterwards; skips the
    test when no server is configured or reachable."""
    if not os.environ.get("PGHOST"):
        pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
    try:
        psycopg2.connect(**pg_params("postgres")).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    with throwaway_database(from_env().postgres, prefix) as name:
        yield name


@contextlib.contextmanager
def hold_duckdb(path: Path) -> Iterator[None]:
    """Another process that opens the DuckDB file for writing and keeps it open until the
    block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def run_command(
    args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository; fail the test with its output if it exits badly."""
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in ok:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        )
    return result


Query = Callable[[str], list[tuple[Any, ...]]]

LINEAGE = frozenset({"invoice_line_id", "load_id", "source_row_number", "last_load_id"})
"""Columns that say which load a row came from; equal marts may differ only there."""


def table_names(query: Query, schema: str = "marts") -> list[str]:
    """The tables and views of a schema, by name."""
    rows = query(
        "select table_name from information_schema.tables "
        f"where table_schema = '{schema}' order by table_name"
    )
    return [str(row[0]) for row in rows]


def table_checksum(
    query: Query, table: str, skip_lineage: bool = False, schema: str = "marts"
) -> tuple[int, str]:
    """Row count and an order-independent md5 of the rows' text (the same engine compares
    with itself, so its own text forms of numbers and dates are fine)."""
    rows = query(
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
    )
    columns = [str(row[0]) for row in rows if not (skip_lineage and row[0] in LINEAGE)]
    row_text = " || '|' || ".join(f"coalesce(cast({c} as varchar), '~')" for c in columns)
    sql = (
        f"select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text), '')) "
        f"from (select {row_text} as row_text from {schema}.{table}) as rows_as_text"
    )
    count, digest = query(sql)[0]
    return int(count), str(digest)


def schema_checksums(
    query: Query, skip_lineage: bool = False, schema: str = "marts"
) -> dict[str, tuple[int, str]]:
    """``table_checksum`` of every table of a schema."""
    return {
        table: table_checksum(query, table, skip_lineage, schema)
        for table in table_names(query, schema)
    }
