"""The hand-written floor of `make bench-scale`: the core marts as plain SQL in one DuckDB
connection, to measure the warehouse's build against (docs/benchmark.md).

The floor reads the raw tables (and the reference seeds) of a loaded DuckDB warehouse,
attached read-only, and writes into its own DuckDB file: ``benchmarks/floor_<source>.sql``
dedupes and classifies the lines (the source's cleaning rules), then
``benchmarks/floor_marts.sql`` makes invoices, monthly sales, customers and RFM from them.
No dbt, no views between steps, no tests: the least work that gives the same numbers
(tests/python/integration/test_bench_floor.py checks they equal the warehouse's marts).

Usage: python scripts/bench_floor.py WAREHOUSE.duckdb FLOOR.duckdb SOURCE [SCHEMA_PREFIX]
(SOURCE: tpch or online_retail).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

FLOOR_SQL = Path(__file__).resolve().parents[1] / "benchmarks"
FLOOR_TABLES = ("floor_invoices", "floor_sales_monthly", "floor_customers", "floor_customer_rfm")
"""The floor's marts, in the order floor_marts.sql makes them."""
RAW_INPUTS = {
    "tpch": (
        "tpch_lineitem",
        "tpch_orders",
        "tpch_customer",
        "tpch_partsupp",
        "tpch_nation",
    ),
    "online_retail": ("invoice_lines",),
}
"""The raw tables each source's floor reads, in <prefix>raw."""
SEED_INPUTS = {
    "tpch": ("tpch_nation_codes",),
    "online_retail": ("non_product_stock_codes", "country_codes"),
}
"""The reference seeds each source's floor reads (dbt seeds them into <prefix>raw)."""


def run_floor(warehouse: Path, floor: Path, source: str, prefix: str = "") -> dict[str, int]:
    """Build the floor's marts into the DuckDB file ``floor`` from the raw tables of
    ``warehouse``; return each mart's row count."""
    if source not in RAW_INPUTS:
        raise ValueError(f"unknown source {source!r}: expected one of {sorted(RAW_INPUTS)}")
    floor.unlink(missing_ok=True)
    with duckdb.connect(str(floor)) as connection:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        for kind, names in (("raw", RAW_INPUTS[source]), ("seed", SEED_INPUTS[source])):
            for name in names:
                connection.execute(
                    f"create view {kind}_{name} as select * from warehouse.{prefix}raw.{name}"
                )
        connection.execute((FLOOR_SQL / f"floor_{source}.sql").read_text())
        connection.execute((FLOOR_SQL / "floor_marts.sql").read_text())
        return {
            table: connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in FLOOR_TABLES
        }


MARTS = {
    "floor_invoices": (
        "fct_invoices",
        "invoice_id, customer_id, country_code, invoice_kind, line_count, units, "
        "product_amount, total_amount, invoiced_at, is_purchase",
    ),
    "floor_sales_monthly": (
        "mart_sales_monthly",
        "month_start_date, net_revenue, gross_sales, cancelled_amount, order_count, "
        "units_sold, active_customer_count",
    ),
    "floor_customers": (
        "dim_customers",
        "customer_id, country_code, order_count, gross_sales, net_revenue, "
        "first_purchase_at, last_purchase_at",
    ),
    "floor_customer_rfm": (
        "mart_customer_rfm",
        "customer_id, recency_days, frequency, monetary, r_score, f_score, m_score",
    ),
}
"""Each floor table, the warehouse mart it stands for and the columns they share."""


def differences(warehouse: Path, floor: Path, prefix: str = "") -> dict[str, int]:
    """Rows of each floor table missing from its warehouse mart plus the reverse, on the
    shared columns (0 everywhere: the floor gives the warehouse's numbers). The warehouse's
    months without invoices (all zero) are not in the floor and not counted."""
    found = {}
    with duckdb.connect(str(floor), read_only=True) as connection:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        for table, (mart, columns) in MARTS.items():
            mart_rows = f"select {columns} from warehouse.{prefix}marts.{mart}"
            if mart == "mart_sales_monthly":
                mart_rows += " where order_count > 0 or net_revenue != 0"
            floor_rows = f"select {columns} from {table}"
            found[table] = connection.execute(
                f"select (select count(*) from ({floor_rows} except all {mart_rows}))"
                f" + (select count(*) from ({mart_rows} except all {floor_rows}))"
            ).fetchone()[0]
    return found


def main(argv: list[str]) -> int:
    """Run the floor from the command line; print each mart's row count."""
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    counts = run_floor(Path(argv[0]), Path(argv[1]), argv[2], argv[3] if len(argv) == 4 else "")
    print(", ".join(f"{table} {rows:,}" for table, rows in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
