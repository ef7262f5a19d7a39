"""Unit tests for the dashboard's page assembly, data access and command, on a tiny DuckDB file
with hand-made marts (with and without the RFM and ML tables)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from retail_warehouse.cli import main
from retail_warehouse.engines import DuckDBWarehouse
from retail_warehouse.errors import ConfigError, NotBuiltError
from retail_warehouse.report.alert_section import kpi_alerts_section
from retail_warehouse.report.build import build_report, write_report
from retail_warehouse.report.charts import bar_chart
from retail_warehouse.report.data import Schemas, weekly_totals
from retail_warehouse.report.page import (
    Figure,
    Section,
    chart_count,
    not_built_section,
    render_page,
)
from retail_warehouse.report.sections import (
    data_quality_section,
    evaluation_tables,
)
from retail_warehouse.report.source_sections import location_section
from retail_warehouse.settings import Settings

CORE_SQL = """
create schema marts;
create table marts.mart_sales_monthly as
select * from (values
    (date '2011-10-01', 1000.00::decimal(18,2), null::decimal(18,2), 10, 2, 8, 3, 5,
     100.00::decimal(18,2), true, date '2011-10-31'),
    (date '2011-11-01', 1500.00, 50.00, 12, 1, 9, 2, 7, 125.00, true, date '2011-11-30'),
    (date '2011-12-01', 300.00, -80.00, 3, 0, 3, 0, 3, 100.00, false, date '2011-12-09')
) as t(month_start_date, net_revenue, net_revenue_mom_growth_pct, order_count,
       cancelled_invoice_count, active_customer_count, new_customer_count, returning_customer_count,
       average_order_value, is_complete_month, last_data_date);
create table marts.mart_sales_daily as
select (date '2011-12-09' - i::integer) as date_day, (100 + i)::decimal(18,2) as net_revenue
from range(0, 60) as r(i);
create table marts.mart_invoice_value_distribution as
select * from (values
    ('2011-10', date '2011-10-01', 10, 5.0, 20.0, 50.0, 90.0, 300.0, 70.0),
    ('2011-11', date '2011-11-01', 12, 6.0, 22.0, 55.0, 95.0, 320.0, 75.0)
) as t(period, month_start_date, invoice_count, p5_amount, p25_amount,
       p50_amount, p75_amount, p95_amount, mean_amount);
create table marts.mart_customer_cohorts as
select * from (values
    (date '2011-10-01', 0, 5, 1.0), (date '2011-10-01', 1, 5, 0.4),
    (date '2011-11-01', 0, 3, 1.0)
) as t(cohort_month, months_since_first_purchase, cohort_customer_count, retention_rate);
create table marts.mart_purchase_ladder as
select * from (values
    ('all', 1, '1', 8, 1.0, null, null, null, null, null),
    ('all', 2, '2', 4, 0.5, 0.5, 4, 0.5, 30.0, 95.0),
    ('2010', 1, '1', 5, 1.0, null, null, null, null, null),
    ('2010', 2, '2', 4, 0.8, 0.8, 1, 0.2, 30.0, 95.0),
    ('2011', 1, '1', 3, 1.0, null, null, null, null, null),
    ('2011', 2, '2', 0, 0.0, 0.0, 3, 1.0, null, null)
) as t(cohort, step, step_label, reached_customer_count, customer_share,
       conversion_rate, dropped_customer_count, drop_off_rate,
       median_days_since_previous, p90_days_since_previous);
create table marts.mart_product_performance as
select * from (values
    ('P1', '<script>alert(1)</script>', 1, 'A', 2000.0),
    ('P2', 'Mug & Saucer', 2, 'B', 600.0),
    ('P3', null, 3, 'C', 200.0)
) as t(product_id, description, revenue_rank, abc_class, net_revenue);
create table marts.mart_country_performance as
select * from (values
    ('GB', 'United Kingdom', 1, 2500.0, 0.9, 7, 10.0),
    ('FR', 'France', 2, 300.0, 0.1, 1, null)
) as t(country_code, country_name, revenue_rank, net_revenue, revenue_share, customer_count,
       net_revenue_growth_12m_pct);
