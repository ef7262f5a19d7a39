"""Returns marts on invented Online Retail II rows, on DuckDB and PostgreSQL.

Thirteen hand-made lines where every match and every day count is known by hand: customer
13001 buys 10 red mugs on 1 March and 4 on 5 March, returns 6 on 8 March (the 4-unit sale is
later but too small: matched to 1 March, 7 days), 3 on 9 March (5 March, 4 days) and 20 on
2 April (no earlier sale of 20: unmatched, although customer 13003 bought 30 on 2 March);
customer 13002 returns a blue bowl in the very minute of its sale (0 days), with the postage
(no product), and a jug bought only the next day (unmatched); a return without a customer is
unmatched. `dbt build` of the returns marts and what they need, with their reconciliation
test (tests/dbt/singular/assert_returns_marts_reconcile.sql), then the rows are checked by
hand and the two engines must agree on every row.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import psycopg2
import pytest
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, both_targets, pg_params, query_rows, run_command

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

UK, FR = "United Kingdom", "France"
ROWS = [
    ("300001", "20001", "RED MUG", "10", "2010-03-01 09:00:00", "2.00", "13001", UK),
    ("300011", "20001", "RED MUG", "30", "2010-03-02 09:00:00", "2.00", "13003", UK),
    ("300002", "20001", "RED MUG", "4", "2010-03-05 09:00:00", "2.00", "13001", UK),
    ("C300003", "20001", "RED MUG", "-6", "2010-03-08 12:00:00", "2.00", "13001", UK),
    ("C300004", "20001", "RED MUG", "-3", "2010-03-09 12:00:00", "2.00", "13001", UK),
    ("300006", "20002", "BLUE BOWL", "5", "2010-03-10 10:00:00", "3.50", "13002", FR),
    ("C300007", "20002", "BLUE BOWL", "-5", "2010-03-10 10:00:00", "3.50", "13002", FR),
    ("C300007", "POST", "POSTAGE", "-1", "2010-03-10 10:00:00", "18.00", "13002", FR),
    ("C300008", "20003", "GREEN JUG", "-1", "2010-03-11 10:00:00", "4.25", "13002", FR),
    ("300009", "20003", "GREEN JUG", "2", "2010-03-12 10:00:00", "4.25", "13002", FR),
    ("C300010", "20001", "RED MUG", "-1", "2010-03-15 10:00:00", "2.00", "", UK),
    ("C300005", "20001", "RED MUG", "-20", "2010-04-02 10:00:00", "2.00", "13001", UK),
    ("300012", "20002", "BLUE BOWL", "12", "2010-04-20 10:00:00", "3.50", "13001", UK),
]  # fmt: skip
"""Invented lines in the file's column order (nothing taken from the dataset)."""

MATCHES = {
    ("C300003", "20001"): ("300001", 7, None),
    ("C300004", "20001"): ("300002", 4, None),
    ("C300005", "20001"): (None, None, "earlier sales smaller than the return"),
    ("C300007", "20002"): ("300006", 0, None),
    ("C300008", "20003"): (None, None, "no earlier sale"),
    ("C300010", "20001"): (None, None, "no customer"),
}
"""(return invoice, product) -> (matched sale invoice, days to return, unmatched reason)."""

PRODUCT_COLUMNS = (
    "product_id, product_group, gross_sales, units_sold, returned_amount, units_returned, "
    "net_revenue, value_return_rate, unit_return_rate, customer_count, return_customer_count, "
    "return_customer_share, return_line_count, matched_return_line_count, "
    "matched_returned_amount, matched_return_share, average_days_to_return, max_days_to_return"
)
D = Decimal
PRODUCTS = {
    # 20001: sold 10 + 30 + 4 at 2.00; returned 6 + 3 + 20 + 1; 6 and 3 matched (7, 4 days)
    "20001": ("all products", D("88.00"), 44, D("60.00"), 30, D("28.00"), D("0.6818"),
              D("0.6818"), 2, 1, D("0.5000"), 4, 2, D("18.00"), D("0.3000"), D("5.5"), 7),
    # 20002: sold 5 + 12 at 3.50; the 5 returned in the minute of their sale
    "20002": ("all products", D("59.50"), 17, D("17.50"), 5, D("42.00"), D("0.2941"),
              D("0.2941"), 2, 1, D("0.5000"), 1, 1, D("17.50"), D("1.0000"), D("0.0"), 0),
    # 20003: one jug returned the day before the two were sold
    "20003": ("all products", D("8.50"), 2, D("4.25"), 1, D("4.25"), D("0.5000"),
              D("0.5000"), 1, 1, D("1.0000"), 1, 0, D("0.00"), D("0.0000"), None, None),
}  # fmt: skip

