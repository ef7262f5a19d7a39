"""Unit tests for retail_warehouse.ml.customer_models, on synthetic invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ml_direct import direct_predictions
from ml_invoices import invoice, synthetic_rows

from retail_warehouse.ml.calibration import CALIBRATION_METHODS, calibrated_name
from retail_warehouse.ml.churn import CHURN_METHOD
from retail_warehouse.ml.customer_models import (
    CEILING_METHOD,
    PURCHASE_CANDIDATES,
    PURCHASE_MODEL,
    SELECTED_PURCHASE,
    SPEND_CANDIDATES,
    SPEND_MODEL,
    SpendModel,
    backtest_split,
    customer_model_evaluation,
    fit_spend_models,
    historical_average_spend,
    historical_purchase_probability,
    make_purchase_model,
    repeat_drivers,
    stacked_training_frame,
)
from retail_warehouse.ml.features import (
    PREDICTION_FEATURES,
    active_customers,
    log_features,
    training_frame,
)
from retail_warehouse.ml.frames import last_day, prepare_invoices
from retail_warehouse.ml.lifetime_value import LIFETIME_VALUE_METHOD, LIFETIME_VALUE_MODEL

HORIZON = 90
ACTIVE = 365
CALIBRATED = {calibrated_name(PURCHASE_MODEL, method) for method in CALIBRATION_METHODS[1:]}


def test_predictions_one_row_per_active_customer(synthetic_invoices: pd.DataFrame) -> None:
    predictions = direct_predictions(synthetic_invoices, HORIZON, ACTIVE, windows=2)
    expected = active_customers(synthetic_invoices, last_day(synthetic_invoices), ACTIVE)
    assert predictions["customer_id"].tolist() == expected.tolist()
    assert predictions["purchase_probability"].between(0, 1).all()
    assert (predictions["expected_net_revenue"] >= 0).all()
    assert sorted(predictions["probability_rank"]) == list(range(1, len(predictions) + 1))
    assert predictions["purchase_model"].unique().tolist() == [SELECTED_PURCHASE]
    assert predictions["spend_model"].unique().tolist() == [SPEND_MODEL]
    assert predictions["horizon_days"].unique().tolist() == [HORIZON]


def test_predictions_are_deterministic(synthetic_invoices: pd.DataFrame) -> None:
    first = direct_predictions(synthetic_invoices, HORIZON, ACTIVE, windows=2)
    shuffled = synthetic_invoices.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert shuffled["invoice_id"].tolist() != synthetic_invoices["invoice_id"].tolist()
    again = direct_predictions(shuffled, HORIZON, ACTIVE, windows=2)
    pd.testing.assert_frame_equal(first, again)


@pytest.fixture(scope="module")
def evaluation() -> pd.DataFrame:
    """The rolling-origin backtest on the synthetic invoices, computed once (three folds)."""
    invoices = prepare_invoices(pd.DataFrame(synthetic_rows()))
    return customer_model_evaluation(invoices, HORIZON, ACTIVE, windows=2)


def test_evaluation_rows(synthetic_invoices: pd.DataFrame, evaluation: pd.DataFrame) -> None:
    purchase = evaluation[evaluation["model"] == "purchase_next_horizon"]
    spend = evaluation[evaluation["model"] == "spend_next_horizon"]
    assert set(purchase["method"]) == {
        *PURCHASE_CANDIDATES,
        *CALIBRATED,
        "baseline_bought_previous_horizon",
        "baseline_historical_rate",
        CEILING_METHOD,
    }
    assert set(spend["method"]) == {
        *SPEND_CANDIDATES,
        "baseline_previous_horizon_spend",
        "baseline_historical_average",
    }
    core = {"auc", "brier_score", "log_loss", "precision_top_decile", "lift_top_decile"}
    assert core | {"base_rate", "expected_calibration_error"} <= set(purchase["metric"])
    calibrated = purchase[purchase["metric"].str.startswith("decile_")]
    assert set(calibrated["method"]) == {PURCHASE_MODEL, "bgnbd", *CALIBRATED}
    assert len(set(calibrated["metric"])) == 20
    assert {"mae", "rmse", "spearman"} <= set(spend["metric"])
    spend_deciles = spend[spend["metric"].str.startswith("decile_")]
    assert set(spend_deciles["method"]) == {SPEND_MODEL, "bgnbd_gamma_gamma"}
    assert len(set(spend_deciles["metric"])) == 20
    assert not evaluation.duplicated(["model", "fold", "method", "metric"]).any()
    assert set(evaluation["fold"]) == {"test", "validation_1", "validation_2", "mean"}
    selected = evaluation[evaluation["is_selected"]]
    assert set(selected["method"]) == {
        SELECTED_PURCHASE,
        SPEND_MODEL,
        CHURN_METHOD,
        LIFETIME_VALUE_METHOD,
    }
    as_of = last_day(synthetic_invoices)
    assert (evaluation["test_end_date"] > evaluation["test_cutoff_date"]).all()
    # The lifetime value's BTYD models learn no label: fitted at the window's start.
    trained = evaluation[evaluation["model"] != LIFETIME_VALUE_MODEL]
    assert (trained["test_cutoff_date"] > trained["train_cutoff_date"]).all()
    test = evaluation[evaluation["fold"] == "test"]
    assert test["test_end_date"].iloc[0].toordinal() - 719163 == as_of
    assert test["test_cutoff_date"].iloc[0].toordinal() - 719163 == as_of - HORIZON
    earliest = evaluation[evaluation["fold"] == "validation_2"]
    assert earliest["test_cutoff_date"].iloc[0].toordinal() - 719163 == as_of - 3 * HORIZON


def test_mean_rows_average_the_folds(evaluation: pd.DataFrame) -> None:
    auc = evaluation[(evaluation["method"] == "bgnbd") & (evaluation["metric"] == "auc")].set_index(
        "fold"
    )["value"]
    folds = auc.drop("mean")
    assert len(folds) == 3
    assert auc["mean"] == pytest.approx(folds.mean())


def test_bgnbd_candidate_is_the_btyd_probability(synthetic_invoices: pd.DataFrame) -> None:
    as_of = last_day(synthetic_invoices)
    frame = training_frame(synthetic_invoices, as_of - HORIZON, HORIZON, ACTIVE)
    x = log_features(frame, PREDICTION_FEATURES)
    scores = make_purchase_model("bgnbd").fit(x, None).predict_proba(x)[:, 1]
    np.testing.assert_allclose(scores, frame["bgnbd_purchase_probability"], rtol=1e-12)
    spend = SpendModel("bgnbd_gamma_gamma").fit(x, np.zeros(len(x))).predict(x)
    np.testing.assert_allclose(spend, frame["btyd_expected_spend"], rtol=1e-12)


def test_blend_sits_between_its_parts(synthetic_invoices: pd.DataFrame) -> None:
    as_of = last_day(synthetic_invoices)
    frame = training_frame(synthetic_invoices, as_of - HORIZON, HORIZON, ACTIVE)
    x, y = log_features(frame, PREDICTION_FEATURES), frame["will_purchase"].to_numpy()
    blend = make_purchase_model("blend_logistic_bgnbd").fit(x, y).predict_proba(x)[:, 1]
    regression = make_purchase_model("logistic_regression").fit(x, y).predict_proba(x)[:, 1]
    bgnbd = frame["bgnbd_purchase_probability"].to_numpy()
    low, high = np.minimum(regression, bgnbd), np.maximum(regression, bgnbd)
    assert ((blend >= low - 1e-9) & (blend <= high + 1e-9)).all()


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


def test_every_fold_trains_only_on_its_past(synthetic_invoices: pd.DataFrame) -> None:
    """Fold k's training rows (features, BTYD fits, labels) use invoices up to its test
    cutoff only; its test features up to the cutoff, its labels up to one horizon after."""
    for fold in (1, 2):
        cutoff, train, test = backtest_split(synthetic_invoices, HORIZON, ACTIVE, 2, fold)
        assert cutoff == last_day(synthetic_invoices) - (fold + 1) * HORIZON
        changed = synthetic_invoices.copy()
        after = changed["day"] > cutoff
        changed.loc[after, "product_milli"] = changed.loc[after, "product_milli"] * 5 + 3
        changed.loc[after, "is_purchase"] = ~changed.loc[after, "is_purchase"]
        _, train_changed, test_changed = backtest_split(changed, HORIZON, ACTIVE, 2, fold)
        pd.testing.assert_frame_equal(train, train_changed)
        labels = ["will_purchase", "future_net_revenue"]
        pd.testing.assert_frame_equal(test.drop(columns=labels), test_changed.drop(columns=labels))
        assert train["cutoff_day"].max() == cutoff - HORIZON


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
    predictions = direct_predictions(invoices, HORIZON, ACTIVE, windows=1)
    assert predictions["purchase_probability"].tolist() == [1.0, 1.0, 1.0]
    drivers = repeat_drivers(invoices, HORIZON, ACTIVE, windows=1)
    assert (drivers["importance_auc_drop"] == 0).all()


def test_spend_models_share_one_regressor() -> None:
    random = np.random.default_rng(1)
    x = random.normal(size=(120, len(PREDICTION_FEATURES)))
    spend = np.clip(50 * x[:, 0], 0, None)
    shared = fit_spend_models(x, spend)
    assert list(shared) == list(SPEND_CANDIDATES)
    for name, model in shared.items():
        np.testing.assert_allclose(model.predict(x), SpendModel(name).fit(x, spend).predict(x))


@pytest.mark.parametrize("name", SPEND_CANDIDATES)
def test_spend_models_never_negative(name: str) -> None:
    random = np.random.default_rng(0)
    x = random.normal(size=(200, len(PREDICTION_FEATURES)))
    spend = np.where(x[:, 0] > 0, 100 * x[:, 1], 0.0)
    predicted = SpendModel(name).fit(x, spend).predict(x)
    assert (predicted >= 0).all()
    with pytest.raises(ValueError):
        SpendModel("unknown").fit(x, spend)


def test_baselines() -> None:
    frame = pd.DataFrame(
        {"frequency": [0.0, 2.0], "tenure_days": [10.0, 180.0], "monetary": [0.0, 360.0]}
    )
    probability = historical_purchase_probability(frame, 90)
    assert probability[0] == 0.0
    assert probability[1] == pytest.approx(1 - np.exp(-1.0))
    assert historical_average_spend(frame, 90).tolist() == [0.0, 180.0]


def test_an_undefined_metric_gives_no_row(make_invoices) -> None:
    """One invoice a year after the others (a date the loader accepts, at the edge of the
    plausible range) leaves the latest test window without a purchase: its AUC is undefined.
    It gives no row, not a NaN (null on DuckDB, NaN on Spark), which failed the build's 0..1
    test of ml_model_evaluation."""
    rows = synthetic_rows()
    last = max(row["invoice_date"] for row in rows)
    late = invoice("999999", 1, 0, 25.0)
    late["invoice_date"] = last + pd.Timedelta(days=365)
    evaluation = customer_model_evaluation(make_invoices([*rows, late]), HORIZON, ACTIVE, 4)
    assert not evaluation["value"].isna().any(), evaluation[evaluation["value"].isna()].head()
    assert {"auc", "brier_score"} <= set(evaluation["metric"])


def test_training_windows_without_spend_do_not_stop_the_backtest(make_invoices) -> None:
    """hostile5: with two training windows (the CI sample builds' setting), one invoice a
    year after the others leaves every training window without spend; the Poisson
    regressor refused it ("requires ... sum(y) > 0") and the build failed with a traceback.
    Nobody spent, so the regression predicts 0."""
    rows = synthetic_rows()
    last = max(row["invoice_date"] for row in rows)
    late = invoice("999999", 1, 0, 25.0)
    late["invoice_date"] = last + pd.Timedelta(days=365)
    evaluation = customer_model_evaluation(make_invoices([*rows, late]), HORIZON, ACTIVE, 2)
    assert "spend_next_horizon" in set(evaluation["model"])
    model = SpendModel("hist_gradient_boosting_poisson").fit(np.ones((5, 3)), np.zeros(5))
    assert model.predict(np.ones((2, len(PREDICTION_FEATURES)))).tolist() == [0.0, 0.0]
