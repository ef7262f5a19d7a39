"""The dashboard's sections: rows from ``data`` in, ``page.Section`` (charts and tables) out.

Pure functions, no database: each takes the plain rows its queries returned.

Longer than 400 lines on purpose: one short function per section, in the order the page shows
them, so the file reads as the dashboard does; the sections share no state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from retail_warehouse.report.charts import (
    PALETTE,
    Band,
    Series,
    bar_chart,
    heatmap,
    html_table,
    line_chart,
)
from retail_warehouse.report.commentary import gbp, pct
from retail_warehouse.report.page import Figure, Section

Row = dict[str, Any]


def _month(day: dt.date) -> str:
    """``2011-11``."""
    return day.strftime("%Y-%m")


def _pct_label(value: float) -> str:
    """Axis label of a share 0..1: ``25%``."""
    return f"{value * 100:.0f}%"


def _money(value: float) -> str:
    """Money in a table cell: ``1,427,121.25``."""
    return f"{value:,.2f}"


def _float(value: Any) -> float | None:
    """A number or ``None``."""
    return None if value is None else float(value)


def summary_section(sentences: Sequence[str]) -> Section:
    """The management commentary."""
    if not sentences:
        return Section("summary", "Management summary", missing="No data to comment on yet.")
    return Section("summary", "Management summary", bullets=tuple(sentences))


def sales_section(all_months: Sequence[Row]) -> Section:
    """Net revenue and MoM growth, placed vs cancelled invoices, active/new/returning customers.

    Complete months only (``is_complete_month``): a month the data covers in part would plot
    as a crash; the paragraph names the months left out."""
    monthly = [row for row in all_months if row["is_complete_month"]]
    labels = [_month(row["month_start_date"]) for row in monthly]
    partial = [
        _month(row["month_start_date"]) for row in all_months if not row["is_complete_month"]
    ]
    growth = [
        (label, float(row["net_revenue_mom_growth_pct"]))
        for label, row in zip(labels, monthly, strict=True)
        if row["net_revenue_mom_growth_pct"] is not None
    ]
    note = (
        f"Left out, as the data covers them only in part: {', '.join(partial)}." if partial else ""
    )
    return Section(
        "sales",
        "Monthly sales",
        paragraphs=(
            "Net revenue = product sales minus product cancellations (postage and fees apart). "
            + note,
        ),
        figures=(
            Figure(
                "Net revenue per month (GBP)",
                bar_chart(labels, [float(row["net_revenue"]) for row in monthly], "Net revenue"),
            ),
            Figure(
                "Month-over-month growth of net revenue (%)",
                bar_chart(
                    [label for label, _ in growth],
                    [value for _, value in growth],
                    "Net revenue MoM growth (%)",
                    height=220,
                ),
            ),
            Figure(
                "Invoices placed and cancelled per month",
                line_chart(
                    labels,
                    [
                        Series("placed", [float(r["order_count"]) for r in monthly]),
                        Series(
                            "cancelled",
                            [float(r["cancelled_invoice_count"]) for r in monthly],
                            PALETTE[1],
                        ),
                    ],
                    "Invoices placed vs cancelled",
                ),
            ),
            Figure(
                "Active, new and returning customers per month",
                line_chart(
                    labels,
                    [
                        Series("active", [float(r["active_customer_count"]) for r in monthly]),
                        Series(
                            "new", [float(r["new_customer_count"]) for r in monthly], PALETTE[2]
                        ),
                        Series(
                            "returning",
                            [float(r["returning_customer_count"]) for r in monthly],
                            PALETTE[3],
                        ),
                    ],
                    "Active, new and returning customers",
                ),
            ),
        ),
    )


def order_value_section(bands: Sequence[Row]) -> Section:
    """Order-value percentile bands per month."""
    labels = [_month(row["month_start_date"]) for row in bands]

    def column(name: str) -> list[float | None]:
        return [_float(row[name]) for row in bands]

    chart = line_chart(
        labels,
        [
            Series("median", column("p50_amount"), PALETTE[0]),
            Series("mean", column("mean_amount"), PALETTE[3], dashed=True),
        ],
        "Order value percentiles per month (GBP)",
        bands=[
            Band("p5-p95", column("p5_amount"), column("p95_amount"), PALETTE[0], 0.15),
            Band("p25-p75", column("p25_amount"), column("p75_amount"), PALETTE[0], 0.3),
        ],
    )
    return Section(
        "order-values",
        "Order values",
        paragraphs=("Value of purchase invoices (orders): median, mean and percentile bands.",),
        figures=(Figure("Order value distribution per month (GBP)", chart),),
    )


def customers_section(cohorts: Sequence[Row], ladder: Sequence[Row]) -> Section:
    """Cohort retention heatmap and the repeat-purchase ladder."""
    cohort_months = sorted({row["cohort_month"] for row in cohorts})
    offsets = sorted({int(row["months_since_first_purchase"]) for row in cohorts})
    cells = {
        (row["cohort_month"], int(row["months_since_first_purchase"])): _float(
            row["retention_rate"]
        )
        for row in cohorts
    }
    sizes = {row["cohort_month"]: row["cohort_customer_count"] for row in cohorts}
    # Month 0 is 100 % by definition; leaving it out keeps the colour scale for the rest.
    shown = [offset for offset in offsets if offset > 0]
    values = [[cells.get((month, offset)) for offset in shown] for month in cohort_months]
    retention = heatmap(
        [f"{_month(month)} ({sizes[month]:,})" for month in cohort_months],
        [str(offset) for offset in shown],
        values,
        "Cohort retention: share of the cohort buying in month n after the first purchase",
        value_format=lambda v: f"{v * 100:.0f}",
        cell=24,
        row_axis="cohort (customers)",
        col_axis="months since first purchase (values in %)",
    )
    overall = [row for row in ladder if row["cohort"] == ALL_COHORTS]
    ladder_chart = bar_chart(
        [f"order {row['step_label']}" for row in overall],
        [float(row["reached_customer_count"]) for row in overall],
        "Customers reaching each order",
        horizontal=True,
        show_values=True,
        value_format=lambda v: f"{v:,.0f}",
    )
    ladder_table = html_table(
        [
            "order",
            "customers",
            "share of customers",
            "conversion from previous",
            "dropped off",
            "median days",
            "p90 days",
        ],
        [
            [
                row["step_label"],
                f"{row['reached_customer_count']:,}",
                pct(row["customer_share"]),
                _optional(row["conversion_rate"], pct),
                _optional(row["dropped_customer_count"], lambda v: f"{v:,}"),
                _optional(row["median_days_since_previous"], lambda v: f"{v:.0f}"),
                _optional(row["p90_days_since_previous"], lambda v: f"{v:.0f}"),
            ]
            for row in overall
        ],
        numeric_columns=(1, 2, 3, 4, 5, 6),
    )
    return Section(
        "customers",
        "Customers: retention and repeat purchases",
        figures=(
            Figure("Cohort retention heatmap (% of the cohort active)", retention),
            Figure("Repeat-purchase ladder", ladder_chart),
            Figure("Repeat-purchase ladder (table)", ladder_table),
            Figure("Drop-off between purchases by first-purchase year", drop_off_table(ladder)),
        ),
    )


ALL_COHORTS = "all"
"""The ``cohort`` of ``mart_purchase_ladder`` rows that count every customer."""


def _optional(value: Any, fmt: Any) -> str:
    """``fmt(value)``, or an empty cell for ``None``."""
    return "" if value is None else str(fmt(value))


def drop_off_table(ladder: Sequence[Row]) -> str:
    """One row per first-purchase year: customers, the share reaching each later order, and the
    median and p90 days from the 1st to the 2nd order."""
    cohorts = [*sorted({row["cohort"] for row in ladder} - {ALL_COHORTS}), ALL_COHORTS]
    steps = sorted({int(row["step"]) for row in ladder})
    cells = {(row["cohort"], int(row["step"])): row for row in ladder}
    labels = {int(row["step"]): row["step_label"] for row in ladder}
    rows = []
    for cohort in cohorts:
        first, second = cells.get((cohort, 1)), cells.get((cohort, 2))
        if first is None:
            continue
        rows.append(
            [cohort, f"{first['reached_customer_count']:,}"]
            + [
                _optional(cells.get((cohort, step), {}).get("customer_share"), pct)
                for step in steps[1:]
            ]
            + [
                _optional(second and second["median_days_since_previous"], lambda v: f"{v:.0f}"),
                _optional(second and second["p90_days_since_previous"], lambda v: f"{v:.0f}"),
            ]
        )
    headers = (
        ["first purchase in", "customers"]
        + [f"reach order {labels[step]}" for step in steps[1:]]
        + ["median days 1st to 2nd", "p90 days 1st to 2nd"]
    )
    return html_table(headers, rows, numeric_columns=tuple(range(1, len(headers))))


def loyalty_section(monthly: Sequence[Row], scenarios: Sequence[Row]) -> Section:
    """What the loyalty programme on the shop's own sales would have cost: monthly rewards cost
    and liability, and the comparison of rule sets."""
    default = next((row for row in scenarios if row["scenario_id"] == "default"), None)
    if default is None or not monthly:
        return Section("loyalty", "Loyalty programme", missing="No loyalty ledger rows yet.")
    summary = (
        f"Under the default rules ({default['points_per_currency_unit']:g} points per GBP of "
        f"net product revenue, a GBP {default['reward_value']:,.2f} reward per "
        f"{default['points_per_reward']:,} points, redeemed automatically) the programme would "
        f"have cost {gbp(default['programme_cost'])}, {pct(default['programme_cost_share'], 2)} "
        f"of net revenue: {gbp(default['rewards_cost'])} in "
        f"{default['rewards_redeemed']:,} rewards redeemed and "
        f"{gbp(default['outstanding_liability'])} of points still outstanding, for "
        f"{default['member_count']:,} members ({gbp(default['programme_cost_per_member'])} each)."
    )
    labels = [_month(row["month_start_date"]) for row in monthly]
    comparison = html_table(
        [
            "rules",
            "what changes",
            "members",
            "rewards",
            "rewards cost",
            "liability left",
            "programme cost",
            "share of net revenue",
            "cost per member",
        ],
        [
            [
                row["scenario_id"],
                row["description"],
                f"{row['member_count']:,}",
                f"{row['rewards_redeemed']:,}",
                _money(row["rewards_cost"]),
                _money(row["outstanding_liability"]),
                _money(row["programme_cost"]),
                pct(row["programme_cost_share"], 2),
                _optional(row["programme_cost_per_member"], _money),
            ]
            for row in scenarios
        ],
        numeric_columns=(2, 3, 4, 5, 6, 7, 8),
        highlight_rows=[
            index for index, row in enumerate(scenarios) if row["scenario_id"] == "default"
        ],
    )
    return Section(
        "loyalty",
        "Loyalty programme",
        paragraphs=(summary,),
        figures=(
            Figure(
                "Rewards cost per month (GBP)",
                bar_chart(labels, [float(row["rewards_cost"]) for row in monthly], "Rewards cost"),
            ),
            Figure(
                "Outstanding points liability at month end (GBP) and members to date",
                line_chart(
                    labels,
                    [
                        Series(
                            "liability (GBP)",
                            [float(row["outstanding_liability"]) for row in monthly],
                        ),
                        Series(
                            "members to date",
                            [float(row["cumulative_member_count"]) for row in monthly],
                            PALETTE[2],
                        ),
                    ],
                    "Outstanding liability and members",
                ),
            ),
            Figure("What if: the default rules and the alternatives", comparison),
        ),
    )


def rfm_section(segments: Sequence[Row], migration: Sequence[Row]) -> Section:
    """RFM segment sizes and revenue shares, actions, and the latest quarter's migration."""
    names = [row["segment"] for row in segments]
    sizes = bar_chart(
        names,
        [float(row["customer_count"]) for row in segments],
        "Customers per RFM segment",
        horizontal=True,
        show_values=True,
        value_format=lambda v: f"{v:,.0f}",
    )
    shares = bar_chart(
        names,
        [float(row["revenue_share"]) for row in segments],
        "Share of net revenue per RFM segment",
        horizontal=True,
        show_values=True,
        color=PALETTE[2],
        value_format=_pct_label,
    )
    table = html_table(
        ["segment", "customers", "customer share", "revenue GBP", "revenue share", "action"],
        [
            [
                row["segment"],
                f"{row['customer_count']:,}",
                pct(row["customer_share"]),
                _money(row["net_revenue"]),
                pct(row["revenue_share"]),
                row["recommended_action"],
            ]
            for row in segments
        ],
        numeric_columns=(1, 2, 3, 4),
    )
    figures = [
        Figure("Segment sizes (customers)", sizes),
        Figure("Segment revenue share", shares),
        Figure("Segments and recommended actions", table),
    ]
    paragraphs = []
    if segments:
        paragraphs.append(f"Reference date {segments[0]['reference_date']}.")
    if migration:
        order = {name: index for index, name in enumerate(names)}
        present = sorted(
            {row["from_segment"] for row in migration} | {row["to_segment"] for row in migration},
            key=lambda name: (order.get(name, len(order)), name),
        )
        cells = {(row["from_segment"], row["to_segment"]): row for row in migration}
        sources = [name for name in present if any(key[0] == name for key in cells)]
        values = [
            [
                _float(cells[(source, target)]["from_segment_share"])
                if (source, target) in cells
                else None
                for target in present
            ]
            for source in sources
        ]
        first = migration[0]
        figures.append(
            Figure(
                f"Segment migration {first['previous_quarter_end_date']} -> "
                f"{first['quarter_end_date']} (share of the from-segment, %)",
                heatmap(
                    sources,
                    present,
                    values,
                    "Segment migration: rows = segment at the previous quarter end, "
                    "columns = segment now",
                    value_format=lambda v: f"{v * 100:.0f}",
                    cell=34,
                    max_value=1.0,
                    row_axis="from",
                    col_axis="to",
                ),
            )
        )
    return Section("rfm", "RFM segments", paragraphs=tuple(paragraphs), figures=tuple(figures))


