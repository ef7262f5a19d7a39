"""Unit tests for retail_warehouse.ml.gains (ml_model_gains)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.gains import GAINS_COLUMNS, decile_sizes, model_gains
from retail_warehouse.ml.metrics import calibration_by_decile, spend_by_decile

DATE = dt.date(2011, 9, 10)


def _rows(model: str, method: str, metrics: dict[str, float], n: int, fold: str = "test"):
    return pd.DataFrame(
        {
            "model": model,
            "evaluation_group": "active customers",
            "fold": fold,
            "method": method,
            "metric": list(metrics),
            "value": list(metrics.values()),
            "is_selected": method == "kept",
            "observation_count": n,
            "training_row_count": 10,
            "train_cutoff_date": DATE,
            "test_cutoff_date": DATE,
            "test_end_date": DATE + dt.timedelta(days=90),
            "model_version": "v",
            "as_of_date": DATE + dt.timedelta(days=90),
        }
    )


def test_decile_sizes_follow_array_split() -> None:
    for n in (10, 23, 105):
        sizes = [len(g) for g in np.array_split(np.arange(n), 10)]
        assert decile_sizes(n).tolist() == sizes


def test_gains_by_hand() -> None:
    """23 customers, the 3 with the top scores bought and one more in the middle: the top
    decile (3 customers, 13 % of them) holds 3 of the 4 buyers."""
    n = 23
    scores = np.linspace(0.01, 0.99, n)
    y = np.zeros(n)
    y[-3:] = 1
    y[10] = 1
    metrics = calibration_by_decile(y, scores, np.arange(n))
    evaluation = pd.concat(
        [
            _rows("purchase_next_horizon", "kept", metrics, n),
            _rows("purchase_next_horizon", "kept", {"auc": 0.9}, n),
            _rows("purchase_next_horizon", "kept", metrics, n, fold="mean"),
        ]
    )
    gains = model_gains(evaluation)
    assert tuple(gains.columns) == GAINS_COLUMNS
    assert gains["fold"].unique().tolist() == ["test"]  # not the mean
    top = gains.iloc[0]
    assert (top["decile"], top["customer_count"]) == (1, 2)  # array_split: smaller groups last
    assert gains["customer_count"].sum() == n
    assert gains["cumulative_customer_share"].iloc[-1] == pytest.approx(1.0)
    assert gains["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
    assert top["observed_mean"] == 1.0
    assert top["cumulative_gain"] == pytest.approx(0.5)  # 2 of 4 buyers
    assert top["lift"] == pytest.approx(1.0 / (4 / n), abs=1e-5)
    second = gains.iloc[1]
    assert second["cumulative_gain"] == pytest.approx(0.75)
    assert second["cumulative_lift"] == pytest.approx(0.75 / (4 / n), abs=1e-5)
    assert bool(top["is_selected"])


def test_spend_gains_share_of_net_revenue() -> None:
    n = 20
    predicted = np.arange(n, dtype="float64")
    actual = np.where(np.arange(n) >= 18, 100.0, 0.0)
    actual[0] = -10.0  # a net return in the lowest decile
    metrics = spend_by_decile(actual, predicted, np.arange(n))
    gains = model_gains(_rows("spend_next_horizon", "kept", metrics, n))
    top = gains.iloc[0]
    assert top["observed_mean"] == 100.0
    assert top["cumulative_gain"] == pytest.approx(200 / 190)
    assert gains["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
    assert gains["mean_predicted"].tolist() == sorted(gains["mean_predicted"], reverse=True)


def test_a_window_without_buyers_has_no_gains_rows() -> None:
    """hostile5: one invoice dated a year after the others leaves backtest windows where
    nobody buys; their gains are undefined (no buyers to reach), and the NaN they gave
    failed the build's 0..1 test of cumulative_gain. Such a window has no rows."""
    n = 23
    scores = np.linspace(0.01, 0.99, n)
    bought = np.zeros(n)
    bought[-3:] = 1
    evaluation = pd.concat(
        [
            _rows(
                "purchase_next_horizon",
                "kept",
                calibration_by_decile(bought, scores, np.arange(n)),
                n,
            ),
            _rows(
                "purchase_next_horizon",
                "kept",
                calibration_by_decile(np.zeros(n), scores, np.arange(n)),
                n,
                fold="validation_1",
            ),
        ]
    )
    gains = model_gains(evaluation)
    assert gains["fold"].unique().tolist() == ["test"]
    assert not gains[["cumulative_gain", "lift", "cumulative_lift"]].isna().any().any()
