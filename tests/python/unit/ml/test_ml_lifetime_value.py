"""Unit tests for retail_warehouse.ml.lifetime_value: the discounted 12-month value, its
simulated interval and its backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.btyd import (
    BgNbdParams,
    BtydFit,
    GammaGammaParams,
    bgnbd_expected_purchases,
    gamma_gamma_expected_value,
)
from retail_warehouse.ml.customer_models import (
    active_customer_features,
    customer_model_evaluation,
    fit_customer_models,
    predict_customers,
)
from retail_warehouse.ml.features import PREDICTION_FEATURES
from retail_warehouse.ml.frames import from_day_number, last_day
from retail_warehouse.ml.lifetime_value import (
    INTERVAL_LEVELS,
    LIFETIME_VALUE_COLUMNS,
    LIFETIME_VALUE_METHOD,
    LIFETIME_VALUE_MODEL,
    NOMINAL_METHOD,
    LifetimeValueSettings,
    _chosen_level,
    _Window,
    expected_lifetime_value,
    lifetime_values,
    period_discounts,
    simulated_lifetime_values,
)

FIT = BtydFit(
    BgNbdParams(r=0.8, alpha=6.0, a=0.7, b=3.0), GammaGammaParams(p=4.0, q=3.5, gamma=60.0), 0.0
)


def _summary() -> pd.DataFrame:
    """Four customers (time in weeks): new, regular and recent, regular and lapsed, one-off."""
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "repeat_purchases": [0.0, 12.0, 12.0, 1.0],
            "last_purchase_age": [0.0, 50.0, 10.0, 2.0],
            "observed_age": [3.0, 52.0, 52.0, 40.0],
            "mean_repeat_value": [0.0, 150.0, 150.0, 80.0],
        }
    )


def test_period_discounts_by_hand() -> None:
    # Quarters of a year, discounted from their middles: 1.5, 4.5, 7.5 and 10.5 months.
    assert period_discounts(365, 4, 0.1) == pytest.approx(1.1 ** -(np.array([1, 3, 5, 7]) / 8))
    assert period_discounts(365, 4, 0.0).tolist() == [1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="discount rate"):
        period_discounts(365, 4, -1.0)


def test_undiscounted_value_is_expected_purchases_times_value() -> None:
    """Without discounting the periods add up to BG/NBD's expected purchases over the whole
    horizon times the Gamma-Gamma value of a purchase; discounting lowers it."""
    summary = _summary()
    x, t_x, big_t, z = (summary[column].to_numpy() for column in list(summary.columns)[1:])
    expected = bgnbd_expected_purchases(FIT.bgnbd, 365 / 7, x, t_x, big_t)
    expected = expected * gamma_gamma_expected_value(FIT.gamma_gamma, x, z)
    undiscounted = expected_lifetime_value(summary, FIT, 0.0)
    assert undiscounted == pytest.approx(expected, rel=1e-9)
    discounted = expected_lifetime_value(summary, FIT, 0.1)
    assert (discounted < undiscounted).all()
    assert (discounted > undiscounted / 1.1).all()


def test_the_simulation_has_the_expected_value() -> None:
    """The mean of the simulated values is the analytic expectation (the simulation draws
    from the model the expectation is of), within Monte Carlo error."""
    settings = LifetimeValueSettings(simulations=40_000)
    draws = simulated_lifetime_values(_summary(), FIT, 0.1, settings)
    expected = expected_lifetime_value(_summary(), FIT, 0.1, settings)
    assert draws.mean(axis=1) == pytest.approx(expected, rel=0.04, abs=0.5)
    assert (draws >= 0).all()


def test_the_simulation_without_gamma_gamma_uses_the_order_value() -> None:
    fit = BtydFit(FIT.bgnbd, None, 100.0)
    draws = simulated_lifetime_values(_summary(), fit, 0.0, LifetimeValueSettings(simulations=50))
    # Undiscounted, every draw is a whole number of purchases of GBP 100.
    assert np.allclose(draws / 100.0, np.round(draws / 100.0))


def test_intervals_hold_their_share_of_draws_and_are_deterministic() -> None:
    values = lifetime_values(_summary(), FIT, 0.1)
    assert list(values.columns) == ["customer_id", *LIFETIME_VALUE_COLUMNS]
    assert (values["lifetime_value_lower"] <= values["lifetime_value_upper"]).all()
    assert (values["lifetime_value_lower"] >= 0).all()
    by_id = values.set_index("customer_id")
    # The regular recent customer is worth most, and surely buys: the lower bound is above 0.
    assert by_id["lifetime_value"].idxmax() == 2
    assert by_id.loc[2, "lifetime_value_lower"] > 0
    # The lapsed one is likely gone: 0 is inside the interval.
    assert by_id.loc[3, "lifetime_value_lower"] == 0
    pd.testing.assert_frame_equal(values, lifetime_values(_summary(), FIT, 0.1))
    narrower = lifetime_values(_summary(), FIT, 0.1, LifetimeValueSettings(interval_level=0.5))
    assert (narrower["lifetime_value_upper"] <= values["lifetime_value_upper"]).all()


def test_predictions_carry_the_lifetime_value(synthetic_invoices: pd.DataFrame) -> None:
    models = fit_customer_models(synthetic_invoices, 90, 365, 2)
    assert models.lifetime_value.interval_level in INTERVAL_LEVELS  # fitted on validation_1
    features = active_customer_features(synthetic_invoices, models)
    predictions = predict_customers(models, features)
    for column in LIFETIME_VALUE_COLUMNS:
        assert predictions[column].notna().all()
        assert (predictions[column] >= 0).all()
    assert (predictions["lifetime_value_lower"] <= predictions["lifetime_value_upper"]).all()
    # A 12-month value is above the 90-day expectation of the same BTYD models, on the whole.
    assert predictions["lifetime_value"].sum() > predictions["expected_net_revenue"].sum()
    higher_rate = predict_customers(models, features, discount_rate=0.5)
    assert (higher_rate["lifetime_value"] <= predictions["lifetime_value"]).all()
    # Without the BTYD statistics (the API's scoring passes the features only): null.
    bare = predict_customers(models, features.loc[:, ["customer_id", *PREDICTION_FEATURES]])
    assert bare["lifetime_value"].isna().all()


def test_backtest_rows(synthetic_invoices: pd.DataFrame) -> None:
    """Two 360-day windows fit in two years with two training windows (the cutoffs listed
    reach T - 450 days): each ends k horizons before T and scores the customers active at
    its start."""
    evaluation = customer_model_evaluation(synthetic_invoices, 90, 365, windows=2)
    rows = evaluation[evaluation["model"] == LIFETIME_VALUE_MODEL]
    assert set(rows["method"]) == {LIFETIME_VALUE_METHOD, NOMINAL_METHOD}
    assert (rows["is_selected"] == (rows["method"] == LIFETIME_VALUE_METHOD)).all()
    rows = rows[rows["method"] == LIFETIME_VALUE_METHOD]
    # One level for every window, chosen on validation_1 (the only earlier window here).
    assert rows.loc[rows["metric"] == "interval_level", "value"].nunique() == 1
    assert set(rows["fold"]) == {"test", "validation_1", "mean"}
    assert {"interval_coverage", "interval_below_share", "interval_above_share", "mae"} <= set(
        rows["metric"]
    )
    metric = rows.set_index(["fold", "metric"])["value"]
    for fold in ("test", "validation_1"):
        shares = [
            metric[(fold, name)]
            for name in ("interval_coverage", "interval_below_share", "interval_above_share")
        ]
        assert sum(shares) == pytest.approx(1.0)
        assert 0 <= shares[0] <= 1
    as_of = last_day(synthetic_invoices)
    test = rows[rows["fold"] == "test"].iloc[0]
    assert test["test_end_date"] == from_day_number(as_of)
    assert test["test_cutoff_date"] == from_day_number(as_of - 360)


def _window(index: int, spread: float) -> _Window:
    """100 customers whose simulated values are 0..1 evenly (101 draws each) and whose
    actual values spread ``spread`` times as wide around the middle."""
    draws = np.tile(np.linspace(0.0, 1.0, 101), (100, 1))
    actual = 0.5 + (np.arange(100) / 99 - 0.5) * spread
    return _Window(index, 0, np.full(100, 0.5), draws, actual, 100)


def test_the_interval_level_is_chosen_on_the_validation_windows() -> None:
    """Outcomes spread 0.8 times as wide as the draws: the central 64 % of the draws holds
    80 % of them. The test window (index 0) plays no part; without a validation window the
    level stays the nominal 80 %."""
    assert _chosen_level([_window(1, 0.8), _window(2, 0.8)]) == pytest.approx(0.64, abs=0.011)
    assert _chosen_level([_window(0, 0.2), _window(1, 0.8)]) == _chosen_level([_window(1, 0.8)])
    assert _chosen_level([_window(1, 1.0)]) == pytest.approx(0.80, abs=0.011)
    assert _chosen_level([_window(0, 0.8)]) == 0.80
