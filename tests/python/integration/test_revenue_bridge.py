"""mart_revenue_bridge on invented Online Retail II rows, against a bridge computed by hand,
on DuckDB and PostgreSQL (equal row for row), and divide_rounded_exact, the rounding its
effects use, exact on both engines where a double division is not.

The rows (ROWS) are three months of two countries: in January the United Kingdom sells
TEA CUP (10 at 2.00), SAUCER (1 at 4.00 and 2 at 3.00: 10.00 for 3 units, a price of
3.333...) and OLD JUG (3 at 1.00), France TEA CUP (10 at 2.00); in February the United
Kingdom sells TEA CUP (20 at 2.50, 2 of them cancelled), SAUCER (4 at 4.00) and a new
NEW TEAPOT (2 at 7.50), France TEA CUP (10 at 2.10); in February 2011 the United Kingdom
sells TEA CUP (5 at 2.50). The hand computations are beside each expected row. The build
runs the model's tests too (the effects add up, the rows reconcile to the monthly marts).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import duckdb
import psycopg2
import pytest
from raw_files import write_csv
from warehouse_helpers import (
    BIN,
    REPO,
    TARGETS,
    pg_params,
    query_columns,
    run_command,
    throwaway_pg_database,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROWS = [
    ("300001", "30001", "TEA CUP", "10", "2010-01-04 10:00:00", "2.00", "14001", "United Kingdom"),
    ("300001", "30002", "SAUCER", "1", "2010-01-04 10:00:00", "4.00", "14001", "United Kingdom"),
    ("300001", "30002", "SAUCER", "2", "2010-01-04 10:00:00", "3.00", "14001", "United Kingdom"),
    ("300001", "30003", "OLD JUG", "3", "2010-01-04 10:00:00", "1.00", "14001", "United Kingdom"),
    ("300002", "30001", "TEA CUP", "10", "2010-01-05 10:00:00", "2.00", "14002", "France"),
    ("300003", "30001", "TEA CUP", "20", "2010-02-01 10:00:00", "2.50", "14001", "United Kingdom"),
    ("300003", "30002", "SAUCER", "4", "2010-02-01 10:00:00", "4.00", "14001", "United Kingdom"),
    ("300003", "30004", "NEW TEAPOT", "2", "2010-02-01 10:00:00", "7.50", "14001",
     "United Kingdom"),
    ("C300004", "30001", "TEA CUP", "-2", "2010-02-02 10:00:00", "2.50", "14001",
     "United Kingdom"),
    ("300005", "30001", "TEA CUP", "10", "2010-02-03 10:00:00", "2.10", "14002", "France"),
    ("300006", "30001", "TEA CUP", "5", "2011-02-01 10:00:00", "2.50", "14001", "United Kingdom"),
]  # fmt: skip

EFFECTS = (
    "volume_effect",
    "price_effect",
    "mix_effect",
    "new_products_effect",
    "lost_products_effect",
    "returns_effect",
)
COLUMNS = ("base_net_revenue", "net_revenue", "revenue_change", *EFFECTS)
KEY = ("group_level", "group_name", "comparison", "month_start_date")

FEBRUARY = dt.date(2010, 2, 1)
EXPECTED = {
    # Continuing TEA CUP and SAUCER: Q0 = 20 + 3 = 23, R0c = 40 + 10 = 50, Q1 = 30 + 4 = 34,
    # R1c = 71 + 16 = 87. volume (34 - 23) x 50 / 23 = 23.913 -> 23.91; current units at
    # base prices S = 30 x 2 + 4 x 10 / 3 = 73.333333, price 87 - S = 13.666667 -> 13.67;
    # new 15.00 (teapot), lost -3.00 (jug), returns -5.00 (2 cups cancelled); change
    # 97 - 53 = 44, so mix is 44 - 23.91 - 13.67 - 15 + 3 + 5 = -0.58 (its formula,
    # S - Q1 x R0c / Q0 = -0.579710).
    ("total", "total", "previous_month", FEBRUARY): (
        "53.00", "97.00", "44.00", "23.91", "13.67", "-0.58", "15.00", "-3.00", "-5.00",
    ),
    # The single group of Online Retail II's untyped products is the total.
    ("product_type", "untyped", "previous_month", FEBRUARY): (
        "53.00", "97.00", "44.00", "23.91", "13.67", "-0.58", "15.00", "-3.00", "-5.00",
    ),
    # United Kingdom: Q0 = 13, R0c = 30, Q1 = 24, R1c = 66. volume 11 x 30 / 13 = 25.3846
    # -> 25.38; S = 20 x 2 + 4 x 10 / 3 = 53.333333, price 12.666667 -> 12.67; change
    # 76 - 33 = 43; mix 43 - 25.38 - 12.67 - 15 + 3 + 5 = -2.05 (formula -2.051282).
    ("country", "GB", "previous_month", FEBRUARY): (
        "33.00", "76.00", "43.00", "25.38", "12.67", "-2.05", "15.00", "-3.00", "-5.00",
    ),
    # France: the same 10 cups, 0.10 dearer.
    ("country", "FR", "previous_month", FEBRUARY): (
        "20.00", "21.00", "1.00", "0.00", "1.00", "0.00", "0.00", "0.00", "0.00",
    ),
    # February 2011 against February 2010: TEA CUP continues, Q0 = 30, R0c = 71, Q1 = 5,
    # R1c = 12.50; volume -25 x 71 / 30 = -59.1667 -> -59.17; price 12.50 - 5 x 71 / 30
    # = 0.666667 -> 0.67; lost saucer and teapot -31.00; returns 0 - (-5) = 5.00; change
    # 12.50 - 97 = -84.50; mix 0.00 (one continuing product has no mix).
    ("total", "total", "same_month_last_year", dt.date(2011, 2, 1)): (
        "97.00", "12.50", "-84.50", "-59.17", "0.67", "0.00", "0.00", "-31.00", "5.00",
    ),
    # March 2010: nothing sold, every product lost; the cancellation leaves with them.
    ("total", "total", "previous_month", dt.date(2010, 3, 1)): (
        "97.00", "0.00", "-97.00", "0.00", "0.00", "0.00", "0.00", "-102.00", "5.00",
    ),
}  # fmt: skip

ROUNDING_CASES = [
    # (numerator, denominator, scale, precision, expected): half a cent rounds up (towards
    # +infinity), as divide_rounded does, however large the operands.
    ("cast('2362.47' as numeric(18, 3))", "2", 2, 18, Decimal("1181.24")),
    ("cast('-2362.47' as numeric(18, 3))", "2", 2, 18, Decimal("-1181.23")),
    # Past a double's 53 bits: a double division cannot see the half cent.
    ("cast('16460905201646090.53' as numeric(38, 2))", "2", 2, 38, Decimal("8230452600823045.27")),
    ("cast('12345678901234567.891' as numeric(38, 3))", "3", 2, 38, Decimal("4115226300411522.63")),
    # Six decimals in, six out; a tiny negative rounds to zero.
    ("cast('1.000005' as numeric(18, 6))", "1", 5, 18, Decimal("1.00001")),
    ("cast('-0.000001' as numeric(18, 6))", "3", 6, 18, Decimal("0.000000")),
    ("1", "0", 2, 18, None),
]  # fmt: skip


@pytest.fixture(scope="module")
def bridge_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """ROWS loaded and the bridge built and tested on both targets, with the monthly marts
    its reconciliation test compares it with; yields the two connections and, per target,
    the values of ROUNDING_CASES."""
    work = tmp_path_factory.mktemp("revenue_bridge")
    source = write_csv(work / "rows.csv", ROWS)
    with throwaway_pg_database("rw_bridge") as pg_database:
        env = dict(os.environ)
        env.update(
            DUCKDB_PATH=str(work / "warehouse.duckdb"),
            PGDATABASE=pg_database,
            DBT_PROFILES_DIR=str(REPO / "profiles"),
            RW_SCHEMA_PREFIX="",
            RW_SALES_SOURCE="online_retail",
        )
        rounding_sql = "select " + ", ".join(
            f"{{{{ divide_rounded_exact(\"{numerator}\", '{denominator}', {scale}, "
            f"{precision}) }}}} as case_{index}"
            for index, (numerator, denominator, scale, precision, _) in enumerate(ROUNDING_CASES)
        )
        compiled: dict[str, str] = {}
        # One build at a time: the rows are few, and the machine may be shared.
        for target in TARGETS:
            folders = ["--target-path", str(work / f"target_{target}")]
            folders += ["--log-path", str(work / f"logs_{target}")]
            dbt = [str(BIN / "dbt")]
            load = [str(BIN / "retail-warehouse"), "load", "--target", target]
            run_command([*load, "--source", str(source)], env)
            selection = ["--select", "+mart_revenue_bridge", "+mart_sales_monthly"]
            selection += ["+mart_country_monthly", "--indirect-selection", "cautious"]
            run_command([*dbt, "build", "--target", target, *selection, *folders], env)
            inline = ["--quiet", "--inline", rounding_sql]
            compiled[target] = run_command(
                [*dbt, "compile", "--target", target, *inline, *folders], env
            ).stdout
        duck = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
        pg = psycopg2.connect(**pg_params(pg_database))
        try:
            yield {"duckdb": duck, "postgres": pg, "compiled": compiled}
        finally:
            duck.close()
            pg.close()


def _bridge(connection: object) -> dict[tuple[Any, ...], dict[str, Any]]:
    columns, rows = query_columns(connection, "select * from marts.mart_revenue_bridge")
    return {
        tuple(row[columns.index(name)] for name in KEY): dict(zip(columns, row, strict=True))
        for row in rows
    }


def test_the_bridge_is_the_one_computed_by_hand(bridge_builds: dict[str, Any]) -> None:
    bridge = _bridge(bridge_builds["duckdb"])
    for key, values in EXPECTED.items():
        assert key in bridge, f"no row {key}"
        row = bridge[key]
        assert {name: row[name] for name in COLUMNS} == dict(
            zip(COLUMNS, map(Decimal, values), strict=True)
        ), key


def test_rows_only_where_both_months_are_in_the_data(bridge_builds: dict[str, Any]) -> None:
    """January 2010 has no base month in the data, and a year-on-year row needs a base month a
    year back; a month pair with no revenue in either month has no row."""
    bridge = _bridge(bridge_builds["duckdb"])
    months = {(key[2], key[3]) for key in bridge}
    assert months == {
        ("previous_month", dt.date(2010, 2, 1)),
        ("previous_month", dt.date(2010, 3, 1)),
        ("previous_month", dt.date(2011, 2, 1)),
        ("same_month_last_year", dt.date(2011, 1, 1)),
        ("same_month_last_year", dt.date(2011, 2, 1)),
    }
    assert all(row["base_month_start_date"] < row["month_start_date"] for row in bridge.values())


def test_effects_add_up_and_costs_are_null(bridge_builds: dict[str, Any]) -> None:
    for row in _bridge(bridge_builds["duckdb"]).values():
        assert sum(row[name] for name in EFFECTS) == row["revenue_change"]
        assert row["revenue_change"] == row["net_revenue"] - row["base_net_revenue"]
        costs = [value for name, value in row.items() if "cost" in name or "margin" in name]
        assert costs and all(value is None for value in costs), "Online Retail II has no costs"


def test_both_targets_give_the_same_rows(bridge_builds: dict[str, Any]) -> None:
    duck = _bridge(bridge_builds["duckdb"])
    assert duck
    assert _bridge(bridge_builds["postgres"]) == duck


@pytest.mark.parametrize("target", TARGETS)
def test_divide_rounded_exact_is_exact(bridge_builds: dict[str, Any], target: str) -> None:
    connection = bridge_builds[target]
    sql = bridge_builds["compiled"][target]
    if isinstance(connection, duckdb.DuckDBPyConnection):
        row = connection.execute(sql).fetchone()
    else:
        with connection.cursor() as cursor:  # no parameters: psycopg2 reads % as one
            cursor.execute(sql)
            row = cursor.fetchone()
    assert row is not None
    assert list(row) == [case[-1] for case in ROUNDING_CASES]
