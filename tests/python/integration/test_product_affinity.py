"""mart_product_affinity and mart_product_attach_rates equal an independent computation of
the same rules, on both sources and on DuckDB and PostgreSQL.

The independent computation is plain Python (itertools.combinations, collections.Counter,
fractions): every pair of every basket counted, with no pruning, the thresholds applied to the
exact counts, the ratios rounded half up from exact fractions, the top products sorted in
Python. It reads the baskets from the input, not from the warehouse:

- Online Retail II: invented invoices (nothing taken from the dataset) with planted groups of
  products bought together, a product on two lines of one invoice, postage lines, invoices
  without a customer and cancellations, which are not orders. Built on DuckDB and PostgreSQL.
- TPC-H at scale factor 0.01 (tpchgen-cli): each order's parts, read from the raw lineitem
  table. Built on DuckDB; its baskets are random, so the thresholds are low.

Only the marts and what they need are built (`dbt build`, tests whose every parent is built).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, pg_params, query_rows, run_command, throwaway_pg_database

pytestmark = [pytest.mark.integration]

SELECTION = [
    "--select",
    "+mart_product_attach_rates",
    "+mart_product_performance",
    "fct_invoices",
    "--indirect-selection",
    "cautious",
]
"""The two marts, and what the reconciliation test (assert_product_affinity_reconciles) reads."""

ONLINE_RETAIL_VARS = {"min_support": Fraction(3, 100), "min_pair_orders": 4, "top_n": 3}
"""Pairs in 3 % of the orders and at least 4 of them; the top 3 products of each."""

TPCH_VARS = {"min_support": Fraction(0), "min_pair_orders": 2, "top_n": 3}
"""TPC-H's baskets are random: a pair in two orders is already rare."""

PRODUCTS = [f"2{number:04d}" for number in range(1, 31)]
GROUPS = [PRODUCTS[0:3], PRODUCTS[3:5], PRODUCTS[5:9], PRODUCTS[10:12]]
"""Products bought together more often than by chance."""

AFFINITY_COLUMNS = (
    "product_id, other_product_id, pair_order_count, product_order_count, "
    "other_product_order_count, order_count, support, confidence, lift"
)
ATTACH_COLUMNS = (
    "product_id, attach_rank, other_product_id, pair_order_count, product_order_count, "
    "attach_rate, lift"
)


# --- the independent computation -------------------------------------------------------------


def rounded(numerator: int, denominator: int, scale: int) -> Decimal:
    """numerator / denominator rounded half up to ``scale`` decimals, from the exact fraction."""
    units = math.floor(Fraction(numerator, denominator) * 10**scale + Fraction(1, 2))
    return Decimal(units).scaleb(-scale)


def expected_rules(
    baskets: Mapping[str, set[str]], min_support: Fraction, min_pair_orders: int
) -> set[tuple[Any, ...]]:
    """The rows of mart_product_affinity for these baskets (order -> its products)."""
    order_count = len(baskets)
    product_orders = Counter(product for basket in baskets.values() for product in basket)
    pair_orders = Counter(
        pair for basket in baskets.values() for pair in itertools.combinations(sorted(basket), 2)
    )
    needed = max(min_pair_orders, math.ceil(min_support * order_count))
    rows = set()
    for (first, second), pairs in pair_orders.items():
        if pairs < needed:
            continue
        for product, other in ((first, second), (second, first)):
            rows.add(
                (
                    product,
                    other,
                    pairs,
                    product_orders[product],
                    product_orders[other],
                    order_count,
                    rounded(pairs, order_count, 8),
                    rounded(pairs, product_orders[product], 6),
                    rounded(
                        pairs * order_count, product_orders[product] * product_orders[other], 4
                    ),
                )
            )
    return rows


def expected_attach_rates(rules: set[tuple[Any, ...]], top_n: int) -> set[tuple[Any, ...]]:
    """The rows of mart_product_attach_rates: each product's rules by orders with both (most
    first), then the other product's orders (fewest first), then its id."""
    rows = set()
    by_product = sorted(rules, key=lambda rule: (rule[0], -rule[2], rule[4], rule[1]))
    for product, product_rules in itertools.groupby(by_product, key=lambda rule: rule[0]):
        for rank, rule in enumerate(list(product_rules)[:top_n], start=1):
            rows.add((product, rank, rule[1], rule[2], rule[3], rule[7], rule[8]))
    return rows