MONTHLY_COLUMNS = (
    "cast(month_start_date as varchar), is_complete_month, country_code, country_name, "
    "product_group, gross_sales, returned_amount, units_returned, value_return_rate, "
    "unit_return_rate, customer_count, return_customer_count, matched_return_line_count, "
    "average_days_to_return"
)
MONTHLY = {
    ("2010-03-01", "GB"): (True, "United Kingdom", "all products", D("88.00"), D("20.00"), 10,
                           D("0.2273"), D("0.2273"), 2, 1, 2, D("5.5")),
    ("2010-03-01", "FR"): (True, "France", "all products", D("26.00"), D("21.75"), 6,
                           D("0.8365"), D("0.8571"), 1, 1, 1, D("0.0")),
    # the 20 mugs returned in April count in April, against April's sales
    ("2010-04-01", "GB"): (False, "United Kingdom", "all products", D("42.00"), D("40.00"), 20,
                           D("0.9524"), D("1.6667"), 1, 1, 0, None),
}  # fmt: skip
SELECTION = ["+mart_returns_monthly", "+mart_product_returns", "assert_returns_marts_reconcile"]


@pytest.fixture(scope="module")
def returns_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The invented lines loaded and the returns marts built on a temporary DuckDB file and a
    fresh PostgreSQL database, side by side."""
    if not os.environ.get("PGHOST"):
        pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
    work = tmp_path_factory.mktemp("returns")
    source = write_csv(work / "lines.csv", ROWS)
    database = f"rw_returns_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(**pg_params("postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"create database {database}")
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        PGDATABASE=database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
        RW_SALES_SOURCE="online_retail",
    )

    def build(target: str) -> str:
        run_command(
            [str(BIN / "retail-warehouse"), "load", "--target", target, "--source", str(source)],
            env,
        )
        return run_command(
            [str(BIN / "dbt"), "build", "--target", target, "--select", *SELECTION,
             "--indirect-selection", "cautious", "--target-path", str(work / f"target_{target}"),
             "--log-path", str(work / f"logs_{target}")],
            env,
        ).stdout  # fmt: skip

    duckdb_output, postgres_output = both_targets(build)
    duck = duckdb.connect(env["DUCKDB_PATH"], read_only=True)
    pg = psycopg2.connect(**pg_params(database))
    try:
        yield {"duckdb": duck, "postgres": pg, "outputs": [duckdb_output, postgres_output]}
    finally:
        duck.close()
        pg.close()
        admin.cursor().execute(f"drop database if exists {database} with (force)")
        admin.close()


def test_the_reconciliation_test_ran_and_passed(returns_warehouse: dict[str, Any]) -> None:
    for output in returns_warehouse["outputs"]:
        assert "PASS assert_returns_marts_reconcile" in output
        assert "PASS int_return_lines_matched::test_int_return_lines_matched" in output


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_every_return_matched_as_worked_out_by_hand(
    returns_warehouse: dict[str, Any], target: str
) -> None:
    rows = query_rows(
        returns_warehouse[target],
        "select matched.invoice_id, matched.product_id, sale.invoice_id, "
        "matched.days_to_return, matched.unmatched_reason, matched.match_rule "
        "from intermediate.int_return_lines_matched as matched "
        "left join marts.fct_invoice_lines as sale "
        "on matched.sale_invoice_line_id = sale.invoice_line_id",
    )
    assert {row[4] is None for row in rows} == {True, False}
    assert {row[5] for row in rows} == {"customer_product"}
    assert {(row[0], row[1]): tuple(row[2:5]) for row in rows} == MATCHES


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_product_returns_as_worked_out_by_hand(
    returns_warehouse: dict[str, Any], target: str
) -> None:
    rows = query_rows(
        returns_warehouse[target], f"select {PRODUCT_COLUMNS} from marts.mart_product_returns"
    )
    assert {row[0]: tuple(row[1:]) for row in rows} == PRODUCTS


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_monthly_returns_as_worked_out_by_hand(
    returns_warehouse: dict[str, Any], target: str
) -> None:
    rows = query_rows(
        returns_warehouse[target], f"select {MONTHLY_COLUMNS} from marts.mart_returns_monthly"
    )
    assert {(row[0], row[2]): (row[1], *row[3:]) for row in rows} == MONTHLY


@pytest.mark.parametrize("table", ["marts.mart_product_returns", "marts.mart_returns_monthly"])
def test_both_engines_give_the_same_rows(returns_warehouse: dict[str, Any], table: str) -> None:
    duck, pg = (
        sorted(
            query_rows(returns_warehouse[target], f"select * from {table}"),
            key=lambda row: tuple(str(value) for value in row[:3]),
        )
        for target in ("duckdb", "postgres")
    )
    assert duck == pg
