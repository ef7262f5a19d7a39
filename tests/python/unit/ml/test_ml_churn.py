"""Unit tests for retail_warehouse.ml.churn: the gap rule, its backtest and its columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.churn import (
    CHURN_METHOD,
    P_ALIVE_METHOD,
    churn_backtest_rows,
    churn_metrics,
    churn_score,
    fallback_gap_days,
    is_churned,
)
from retail_warehouse.ml.customer_models import fit_customer_models, predict_customers
from retail_warehouse.ml.features import PREDICTION_FEATURES
from retail_warehouse.ml.frames import last_day


def _customers(recency: list[float], gap: list[float], **columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, len(recency) + 1),
            "recency_days": recency,
            "gap_mean_days": gap,
            **columns,
        }
    )


def test_gap_rule_is_k_times_the_usual_gap() -> None:
    # Usual gaps 10, 10, 30 and none (one purchase day: the fallback, 20 days).
    customers = _customers([20.0, 21.0, 50.0, 41.0], [10.0, 10.0, 30.0, 0.0])
    assert is_churned(customers, 2.0, 20.0).tolist() == [False, True, False, True]
    assert is_churned(customers, 3.0, 20.0).tolist() == [False, False, False, False]
    assert churn_score(customers, 20.0).tolist() == pytest.approx([2.0, 2.1, 50 / 30, 2.05])
    with pytest.raises(ValueError, match="ml_churn_gap_multiple"):
        is_churned(customers, 0.0, 20.0)


def test_fallback_gap_is_the_median_of_repeat_customers() -> None:
    customers = _customers([1.0] * 5, [0.0, 10.0, 30.0, 20.0, 0.0])
    assert fallback_gap_days(customers) == 20.0
    assert fallback_gap_days(_customers([1.0], [0.0])) > 0  # nobody with a gap: a default


def test_churn_metrics_by_hand() -> None:
    # Customers 1..10; those who did not buy in the horizon (label 1) have the top scores.
    churned_next = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    score = np.arange(1.0, 11.0)
    flagged = score > 8.5
    metrics = churn_metrics(churned_next, score, flagged, np.arange(1, 11))
    assert metrics["auc"] == 1.0
    assert metrics["precision_top_decile"] == 1.0  # the top decile: customer 10
    assert metrics["lift_top_decile"] == pytest.approx(5.0)
    assert metrics["base_rate"] == pytest.approx(0.2)
    assert metrics["flagged_share"] == pytest.approx(0.2)
    assert metrics["flag_precision"] == 1.0
    assert metrics["flag_recall"] == 1.0


def test_backtest_rows_take_the_fallback_from_training_only() -> None:
    """The usual gap of one-purchase test customers comes from the training rows: changing
    the test customers' gaps moves nothing but their own scores."""
    train = _customers([5.0, 5.0, 5.0], [10.0, 10.0, 10.0])
    test = _customers(
        [15.0, 25.0, 5.0, 40.0],
        [0.0, 0.0, 10.0, 10.0],
        will_purchase=[1, 0, 1, 0],
        bgnbd_p_alive=[0.9, 0.2, 0.95, 0.4],
    )
    rows = pd.DataFrame(churn_backtest_rows(train, test, 2.0))
    assert set(rows["method"]) == {CHURN_METHOD, P_ALIVE_METHOD}
    assert (rows["model"] == "churn").all()
    assert rows.loc[rows["is_selected"], "method"].unique().tolist() == [CHURN_METHOD]
    rule = rows[rows["method"] == CHURN_METHOD].set_index("metric")["value"]
    # Fallback 10 days: scores 1.5, 2.5, 0.5, 4.0; churned (> 2): customers 2 and 4.
    assert rule["flagged_share"] == 0.5
    assert rule["flag_precision"] == 1.0
    assert rule["auc"] == 1.0
    alive = rows[rows["method"] == P_ALIVE_METHOD].set_index("metric")["value"]
    assert alive["flagged_share"] == 0.5  # P(alive) below 0.5: customers 2 and 4
    assert alive["base_rate"] == 0.5


def test_a_rule_that_flags_nobody_has_no_precision_row() -> None:
    """P(alive) above the threshold for everyone flags nobody: its precision is undefined,
    so the backtest has no such row (a NaN failed the 0..1 test of ml_model_evaluation, and
    Spark keeps NaN where DuckDB and PostgreSQL store null)."""
    train = _customers([5.0, 5.0], [10.0, 10.0])
    test = _customers([15.0, 25.0], [10.0, 10.0], will_purchase=[1, 0], bgnbd_p_alive=[0.9, 0.8])
    rows = pd.DataFrame(churn_backtest_rows(train, test, 2.0))
    alive = rows[rows["method"] == P_ALIVE_METHOD].set_index("metric")["value"]
    assert alive["flagged_share"] == 0.0
    assert "flag_precision" not in alive.index
    assert not rows["value"].isna().any()


def test_predictions_have_p_alive_and_the_churn_flag(synthetic_invoices: pd.DataFrame) -> None:
    from retail_warehouse.ml.customer_models import active_customer_features

    models = fit_customer_models(synthetic_invoices, 90, 365, 2)
    assert models.churn_fallback_gap_days > 0
    features = active_customer_features(synthetic_invoices, models)
    predictions = predict_customers(models, features, churn_gap_multiple=2.0)
    assert predictions["p_alive"].between(0, 1).all()
    expected = is_churned(
        features.sort_values("customer_id"), 2.0, models.churn_fallback_gap_days
    ).tolist()
    assert predictions["is_churned"].tolist() == expected
    assert predictions["p_alive"].tolist() == pytest.approx(
        features.sort_values("customer_id")["bgnbd_p_alive"].round(6).tolist()
    )
    looser = predict_customers(models, features, churn_gap_multiple=50.0)
    assert looser["is_churned"].sum() <= predictions["is_churned"].sum()
    assert last_day(synthetic_invoices) == models.as_of_day
    assert "gap_mean_days" in PREDICTION_FEATURES