"""

EXTRA_SQL = """
create table marts.mart_rfm_segments as
select * from (values
    ('Champions', 1, date '2011-12-10', 2, 0.25, 5.0, 2000.0, 0.8, 'Reward them'),
    ('Hibernating', 2, date '2011-12-10', 6, 0.75, 300.0, 500.0, 0.2, 'Low-cost channels')
) as t(segment, segment_order, reference_date, customer_count, customer_share,
       mean_recency_days, net_revenue, revenue_share, recommended_action);
create table marts.mart_segment_migration as
select * from (values
    (date '2011-09-30', date '2011-06-30', true, 'Champions', 'Champions', 2, 1.0),
    (date '2011-09-30', date '2011-06-30', true, 'Hibernating', 'Champions', 1, 0.2),
    (date '2011-09-30', date '2011-06-30', true, 'Hibernating', 'Hibernating', 4, 0.8),
    (date '2011-12-09', date '2011-09-30', false, 'Champions', 'Hibernating', 1, 0.5)
) as t(quarter_end_date, previous_quarter_end_date, is_complete_quarter, from_segment,
       to_segment, customer_count, from_segment_share);
create table marts.mart_loyalty_programme_monthly as
select * from (values
    (date '2011-10-01', 10000, 5000, 5000, 5.00, 5.00, 0.005, 3, 3),
    (date '2011-11-01', 12000, 10000, 7000, 7.00, 10.00, 0.0067, 4, 5)
) as t(month_start_date, points_issued, points_redeemed, points_outstanding,
       outstanding_liability, rewards_cost, rewards_cost_share, active_member_count,
       cumulative_member_count);
create table marts.mart_loyalty_scenarios as
select * from (values
    ('default', 1, 'The default rules', 10.0, 5000, 5.00, 5, 3, 15.00, 7.00, 22.00,
     2800.00, 0.007857, 4.40),
    ('top_tiers_only', 2, 'Only <b>platinum</b>', 10.0, 5000, 5.00, 1, 1, 5.00, 1.00, 6.00,
     2800.00, 0.002143, 6.00)
) as t(scenario_id, scenario_order, description, points_per_currency_unit,
       points_per_reward, reward_value, member_count, rewards_redeemed, rewards_cost,
       outstanding_liability, programme_cost, net_revenue, programme_cost_share,
       programme_cost_per_member);
create schema ml;
create table ml.ml_cluster_profiles as
select * from (values
    (1, 'high-value', 3, 0.375, 0.9, 20.0, 5.0, 900.0, 150.0, 0.3),
    (2, 'low-value', 5, 0.625, 0.1, 200.0, 1.0, 60.0, 60.0, 0.3)
) as t(cluster_id, cluster_label, customer_count, customer_share, net_revenue_share,
       mean_recency_days, mean_frequency, mean_monetary, mean_average_order_value,
       silhouette_score);
create table ml.ml_sales_forecast as
select 'total' as series, w as week_ahead,
       date '2011-12-10' + (7 * (w - 1))::integer as week_start_date,
       date '2011-12-16' + (7 * (w - 1))::integer as week_end_date,
       1000.0 as forecast_net_revenue, 800.0 as lower_80, 1300.0 as upper_80,
       950.0 as same_week_last_year, 'seasonal_naive_smoothed' as method,
       'ml-0.2.0' as model_version, date '2011-12-09' as as_of_date
from range(1, 13) as r(w);
create table ml.ml_model_evaluation as
select * from (values
    ('sales_forecast', 'total', 'seasonal_naive', 'mae', 12.0, false),
    ('sales_forecast', 'total', 'smoothed', 'mae', 10.0, true),
    ('sales_forecast', 'total', 'baseline_x', 'mae', 15.0, false)
) as t(model, evaluation_group, method, metric, value, is_selected);
create table marts.mart_kpi_anomalies as
select * from (values
    (2, 'day', 'total', 'order_count', date '2011-12-09', 44.0, 97.5, 0.4513, 'drop', true),
    (2, 'day', 'GB', 'net_revenue', date '2011-12-09', 9000.0, 4000.0, 2.25, 'spike', true),
    (2, 'week', 'total', 'order_count', date '2011-12-05', 500.0, 490.0, 1.0204, null, false),
    (1, 'day', 'total', 'order_count', date '2011-11-09', 10.0, 97.5, 0.1026, 'drop', true)
) as t(load_id, period_grain, series, kpi, period_start_date, actual_value, expected_value,
       times_expected, anomaly_direction, is_anomaly);
