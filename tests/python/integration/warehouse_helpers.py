"""Helpers shared by the integration tests: queries on either engine, a throwaway PostgreSQL
database, a process that holds a DuckDB file, and running the command line."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

from retail_warehouse.engines import throwaway_database
from retail_warehouse.settings import from_env

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


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
