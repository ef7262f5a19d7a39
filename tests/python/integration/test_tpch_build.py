"""TPC-H as the second source, end to end on both targets at scale factor 0.01.

`retail-warehouse load --source-system tpch --scale-factor 0.01` generates the tables with
tpchgen-cli (into data/tpch/, once) and loads them; `dbt build` with sales_source tpch builds
the sales core, the facts, the marts that need costs, employees or suppliers, the revenue
bridge and the returns marts with their tests (reconciliation to the facts and to the monthly
marts, comparisons with queries on the raw tables, tests/dbt/singular/assert_tpch_* and
assert_returns_marts_reconcile). The new marts must then be equal row by row on DuckDB and
PostgreSQL. Only the new marts and what they need are built, to keep the test to a couple of
minutes.
"""

from __future__ import annotations

import decimal
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg2
import pytest
from warehouse_helpers import BIN, REPO, pg_params, run_command

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

NEW_MARTS = (
    "mart_product_profitability",
    "mart_product_group_profitability",
    "mart_location_monthly",
    "mart_location_performance",
    "mart_employee_monthly",
    "mart_employee_performance",
    "mart_supplier_performance",
    "mart_returns_monthly",
    "mart_product_returns",
    "mart_revenue_bridge",
)
# The monthly marts the revenue bridge's reconciliation test compares it with.
SELECTION = [
    "+" + mart
    for mart in (*NEW_MARTS, "mart_line_accounting", "mart_sales_monthly", "mart_country_monthly")
]
PREFIX = "tpch_"


