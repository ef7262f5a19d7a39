"""The MetricFlow semantic layer answers like the marts: `mf query` by month on the DuckDB
warehouse gives the numbers of mart_sales_monthly.

MetricFlow reads the semantic manifest of the last parse from the project's target/ folder,
so the test parses there (against a copy of the built DuckDB file, which the session's
read-only connection keeps open) and then queries.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from typing import Any

import pytest
from warehouse_helpers import BIN, run_command

pytestmark = [pytest.mark.integration]

METRICS = (
    "net_revenue",
    "order_count",
    "active_customer_count",
    "new_customer_count",
    "cancellation_rate",
    "net_revenue_all_months",
)


@pytest.fixture(scope="module")
def metrics_by_month(
    built_warehouse: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, str]]:
    folder = tmp_path_factory.mktemp("semantic")
    copy = folder / "warehouse.duckdb"
    shutil.copyfile(built_warehouse["duckdb_path"], copy)
    env = dict(built_warehouse["env"], DUCKDB_PATH=str(copy), DBT_TARGET="duckdb")
    run_command([str(BIN / "dbt"), "parse", "--target", "duckdb"], env)
    out = folder / "metrics.csv"
    run_command(
        [
            str(BIN / "mf"),
            "query",
            "--metrics",
            ",".join(METRICS),
            "--group-by",
            "metric_time__month",
            "--csv",
            str(out),
        ],
        env,
    )
    with out.open(newline="") as handle:
        # Customers without a purchase have no first-purchase date: MetricFlow
        # puts them in a row without a month, which the mart has no row for.
        return {
            row["metric_time__month"][:10]: row
            for row in csv.DictReader(handle)
            if row["metric_time__month"]
        }


def test_metrics_equal_mart_sales_monthly(
    built_warehouse: dict[str, Any], metrics_by_month: dict[str, dict[str, str]]
) -> None:
    rows = (
        built_warehouse["duck"]
        .execute(
            "select cast(month_start_date as varchar), net_revenue, order_count, "
            "active_customer_count, new_customer_count, cancellation_rate, is_complete_month"
            " from marts.mart_sales_monthly"
        )
        .fetchall()
    )
    assert len(rows) == len(metrics_by_month) == 25
    for month, net_revenue, orders, active, new, cancellation_rate, complete in rows:
        metric = metrics_by_month[month]
        all_months = Decimal(metric["net_revenue_all_months"])
        assert abs(all_months - net_revenue) <= Decimal("0.01"), month
        if not complete:
            # the metrics leave an incomplete month out by default
            assert month == "2011-12-01"
            assert not metric["net_revenue"] and not metric["order_count"], month
            continue
        # MetricFlow sums in double precision; the mart rounds the exact sum.
        assert abs(Decimal(metric["net_revenue"]) - net_revenue) <= Decimal("0.01"), month
        assert int(float(metric["order_count"])) == orders, month
        assert int(float(metric["active_customer_count"])) == active, month
        assert int(float(metric["new_customer_count"] or 0)) == new, month
        rate = Decimal(metric["cancellation_rate"]).quantize(Decimal("0.0001"))
        assert abs(rate - cancellation_rate) <= Decimal("0.0001"), month