def test_the_independent_computation_on_a_hand_count() -> None:
    """Four orders counted by hand (the dbt unit test of mart_product_affinity)."""
    baskets = {"1": {"A", "B"}, "2": {"A", "B"}, "3": {"A", "C"}, "4": {"B", "C", "D"}}
    rules = expected_rules(baskets, Fraction(1, 2), 2)
    row = ("A", "B", 2, 3, 3, 4, Decimal("0.5"), Decimal("0.666667"), Decimal("0.8889"))
    assert rules == {row, ("B", "A", *row[2:])}
    attach = expected_attach_rates(rules, 1)
    assert attach == {("A", 1, "B", 2, 3, row[7], row[8]), ("B", 1, "A", 2, 3, row[7], row[8])}


# --- invented Online Retail II invoices ------------------------------------------------------


def invented_invoices(seed: int = 30) -> tuple[list[tuple[str, ...]], dict[str, set[str]]]:
    """Rows in the shape of Online Retail II, and the baskets of their orders."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(PRODUCTS))]
    rows: list[tuple[str, ...]] = []
    baskets: dict[str, set[str]] = {}
    start = dt.datetime(2010, 1, 4, 9, 0)
    for number in range(400):
        invoice = str(500000 + number)
        basket = set(rng.choices(PRODUCTS, weights, k=rng.randint(1, 5)))
        for group in GROUPS:
            if rng.random() < 0.15:
                basket.update(product for product in group if rng.random() < 0.8)
        when = (start + dt.timedelta(hours=19 * number)).strftime("%Y-%m-%d %H:%M:%S")
        customer = "" if number % 10 == 0 else str(13000 + number % 60)
        lines = [(invoice, product, "6", "1.25") for product in sorted(basket)]
        if number % 7 == 0:
            # The same product on a second line (another quantity): still one product.
            lines.append((invoice, sorted(basket)[0], "2", "1.25"))
        if number % 5 == 0:
            lines.append((invoice, "POST", "1", "18.00"))
        if number % 20 == 0:
            # A cancellation of the same products: not an order.
            lines += [(f"C{invoice}", product, "-6", "1.25") for product in sorted(basket)]
        for invoice_number, product, quantity, price in lines:
            description = "POSTAGE" if product == "POST" else f"ITEM {product}"
            rows.append((invoice_number, product, description, quantity, when, price, customer,
                         "France"))  # fmt: skip
        baskets[invoice] = basket
    return rows, baskets


def _vars(values: Mapping[str, Any]) -> str:
    return (
        f"{{product_affinity_min_support: {float(values['min_support'])}, "
        f"product_affinity_min_pair_order_count: {values['min_pair_orders']}, "
        f"product_attach_top_n: {values['top_n']}}}"
    )


def _build(env: dict[str, str], work: Path, target: str, load_args: list[str], values: Any) -> str:
    """Load and build the marts on one target; dbt's output."""
    run_command([str(BIN / "retail-warehouse"), "load", "--target", target, *load_args], env)
    command = [str(BIN / "dbt"), "build", "--target", target, *SELECTION, *_folders(work, target)]
    return run_command([*command, "--vars", _vars(values)], env).stdout


def _folders(work: Path, target: str) -> list[str]:
    """dbt's target and log folders of one target (kept, so a second command parses less)."""
    folders = ["--target-path", str(work / f"target_{target}")]
    return [*folders, "--log-path", str(work / f"logs_{target}")]


def _lift_sql(env: dict[str, str], work: Path, target: str) -> str:
    """A query of the macro that rounds the marts' ratios, as dbt compiles it for the target:
    the lift n / d of each row of ``cases(n, d)``."""
    inline = "select n, d, {{ divide_counts_rounded('n', 'd', 4, 18) }} as lift from cases"
    command = [str(BIN / "dbt"), "compile", "--quiet", "--target", target, "--output", "json"]
    result = run_command([*command, *_folders(work, target), "--inline", inline], env)
    return str(json.loads(result.stdout)["compiled"])