create schema monitoring;
create table monitoring.mart_load_quality as
select * from (values
    (1, date '2011-01-05', 'a.csv', 1000, null, null, 0.25, 0.04, 3, 12, false, false),
    (2, date '2011-02-05', 'b.csv', 300, 1000.0, 0.3, 0.2, 0.03, 2, 20, true, true)
) as t(load_id, load_date, source_file, line_count, recent_average_line_count,
       times_recent_average, no_customer_line_share, excluded_line_share,
       days_from_last_invoice_to_load, largest_invoice_date_gap_days, is_low_volume,
       has_invoice_date_gap);
create table monitoring.mart_data_quality_daily as
select * from (values
    (date '2026-11-01', 'test.p.t1', 't1', 'pass', 'pass', 0, 0),
    (date '2026-11-01', 'test.p.t2', 't2', 'warn', 'warn', 4, 4),
    (date '2026-11-02', 'test.p.t1', 'not_null_<b>t1</b>', 'fail', 'pass', 0, 7),
    (date '2026-11-02', 'test.p.t2', 't2', 'warn', 'warn', 5, 5),
    (date '2026-11-02', 'test.p.t3', 't3', 'pass', 'pass', 0, 0)
) as t(run_date, test_id, test_name, day_outcome, last_outcome, last_failing_row_count,
       max_failing_row_count);
