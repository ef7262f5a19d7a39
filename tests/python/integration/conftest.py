"""Shared fixtures of the integration tests.

`built_warehouse` loads the full Online Retail II file into a temporary DuckDB
file and a fresh PostgreSQL database and runs `dbt build` on both, once per
test session, so every module that checks the built marts shares one build.
Needs ONLINE_RETAIL_SOURCE (the shared file) and a PostgreSQL server from the
PG* variables (`eval "$(scripts/postgres_start.sh)"`); tests using it are
skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg2
import pytest
from warehouse_helpers import BIN, REPO, pg_params, run_command


def _source() -> str:
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    if not source or not Path(source).is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    return source


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Load and `dbt build` both targets once for the session.

    Yields {"duck": read-only DuckDB connection, "pg": psycopg2 connection,
    "outputs": {"duckdb", "postgres", "summary_duckdb", "summary_postgres":
    command output}, "duckdb_path": the DuckDB file, "env": the environment the
    build ran with}.
    """
    source = _source()
    if not os.environ.get("PGHOST"):
        pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
    try:
        psycopg2.connect(**pg_params("postgres")).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")

    work = tmp_path_factory.mktemp("warehouse")
    pg_database = f"rw_it_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(**pg_params("postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"create database {pg_database}")

    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        PGDATABASE=pg_database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        ONLINE_RETAIL_SOURCE=source,
        RW_SCHEMA_PREFIX="",
    )
    outputs: dict[str, str] = {}
    for target in ("duckdb", "postgres"):
        run_command([str(BIN / "retail-warehouse"), "load", "--target", target], env)
        result = run_command(
            [
                str(BIN / "dbt"),
                "build",
                "--target",
                target,
                "--target-path",
                str(work / f"target_{target}"),
                "--log-path",
                str(work / f"logs_{target}"),
            ],
            env,
        )
        outputs[target] = result.stdout
        summary = run_command([str(BIN / "retail-warehouse"), "summary", "--target", target], env)
        outputs[f"summary_{target}"] = summary.stdout

    duck = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    pg = psycopg2.connect(**pg_params(pg_database))
    try:
        yield {
            "duck": duck,
            "pg": pg,
            "outputs": outputs,
            "duckdb_path": work / "warehouse.duckdb",
            "env": env,
        }
    finally:
        duck.close()
        pg.close()
        admin.cursor().execute(f"drop database if exists {pg_database} with (force)")
        admin.close()
        shutil.rmtree(work, ignore_errors=True)
