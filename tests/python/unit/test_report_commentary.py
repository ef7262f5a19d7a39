"""Unit tests for the dashboard's management commentary, from small hand-made rows."""

from __future__ import annotations

import datetime as dt

from retail_warehouse.report.commentary import (
    best_and_worst_months,
    commentary,
    country_concentration,
    forecast_sentence,
    gbp_compact,
    invest_sentences,
    let_go_sentences,
    product_concentration,
    segments_to_invest,
    segments_to_let_go,
    top_segment,
)


def _month(year: int, month: int, revenue: float, partial: bool = False) -> dict[str, object]:
    return {
        "month_start_date": dt.date(year, month, 1),
        "net_revenue": revenue,
        "is_complete_month": not partial,
    }


def _segment(
    name: str, customers: int, customer_share: float, revenue_share: float, recency: float
) -> dict[str, object]:
    return {
        "segment": name,
        "customer_count": customers,
        "customer_share": customer_share,
        "revenue_share": revenue_share,
        "mean_recency_days": recency,
        "recommended_action": f"Action for {name}.",
    }


SEGMENTS = [
    _segment("Champions", 100, 0.10, 0.50, 10),
    _segment("Loyal", 200, 0.20, 0.30, 40),
    _segment("New", 50, 0.05, 0.01, 10),
    _segment("Hibernating", 400, 0.40, 0.05, 400),
    _segment("At Risk", 250, 0.25, 0.14, 300),
]

FORECAST = [
    {
        "week_start_date": dt.date(2011, 12, 10) + dt.timedelta(days=7 * week),
        "week_end_date": dt.date(2011, 12, 16) + dt.timedelta(days=7 * week),
        "forecast_net_revenue": 100_000.0,
        "lower_80": 80_000.0,
        "upper_80": 150_000.0,
    }
    for week in range(12)
]


def test_best_and_worst_leave_partial_months_out() -> None:
    sentence = best_and_worst_months(
        [
            _month(2011, 10, 1_000_000.0),
            _month(2011, 11, 1_427_121.25),
            _month(2011, 4, 482_038.72),
            _month(2011, 12, 10.0, partial=True),
        ]
    )
    assert sentence == (
        "Over 3 complete months the best month was November 2011 (GBP 1,427,121 net revenue) "
        "and the worst April 2011 (GBP 482,039). December 2011 is partial and left out."
    )
    assert best_and_worst_months([_month(2011, 12, 1.0, partial=True)]) is None


def test_country_concentration_names_the_top_country_and_the_next() -> None:
    rows = [
        {"country_name": "Ireland", "revenue_rank": 2, "revenue_share": 0.032},
        {"country_name": "United Kingdom", "revenue_rank": 1, "revenue_share": 0.854},
    ]
    assert country_concentration(rows) == (
        "Revenue concentrates in United Kingdom, with 85.4 % of net revenue; "
        "next come Ireland 3.2 %."
    )
    assert country_concentration([]) is None


def test_product_concentration_from_abc_classes() -> None:
    rows = [
        {"abc_class": "A", "products": 20, "net_revenue": 800.0},
        {"abc_class": "B", "products": 30, "net_revenue": 150.0},
        {"abc_class": "C", "products": 50, "net_revenue": 50.0},
    ]
    assert product_concentration(rows) == (
        "20 of 100 products (20 %, class A) make 80.0 % of product net revenue."
    )
    assert product_concentration(rows[1:]) is None


def test_top_segment() -> None:
    assert top_segment(SEGMENTS) == (
        "The Champions segment holds 10.0 % of customers (100) but 50.0 % of net revenue."
    )
    assert top_segment([]) is None


def test_invest_in_segments_worth_more_than_their_headcount() -> None:
    assert [row["segment"] for row in segments_to_invest(SEGMENTS)] == ["Champions", "Loyal"]
    sentences = invest_sentences(SEGMENTS)
    assert sentences[0] == (
        "Invest in Champions and Loyal: together 80.0 % of net revenue from 30.0 % of customers."
    )
    assert sentences[1] == (
        "Champions (100 customers, 50.0 % of revenue), recommended action: Action for Champions."
    )
    assert len(sentences) == 3


def test_let_go_only_lapsed_low_value_segments() -> None:
    # New is low-value but recent (kept); At Risk is lapsed but worth 0.56 of its headcount.
    assert [row["segment"] for row in segments_to_let_go(SEGMENTS)] == ["Hibernating"]
    sentences = let_go_sentences(SEGMENTS)
    assert sentences[0].startswith("Let Hibernating go (low-cost channels only): lapsed, 5.0 %")
    assert "Action for Hibernating" in sentences[1]
    assert let_go_sentences(SEGMENTS[:2]) == []


def test_forecast_sentence_sums_weeks_and_band() -> None:
    assert forecast_sentence(FORECAST) == (
        "The forecast for the next 12 weeks (2011-12-10 to 2012-03-02) is GBP 1.20 M of net "
        "revenue (80 % band GBP 0.96 M to GBP 1.80 M)."
    )
    assert forecast_sentence([]) is None
    assert gbp_compact(950.4) == "GBP 950"
    assert gbp_compact(482_038.72) == "GBP 482 k"
    assert gbp_compact(960_000, scale_of=1_800_000) == "GBP 0.96 M"


def test_commentary_shrinks_without_rfm_and_ml() -> None:
    monthly = [_month(2011, 10, 5.0), _month(2011, 11, 7.0)]
    assert len(commentary(monthly, [], [], [], [])) == 1
    full = commentary(monthly, [], [], SEGMENTS, FORECAST)
    assert full[-1].startswith("The forecast for the next 12 weeks")
    assert any(sentence.startswith("Invest in") for sentence in full)