def clusters_section(clusters: Sequence[Row]) -> Section:
    """The ML customer clusters with their profiles."""
    labels = [f"{row['cluster_id']}: {row['cluster_label']}" for row in clusters]
    chart = bar_chart(
        labels,
        [float(row["net_revenue_share"]) for row in clusters],
        "Share of net revenue per customer cluster",
        horizontal=True,
        show_values=True,
        color=PALETTE[4],
        value_format=_pct_label,
    )
    table = html_table(
        [
            "cluster",
            "customers",
            "customer share",
            "revenue share",
            "mean recency (days)",
            "mean orders",
            "mean net revenue GBP",
            "mean order value GBP",
        ],
        [
            [
                label,
                f"{row['customer_count']:,}",
                pct(row["customer_share"]),
                pct(row["net_revenue_share"]),
                f"{row['mean_recency_days']:.0f}",
                f"{row['mean_frequency']:.1f}",
                _money(row["mean_monetary"]),
                _money(row["mean_average_order_value"]),
            ]
            for label, row in zip(labels, clusters, strict=True)
        ],
        numeric_columns=(1, 2, 3, 4, 5, 6, 7),
    )
    paragraphs = ()
    if clusters:
        paragraphs = (
            f"KMeans with k = {len(clusters)} (silhouette {clusters[0]['silhouette_score']:.3f}).",
        )
    return Section(
        "clusters",
        "Customer clusters (ML)",
        paragraphs=paragraphs,
        figures=(Figure("Cluster revenue share", chart), Figure("Cluster profiles", table)),
    )


