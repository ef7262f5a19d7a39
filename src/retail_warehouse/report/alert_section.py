"""The report's KPI alerts: the anomalies of ``mart_kpi_anomalies`` that the newest load
brought (docs/alerts.md), as a table."""

from __future__ import annotations

from collections.abc import Sequence

from retail_warehouse.report.charts import html_table
from retail_warehouse.report.data import Row
from retail_warehouse.report.page import Figure, Section

KPI_LABELS = {
    "net_revenue": "net revenue",
    "order_count": "orders",
    "average_order_value": "average order value",
    "new_customer_count": "new customers",
}


def _value(value: float | None) -> str:
    """A KPI value: whole numbers without decimals."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _rate(value: float | None) -> str:
    """``times_expected`` as a signed percentage off the expected value."""
    return "-" if value is None else f"{100 * (value - 1):+.1f} %"


def kpi_alerts_section(anomalies: Sequence[Row], count: int) -> Section:
    """The anomalies of the newest load (at most the rows given; ``count`` of them in all):
    which KPI of which series dropped or spiked on which day or week, against what was
    expected from the same weekday of the recent weeks."""
    method = (
        "Each day (week) is compared with the median of the same weekday (the weeks) of the "
        "recent weeks, closing days and Christmas left out; days with few orders are not "
        "judged (mart_kpi_anomalies, docs/alerts.md)."
    )
    if not anomalies:
        return Section(
            "alerts",
            "KPI alerts",
            paragraphs=("No anomaly on the days of the newest load.", method),
        )
    load = anomalies[0]["load_id"]
    shown = f", the first {len(anomalies)} listed" if count > len(anomalies) else ""
    drops = sum(1 for row in anomalies if row["anomaly_direction"] == "drop")
    table = html_table(
        ["period", "grain", "series", "KPI", "actual", "expected", "deviation", "direction"],
        [
            [
                row["period_start_date"].isoformat(),
                row["period_grain"],
                row["series"],
                KPI_LABELS.get(row["kpi"], row["kpi"]),
                _value(row["actual_value"]),
                _value(row["expected_value"]),
                _rate(row["times_expected"]),
                row["anomaly_direction"],
            ]
            for row in anomalies
        ],
        numeric_columns=(4, 5, 6),
        highlight_rows=[
            index for index, row in enumerate(anomalies) if row["anomaly_direction"] == "drop"
        ],
    )
    return Section(
        "alerts",
        "KPI alerts",
        paragraphs=(
            f"{count:,} anomalies on the days of the newest load ({load}){shown}: "
            f"{drops:,} of those listed are drops (in bold).",
            method,
        ),
        figures=(Figure(f"Anomalies of load {load}", table),),
    )
