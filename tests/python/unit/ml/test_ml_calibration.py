"""Unit tests for retail_warehouse.ml.calibration and its use in the backtest and registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.calibration import (
    SEASON_DAYS,
    Calibration,
    expected_calibration_error,
    fit_calibration,
    holdout_cutoff,
)
from retail_warehouse.ml.customer_models import (
    PURCHASE_CALIBRATION,
    backtest_split,
    calibration_for,
    fit_customer_models,
)
from retail_warehouse.ml.metrics import classification_metrics, decile_groups


def test_holdout_is_the_latest_or_last_years_cutoff() -> None:
    cutoffs = [100, 190, 280, 370]
    assert holdout_cutoff(cutoffs, 460, "platt_latest_window") == 370
    assert holdout_cutoff(cutoffs, 460, "season_shift") == 100  # 460 - 360, nearest 364
    assert holdout_cutoff(cutoffs, 280 + SEASON_DAYS, "season_shift") == 280
    assert holdout_cutoff(cutoffs, 460, "none") is None
    assert holdout_cutoff([370], 460, "platt_latest_window") is None  # nothing left to fit


def test_season_shift_matches_the_holdout_buy_rate() -> None:
    random = np.random.default_rng(0)
    p = random.uniform(0.1, 0.5, 2000)
    y = (random.uniform(size=2000) < np.clip(p + 0.15, 0, 1)).astype(int)  # under-predicted
    calibration = fit_calibration("season_shift", y, p, holdout=7)
    assert calibration.slope == 1.0
    assert calibration.intercept > 0
    assert calibration.apply(p).mean() == pytest.approx(y.mean(), abs=1e-9)
    assert calibration.holdout_cutoff_day == 7


def test_platt_recovers_a_known_distortion() -> None:
    """Labels drawn from sigmoid(2 logit(p) - 0.5): Platt's slope and intercept come back."""
    random = np.random.default_rng(1)
    p = random.uniform(0.02, 0.98, 20000)
    z = np.log(p / (1 - p))
    y = (random.uniform(size=len(p)) < 1 / (1 + np.exp(-(2 * z - 0.5)))).astype(int)
    calibration = fit_calibration("platt_latest_window", y, p, holdout=1)
    assert calibration.slope == pytest.approx(2.0, abs=0.1)
    assert calibration.intercept == pytest.approx(-0.5, abs=0.1)
    assert (
        classification_metrics(y, calibration.apply(p), np.arange(len(p)))["brier_score"]
        < classification_metrics(y, p, np.arange(len(p)))["brier_score"]
    )


def test_one_class_or_none_is_the_identity() -> None:
    p = np.array([0.2, 0.7])
    assert fit_calibration("season_shift", np.array([1, 1]), p, 3) == Calibration()
    assert fit_calibration("platt_latest_window", np.array([0, 1]), p, None) == Calibration()
    np.testing.assert_array_equal(Calibration().apply(p), p)


def test_expected_calibration_error_by_hand() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.3, 0.6, 1.0])
    groups = [np.array([0, 1]), np.array([2, 3])]
    # |0.2 - 0| / 2 + |0.8 - 1| / 2
    assert expected_calibration_error(y, p, groups) == pytest.approx(0.2)
    metrics = classification_metrics(y, p, np.arange(4))
    expected = expected_calibration_error(y, p, decile_groups(p, np.arange(4)))
    assert metrics["expected_calibration_error"] == pytest.approx(expected)


def test_calibration_never_sees_the_scored_window(synthetic_invoices: pd.DataFrame) -> None:
    """The parameters of the test fold come from the training rows only: labels after the
    test cutoff changed at will move nothing."""
    test_cutoff, train, _ = backtest_split(synthetic_invoices, 90, 365, 3)
    for method in ("platt_latest_window", "season_shift"):
        first, _ = calibration_for(method, train, test_cutoff)
        later = synthetic_invoices[synthetic_invoices["day"] <= test_cutoff]
        _, train_again, _ = backtest_split(later, 90, 365, 3, fold=-1)
        again, _ = calibration_for(method, train_again, test_cutoff)
        assert first == again
        assert first.holdout_cutoff_day is not None
        assert first.holdout_cutoff_day < test_cutoff


def test_the_registry_model_carries_its_calibration(synthetic_invoices: pd.DataFrame) -> None:
    models = fit_customer_models(synthetic_invoices, 90, 365, 3)
    assert models.calibration.method == PURCHASE_CALIBRATION