def products_countries_section(products: Sequence[Row], country_rows: Sequence[Row]) -> Section:
    """Top products and countries by net revenue."""
    product_chart = bar_chart(
        [f"{row['description'] or row['product_id']} ({row['abc_class']})" for row in products],
        [float(row["net_revenue"]) for row in products],
        f"Top {len(products)} products by net revenue (GBP)",
        horizontal=True,
        show_values=True,
    )
    top_countries = list(country_rows)[:15]
    country_chart = bar_chart(
        [row["country_name"] for row in top_countries],
        [float(row["net_revenue"]) for row in top_countries],
        f"Top {len(top_countries)} countries by net revenue (GBP)",
        horizontal=True,
        show_values=True,
        color=PALETTE[2],
    )
    table = html_table(
        ["rank", "country", "net revenue GBP", "share", "customers", "growth 12 m"],
        [
            [
                row["revenue_rank"],
                row["country_name"],
                _money(row["net_revenue"]),
                pct(row["revenue_share"]),
                f"{row['customer_count']:,}",
                ""
                if row["net_revenue_growth_12m_pct"] is None
                else f"{row['net_revenue_growth_12m_pct']:+.1f} %",
            ]
            for row in country_rows
        ],
        numeric_columns=(0, 2, 3, 4, 5),
    )
    return Section(
        "products-countries",
        "Products and countries",
        figures=(
            Figure("Top products (ABC class in brackets)", product_chart),
            Figure("Top countries", country_chart),
            Figure("All countries", table),
        ),
    )