@pytest.fixture(scope="module")
def tpch_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Load TPC-H SF 0.01 and build the new marts on a temporary DuckDB file and a fresh
    PostgreSQL database."""
    if not os.environ.get("PGHOST"):
        pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
    try:
        psycopg2.connect(**pg_params("postgres")).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    work = tmp_path_factory.mktemp("tpch")
    pg_database = f"rw_tpch_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(**pg_params("postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"create database {pg_database}")
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "tpch.duckdb"),
        PGDATABASE=pg_database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX=PREFIX,
        RW_SALES_SOURCE="tpch",
    )
    outputs: dict[str, str] = {}
    for target in ("duckdb", "postgres"):
        load = run_command(
            [
                str(BIN / "retail-warehouse"),
                "load",
                "--target",
                target,
                "--source-system",
                "tpch",
                "--scale-factor",
                "0.01",
            ],
            env,
        )
        outputs[f"load_{target}"] = load.stdout
        build = run_command(
            [
                str(BIN / "dbt"),
                "build",
                "--target",
                target,
                "--select",
                *SELECTION,
                "--indirect-selection",
                "cautious",
                "--target-path",
                str(work / f"target_{target}"),
                "--log-path",
                str(work / f"logs_{target}"),
            ],
            env,
        )
        outputs[target] = build.stdout
    duck = duckdb.connect(str(work / "tpch.duckdb"), read_only=True)
    pg = psycopg2.connect(**pg_params(pg_database))
    try:
        yield {"duck": duck, "pg": pg, "outputs": outputs}
    finally:
        duck.close()
        pg.close()
        admin.cursor().execute(f"drop database if exists {pg_database} with (force)")
        admin.close()


def _rows(connection: object, sql: str) -> list[tuple[object, ...]]:
    if isinstance(connection, duckdb.DuckDBPyConnection):
        return connection.execute(sql).fetchall()
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(sql)
        return cursor.fetchall()


def _normalise(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, float):
        return round(value, 9)
    return value


def test_load_reports_every_table(tpch_warehouse: dict[str, object]) -> None:
    outputs = tpch_warehouse["outputs"]
    assert isinstance(outputs, dict)
    for target in ("duckdb", "postgres"):
        text = outputs[f"load_{target}"]
        assert f"loaded 60,175 rows from lineitem.parquet into {target} tpch_raw.tpch_lineitem" in (
            text
        )
        assert "tpch_raw.tpch_region" in text


def test_tpch_q1_matches_the_reference_answer(tpch_warehouse: dict[str, object]) -> None:
    """TPC-H Q1's A|F group at SF 0.01 is 380,456 units in the reference answer set, so the
    generated data is the reference data."""
    sql = (
        "select sum(cast(l_quantity as numeric(15, 2))) from tpch_raw.tpch_lineitem "
        "where l_returnflag = 'A' and l_linestatus = 'F' "
        "and cast(l_shipdate as date) <= date '1998-09-02'"
    )
    for name in ("duck", "pg"):
        assert _rows(tpch_warehouse[name], sql)[0][0] == decimal.Decimal("380456.00")


def test_every_raw_line_is_accounted_for(tpch_warehouse: dict[str, object]) -> None:
    rows = _rows(
        tpch_warehouse["duck"],
        "select outcome, line_count from tpch_marts.mart_line_accounting order by rule_order",
    )
    assert rows[0] == ("included", 60175)
    assert sum(count for _, count in rows) == 60175


def test_every_return_is_linked_to_its_order(tpch_warehouse: dict[str, object]) -> None:
    """Each credit line of int_return_lines_matched is linked to its order, and its days to
    return add up to the receipt dates less the order dates of the raw returned lines."""
    raw = (
        "select count(*), sum(cast(l_receiptdate as date) - cast(o_orderdate as date)) "
        "from tpch_raw.tpch_lineitem inner join tpch_raw.tpch_orders "
        "on l_orderkey = o_orderkey where l_returnflag = 'R'"
    )
    matched = (
        "select count(*), sum(days_to_return), sum(case when is_matched then 1 else 0 end), "
        "min(match_rule), max(match_rule) from tpch_intermediate.int_return_lines_matched"
    )
    for name in ("duck", "pg"):
        ((lines, days),) = _rows(tpch_warehouse[name], raw)
        assert lines > 0
        assert _rows(tpch_warehouse[name], matched)[0] == (lines, days, lines, "order", "order")


@pytest.mark.parametrize("mart", NEW_MARTS)
def test_new_marts_identical_on_both_targets(tpch_warehouse: dict[str, object], mart: str) -> None:
    columns = [
        row[0]
        for row in _rows(
            tpch_warehouse["duck"],
            "select column_name from information_schema.columns "
            f"where table_schema = 'tpch_marts' and table_name = '{mart}' "
            "order by ordinal_position",
        )
    ]
    assert columns, f"{mart} was not built"
    sql = f"select {', '.join(columns)} from tpch_marts.{mart}"
    duck = sorted(
        (tuple(map(_normalise, row)) for row in _rows(tpch_warehouse["duck"], sql)), key=repr
    )
    pg = sorted((tuple(map(_normalise, row)) for row in _rows(tpch_warehouse["pg"], sql)), key=repr)
    assert duck, f"{mart} is empty"
    assert duck == pg


def test_a_bad_file_fails_with_its_line_and_column(tmp_path: Path) -> None:
    """A value that breaks a column rule stops the load with file, line and column, and the
    table is left as it was (the loader's own rules, as for Online Retail II)."""
    folder = REPO / "data" / "tpch" / "sf0.01"
    if not folder.is_dir():
        pytest.skip("data/tpch/sf0.01 is generated by the build fixture first")
    bad = tmp_path / "bad"
    bad.mkdir()
    for path in folder.iterdir():
        if path.name != "region.parquet":
            (bad / path.name).symlink_to(path)
    (bad / "region.tbl").write_text("0|AFRICA|x|\n1|AMERICA|y|\nz|ASIA|w|\n")
    env = dict(os.environ)
    env.update(DUCKDB_PATH=str(tmp_path / "bad.duckdb"), RW_SCHEMA_PREFIX="")
    result = run_command(
        [
            str(BIN / "retail-warehouse"),
            "load",
            "--source-system",
            "tpch",
            "--source",
            str(bad),
        ],
        env,
        ok=(2,),
    )
    assert "region.tbl: line 3, column r_regionkey: 'z' is not a whole number" in result.stderr
    with duckdb.connect(str(tmp_path / "bad.duckdb"), read_only=True) as connection:
        assert connection.execute(
            "select status from raw.load_log order by load_id"
        ).fetchall() == [("failed",)]