"""


def _make(path: Path, *scripts: str) -> Path:
    """A DuckDB file with the given SQL run in it."""
    connection = duckdb.connect(str(path))
    for script in scripts:
        connection.execute(script)
    connection.close()
    return path


@pytest.fixture()
def core_only(tmp_path: Path) -> Path:
    """Core marts, no RFM and no ML tables."""
    return _make(tmp_path / "core.duckdb", CORE_SQL)


@pytest.fixture()
def complete(tmp_path: Path) -> Path:
    """Every table the report reads."""
    return _make(tmp_path / "complete.duckdb", CORE_SQL, EXTRA_SQL)


def _charts(html: str) -> list[ET.Element]:
    """Every ``svg.chart`` of a page, parsed (each must be well-formed XML)."""
    charts, start = [], 0
    while (start := html.find('<svg class="chart"', start)) >= 0:
        end = html.index("</svg>", start) + len("</svg>")
        charts.append(ET.fromstring(html[start:end]))
        start = end
    return charts


def test_render_page_escapes_text_and_counts_charts() -> None:
    chart = bar_chart(["a"], [1.0], "One bar")
    sections = [
        Section("one", "Sales <& more>", paragraphs=('He said "hi" & left',)),
        Section("two", "Charts", figures=(Figure("caption <i>", chart), Figure("t", chart))),
        not_built_section("ml", "ML", ["ml.ml_sales_forecast"], "dbt build"),
    ]
    page = render_page("Title <x>", "2011-12-09", "duckdb <pg>", sections)
    assert page.startswith("<!DOCTYPE html>")
    assert "<x>" not in page and "Title &lt;x&gt;" in page
    assert "Sales &lt;&amp; more&gt;" in page
    assert "He said &quot;hi&quot; &amp; left" in page
    assert "caption &lt;i&gt;" in page
    assert "target duckdb &lt;pg&gt;" in page and "2011-12-09" in page
    assert "Not built yet: ml.ml_sales_forecast not found" in page
    assert chart_count(sections) == 2 and 'data-chart-count="2"' in page
    assert "Online Retail II" in page and "CC BY 4.0" in page
    assert len(_charts(page)) == 2


def test_weekly_totals_match_forecast_weeks() -> None:
    daily = [
        {"date_day": dt.date(2011, 12, 9) - dt.timedelta(days=offset), "net_revenue": 1.0}
        for offset in range(-1, 20)
    ]
    weeks = weekly_totals(daily, dt.date(2011, 12, 9), 2)
    assert weeks == [
        {"week_end_date": dt.date(2011, 12, 2), "net_revenue": 7.0},
        {"week_end_date": dt.date(2011, 12, 9), "net_revenue": 7.0},
    ]


def test_evaluation_tables_put_the_kept_method_first() -> None:
    rows = [
        {
            "model": "m",
            "evaluation_group": "s",
            "metric": "mae",
            "method": name,
            "value": value,
            "is_selected": kept,
        }
        for name, value, kept in [("baseline_a", 3.0, False), ("b", 2.0, False), ("c", 1.0, True)]
    ]
    (figure,) = evaluation_tables(rows)
    headers = [th.text for th in ET.fromstring(figure.html).iter("th")]
    assert headers == ["group", "metric", "c (kept)", "b", "baseline_a"]


def test_data_quality_of_a_first_load_without_recorded_builds() -> None:
    load = {
        "load_id": 1,
        "load_date": dt.date(2026, 11, 30),
        "source_file": "online_retail_II.csv.gz",
        "line_count": 1_067_371,
        "recent_average_line_count": None,
        "times_recent_average": None,
        "no_customer_line_share": 0.228,
        "excluded_line_share": 0.038,
        "days_from_last_invoice_to_load": 5470,
        "largest_invoice_date_gap_days": 12,
        "is_low_volume": False,
        "has_invoice_date_gap": False,
    }
    section = data_quality_section([load], [], [])
    text = " ".join(section.paragraphs)
    assert "the first load, so nothing to compare its volume with" in text
    assert "22.8 % without a customer and 3.8 % excluded" in text
    assert "No load is unusually small" in text
    assert "No builds recorded yet" in text
    assert section.chart_count == 2
    assert data_quality_section([], [], []).missing == "No loads yet."


def test_report_without_rfm_and_ml_says_not_built(core_only: Path) -> None:
    warehouse = DuckDBWarehouse(core_only, read_only=True)
    try:
        report = build_report(warehouse, "duckdb", Schemas())
    finally:
        warehouse.close()
    assert report.as_of == "2011-12-09"
    assert report.missing_sections == [
        "RFM segments",
        "Loyalty programme",
        "Customer clusters (ML)",
        "Sales forecast (ML)",
        "Model backtests (ML)",
        "KPI alerts",
        "Data quality",
    ]
    assert report.html.count("Not built yet") == 7
    assert report.chart_count == len(_charts(report.html)) == 9
    assert "<script" not in report.html and "&lt;script&gt;" in report.html
    assert "Mug &amp; Saucer" in report.html


def test_the_report_never_overwrites_what_is_not_a_page(complete: Path, tmp_path: Path) -> None:
    # `report --output warehouse.duckdb` wrote the page over the warehouse file, raw data and all.
    settings = Settings(duckdb_path=complete)
    before = complete.read_bytes()
    with pytest.raises(ConfigError, match="not an HTML page"):
        write_report("duckdb", settings, complete)
    assert complete.read_bytes() == before
    with pytest.raises(ConfigError, match="is a folder"):
        write_report("duckdb", settings, tmp_path)
    page = tmp_path / "dashboard.html"
    write_report("duckdb", settings, page)
    write_report("duckdb", settings, page)  # a page of an earlier report is replaced


@pytest.mark.parametrize("output", ["/proc/self/mem", "/proc/self/status", "/sys/kernel/notes"])
def test_the_report_refuses_a_kernel_pseudo_file(complete: Path, output: str) -> None:
    """hostile5: `report --output /proc/self/mem` ended in a traceback (an I/O error while
    reading its first bytes); a pseudo-file is refused in one line, never read or written."""
    if not Path(output).exists():
        pytest.skip(f"{output} does not exist here")
    with pytest.raises(ConfigError, match="is not a regular file"):
        write_report("duckdb", Settings(duckdb_path=complete), Path(output))


def test_complete_report(complete: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "dashboard.html"
    report = write_report("duckdb", Settings(duckdb_path=complete), output)
    html = output.read_text(encoding="utf-8")
    assert html == report.html
    assert report.missing_sections == []
    assert report.chart_count == len(_charts(html)) == 19
    # commentary from the rows above, not fixed figures
    assert "best month was November 2011 (GBP 1,500 net revenue)" in html
    # the incomplete month (is_complete_month false) is named, not plotted as a crash
    assert "Left out, as the data covers them only in part: 2011-12." in html
    # the KPI alerts of the newest load (2), not load 1's, the total first
    alerts = html.split('id="alerts"')[1].split("<section")[0]
    assert "2 anomalies on the days of the newest load (2)" in alerts
    assert alerts.index("-54.9 %") < alerts.index("+125.0 %") and "2011-11-09" not in alerts
    sales = html.split('id="sales"')[1].split("<section")[0]
    assert "2011-11" in sales and "2011-12" not in sales.replace("2011-12.", "")
    assert "Revenue concentrates in United Kingdom, with 90.0 %" in html
    assert "Invest in Champions" in html and "Let Hibernating go" in html
    assert "is GBP 12 k of net revenue (80 % band GBP 10 k to GBP 16 k)" in html
    # latest complete quarter of the migration, not the partial one
    assert "Segment migration 2011-06-30 -&gt; 2011-09-30" in html
    assert "smoothed (kept)" in html
    # loyalty: the cost sentence from the default scenario, the comparison escaped
    assert (
        "the programme would have cost GBP 22, 0.79 % of net revenue: GBP 15 in 3 rewards "
        "redeemed and GBP 7 of points still outstanding, for 5 members" in html
    )
    assert "Only &lt;b&gt;platinum&lt;/b&gt;" in html
    # drop-off by first-purchase year: the 2011 cohort never reached a 2nd order
    assert "<td>2011</td><td class" in html and "reach order 2" in html
    # data quality: the latest load, the flagged one, the latest build day, escaped names
    assert "Latest load: 2 (b.csv, 2011-02-05), 300 lines, 0.30 times the average" in html
    assert "Check load 2 (300 lines, 0.30 of usual; a 20-day gap in invoice dates)." in html
    assert "On 2026-11-02: 1 tests passed, 1 warned, 1 failed." in html
    assert "Warnings and failures on 2026-11-02" in html
    assert html.index("not_null_&lt;b&gt;t1&lt;/b&gt;") < html.index("<td>t2</td>")


def test_missing_core_marts_is_an_error(tmp_path: Path) -> None:
    path = _make(tmp_path / "empty.duckdb", "create schema marts")
    with pytest.raises(NotBuiltError, match="mart_sales_monthly"):
        write_report("duckdb", Settings(duckdb_path=path), tmp_path / "x.html")
    with pytest.raises(NotBuiltError, match="does not exist"):
        write_report("duckdb", Settings(duckdb_path=tmp_path / "no.duckdb"), tmp_path / "x.html")


def test_report_command(
    complete: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DUCKDB_PATH", str(complete))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    output = tmp_path / "report" / "dashboard.html"
    assert main(["report", "--target", "duckdb", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"wrote {output}: 19 charts in 12 sections (duckdb, data as of 2011-12-09)"
    )
    assert output.is_file()
    # the command only reads: a read-only reader can hold the file at the same time
    holder = duckdb.connect(str(complete), read_only=True)
    try:
        assert main(["report", "--output", str(output)]) == 0
    finally:
        holder.close()
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "missing.duckdb"))
    assert main(["report", "--output", str(output)]) == 2


LOCATION_SQL = """
create table marts.mart_location_performance as
select * from (values
    ('customer', 'DE', 'Germany', 'EUROPE', 40, 12, 5000.00, {margin_de}, {pct_de}, 0.625, 1,
     0.25),
    ('customer', 'US', 'United <States>', 'AMERICA', 20, 9, 3000.00, {margin_us}, {pct_us},
     0.375, 2, null),
    ('supplier', 'FR', 'France', 'EUROPE', 50, 15, 8000.00, {margin_fr}, {pct_fr}, 1.0, 1, -0.1)
) as t(location_role, country_code, country_name, region, order_count, customer_count,
       net_revenue, gross_margin, gross_margin_rate, revenue_share, revenue_rank,
       revenue_growth_rate);
