"""Unit tests for retail_warehouse.ml.customer_models, on synthetic invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ml_invoices import invoice

from retail_warehouse.ml.customer_models import (
    PURCHASE_CANDIDATES,
    PURCHASE_MODEL,
    SPEND_CANDIDATES,
    SPEND_MODEL,
    SpendModel,
    customer_model_evaluation,
    customer_predictions,
    historical_average_spend,
    historical_purchase_probability,
    repeat_drivers,
    stacked_training_frame,
)
from retail_warehouse.ml.features import PREDICTION_FEATURES, active_customers
from retail_warehouse.ml.frames import last_day

HORIZON = 90
ACTIVE = 365


def test_predictions_one_row_per_active_customer(synthetic_invoices: pd.DataFrame) -> None:
    predictions = customer_predictions(synthetic_invoices, HORIZON, ACTIVE, windows=2)
    expected = active_customers(synthetic_invoices, last_day(synthetic_invoices), ACTIVE)
    assert predictions["customer_id"].tolist() == expected.tolist()
    assert predictions["purchase_probability"].between(0, 1).all()
    assert (predictions["expected_net_revenue"] >= 0).all()
    assert sorted(predictions["probability_rank"]) == list(range(1, len(predictions) + 1))
    assert predictions["purchase_model"].unique().tolist() == [PURCHASE_MODEL]
    assert predictions["spend_model"].unique().tolist() == [SPEND_MODEL]
    assert predictions["horizon_days"].unique().tolist() == [HORIZON]


def test_predictions_are_deterministic(synthetic_invoices: pd.DataFrame) -> None:
    first = customer_predictions(synthetic_invoices, HORIZON, ACTIVE, windows=2)
    shuffled = synthetic_invoices.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert shuffled["invoice_id"].tolist() != synthetic_invoices["invoice_id"].tolist()
    again = customer_predictions(shuffled, HORIZON, ACTIVE, windows=2)
    pd.testing.assert_frame_equal(first, again)


def test_evaluation_rows(synthetic_invoices: pd.DataFrame) -> None:
    evaluation = customer_model_evaluation(synthetic_invoices, HORIZON, ACTIVE, windows=2)
    purchase = evaluation[evaluation["model"] == "purchase_next_horizon"]
    spend = evaluation[evaluation["model"] == "spend_next_horizon"]
    assert set(purchase["method"]) == {
        *PURCHASE_CANDIDATES,
        "baseline_bought_previous_horizon",
        "baseline_historical_rate",
    }
    assert set(spend["method"]) == {
        *SPEND_CANDIDATES,
        "baseline_previous_horizon_spend",
        "baseline_historical_average",
    }
    assert set(purchase["metric"]) == {
        "auc",
        "brier_score",
        "log_loss",
        "precision_top_decile",
        "lift_top_decile",
        "base_rate",
    }
    assert set(spend["metric"]) == {"mae", "rmse", "spearman"}
    assert not evaluation.duplicated(["model", "method", "metric"]).any()
    selected = evaluation[evaluation["is_selected"]]
    assert set(selected["method"]) == {PURCHASE_MODEL, SPEND_MODEL}
    as_of = last_day(synthetic_invoices)
    assert (evaluation["test_end_date"] > evaluation["test_cutoff_date"]).all()
    assert (evaluation["test_cutoff_date"] > evaluation["train_cutoff_date"]).all()
    assert evaluation["test_end_date"].iloc[0].toordinal() - 719163 == as_of


def test_backtest_training_never_sees_the_test_window(synthetic_invoices: pd.DataFrame) -> None:
    """The backtest's training rows (features and labels) only use invoices up to the test
    cutoff T - H: changing anything after it changes none of them."""
    as_of = last_day(synthetic_invoices)
    test_cutoff = as_of - HORIZON
    train = stacked_training_frame(
        synthetic_invoices, test_cutoff - HORIZON, HORIZON, ACTIVE, windows=3
    )
    changed = synthetic_invoices.copy()
    after = changed["day"] > test_cutoff
    changed.loc[after, "product_milli"] = changed.loc[after, "product_milli"] * 7 + 1
    changed.loc[after, "is_purchase"] = ~changed.loc[after, "is_purchase"]
    train_changed = stacked_training_frame(
        changed, test_cutoff - HORIZON, HORIZON, ACTIVE, windows=3
    )
    pd.testing.assert_frame_equal(train, train_changed)
    assert sorted(train["cutoff_day"].unique()) == [
        test_cutoff - 3 * HORIZON,
        test_cutoff - 2 * HORIZON,
        test_cutoff - HORIZON,
    ]


def test_drivers_one_row_per_feature(synthetic_invoices: pd.DataFrame) -> None:
    drivers = repeat_drivers(synthetic_invoices, HORIZON, ACTIVE, windows=2, n_repeats=3)
    assert sorted(drivers["feature"]) == sorted(PREDICTION_FEATURES)
    assert drivers["importance_rank"].tolist() == list(range(1, len(PREDICTION_FEATURES) + 1))
    assert drivers["importance_auc_drop"].is_monotonic_decreasing
    assert drivers["correlation_with_probability"].between(-1, 1).all()
    frequency = drivers.set_index("feature").loc["frequency"]
    assert frequency["direction"] == "higher means more likely to buy again"


def test_everyone_buys_again(make_invoices) -> None:
    """One class in the labels: a constant model, still valid probabilities."""
    rows = [
        invoice(f"{customer}{day:04d}", customer, day, 10.0 * customer)
        for customer in (1, 2, 3)
        for day in range(0, 400, 20)
    ]
    invoices = make_invoices(rows)
    predictions = customer_predictions(invoices, HORIZON, ACTIVE, windows=1)
    assert predictions["purchase_probability"].tolist() == [1.0, 1.0, 1.0]
    drivers = repeat_drivers(invoices, HORIZON, ACTIVE, windows=1)
    assert (drivers["importance_auc_drop"] == 0).all()


@pytest.mark.parametrize("name", SPEND_CANDIDATES)
def test_spend_models_never_negative(name: str) -> None:
    random = np.random.default_rng(0)
    x = random.normal(size=(200, 3))
    spend = np.where(x[:, 0] > 0, 100 * x[:, 1], 0.0)
    bought = (spend != 0).astype(int)
    predicted = SpendModel(name).fit(x, spend, bought).predict(x)
    assert (predicted >= 0).all()
    with pytest.raises(ValueError):
        SpendModel("unknown").fit(x, spend, bought)


def test_baselines() -> None:
    frame = pd.DataFrame(
        {"frequency": [0.0, 2.0], "tenure_days": [10.0, 180.0], "monetary": [0.0, 360.0]}
    )
    probability = historical_purchase_probability(frame, 90)
    assert probability[0] == 0.0
    assert probability[1] == pytest.approx(1 - np.exp(-1.0))
    assert historical_average_spend(frame, 90).tolist() == [0.0, 180.0]
