"""In a published build the row tests of the line-level relations read only new loads.

TPC-H SF 0.01 on DuckDB in two slices (orders before 1998-07-01, then the rest). After the
first build and the second load, a line of the FIRST load in int_order_lines_classified (an
incremental table: old loads stay as they are) is given another line's order_line_id, a
duplicate in a load the published warehouse already passed. A build marked as published
(RW_TEST_NEW_LOADS_ONLY=1, as `retail-warehouse build` sets) records the published newest
load, tests only the loads after it, and passes; the same test on every row (plain dbt)
finds the duplicate, so the scope, not the data, is what the first build shows. Built with
`dbt build` on the sales core (what the rule touches) to keep the test short; that
`retail-warehouse build` sets the variable, on both targets, test_published_build.py checks.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest
from warehouse_helpers import BIN, REPO, run_command

pytestmark = [pytest.mark.integration]

CUT = dt.date(1998, 7, 1)
CORE = (
    *("--select", "+fct_invoice_lines", "--indirect-selection", "cautious"),
    *("--exclude-resource-type", "unit_test"),
)
CLASSIFIED = "intermediate.int_order_lines_classified"
DUPLICATE = "unique_int_order_lines_classified_order_line_id"


def test_published_build_tests_only_new_loads(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SALES_SOURCE="tpch",
        RW_SCHEMA_PREFIX="",
    )
    published = {**env, "RW_TEST_NEW_LOADS_ONLY": "1"}
    target = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)]
    load = [str(BIN / "retail-warehouse"), "load", "--source-system", "tpch"]
    load += ["--scale-factor", "0.01"]
    dbt = [str(BIN / "dbt")]

    run_command([*load, "--orders-before", CUT.isoformat()], env)
    first = run_command([*dbt, "build", *CORE, *target], published).stdout
    assert "read the loads after" not in first  # nothing published yet: every row tested
    run_command([*load, "--orders-from", CUT.isoformat()], env)
    with duckdb.connect(env["DUCKDB_PATH"]) as connection:
        (old_load,) = connection.execute("select min(load_id) from raw.tpch_lineitem").fetchone()
        connection.execute(
            f"update {CLASSIFIED} set order_line_id = (select min(order_line_id) from"
            f" {CLASSIFIED}) where order_line_id = (select max(order_line_id) from {CLASSIFIED}"
            " where load_id = ?)",
            [old_load],
        )

    second = run_command([*dbt, "build", *CORE, *target], published).stdout
    assert "read the loads after" in second
    with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
        (recorded,) = connection.execute(
            "select last_tested_load_id from intermediate.build_tested_loads"
        ).fetchone()
        (newest,) = connection.execute("select max(load_id) from raw.tpch_lineitem").fetchone()
    assert old_load <= recorded < newest
    compiled = next((tmp_path / "target" / "run").rglob(f"{DUPLICATE}.sql")).read_text()
    assert "build_tested_loads" in compiled

    every_row = [*dbt, "test", "--select", "int_order_lines_classified", *target]
    full = run_command(every_row, env, ok=(1,)).stdout
    assert f"FAIL 1 {DUPLICATE}" in full
