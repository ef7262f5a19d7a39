"""``mart_kpi_anomalies`` on invented rows, on DuckDB and PostgreSQL: a known drop is flagged,
a country too small to judge is not, and a closing day stays out of the expected value.

The mart's inputs are written by hand (only the columns it reads) into a fresh warehouse and
``dbt run --select mart_kpi_anomalies`` builds it: seven Mondays from 2010-03-15, the fourth
Easter Monday (a closing day of seeds/closing_days); Great Britain has 40 orders of 10.00 on
each of the first six and 20 on the last (load 2), Germany 2 on each of the first six and
none on the last.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from warehouse_helpers import BIN, REPO, pg_params, query_rows, run_command, throwaway_pg_database

pytestmark = [pytest.mark.integration]

FIRST_MONDAY = dt.date(2010, 3, 15)
LAST_DAY = dt.date(2010, 5, 2)  # a Sunday: seven whole weeks
EASTER_MONDAY = dt.date(2010, 4, 5)
DROP_DAY = dt.date(2010, 4, 26)


def invented_tables() -> list[str]:
    """The statements that create the mart's inputs (portable SQL)."""
    invoices = []
    for week in range(7):
        day = FIRST_MONDAY + dt.timedelta(days=7 * week)
        load = 2 if day == DROP_DAY else 1
        for order in range(20 if day == DROP_DAY else 40):
            invoices.append(
                f"('GB{week}-{order}', 'GB', {order}, 10.00, true, false, '{day}', {load})"
            )
        for order in range(0 if day == DROP_DAY else 2):
            invoices.append(f"('DE{week}-{order}', 'DE', null, 10.00, true, false, '{day}', 1)")
    days = []
    day = FIRST_MONDAY
    while day <= LAST_DAY:
        monday = day - dt.timedelta(days=day.weekday())
        days.append(f"('{day}', '{monday}', {day.isoweekday()}, true)")
        day += dt.timedelta(days=1)
    return [
        "create schema if not exists marts",
        "create schema if not exists raw",
        "create table marts.fct_invoices (invoice_id varchar(20), country_code varchar(2), "
        "customer_id integer, product_amount numeric(18, 2), is_purchase boolean, "
        "is_cancellation boolean, invoice_date date, last_load_id integer)",
        f"insert into marts.fct_invoices values {', '.join(invoices)}",
        "create table marts.dim_customers (customer_id integer, country_code varchar(2), "
        "has_purchase boolean, first_purchase_date date)",
        "insert into marts.dim_customers values "
        + ", ".join(f"({number}, 'GB', true, '{FIRST_MONDAY}')" for number in range(40)),
        "create table marts.dim_countries (country_code varchar(2), invoice_count integer)",
        "insert into marts.dim_countries values ('GB', 260), ('DE', 12), ('FR', 0)",
        "create table marts.dim_dates (date_day date, week_start_date date, "
        "iso_day_of_week integer, is_in_data_range boolean)",
        f"insert into marts.dim_dates values {', '.join(days)}",
        "create table raw.closing_days (closing_date date, closing_reason varchar(30))",
        f"insert into raw.closing_days values ('{EASTER_MONDAY}', 'easter_monday')",
    ]


class Warehouse:
    """A fresh warehouse of one target with the invented inputs."""

    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.target, self.env = target, env

    def connect(self) -> Any:
        if self.target == "duckdb":
            return duckdb.connect(self.env["DUCKDB_PATH"])
        return psycopg2.connect(**pg_params(self.env["PGDATABASE"]))

    def execute(self, statements: list[str]) -> None:
        connection = self.connect()
        try:
            cursor = connection if self.target == "duckdb" else connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            connection.commit()
        finally:
            connection.close()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        connection = self.connect()
        try:
            return query_rows(connection, sql)
        finally:
            connection.close()


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(tmp_path / "anomalies.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
    )
    env.pop("DBT_TARGET", None)
    if request.param == "duckdb":
        yield Warehouse("duckdb", env)
        return
    with throwaway_pg_database("rw_kpi") as database:
        env["PGDATABASE"] = database
        yield Warehouse("postgres", env)


def build_mart(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.execute(invented_tables())
    command = [str(BIN / "dbt"), "run", "--select", "mart_kpi_anomalies"]
    command += ["--target", warehouse.target, "--target-path", str(tmp_path / "target")]
    command += ["--log-path", str(tmp_path), "--vars", "{bi_role: ''}"]
    run_command(command, warehouse.env)


def test_a_known_drop_is_flagged_and_a_small_day_is_not(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    build_mart(warehouse, tmp_path)
    columns = (
        "series, period_grain, cast(actual_value as varchar), cast(expected_value as varchar), "
        "cast(times_expected as varchar), baseline_period_count, is_judged, is_drop, "
        "is_spike, anomaly_direction, load_id"
    )
    rows = warehouse.rows(
        f"select {columns} from marts.mart_kpi_anomalies "
        f"where kpi = 'order_count' and period_start_date = '{DROP_DAY}' order by 1, 2"
    )
    assert rows == [
        # a week holding a closing day is left out of the weeks' baseline too
        ("DE", "day", "0.00", "2.00", None, 5, False, False, False, None, 2),
        ("DE", "week", "0.00", "2.00", None, 5, False, False, False, None, 2),
        ("GB", "day", "20.00", "40.00", "0.5000", 5, True, True, False, "drop", 2),
        ("GB", "week", "20.00", "40.00", "0.5000", 5, True, True, False, "drop", 2),
        ("total", "day", "20.00", "42.00", "0.4762", 5, True, True, False, "drop", 2),
        ("total", "week", "20.00", "42.00", "0.4762", 5, True, True, False, "drop", 2),
    ]
    # Easter Monday: never judged, and the Mondays after it expect from the other Mondays
    easter = warehouse.rows(
        "select is_closing_period, is_judged, is_anomaly from marts.mart_kpi_anomalies "
        f"where kpi = 'order_count' and series = 'total' and period_start_date = '{EASTER_MONDAY}'"
        " and period_grain = 'day'"
    )
    assert easter == [(True, False, False)]
    # the only anomalies are the drop (orders, revenue; new customers and the average order
    # value stay as expected) and nothing of Germany or of the country without orders
    anomalies = warehouse.rows(
        "select series, period_grain, kpi from marts.mart_kpi_anomalies where is_anomaly "
        "order by 1, 2, 3"
    )
    assert anomalies == [
        ("GB", "day", "net_revenue"),
        ("GB", "day", "order_count"),
        ("GB", "week", "net_revenue"),
        ("GB", "week", "order_count"),
        ("total", "day", "net_revenue"),
        ("total", "day", "order_count"),
        ("total", "week", "net_revenue"),
        ("total", "week", "order_count"),
    ]
    # a day without invoices belongs to the load of the next day with invoices
    loads = warehouse.rows(
        "select period_start_date, load_id from marts.mart_kpi_anomalies "
        "where kpi = 'order_count' and series = 'total' and period_grain = 'day' "
        f"and period_start_date in ('2010-04-25', '{DROP_DAY}', '2010-04-27') order by 1"
    )
    assert [load for _, load in loads] == [2, 2, None]
