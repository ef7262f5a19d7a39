"""Unit tests for retail_warehouse.ml.features, leakage included."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from ml_invoices import invoice

from retail_warehouse.ml.features import (
    PREDICTION_FEATURES,
    active_customers,
    customer_features,
    future_labels,
    log_features,
    training_frame,
)
from retail_warehouse.ml.frames import day_number


@pytest.fixture
def invoices(make_invoices) -> pd.DataFrame:
    return make_invoices(
        [
            invoice("1", 1, 0, 100.0, lines=4),
            invoice("2", 1, 10, 50.0, lines=2),
            invoice("C3", 1, 12, -30.0, kind="cancellation"),
            invoice("4", 1, 15, 0.0, lines=0),  # postage only: a sale, not a purchase
            invoice("C5", 2, 5, -20.0, kind="cancellation"),  # only cancellations
            invoice("6", None, 8, 999.0),  # no customer
            invoice("7", 3, 19, 10.0, lines=1),
            invoice("8", 1, 40, 70.0, lines=3),  # after the cutoff
        ]
    )


def test_features_by_hand(invoices: pd.DataFrame) -> None:
    cutoff = int(invoices["day"].min()) + 20
    features = customer_features(invoices, cutoff, horizon_days=10).set_index("customer_id")
    assert list(features.index) == [1, 2, 3]
    one = features.loc[1]
    assert one["frequency"] == 2
    assert one["monetary"] == pytest.approx(120.0)
    assert one["recency_days"] == 10  # last purchase on day 10, cutoff day 20
    assert one["tenure_days"] == 20
    assert one["average_order_value"] == pytest.approx(75.0)
    assert one["cancellation_rate"] == pytest.approx(1 / 3)
    assert one["product_breadth"] == pytest.approx(3.0)
    assert one["orders_previous_horizon"] == 0  # the window is days (10, 20]
    assert one["net_revenue_previous_horizon"] == pytest.approx(-30.0)


def test_customer_with_only_cancellations(invoices: pd.DataFrame) -> None:
    cutoff = int(invoices["day"].min()) + 20
    two = customer_features(invoices, cutoff, 10).set_index("customer_id").loc[2]
    assert two["frequency"] == 0
    assert two["monetary"] == pytest.approx(-20.0)
    assert two["cancellation_rate"] == 1.0
    assert two["average_order_value"] == 0.0
    assert two["product_breadth"] == 0.0
    assert two["recency_days"] == 15  # since its last invoice of any kind


def test_no_feature_uses_data_after_the_cutoff(invoices: pd.DataFrame) -> None:
    cutoff = int(invoices["day"].min()) + 20
    seen_only = invoices[invoices["day"] <= cutoff]
    pd.testing.assert_frame_equal(
        customer_features(invoices, cutoff, 10), customer_features(seen_only, cutoff, 10)
    )
    changed = invoices.copy()
    changed.loc[changed["day"] > cutoff, "product_milli"] *= 100
    pd.testing.assert_frame_equal(
        training_frame(invoices, cutoff, 10, 365).drop(
            columns=["will_purchase", "future_net_revenue"]
        ),
        training_frame(changed, cutoff, 10, 365).drop(
            columns=["will_purchase", "future_net_revenue"]
        ),
    )


def test_labels_cover_only_the_horizon(invoices: pd.DataFrame) -> None:
    start = int(invoices["day"].min())
    ids = pd.Series([1, 2, 3])
    labels = future_labels(invoices, ids, start + 20, 30).set_index("customer_id")
    assert labels.loc[1, "will_purchase"] == 1
    assert labels.loc[1, "future_net_revenue"] == pytest.approx(70.0)
    assert labels.loc[3, "will_purchase"] == 0  # day 19 is before the cutoff
    short = future_labels(invoices, ids, start + 20, 19).set_index("customer_id")
    assert short.loc[1, "will_purchase"] == 0  # day 40 is after cutoff + 19


def test_active_customers_need_a_purchase_in_the_window(invoices: pd.DataFrame) -> None:
    start = int(invoices["day"].min())
    assert active_customers(invoices, start + 20, 365).tolist() == [1, 3]
    assert active_customers(invoices, start + 20, 5).tolist() == [3]


def test_training_frame_has_features_and_labels(invoices: pd.DataFrame) -> None:
    start = int(invoices["day"].min())
    frame = training_frame(invoices, start + 20, 30, 365)
    assert frame["customer_id"].tolist() == [1, 3]
    assert set(PREDICTION_FEATURES) <= set(frame.columns)
    assert frame["cutoff_day"].unique().tolist() == [start + 20]


def test_single_customer_and_empty_history(make_invoices) -> None:
    invoices = make_invoices([invoice("1", 9, 0, 5.0)])
    day = int(invoices["day"].iloc[0])
    features = customer_features(invoices, day, 90)
    assert features["customer_id"].tolist() == [9]
    assert features["recency_days"].tolist() == [0.0]
    assert customer_features(invoices, day - 1, 90).empty


def test_log_features_keep_the_sign() -> None:
    frame = pd.DataFrame({"monetary": [-9.0, 0.0, 9.0]})
    values = log_features(frame, ("monetary",))[:, 0]
    assert values[0] == pytest.approx(-values[2])
    assert values[1] == 0.0


def test_same_season_last_year(make_invoices) -> None:
    invoices = make_invoices(
        [
            invoice("1", 1, 0, 10.0),
            invoice("2", 1, 30, 20.0),  # in (cutoff - 365, cutoff - 365 + 90]
            invoice("3", 1, 200, 40.0),  # after that window
            invoice("4", 1, 400, 80.0),
        ]
    )
    start = int(invoices["day"].min())
    features = customer_features(invoices, start + 390, 90).set_index("customer_id")
    assert features.loc[1, "orders_same_season_last_year"] == 1
    assert features.loc[1, "net_revenue_same_season_last_year"] == pytest.approx(20.0)
    # A horizon longer than a year never reaches past the cutoff.
    long = customer_features(invoices, start + 390, 500).set_index("customer_id")
    assert long.loc[1, "orders_same_season_last_year"] == 2


def test_gap_spread_is_the_square_root_of_whole_numbers(make_invoices) -> None:
    """Gaps of 98, 161 and 100 days: n = 3, S1 = 359, S2 = 45,525, so the spread is
    sqrt(3 x 45,525 - 359^2) / 3 = sqrt(7,694) / 3 to the bit, as the SQL model computes it
    (pandas' running variance gave 29.23848301278452, one bit off)."""
    invoices = make_invoices(
        [invoice(str(number), 1, day, 10.0) for number, day in enumerate([32, 130, 291, 391])]
    )
    features = customer_features(invoices, int(invoices["day"].max()), 90)
    assert features["gap_spread_days"].iloc[0] == math.sqrt(7694) / 3
    assert features["gap_mean_days"].iloc[0] == 359 / 3


def test_peak_season_horizon(make_invoices) -> None:
    """The flag says whether the middle day of the horizon after the cutoff falls in the
    peak season (October to December): the Christmas quarter's buy rate (0.51) is far above
    the other seasons' (0.36 to 0.38), which a model stacked over every season cannot know
    from the customers' history alone."""
    invoices = make_invoices([invoice("1", 1, 0, 10.0), invoice("2", 2, 3, 5.0)])
    day = {date: day_number(date) for date in PEAK_SEASON_CUTOFFS}
    flags = {
        date: customer_features(invoices, day[date], 90)["is_peak_season_horizon"].tolist()
        for date in PEAK_SEASON_CUTOFFS
    }
    # Middle days 2011-10-25, 2011-09-30, 2011-12-31 and 2012-01-01.
    assert flags == {
        dt.date(2011, 9, 10): [1.0, 1.0],
        dt.date(2011, 8, 16): [0.0, 0.0],
        dt.date(2011, 11, 16): [1.0, 1.0],
        dt.date(2011, 11, 17): [0.0, 0.0],
    }
    assert "is_peak_season_horizon" in PREDICTION_FEATURES


PEAK_SEASON_CUTOFFS = (
    dt.date(2011, 9, 10),
    dt.date(2011, 8, 16),
    dt.date(2011, 11, 16),
    dt.date(2011, 11, 17),
)