create table marts.mart_location_monthly as
select * from (values
    ('customer', 'DE', 'EUROPE', date '1995-01-01', 2000.00, {margin_de}),
    ('customer', 'DE', 'EUROPE', date '1995-02-01', 3000.00, null),
    ('customer', 'US', 'AMERICA', date '1995-02-01', 3000.00, {margin_us}),
    ('supplier', 'FR', 'EUROPE', date '1995-02-01', 8000.00, {margin_fr})
) as t(location_role, country_code, region, month_start_date, net_revenue, gross_margin);
"""

TPCH_SQL = (
    LOCATION_SQL.format(
        margin_de="1000.00",
        pct_de="0.2000",
        margin_us="300.00",
        pct_us="0.1000",
        margin_fr="1300.00",
        pct_fr="0.1625",
    )
    + """
create table marts.mart_product_profitability as
select * from (values
    ('1', 'goldenrod <lace>', 'STANDARD BRASS', 'Brand#13', 3000.00, 2000.00, 1000.00, 0.3333,
     1, 'A', 'A'),
    ('2', 'blush thistle', 'SMALL TIN', 'Brand#13', 4000.00, 3700.00, 300.00, 0.0750, 2, 'B', 'A'),
    ('3', null, 'SMALL TIN', 'Brand#42', 1000.00, 1000.00, 0.00, 0.0000, 3, 'C', 'B')
) as t(product_id, product_name, product_type, brand, net_revenue, cost_of_goods,
       gross_margin, gross_margin_rate, margin_rank, margin_abc_class, revenue_abc_class);
