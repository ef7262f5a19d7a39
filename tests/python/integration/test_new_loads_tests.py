"""In a published build the row tests of the line-level relations read only new loads.

`retail-warehouse build` gives dbt the environment variable RW_TESTED_THROUGH_LOAD_ID, the
newest load of the published fct_invoice_lines (build.new_loads_test_env), '' before anything
is published; it is the default of the var tested_through_load_id, and the row tests of the
line-level relations carry dbt's `where` config, which reads only the later loads when either
is set. An environment variable, not `--vars`: dbt parses again only the YAML files that read
it, where a var that changed with every load cost a full parse.

TPC-H SF 0.01 on DuckDB in two slices (orders before 1998-07-01, then the rest). After the
first build and the second load, a line of the FIRST load in int_order_lines_classified (an
incremental table: old loads stay as they are) is given another line's order_line_id, a
duplicate in a load the published warehouse already passed. A build given the variable as
`retail-warehouse build` gives it tests only the loads after it, passes, and parses partially;
the same test on every row (the var null on the command line, which a user may still pass and
which wins over the variable) finds the duplicate, so the scope, not the data, is what the
first build shows. Built with `dbt build` on the sales core (what the rule touches) to keep the
test short; that `retail-warehouse build` sets the variable, on both targets,
test_published_build.py checks. Which tests carry the filter: the manifest of that build
(check_row_tests_read_after).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from itertools import chain
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warehouse_helpers import BIN, REPO, run_command

from retail_warehouse.build import TESTED_THROUGH_ENV, newest_published_load

pytestmark = [pytest.mark.integration]

CUT = dt.date(1998, 7, 1)
CORE = [
    *("--select", "+fct_invoice_lines", "--indirect-selection", "cautious"),
    *("--exclude-resource-type", "unit_test"),
]
CLASSIFIED = "intermediate.int_order_lines_classified"
DUPLICATE = "unique_int_order_lines_classified_order_line_id"

LINE_LEVEL_MODELS = {
    "stg_online_retail__invoice_lines",
    "int_invoice_lines_cleaned",
    "int_invoice_lines_classified",
    "stg_tpch__order_lines",
    "int_order_lines_classified",
    "int_source_lines_classified",
    "int_sales_lines_standardized",
    "fct_invoice_lines",
}
"""The relations whose row tests read only new loads (docs/operations.md)."""
ROW_TESTS = {
    "unique",
    "not_null",
    "accepted_values",
    "relationships",
    "accepted_range",
    "expression_is_true",
    "unique_combination_of_columns",
}
"""Tests of each row on its own: a row that passed once passes again."""
NARROWED_ELSEWHERE = {
    "int_return_lines_matched",  # its joins to fct_invoice_lines, as the fact's own tests
    "mart_kpi_anomalies",  # the KPI alert: the anomalies of the new loads (docs/alerts.md)
}
"""Models outside the line-level relations with a test that reads only the new loads."""


def newest_load(path: str) -> int | None:
    """What `retail-warehouse build` sets the variable to, from the published file."""
    with duckdb.connect(path, read_only=True) as connection:

        def query(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            return [], connection.execute(sql).fetchall()

        return newest_published_load(query, "")


def check_row_tests_read_after(manifest_path: Path, through: int | None) -> None:
    """Every row test of the line-level relations reads only the loads after ``through``
    (every row, ``true``, when it is ``None``);
    their set-level tests and every test of another model read every row. The manifest holds
    the tests of the other source's models too (disabled, their config rendered), some
    under ``disabled``."""
    manifest = json.loads(manifest_path.read_text())
    nodes = [*manifest["nodes"].values(), *chain.from_iterable(manifest["disabled"].values())]
    narrowed: dict[str, str] = {}
    tested_models = set()
    for node in nodes:
        if node["resource_type"] != "test":
            continue
        model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        where = str(node["config"].get("where") or "")
        kind = (node.get("test_metadata") or {}).get("name")
        if model in LINE_LEVEL_MODELS and kind in ROW_TESTS:
            tested_models.add(model)
            # alone, or after the test's own condition (which may not widen it with `or`)
            own, _, narrowing = where.rpartition(" and ")
            expected = "true" if through is None else f"load_id > {through}"
            assert narrowing == expected, (node["name"], where)
            assert " or " not in own, (node["name"], where)
        elif model in NARROWED_ELSEWHERE and "load_id" in where:
            expected = "true" if through is None else f"load_id > {through}"
            assert where == expected, (node["name"], where)
        elif "load_id >" in where:
            narrowed[node["name"]] = where
    assert narrowed == {}, "tests that should read every row"
    assert tested_models == LINE_LEVEL_MODELS


def test_published_build_tests_only_new_loads(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SALES_SOURCE="tpch",
        RW_SCHEMA_PREFIX="",
    )
    env.pop("DBT_FULL_REFRESH", None)
    env[TESTED_THROUGH_ENV] = ""  # as retail-warehouse build sets it before a first publish
    target = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)]
    log = tmp_path / "dbt.log"
    load = [str(BIN / "retail-warehouse"), "load", "--source-system", "tpch"]
    load += ["--scale-factor", "0.01"]
    dbt = [str(BIN / "dbt")]

    run_command([*load, "--orders-before", CUT.isoformat()], env)
    assert newest_load(env["DUCKDB_PATH"]) is None  # nothing published yet: every row tested
    run_command([*dbt, "build", *CORE, *target], env)
    check_row_tests_read_after(tmp_path / "target" / "manifest.json", None)
    run_command([*load, "--orders-from", CUT.isoformat()], env)
    through = newest_load(env["DUCKDB_PATH"])
    with duckdb.connect(env["DUCKDB_PATH"]) as connection:
        (old_load,) = connection.execute("select min(load_id) from raw.tpch_lineitem").fetchone()
        (newest,) = connection.execute("select max(load_id) from raw.tpch_lineitem").fetchone()
        connection.execute(
            f"update {CLASSIFIED} set order_line_id = (select min(order_line_id) from"
            f" {CLASSIFIED}) where order_line_id = (select max(order_line_id) from {CLASSIFIED}"
            " where load_id = ?)",
            [old_load],
        )
    assert through is not None
    assert old_load <= through < newest

    published = {**env, TESTED_THROUGH_ENV: str(through)}
    logged = len(log.read_text())
    run_command([*dbt, "build", *CORE, *target], published)
    parse = log.read_text()[logged:]
    # the YAML files that read the variable, parsed again; not the whole project
    assert "Partial parsing enabled" in parse
    assert "Unable to do partial parsing" not in parse
    compiled = next((tmp_path / "target" / "run").rglob(f"{DUPLICATE}.sql")).read_text()
    assert f"load_id > {through}" in compiled
    check_row_tests_read_after(tmp_path / "target" / "manifest.json", through)

    every_row = [*dbt, "test", "--select", "int_order_lines_classified", *target]
    every_row += ["--vars", "{tested_through_load_id: null}"]
    full = run_command(every_row, published, ok=(1,)).stdout
    assert f"FAIL 1 {DUPLICATE}" in full
