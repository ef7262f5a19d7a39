"""Data access of the dashboard: one small function per query, plain rows out.

Every function takes an open ``Warehouse`` (DuckDB read-only or PostgreSQL) and the schema
names, runs one portable SQL query (no engine-specific functions: plain ``select``, ``where``,
``group by``, ``order by``, ``limit``) and returns a list of dicts whose numbers are ``float`` or
``int`` and whose dates are ``datetime.date``, so the chart and commentary functions never see
engine types such as ``Decimal``.

Longer than 400 lines on purpose: one short, independent query function per table or
figure the dashboard reads (about thirty), each beside the column list it selects; splitting
them would make no one of them easier to read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retail_warehouse.contracts import FORECAST_COLUMNS
from retail_warehouse.engines import Warehouse
from retail_warehouse.settings import Settings, schema_name

Row = dict[str, Any]

RFM_TABLES: tuple[str, ...] = ("mart_rfm_segments", "mart_segment_migration")
"""The RFM marts; the report shows "not built yet" without them."""

LOYALTY_TABLES: tuple[str, ...] = ("mart_loyalty_programme_monthly", "mart_loyalty_scenarios")
"""The loyalty programme marts; the report shows "not built yet" without them."""

ML_TABLES: tuple[str, ...] = ("ml_cluster_profiles", "ml_sales_forecast", "ml_model_evaluation")
"""The ML outputs the report reads."""

QUALITY_TABLES: tuple[str, ...] = ("mart_load_quality", "mart_data_quality_daily")
"""The monitoring models (schema ``monitoring``); the report shows "not built yet" without
them."""

PROFITABILITY_TABLES: tuple[str, ...] = (
    "mart_product_profitability",
    "mart_product_group_profitability",
)
"""The profitability marts, built only for a source with product costs (``using_product_costs``);
the report leaves the section out without them."""

LOCATION_TABLES: tuple[str, ...] = ("mart_location_performance", "mart_location_monthly")
"""The location marts, built for every source (margin columns null without costs)."""

EMPLOYEE_TABLES: tuple[str, ...] = ("mart_employee_performance",)
"""The employee marts, built only for a source with employees (``using_employees``)."""

ANOMALY_TABLES: tuple[str, ...] = ("mart_kpi_anomalies",)
"""The KPI anomaly mart; the report shows "not built yet" without it."""

ANOMALIES_SHOWN = 25
"""Most anomalies of the newest load listed in the report (the rest are counted)."""

TOP_EMPLOYEES = 15
"""How many employees the top-employees chart and table show."""

QUALITY_PROBLEMS_SHOWN = 20
"""Most warnings and failures of the latest build day listed in the report."""

TOP_PRODUCTS = 15
"""How many products the top-products chart shows."""

RECENT_ACTUAL_WEEKS = 26
"""Weeks of actual sales shown before the forecast, for context."""


@dataclass(frozen=True)
class Schemas:
    """The schemas the report reads, with the warehouse's prefix."""

    marts: str = "marts"
    ml: str = "ml"
    monitoring: str = "monitoring"

    @classmethod
    def from_settings(cls, settings: Settings) -> Schemas:
        """The schemas of ``settings`` (prefix + ``marts`` / ``ml``)."""
        return cls(
            marts=schema_name(settings.schema_prefix, "marts"),
            ml=schema_name(settings.schema_prefix, "ml"),
            monitoring=schema_name(settings.schema_prefix, "monitoring"),
        )


def plain(value: Any) -> Any:
    """An engine value as plain Python: ``Decimal`` -> ``float``, datetimes kept, rest as is."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def fetch(
    warehouse: Warehouse, sql: str, columns: Sequence[str], params: Sequence[Any] = ()
) -> list[Row]:
    """Run ``sql`` and name each row's values by ``columns`` (the select list, in order)."""
    return [
        {name: plain(value) for name, value in zip(columns, row, strict=True)}
        for row in warehouse.query(sql, params)
    ]


def _select(columns: Sequence[str]) -> str:
    """The select list."""
    return ", ".join(columns)


def missing_tables(warehouse: Warehouse, schema: str, tables: Sequence[str]) -> list[str]:
    """The tables of ``tables`` that do not exist in ``schema`` (as ``schema.table``)."""
    return [f"{schema}.{table}" for table in tables if not warehouse.table_exists(schema, table)]


