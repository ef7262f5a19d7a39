"""The management commentary: plain sentences built from query results (never fixed figures).

Each function takes the rows of ``retail_warehouse.report.data`` and returns one sentence, or
``None`` when its inputs are empty, so the commentary shrinks gracefully on a partial build.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]

LAPSED_RECENCY_DAYS = 180
"""A segment whose customers last bought this many days ago on average counts as lapsed."""

LET_GO_VALUE_RATIO = 0.5
"""Let a lapsed segment go when its revenue share is below this fraction of its customer
share (each customer brings less than half the average)."""


def gbp(value: float) -> str:
    """Money for a sentence: ``GBP 1,427,121`` (whole pounds)."""
    return f"GBP {value:,.0f}"


def gbp_compact(value: float, scale_of: float | None = None) -> str:
    """Large money, short: ``GBP 1.52 M``, ``GBP 482 k``, ``GBP 950``.

    The unit follows ``scale_of`` (default ``value``), so figures of one sentence can share it:
    ``gbp_compact(960_000, scale_of=1_800_000) == "GBP 0.96 M"``.
    """
    magnitude = abs(value if scale_of is None else scale_of)
    if magnitude >= 1_000_000:
        return f"GBP {value / 1_000_000:.2f} M"
    if magnitude >= 10_000:
        return f"GBP {value / 1_000:.0f} k"
    return f"GBP {value:,.0f}"


def pct(share: float, digits: int = 1) -> str:
    """A share (0..1) as a percentage: ``85.4 %``."""
    return f"{share * 100:.{digits}f} %"


def month_name(day: dt.date) -> str:
    """``November 2011``."""
    return day.strftime("%B %Y")


def best_and_worst_months(monthly: Sequence[Row]) -> str | None:
    """Best and worst complete months by net revenue (incomplete months are left out)."""
    complete = [row for row in monthly if row["is_complete_month"]]
    if not complete:
        return None
    best = max(complete, key=lambda row: row["net_revenue"])
    worst = min(complete, key=lambda row: row["net_revenue"])
    partial = [row for row in monthly if not row["is_complete_month"]]
    sentence = (
        f"Over {len(complete)} complete months the best month was "
        f"{month_name(best['month_start_date'])} ({gbp(best['net_revenue'])} net revenue) and "
        f"the worst {month_name(worst['month_start_date'])} ({gbp(worst['net_revenue'])})."
    )
    if partial:
        names = ", ".join(month_name(row["month_start_date"]) for row in partial)
        sentence += f" {names} {'is' if len(partial) == 1 else 'are'} partial and left out."
    return sentence


def country_concentration(country_rows: Sequence[Row]) -> str | None:
    """How much of net revenue the first country makes."""
    if not country_rows:
        return None
    top = min(country_rows, key=lambda row: row["revenue_rank"])
    sentence = (
        f"Revenue concentrates in {top['country_name']}, with {pct(top['revenue_share'])} "
        f"of net revenue"
    )
    others = sorted(
        (row for row in country_rows if row is not top), key=lambda row: row["revenue_rank"]
    )[:3]
    if others:
        listed = ", ".join(f"{row['country_name']} {pct(row['revenue_share'])}" for row in others)
        sentence += f"; next come {listed}"
    return sentence + "."


def product_concentration(abc_rows: Sequence[Row]) -> str | None:
    """The share of products in class A and the share of net revenue they make."""
    total_products = sum(row["products"] for row in abc_rows)
    total_revenue = sum(row["net_revenue"] for row in abc_rows)
    class_a = next((row for row in abc_rows if row["abc_class"] == "A"), None)
    if class_a is None or not total_products or not total_revenue:
        return None
    return (
        f"{class_a['products']:,} of {total_products:,} products "
        f"({pct(class_a['products'] / total_products, 0)}, class A) make "
        f"{pct(class_a['net_revenue'] / total_revenue)} of product net revenue."
    )


def top_segment(segments: Sequence[Row]) -> str | None:
    """The RFM segment with the largest revenue share, against its share of customers."""
    if not segments:
        return None
    top = max(segments, key=lambda row: row["revenue_share"])
    return (
        f"The {top['segment']} segment holds {pct(top['customer_share'])} of customers "
        f"({top['customer_count']:,}) but {pct(top['revenue_share'])} of net revenue."
    )


def segments_to_invest(segments: Sequence[Row]) -> list[Row]:
    """Segments worth more than their headcount (revenue share >= customer share), largest
    revenue share first."""
    chosen = [row for row in segments if row["revenue_share"] >= row["customer_share"]]
    return sorted(chosen, key=lambda row: -row["revenue_share"])


def segments_to_let_go(segments: Sequence[Row]) -> list[Row]:
    """Lapsed segments (mean recency >= ``LAPSED_RECENCY_DAYS``) whose revenue share is below
    ``LET_GO_VALUE_RATIO`` x their customer share, most customers first."""
    chosen = [
        row
        for row in segments
        if row["mean_recency_days"] is not None
        and row["mean_recency_days"] >= LAPSED_RECENCY_DAYS
        and row["revenue_share"] < LET_GO_VALUE_RATIO * row["customer_share"]
    ]
    return sorted(chosen, key=lambda row: -row["customer_count"])


def _names(rows: Sequence[Row]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    names = [str(row["segment"]) for row in rows]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _together(rows: Sequence[Row]) -> str:
    """``52.7 % of net revenue from 14.1 % of customers``."""
    revenue = sum(row["revenue_share"] for row in rows)
    customers = sum(row["customer_share"] for row in rows)
    return f"{pct(revenue)} of net revenue from {pct(customers)} of customers"


def action_sentence(row: Row) -> str:
    """``Champions (823 customers, 52.7 % of revenue): reward them...``."""
    return (
        f"{row['segment']} ({row['customer_count']:,} customers, {pct(row['revenue_share'])} of "
        f"revenue), recommended action: {str(row['recommended_action']).rstrip('.')}."
    )


def invest_sentences(segments: Sequence[Row]) -> list[str]:
    """Which segments to invest in (together), then each one's recommended action."""
    rows = segments_to_invest(segments)
    if not rows:
        return []
    return [
        f"Invest in {_names(rows)}: together {_together(rows)}.",
        *(action_sentence(row) for row in rows),
    ]


