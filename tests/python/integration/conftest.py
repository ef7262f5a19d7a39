"""Shared fixtures of the integration tests.

`built_warehouse` loads the full Online Retail II file into a temporary DuckDB
file and a fresh PostgreSQL database and runs `dbt build` on both, once per
test session, so every module that checks the built marts shares one build.
The two targets are built side by side (`both_targets`): they share nothing,
and neither keeps both cores busy on its own.
Needs ONLINE_RETAIL_SOURCE (the shared file) and a PostgreSQL server from the
PG* variables (`eval "$(scripts/postgres_start.sh)"`); tests using it are
skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg2
import pytest
from warehouse_helpers import (
    BIN,
    REPO,
    both_targets,
    pg_params,
    run_command,
    throwaway_pg_database,
)


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
    with throwaway_pg_database("rw_it") as pg_database:
        yield from _build_both(source, pg_database, tmp_path_factory.mktemp("warehouse"))


def _build_both(source: str, pg_database: str, work: Path) -> Iterator[dict[str, object]]:
    """The body of ``built_warehouse``, inside its throwaway database."""
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        PGDATABASE=pg_database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        ONLINE_RETAIL_SOURCE=source,
        RW_SCHEMA_PREFIX="",
    )
    outputs: dict[str, str] = {}
    for target_outputs in both_targets(lambda target: _build_one(target, env, work)):
        outputs.update(target_outputs)

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
        shutil.rmtree(work, ignore_errors=True)


def _build_one(target: str, env: dict[str, str], work: Path) -> dict[str, str]:
    """Load, `dbt build` and summary on one target; their outputs by name."""
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
    summary = run_command([str(BIN / "retail-warehouse"), "summary", "--target", target], env)
    return {target: result.stdout, f"summary_{target}": summary.stdout}