MONTHLY_COLUMNS = (
    "month_start_date",
    "net_revenue",
    "net_revenue_mom_growth_pct",
    "order_count",
    "cancelled_invoice_count",
    "active_customer_count",
    "new_customer_count",
    "returning_customer_count",
    "average_order_value",
    "is_complete_month",
    "last_data_date",
)


def monthly_sales(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """One row per month of ``mart_sales_monthly``, oldest first."""
    sql = (
        f"select {_select(MONTHLY_COLUMNS)} from {schemas.marts}.mart_sales_monthly "
        "order by month_start_date"
    )
    return fetch(warehouse, sql, MONTHLY_COLUMNS)


DISTRIBUTION_COLUMNS = (
    "month_start_date",
    "invoice_count",
    "p5_amount",
    "p25_amount",
    "p50_amount",
    "p75_amount",
    "p95_amount",
    "mean_amount",
)


def invoice_value_bands(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Order-value percentiles per month, oldest first."""
    sql = (
        f"select {_select(DISTRIBUTION_COLUMNS)} "
        f"from {schemas.marts}.mart_invoice_value_distribution order by month_start_date"
    )
    return fetch(warehouse, sql, DISTRIBUTION_COLUMNS)


COHORT_COLUMNS = (
    "cohort_month",
    "months_since_first_purchase",
    "cohort_customer_count",
    "retention_rate",
)


def cohort_retention(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Cohort x months-since-first-purchase retention of ``mart_customer_cohorts``."""
    sql = (
        f"select {_select(COHORT_COLUMNS)} from {schemas.marts}.mart_customer_cohorts "
        "order by cohort_month, months_since_first_purchase"
    )
    return fetch(warehouse, sql, COHORT_COLUMNS)


LADDER_COLUMNS = (
    "cohort",
    "step",
    "step_label",
    "reached_customer_count",
    "customer_share",
    "conversion_rate",
    "dropped_customer_count",
    "drop_off_rate",
    "median_days_since_previous",
    "p90_days_since_previous",
)


def purchase_ladder(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """The steps of ``mart_purchase_ladder`` (1st, 2nd, ... 5+ order) of every cohort ('all'
    and each first-purchase year), by cohort then step."""
    sql = (
        f"select {_select(LADDER_COLUMNS)} from {schemas.marts}.mart_purchase_ladder "
        "order by cohort, step"
    )
    return fetch(warehouse, sql, LADDER_COLUMNS)


LOYALTY_MONTHLY_COLUMNS = (
    "month_start_date",
    "points_issued",
    "points_redeemed",
    "points_outstanding",
    "outstanding_liability",
    "rewards_cost",
    "rewards_cost_share",
    "active_member_count",
    "cumulative_member_count",
)


def loyalty_monthly(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """One row per month of ``mart_loyalty_programme_monthly``, oldest first."""
    sql = (
        f"select {_select(LOYALTY_MONTHLY_COLUMNS)} "
        f"from {schemas.marts}.mart_loyalty_programme_monthly order by month_start_date"
    )
    return fetch(warehouse, sql, LOYALTY_MONTHLY_COLUMNS)


LOYALTY_SCENARIO_COLUMNS = (
    "scenario_id",
    "scenario_order",
    "description",
    "points_per_currency_unit",
    "points_per_reward",
    "reward_value",
    "member_count",
    "rewards_redeemed",
    "rewards_cost",
    "outstanding_liability",
    "programme_cost",
    "net_revenue",
    "programme_cost_share",
    "programme_cost_per_member",
)


def loyalty_scenarios(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """The rule sets of ``mart_loyalty_scenarios``, the default first."""
    sql = (
        f"select {_select(LOYALTY_SCENARIO_COLUMNS)} "
        f"from {schemas.marts}.mart_loyalty_scenarios order by scenario_order, scenario_id"
    )
    return fetch(warehouse, sql, LOYALTY_SCENARIO_COLUMNS)


SEGMENT_COLUMNS = (
    "segment",
    "segment_order",
    "reference_date",
    "customer_count",
    "customer_share",
    "mean_recency_days",
    "net_revenue",
    "revenue_share",
    "recommended_action",
)


def rfm_segments(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """The RFM segments of ``mart_rfm_segments`` in their grid order."""
    sql = (
        f"select {_select(SEGMENT_COLUMNS)} from {schemas.marts}.mart_rfm_segments "
        "order by segment_order"
    )
    return fetch(warehouse, sql, SEGMENT_COLUMNS)


MIGRATION_COLUMNS = (
    "quarter_end_date",
    "previous_quarter_end_date",
    "from_segment",
    "to_segment",
    "customer_count",
    "from_segment_share",
)


def latest_segment_migration(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """The moves between segments into the latest complete quarter (the latest if none is)."""
    table = f"{schemas.marts}.mart_segment_migration"
    sql = (
        f"select {_select(MIGRATION_COLUMNS)} from {table} "
        "where quarter_end_date = (select coalesce("
        f"(select max(quarter_end_date) from {table} where is_complete_quarter), "
        f"(select max(quarter_end_date) from {table}))) "
        "order by from_segment, to_segment"
    )
    return fetch(warehouse, sql, MIGRATION_COLUMNS)


CLUSTER_COLUMNS = (
    "cluster_id",
    "cluster_label",
    "customer_count",
    "customer_share",
    "net_revenue_share",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
    "mean_average_order_value",
    "silhouette_score",
)


def cluster_profiles(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """The customer clusters of ``ml_cluster_profiles``, by id."""
    sql = (
        f"select {_select(CLUSTER_COLUMNS)} from {schemas.ml}.ml_cluster_profiles "
        "order by cluster_id"
    )
    return fetch(warehouse, sql, CLUSTER_COLUMNS)


PRODUCT_COLUMNS = ("product_id", "description", "revenue_rank", "abc_class", "net_revenue")


def top_products(warehouse: Warehouse, schemas: Schemas, limit: int = TOP_PRODUCTS) -> list[Row]:
    """The ``limit`` products with the most net revenue (``revenue_rank`` 1, 2, ...)."""
    sql = (
        f"select {_select(PRODUCT_COLUMNS)} from {schemas.marts}.mart_product_performance "
        "order by revenue_rank, product_id limit ?"
    )
    return fetch(warehouse, sql, PRODUCT_COLUMNS, [limit])


ABC_COLUMNS = ("abc_class", "products", "net_revenue")


def abc_classes(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Products and net revenue per ABC class."""
    sql = (
        "select abc_class, count(*), sum(net_revenue) "
        f"from {schemas.marts}.mart_product_performance group by abc_class order by abc_class"
    )
    return fetch(warehouse, sql, ABC_COLUMNS)


PROFIT_PRODUCT_COLUMNS = (
    "product_id",
    "product_name",
    "product_type",
    "brand",
    "net_revenue",
    "cost_of_goods",
    "gross_margin",
    "gross_margin_rate",
    "margin_rank",
    "margin_abc_class",
    "revenue_abc_class",
)


def top_profit_products(
    warehouse: Warehouse, schemas: Schemas, limit: int = TOP_PRODUCTS
) -> list[Row]:
    """The ``limit`` products with the most gross margin (``margin_rank`` 1, 2, ...)."""
    sql = (
        f"select {_select(PROFIT_PRODUCT_COLUMNS)} "
        f"from {schemas.marts}.mart_product_profitability "
        "order by margin_rank, product_id limit ?"
    )
    return fetch(warehouse, sql, PROFIT_PRODUCT_COLUMNS, [limit])


MARGIN_ABC_COLUMNS = ("margin_abc_class", "products", "net_revenue", "gross_margin")


def margin_abc_classes(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Products, net revenue and gross margin per ABC class by margin."""
    sql = (
        "select margin_abc_class, count(*), sum(net_revenue), sum(gross_margin) "
        f"from {schemas.marts}.mart_product_profitability "
        "group by margin_abc_class order by margin_abc_class"
    )
    return fetch(warehouse, sql, MARGIN_ABC_COLUMNS)


PRODUCT_GROUP_COLUMNS = (
    "group_level",
    "group_name",
    "product_count",
    "net_revenue",
    "gross_margin",
    "gross_margin_rate",
    "margin_share",
    "margin_rank",
)


def product_group_margins(
    warehouse: Warehouse, schemas: Schemas, level: str, limit: int = TOP_PRODUCTS
) -> list[Row]:
    """The ``limit`` groups of ``level`` (product_type, brand, manufacturer) with the most
    gross margin."""
    sql = (
        f"select {_select(PRODUCT_GROUP_COLUMNS)} "
        f"from {schemas.marts}.mart_product_group_profitability "
        "where group_level = ? order by margin_rank, group_name limit ?"
    )
    return fetch(warehouse, sql, PRODUCT_GROUP_COLUMNS, [level, limit])


LOCATION_COLUMNS = (
    "location_role",
    "country_code",
    "country_name",
    "region",
    "order_count",
    "customer_count",
    "net_revenue",
    "gross_margin",
    "gross_margin_rate",
    "revenue_share",
    "revenue_rank",
    "revenue_growth_rate",
)


def locations(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Every location of ``mart_location_performance``, customer side first, by revenue rank."""
    sql = (
        f"select {_select(LOCATION_COLUMNS)} from {schemas.marts}.mart_location_performance "
        "order by location_role, revenue_rank, country_code"
    )
    return fetch(warehouse, sql, LOCATION_COLUMNS)


REGION_MONTH_COLUMNS = ("region", "month_start_date", "net_revenue", "gross_margin")


def customer_region_months(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Net revenue and gross margin per customer region and month, oldest first."""
    sql = (
        "select region, month_start_date, sum(net_revenue), sum(gross_margin) "
        f"from {schemas.marts}.mart_location_monthly where location_role = 'customer' "
        "group by region, month_start_date order by month_start_date, region"
    )
    return fetch(warehouse, sql, REGION_MONTH_COLUMNS)


EMPLOYEE_COLUMNS = (
    "employee_id",
    "employee_name",
    "order_count",
    "customer_count",
    "net_revenue",
    "gross_margin",
    "gross_margin_rate",
    "returns_share",
    "margin_rank",
    "reward_tier",
)


def top_employees(warehouse: Warehouse, schemas: Schemas, limit: int = TOP_EMPLOYEES) -> list[Row]:
    """The ``limit`` employees with the most gross margin (``margin_rank`` 1, 2, ...)."""
    sql = (
        f"select {_select(EMPLOYEE_COLUMNS)} from {schemas.marts}.mart_employee_performance "
        "order by margin_rank, employee_id limit ?"
    )
    return fetch(warehouse, sql, EMPLOYEE_COLUMNS, [limit])


REWARD_TIER_COLUMNS = ("reward_tier", "employees", "order_count", "net_revenue", "gross_margin")


def reward_tiers(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Employees, orders, net revenue and gross margin per reward tier."""
    sql = (
        "select reward_tier, count(*), sum(order_count), sum(net_revenue), sum(gross_margin) "
        f"from {schemas.marts}.mart_employee_performance group by reward_tier"
    )
    return fetch(warehouse, sql, REWARD_TIER_COLUMNS)


COUNTRY_COLUMNS = (
    "country_code",
    "country_name",
    "revenue_rank",
    "net_revenue",
    "revenue_share",
    "customer_count",
    "net_revenue_growth_12m_pct",
)


def countries(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Every country of ``mart_country_performance`` by revenue rank."""
    sql = (
        f"select {_select(COUNTRY_COLUMNS)} from {schemas.marts}.mart_country_performance "
        "order by revenue_rank, country_name"
    )
    return fetch(warehouse, sql, COUNTRY_COLUMNS)


def total_forecast(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """The weekly forecast of the ``total`` series of ``ml_sales_forecast``."""
    sql = (
        f"select {_select(FORECAST_COLUMNS)} from {schemas.ml}.ml_sales_forecast "
        "where series = ? order by week_ahead"
    )
    return fetch(warehouse, sql, FORECAST_COLUMNS, ["total"])


DAILY_COLUMNS = ("date_day", "net_revenue")


def recent_daily_sales(
    warehouse: Warehouse, schemas: Schemas, days: int = 7 * RECENT_ACTUAL_WEEKS
) -> list[Row]:
    """Net revenue of the last ``days`` days of ``mart_sales_daily``, newest first."""
    sql = (
        f"select {_select(DAILY_COLUMNS)} from {schemas.marts}.mart_sales_daily "
        "order by date_day desc limit ?"
    )
    return fetch(warehouse, sql, DAILY_COLUMNS, [days])


EVALUATION_COLUMNS = ("model", "evaluation_group", "metric", "method", "value", "is_selected")


def model_evaluation(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Backtest figures of ``ml_model_evaluation``: kept method first within model and metric."""
    sql = (
        f"select {_select(EVALUATION_COLUMNS)} from {schemas.ml}.ml_model_evaluation "
        "order by model, evaluation_group, metric, is_selected desc, method"
    )
    return fetch(warehouse, sql, EVALUATION_COLUMNS)


LOAD_QUALITY_COLUMNS = (
    "load_id",
    "load_date",
    "source_file",
    "line_count",
    "recent_average_line_count",
    "times_recent_average",
    "no_customer_line_share",
    "excluded_line_share",
    "days_from_last_invoice_to_load",
    "largest_invoice_date_gap_days",
    "is_low_volume",
    "has_invoice_date_gap",
)


def load_quality(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """One row per load of ``mart_load_quality``, oldest first."""
    sql = (
        f"select {_select(LOAD_QUALITY_COLUMNS)} from {schemas.monitoring}.mart_load_quality "
        "order by load_id"
    )
    return fetch(warehouse, sql, LOAD_QUALITY_COLUMNS)


TEST_DAY_COLUMNS = ("run_date", "passed", "warned", "failed", "skipped")
_OUTCOME_OF_COLUMN = {"passed": "pass", "warned": "warn", "failed": "fail", "skipped": "skipped"}


def test_outcomes_per_day(warehouse: Warehouse, schemas: Schemas) -> list[Row]:
    """Per build day of ``mart_data_quality_daily``: how many tests passed, warned, failed
    or were skipped (each test's worst outcome that day), oldest first."""
    counts = ", ".join(
        f"sum(case when day_outcome = '{outcome}' then 1 else 0 end) as {name}"
        for name, outcome in _OUTCOME_OF_COLUMN.items()
    )
    sql = (
        f"select run_date, {counts} from {schemas.monitoring}.mart_data_quality_daily "
        "group by run_date order by run_date"
    )
    return fetch(warehouse, sql, TEST_DAY_COLUMNS)


TEST_PROBLEM_COLUMNS = (
    "run_date",
    "test_name",
    "day_outcome",
    "last_outcome",
    "last_failing_row_count",
    "max_failing_row_count",
)


def latest_test_problems(
    warehouse: Warehouse, schemas: Schemas, limit: int = QUALITY_PROBLEMS_SHOWN
) -> list[Row]:
    """The tests that warned or failed on the latest build day, failures first."""
    table = f"{schemas.monitoring}.mart_data_quality_daily"
    sql = (
        f"select {_select(TEST_PROBLEM_COLUMNS)} from {table} "
        f"where run_date = (select max(run_date) from {table}) "
        "and day_outcome in ('warn', 'fail') "
        "order by case when day_outcome = 'fail' then 0 else 1 end, test_name "
        f"limit {int(limit)}"
    )
    return fetch(warehouse, sql, TEST_PROBLEM_COLUMNS)


ANOMALY_COLUMNS = (
    "load_id",
    "period_grain",
    "series",
    "kpi",
    "period_start_date",
    "actual_value",
    "expected_value",
    "times_expected",
    "anomaly_direction",
)


def newest_load_anomalies(
    warehouse: Warehouse, schemas: Schemas, limit: int = ANOMALIES_SHOWN
) -> tuple[list[Row], int]:
    """The KPI anomalies of the newest load of ``mart_kpi_anomalies`` (the alerts of the
    latest refresh, docs/alerts.md): newest period first, the total before the countries, the
    largest deviation first; at most ``limit`` of them, and how many there are."""
    table = f"{schemas.marts}.mart_kpi_anomalies"
    newest = f"is_anomaly and load_id = (select max(load_id) from {table})"
    sql = (
        f"select {_select(ANOMALY_COLUMNS)} from {table} where {newest} "
        "order by period_start_date desc, case when series = 'total' then 0 else 1 end, "
        "case when times_expected < 1 then 1 - times_expected else times_expected - 1 end desc, "
        f"period_grain, series, kpi limit {int(limit)}"
    )
    count = warehouse.query(f"select count(*) from {table} where {newest}")[0][0]
    return fetch(warehouse, sql, ANOMALY_COLUMNS), int(count)


def weekly_totals(daily: Sequence[Row], week_end: dt.date, weeks: int) -> list[Row]:
    """Sum daily net revenue into 7-day weeks ending on ``week_end`` (the last ``weeks``).

    The same weeks as the forecast: week 0 ends on ``week_end``, week -1 seven days earlier.
    Returns ``{"week_end_date", "net_revenue"}`` rows, oldest first; days after ``week_end`` or
    before the first week are ignored.
    """
    totals: dict[int, float] = {}
    for row in daily:
        back = (week_end - row["date_day"]).days
        if back < 0:
            continue
        week = back // 7
        if week < weeks:
            totals[week] = totals.get(week, 0.0) + float(row["net_revenue"] or 0.0)
    return [
        {"week_end_date": week_end - dt.timedelta(days=7 * week), "net_revenue": totals[week]}
        for week in sorted(totals, reverse=True)
    ]