create table marts.mart_product_group_profitability as
select * from (values
    ('product_type', 'STANDARD BRASS', 1, 3000.00, 1000.00, 0.3333, 0.7692, 1),
    ('product_type', 'SMALL TIN', 2, 5000.00, 300.00, 0.0600, 0.2308, 2),
    ('brand', 'Brand#13', 2, 7000.00, 1300.00, 0.1857, 1.0, 1),
    ('brand', 'Brand#42', 1, 1000.00, 0.00, 0.0000, 0.0, 2)
) as t(group_level, group_name, product_count, net_revenue, gross_margin, gross_margin_rate,
       margin_share, margin_rank);
create table marts.mart_employee_performance as
select * from (values
    ('Clerk#1', 'Clerk#1', 20, 8, 4000.00, 800.00, 0.2000, 0.01, 1, 'gold'),
    ('Clerk#2', 'Clerk#2', 15, 7, 3000.00, 400.00, 0.1333, 0.02, 2, 'silver'),
    ('Clerk#3', 'Clerk#3', 14, 6, 900.00, 90.00, 0.1000, null, 3, 'standard'),
    ('Clerk#4', 'Clerk#<4>', 1, 1, 100.00, 10.00, 0.1000, 0.0, 4, 'not_eligible')
) as t(employee_id, employee_name, order_count, customer_count, net_revenue, gross_margin,
       gross_margin_rate, returns_share, margin_rank, reward_tier);