def forecast_section(forecast: Sequence[Row], actual_weeks: Sequence[Row]) -> Section:
    """Recent actual weeks, then the forecast with its 80 % interval (total series)."""
    labels = [row["week_end_date"].isoformat() for row in actual_weeks]
    labels += [row["week_end_date"].isoformat() for row in forecast]
    gap: list[float | None] = [None] * len(forecast)
    before: list[float | None] = [None] * len(actual_weeks)
    actual = [float(row["net_revenue"]) for row in actual_weeks]
    predicted = [float(row["forecast_net_revenue"]) for row in forecast]
    if actual and predicted:  # join the lines at the last actual week
        before[-1] = actual[-1]
    chart = line_chart(
        labels,
        [
            Series("actual", [*actual, *gap], PALETTE[0]),
            Series("forecast", [*before, *predicted], PALETTE[3], dashed=True),
        ],
        "Weekly net revenue: actual and forecast with 80 % interval (GBP)",
        bands=[
            Band(
                "80 % interval",
                [*([None] * len(actual_weeks)), *[float(row["lower_80"]) for row in forecast]],
                [*([None] * len(actual_weeks)), *[float(row["upper_80"]) for row in forecast]],
                PALETTE[3],
                0.25,
            )
        ],
    )
    table = html_table(
        ["week", "from", "to", "forecast GBP", "lower 80 %", "upper 80 %"],
        [
            [
                row["week_ahead"],
                row["week_start_date"].isoformat(),
                row["week_end_date"].isoformat(),
                _money(row["forecast_net_revenue"]),
                _money(row["lower_80"]),
                _money(row["upper_80"]),
            ]
            for row in forecast
        ],
        numeric_columns=(0, 3, 4, 5),
    )
    paragraphs = ()
    if forecast:
        paragraphs = (
            f"Method {forecast[0]['method']}, as of {forecast[0]['as_of_date']}; weeks are "
            "7-day periods ending on the as-of date. Total of the weekly forecasts: "
            f"{gbp(sum(row['forecast_net_revenue'] for row in forecast))}.",
        )
    return Section(
        "forecast",
        "Sales forecast (ML)",
        paragraphs=paragraphs,
        figures=(Figure("Weekly net revenue forecast", chart), Figure("Forecast (table)", table)),
    )


