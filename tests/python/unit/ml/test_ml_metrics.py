"""Unit tests for retail_warehouse.ml.metrics."""

from __future__ import annotations

import numpy as np
import pytest

from retail_warehouse.ml.metrics import (
    classification_metrics,
    forecast_metrics,
    regression_metrics,
    top_decile,
)


def test_perfect_ranking() -> None:
    y = np.array([1] * 10 + [0] * 10)
    scores = np.linspace(1, 0, 20)
    metrics = classification_metrics(y, scores, np.arange(20))
    assert metrics["auc"] == 1.0
    assert metrics["precision_top_decile"] == 1.0
    assert metrics["lift_top_decile"] == 2.0
    assert metrics["base_rate"] == 0.5


def test_zero_one_baseline_has_finite_log_loss() -> None:
    y = np.array([1, 0, 1, 0])
    metrics = classification_metrics(y, np.array([0.0, 1.0, 1.0, 0.0]), np.arange(4))
    assert np.isfinite(metrics["log_loss"])
    assert metrics["brier_score"] == 0.5


def test_one_class_gives_no_auc() -> None:
    metrics = classification_metrics(np.ones(5), np.full(5, 0.5), np.arange(5))
    assert np.isnan(metrics["auc"])


def test_top_decile_ties_broken_by_id() -> None:
    assert top_decile(np.array([0.5, 0.5, 0.5]), np.array([3, 1, 2])).tolist() == [1]
    assert len(top_decile(np.ones(21), np.arange(21))) == 3


def test_regression_metrics() -> None:
    metrics = regression_metrics(np.array([0.0, 10.0, 20.0]), np.array([0.0, 10.0, 50.0]))
    assert metrics["mae"] == 10.0
    assert metrics["rmse"] == pytest.approx(np.sqrt(300.0))
    assert metrics["spearman"] == pytest.approx(1.0)
    assert np.isnan(regression_metrics(np.ones(3), np.arange(3.0))["spearman"])


def test_forecast_metrics() -> None:
    actual = np.array([100.0, 0.0, 200.0])
    forecast = np.array([110.0, 5.0, 180.0])
    metrics = forecast_metrics(actual, forecast, forecast - 15, forecast + 15)
    assert metrics["mape_pct"] == pytest.approx(10.0)  # the zero week is left out
    assert metrics["mae"] == pytest.approx(35 / 3)
    assert metrics["interval_coverage"] == pytest.approx(2 / 3)