"""
)

ONLINE_RETAIL_LOCATION_SQL = LOCATION_SQL.format(
    margin_de="null",
    pct_de="null",
    margin_us="null",
    pct_us="null",
    margin_fr="null",
    pct_fr="null",
).replace("('supplier', 'FR', 'France', 'EUROPE', 50, 15, 8000.00, null, null, 1.0, 1, -0.1)", "")


def _report(path: Path) -> tuple[list[str], str, int]:
    """Section titles, HTML and chart count of the report of a DuckDB file."""
    warehouse = DuckDBWarehouse(path, read_only=True)
    try:
        report = build_report(warehouse, "duckdb", Schemas())
    finally:
        warehouse.close()
    assert report.chart_count == len(_charts(report.html))
    return [section.title for section in report.sections], report.html, report.chart_count


def test_report_of_a_source_with_costs_locations_and_employees(tmp_path: Path) -> None:
    titles, html, charts = _report(_make(tmp_path / "tpch.duckdb", CORE_SQL, TPCH_SQL))
    after = titles.index("Products and countries") + 1
    assert titles[after : after + 3] == ["Product profitability", "Locations", "Employees"]
    assert charts == 9 + 3 + 3 + 1  # products, types, brands; regions, margins, months; employees
    profitability = html.split('id="profitability"')[1].split("<section")[0]
    assert "Gross margin = net revenue - cost of goods: 1,300 on 8,000 of net revenue (16.2 %)" in (
        profitability
    )
    assert "Class A by margin: 1 of 3 products bring 76.9 % of the gross margin." in profitability
    assert "goldenrod &lt;lace&gt; (A)" in profitability and "<lace>" not in profitability
    assert "STANDARD BRASS (33.3 %)" in profitability and "Brand#42 (0.0 %)" in profitability
    locations = html.split('id="locations"')[1].split("<section")[0]
    assert "2 countries in 2 regions. Germany leads with 5,000 of net revenue (62.5 %)" in locations
    assert "Gross margin by customer region" in locations
    assert "United &lt;States&gt;" in locations and "+25.0 %" in locations
    assert "Supplier countries (the supply side)" in locations and "-10.0 %" in locations
    employees = html.split('id="employees"')[1].split("<section")[0]
    assert "1 gold, 1 silver, 1 standard, 1 not_eligible." in employees
    assert "The 1 gold employees took 20 orders and brought 61.5 % of the gross margin." in (
        employees
    )
    assert "Clerk#&lt;4&gt; (not_eligible)" in employees


def test_report_of_online_retail_shows_locations_without_margin(tmp_path: Path) -> None:
    path = _make(tmp_path / "or.duckdb", CORE_SQL, ONLINE_RETAIL_LOCATION_SQL)
    titles, html, charts = _report(path)
    assert "Locations" in titles
    assert "Product profitability" not in titles and "Employees" not in titles
    assert charts == 9 + 2
    locations = html.split('id="locations"')[1].split("<section")[0]
    assert "Margin is not shown: this source has no product costs." in locations
    assert "gross margin" not in locations.lower().replace("margin is not shown", "")
    assert "Supplier countries" not in locations


def test_report_without_source_marts_leaves_their_sections_out(core_only: Path) -> None:
    titles, html, _ = _report(core_only)
    for anchor in ("profitability", "locations", "employees"):
        assert f'id="{anchor}"' not in html
    assert not {"Product profitability", "Locations", "Employees"} & set(titles)


def test_location_months_leave_out_the_partial_month() -> None:
    places = [
        {
            "location_role": "customer",
            "country_code": "DE",
            "country_name": "Germany",
            "region": "EUROPE",
            "order_count": 3,
            "customer_count": 2,
            "net_revenue": 300.0,
            "gross_margin": None,
            "gross_margin_rate": None,
            "revenue_share": 1.0,
            "revenue_rank": 1,
            "revenue_growth_rate": None,
        }
    ]
    months = [
        {"region": "EUROPE", "month_start_date": dt.date(1998, month, 1), "net_revenue": 100.0}
        for month in (6, 7, 8)
    ]
    section = location_section(places, months, [dt.date(1998, 8, 1)])
    (chart,) = [figure.html for figure in section.figures if "per month" in figure.caption]
    assert "1998-07" in chart and "1998-08" not in chart
    assert location_section([], []).missing == "No location rows yet."


def test_kpi_alerts_without_anomalies_say_so() -> None:
    section = kpi_alerts_section([], 0)
    assert section.paragraphs[0] == "No anomaly on the days of the newest load."
    assert not section.figures and not section.missing


@pytest.mark.parametrize("under", ["a_file/x.html", "a_file/deeper/x.html", "/proc/self/x.html"])
def test_an_output_no_folder_can_hold_is_refused_before_the_report(
    tmp_path: Path, under: str
) -> None:
    """hostile7: `report --output FILE/x.html` (a file where its folder would be) and
    `--output /proc/self/x.html` ended in a traceback (FileExistsError, FileNotFoundError)
    after the whole report was read; now one line, before the warehouse is opened (here it
    does not even exist)."""
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    output = tmp_path / under
    settings = Settings(duckdb_path=tmp_path / "not_built.duckdb")
    with pytest.raises(ConfigError, match=r"^--output ") as refused:
        write_report("duckdb", settings, output)
    assert "\n" not in str(refused.value)
    assert (tmp_path / "a_file").read_text(encoding="utf-8") == "not a folder"


def test_an_output_that_cannot_be_written_is_one_line(
    complete: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails (a full disk, a folder it may not write to) was a traceback."""

    def full_disk(*args: object, **kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(ConfigError) as refused:
        write_report("duckdb", Settings(duckdb_path=complete), tmp_path / "page.html")
    assert str(refused.value) == (
        f"--output {tmp_path / 'page.html'} cannot be written (No space left on device)"
    )
