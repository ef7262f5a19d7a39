"""A build's results are kept: one row per node in monitoring.dbt_run_results, and
mart_data_quality_daily per day and test, on both targets.

Six hand-made lines (raw_files.ROWS, two of them without a customer, so the
share-without-customer monitor warns: 2/6 > 0.30). `retail-warehouse build` builds and
publishes the whole project (docs/publishing.md), too much for six lines; so dbt builds the
staging model and the monitoring models in place, and the function `run_build` calls after
dbt, `monitoring.record_run_results`, stores each run. That `run_build` calls it is tested
with the whole project in test_orchestration.py (the orchestrated build goes through it).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, pg_params, query_warehouse, run_command

from retail_warehouse.monitoring import record_run_results
from retail_warehouse.settings import from_env

pytestmark = pytest.mark.postgres

SELECTION = ["stg_online_retail__invoice_lines", "stg_monitoring__dbt_run_results",
             "mart_data_quality_daily"]  # fmt: skip
MONITOR = "share_of_rows_at_most_stg_online_retail__invoice_lines"


class Scratch:
    """A new warehouse on one target, built with the command line."""

    def __init__(self, target: str, env: dict[str, str], work: Path) -> None:
        self.target = target
        self.env = env
        self.work = work

    def cli(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        command = [str(BIN / "retail-warehouse"), args[0], "--target", self.target, *args[1:]]
        return run_command(command, self.env, ok).stdout

    def build(self, *dbt_args: str) -> None:
        """dbt build of SELECTION in place, then store its run results."""
        target_path = self.work / "target"
        run_command(
            [str(BIN / "dbt"), "build", "--target", self.target, "--target-path",
             str(target_path), "--indirect-selection", "cautious", "--select", *SELECTION,
             *dbt_args],
            self.env,
        )  # fmt: skip
        record_run_results(self.target, from_env(self.env), target_path / "run_results.json")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return query_warehouse(self.target, self.env, sql)


@pytest.fixture(params=["duckdb", "postgres"])
def scratch(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scratch]:
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
    )
    database = None
    if request.param == "postgres":
        if not os.environ.get("PGHOST"):
            pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
        database = f"rw_mon_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(**pg_params("postgres"))
        admin.autocommit = True
        admin.cursor().execute(f"create database {database}")
        env["PGDATABASE"] = database
    try:
        yield Scratch(request.param, env, tmp_path)
    finally:
        if database is not None:
            admin.cursor().execute(f"drop database if exists {database} with (force)")
            admin.close()


def test_each_build_keeps_one_row_per_node_and_the_daily_mart_shows_them(
    scratch: Scratch, tmp_path: Path
) -> None:
    scratch.cli("load", "--source", str(write_csv(tmp_path / "lines.csv")))
    scratch.build()
    scratch.build()

    runs = scratch.query(
        "select run_id, count(*), min(run_started_at), max(dbt_version) "
        "from monitoring.dbt_run_results group by run_id order by 3"
    )
    assert len(runs) == 2, runs
    assert runs[0][1] == runs[1][1] > len(SELECTION)
    rows = scratch.query(
        "select resource_type, node_name, status, failures, rows_affected, execution_seconds, "
        "started_at, invocation_args, target_name from monitoring.dbt_run_results "
        f"where run_id = '{runs[1][0]}' order by unique_id"
    )
    by_name = {row[1]: row for row in rows if row[0] != "unit_test"}
    assert {name for name in SELECTION} <= set(by_name)
    assert by_name["stg_online_retail__invoice_lines"][:3] == (
        "model",
        "stg_online_retail__invoice_lines",
        "success",
    )
    monitor = next(row for name, row in by_name.items() if name.startswith(MONITOR))
    assert monitor[2:4] == ("warn", 1)
    assert all(row[5] >= 0 and row[6] is not None for row in rows)
    assert {row[8] for row in rows} == {scratch.target}
    assert "--select" in json.loads(rows[0][7])["invocation_command"]

    daily = scratch.query(
        "select test_name, day_outcome, last_outcome, run_count, pass_count, warn_count, "
        "fail_count, last_failing_row_count from monitoring.mart_data_quality_daily"
    )
    monitor_days = [row for row in daily if row[0].startswith(MONITOR)]
    assert [row[1:] for row in monitor_days] == [("warn", "warn", 2, 0, 2, 0, 1)]
    not_null = [row for row in daily if row[0].startswith("not_null_stg_online_retail")]
    assert not_null and all(row[1:7] == ("pass", "pass", 2, 2, 0, 0) for row in not_null)