@pytest.fixture(scope="module")
def invented_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    rows, baskets = invented_invoices()
    path = tmp_path_factory.mktemp("affinity_input") / "invented_online_retail.csv"
    write_csv(path, rows)  # type: ignore[arg-type]
    return path, baskets


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def online_retail_build(
    request: pytest.FixtureRequest,
    invented_file: tuple[Path, dict[str, set[str]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """The invented invoices loaded and the marts built on one target; yields the
    connection, the baskets and dbt's output."""
    target = request.param
    source, baskets = invented_file
    work = tmp_path_factory.mktemp(f"affinity_{target}")
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
        RW_SALES_SOURCE="online_retail",
    )
    load_args = ["--source", str(source)]
    if target == "duckdb":
        output = _build(env, work, target, load_args, ONLINE_RETAIL_VARS)
        lift_sql = _lift_sql(env, work, target)
        connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
        try:
            yield {"connection": connection, "baskets": baskets, "output": output,
                   "lift_sql": lift_sql}  # fmt: skip
        finally:
            connection.close()
        return
    with throwaway_pg_database("rw_affinity") as pg_database:
        env["PGDATABASE"] = pg_database
        output = _build(env, work, target, load_args, ONLINE_RETAIL_VARS)
        lift_sql = _lift_sql(env, work, target)
        connection = psycopg2.connect(**pg_params(pg_database))
        try:
            yield {"connection": connection, "baskets": baskets, "output": output,
                   "lift_sql": lift_sql}  # fmt: skip
        finally:
            connection.close()


def _rows(connection: object, columns: str, table: str) -> set[tuple[Any, ...]]:
    return set(query_rows(connection, f"select {columns} from marts.{table}"))


def test_online_retail_marts_equal_the_independent_computation(
    online_retail_build: dict[str, Any],
) -> None:
    assert "ERROR=0" in online_retail_build["output"]
    connection, baskets = online_retail_build["connection"], online_retail_build["baskets"]
    rules = expected_rules(
        baskets, ONLINE_RETAIL_VARS["min_support"], ONLINE_RETAIL_VARS["min_pair_orders"]
    )
    # The planted groups are found, and pairs fall on both sides of the thresholds.
    assert {("20001", "20002"), ("20004", "20005"), ("20011", "20012")} <= {
        rule[:2] for rule in rules
    }
    assert 20 < len(rules) < len(PRODUCTS) * (len(PRODUCTS) - 1) / 4
    assert _rows(connection, AFFINITY_COLUMNS, "mart_product_affinity") == rules
    attach = expected_attach_rates(rules, ONLINE_RETAIL_VARS["top_n"])
    assert _rows(connection, ATTACH_COLUMNS, "mart_product_attach_rates") == attach


def _half_unit_ties(count: int, seed: int = 11) -> list[tuple[int, int]]:
    """(n, d) whose n / d lies exactly half a unit of the 4th decimal between two values
    (2 x n x 10^4 = d x (2k + 1)), as large as a lift's pair x orders and product x other
    product at millions of orders (n up to 2 x 10^14): where a division in double precision
    may land below the half and round down."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        whole = rng.randrange(10**6, 10**9)
        cases.append((whole * rng.randrange(1, 10**5, 2), 2 * 10**4 * whole))
    return cases


def test_ratios_round_half_up_exactly_at_scale(online_retail_build: dict[str, Any]) -> None:
    """divide_counts_rounded, as compiled for the target, rounds exact half units up, at
    operands past double precision's 2^53 (divide_rounded's route on DuckDB is not exact
    there: it rounded 857 of 20,000 such ties down when this was written)."""
    cases = _half_unit_ties(300)
    cases += [(7, 3), (2, 3), (0, 5), (2 * 10**14 + 1, 3 * 10**9 + 7)]
    values = ", ".join(f"(cast({n} as bigint), cast({d} as bigint))" for n, d in cases)
    sql = f"with cases (n, d) as (values {values}) {online_retail_build['lift_sql']}"
    rows = query_rows(online_retail_build["connection"], sql)
    assert {(n, d): lift for n, d, lift in rows} == {(n, d): rounded(n, d, 4) for n, d in cases}


# --- TPC-H -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tpch_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """TPC-H SF 0.01 loaded and the marts built on DuckDB."""
    work = tmp_path_factory.mktemp("affinity_tpch")
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
        RW_SALES_SOURCE="tpch",
    )
    load_args = ["--source-system", "tpch", "--scale-factor", "0.01"]
    output = _build(env, work, "duckdb", load_args, TPCH_VARS)
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    try:
        yield {"connection": connection, "output": output}
    finally:
        connection.close()


def test_tpch_marts_equal_the_independent_computation(tpch_build: dict[str, Any]) -> None:
    assert "ERROR=0" in tpch_build["output"]
    connection = tpch_build["connection"]
    baskets: dict[str, set[str]] = {}
    lines = query_rows(connection, "select l_orderkey, l_partkey from raw.tpch_lineitem")
    for order, part in lines:
        baskets.setdefault(str(int(order)), set()).add(str(int(part)))
    assert len(baskets) == 15_000
    rules = expected_rules(baskets, TPCH_VARS["min_support"], TPCH_VARS["min_pair_orders"])
    assert len(rules) > 100
    assert _rows(connection, AFFINITY_COLUMNS, "mart_product_affinity") == rules
    attach = expected_attach_rates(rules, TPCH_VARS["top_n"])
    assert _rows(connection, ATTACH_COLUMNS, "mart_product_attach_rates") == attach