def let_go_sentences(segments: Sequence[Row]) -> list[str]:
    """Which lapsed, low-value segments to let go, then each one's recommended action."""
    rows = segments_to_let_go(segments)
    if not rows:
        return []
    return [
        f"Let {_names(rows)} go (low-cost channels only): lapsed, {_together(rows)}.",
        *(action_sentence(row) for row in rows),
    ]


def forecast_sentence(forecast: Sequence[Row]) -> str | None:
    """The forecast total of the coming weeks with its 80 % band (sum of weekly bounds)."""
    if not forecast:
        return None
    total = sum(row["forecast_net_revenue"] for row in forecast)
    lower = sum(row["lower_80"] for row in forecast)
    upper = sum(row["upper_80"] for row in forecast)
    first = min(row["week_start_date"] for row in forecast)
    last = max(row["week_end_date"] for row in forecast)
    return (
        f"The forecast for the next {len(forecast)} weeks ({first.isoformat()} to "
        f"{last.isoformat()}) is {gbp_compact(total, upper)} of net revenue "
        f"(80 % band {gbp_compact(lower, upper)} to {gbp_compact(upper)})."
    )


def commentary(
    monthly: Sequence[Row],
    country_rows: Sequence[Row],
    abc_rows: Sequence[Row],
    segments: Sequence[Row],
    forecast: Sequence[Row],
) -> list[str]:
    """Every sentence that its inputs allow, in reading order."""
    sentences: list[str | None] = [
        best_and_worst_months(monthly),
        country_concentration(country_rows),
        product_concentration(abc_rows),
        top_segment(segments),
        *invest_sentences(segments),
        *let_go_sentences(segments),
        forecast_sentence(forecast),
    ]
    return [sentence for sentence in sentences if sentence]