def _metric(value: float) -> str:
    """A backtest figure: 4 decimals below 10, else 2."""
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"


def _method_order(rows: Sequence[Row]) -> list[str]:
    """Methods of one model: the kept one first, then other candidates, then baselines."""
    kept = {row["method"] for row in rows if row["is_selected"]}
    methods = {row["method"] for row in rows}
    return sorted(
        methods,
        key=lambda name: (name not in kept, name.startswith("baseline"), name),
    )


def evaluation_tables(evaluation: Sequence[Row]) -> list[Figure]:
    """One table per model: a row per evaluation group and metric, a column per method
    (kept first)."""
    figures = []
    for model in sorted({row["model"] for row in evaluation}):
        rows = [row for row in evaluation if row["model"] == model]
        methods = _method_order(rows)
        kept = {row["method"] for row in rows if row["is_selected"]}
        values = {
            (row["evaluation_group"], row["metric"], row["method"]): row["value"] for row in rows
        }
        keys = sorted({(row["evaluation_group"], row["metric"]) for row in rows})
        table = html_table(
            ["group", "metric", *(f"{m} (kept)" if m in kept else m for m in methods)],
            [
                [
                    group,
                    metric,
                    *(
                        ""
                        if values.get((group, metric, method)) is None
                        else _metric(float(values[(group, metric, method)]))
                        for method in methods
                    ),
                ]
                for group, metric in keys
            ],
            numeric_columns=tuple(range(2, 2 + len(methods))),
        )
        figures.append(Figure(f"Backtest: {model}", table))
    return figures


def evaluation_section(evaluation: Sequence[Row]) -> Section:
    """Backtest figures: per model, evaluation group and metric, the kept method vs the others."""
    return Section(
        "evaluation",
        "Model backtests (ML)",
        paragraphs=(
            "Out-of-time backtests of every candidate and naive baseline (ml_model_evaluation); "
            "the first method column is the kept one, what production uses. Lower is better "
            "for errors (mae, rmse, mape_pct, brier_score, log_loss), higher for auc, precision "
            "and lift; interval_coverage should be near 0.80.",
        ),
        figures=tuple(evaluation_tables(evaluation)),
    )


def _load_label(row: Row) -> str:
    """``3 (2011-12-10)``: a load on the x axis."""
    return f"{row['load_id']} ({row['load_date'].isoformat()})"


def _load_sentence(row: Row) -> str:
    """What the latest load brought and how it compares."""
    volume = (
        f"{row['times_recent_average']:.2f} times the average of the loads before it"
        if row["times_recent_average"] is not None
        else "the first load, so nothing to compare its volume with"
    )
    return (
        f"Latest load: {row['load_id']} ({row['source_file']}, {row['load_date'].isoformat()}), "
        f"{row['line_count']:,} lines, {volume}; {pct(row['no_customer_line_share'])} "
        f"without a customer and {pct(row['excluded_line_share'])} excluded by the cleaning "
        f"rules. Its newest invoice was {row['days_from_last_invoice_to_load']:,} days old "
        "when it was loaded."
    )


def _flagged_loads(loads: Sequence[Row]) -> str:
    """A sentence naming the loads the volume and gap checks warn about, or that none do."""
    flags = []
    for row in loads:
        reasons = []
        if row["is_low_volume"]:
            reasons.append(
                f"{row['line_count']:,} lines, {row['times_recent_average']:.2f} of usual"
            )
        if row["has_invoice_date_gap"]:
            reasons.append(f"a {row['largest_invoice_date_gap_days']}-day gap in invoice dates")
        if reasons:
            flags.append(f"load {row['load_id']} ({'; '.join(reasons)})")
    if not flags:
        return "No load is unusually small or leaves a gap in the invoice dates."
    return "Check " + ", ".join(flags) + "."


def data_quality_section(
    loads: Sequence[Row], days: Sequence[Row], problems: Sequence[Row]
) -> Section:
    """The monitors per load (volume, lines without a customer, exclusions, freshness) and the
    test outcomes of the recorded builds per day, with the latest day's warnings and failures."""
    if not loads:
        return Section("quality", "Data quality", missing="No loads yet.")
    labels = [_load_label(row) for row in loads]
    paragraphs = [_load_sentence(loads[-1]), _flagged_loads(loads)]
    figures = [
        Figure(
            "Lines per load",
            bar_chart(labels, [float(row["line_count"]) for row in loads], "Lines per load"),
        ),
        Figure(
            "Share of each load's lines without a customer and excluded (%)",
            line_chart(
                labels,
                [
                    Series(
                        "without a customer",
                        [100 * row["no_customer_line_share"] for row in loads],
                        PALETTE[0],
                    ),
                    Series(
                        "excluded",
                        [100 * row["excluded_line_share"] for row in loads],
                        PALETTE[1],
                    ),
                ],
                "Shares per load",
            ),
        ),
    ]
    if not days:
        paragraphs.append(
            "No builds recorded yet: every retail-warehouse build (or orchestrated build) "
            "records its test results, and their trend shows here."
        )
    else:
        latest = days[-1]
        paragraphs.append(
            f"Builds recorded on {len(days)} days. On {latest['run_date'].isoformat()}: "
            f"{latest['passed']:,} tests passed, {latest['warned']:,} warned, "
            f"{latest['failed']:,} failed"
            + (f", {latest['skipped']:,} skipped." if latest["skipped"] else ".")
        )
        day_labels = [row["run_date"].isoformat() for row in days]
        figures.append(
            Figure(
                "Tests per build day by their worst outcome that day",
                line_chart(
                    day_labels,
                    [
                        Series("passed", [float(row["passed"]) for row in days], PALETTE[2]),
                        Series("warned", [float(row["warned"]) for row in days], PALETTE[3]),
                        Series("failed", [float(row["failed"]) for row in days], PALETTE[1]),
                    ],
                    "Test outcomes per day",
                ),
            )
        )
    if problems:
        figures.append(
            Figure(
                f"Warnings and failures on {problems[0]['run_date'].isoformat()}",
                html_table(
                    ["test", "worst that day", "last build", "failing rows (last)", "most"],
                    [
                        [
                            row["test_name"],
                            row["day_outcome"],
                            row["last_outcome"],
                            f"{row['last_failing_row_count']:,}",
                            f"{row['max_failing_row_count']:,}",
                        ]
                        for row in problems
                    ],
                    numeric_columns=(3, 4),
                    highlight_rows=[
                        index for index, row in enumerate(problems) if row["day_outcome"] == "fail"
                    ],
                ),
            )
        )
    return Section("quality", "Data quality", paragraphs=tuple(paragraphs), figures=tuple(figures))
