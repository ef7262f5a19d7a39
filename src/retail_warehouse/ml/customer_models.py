"""Repeat purchase and spend in the next horizon: training sets, estimators, out-of-time
backtest, scoring and the drivers of repeat buying.

Time layout, with T the last invoice day and H the horizon: a model is trained on the
features at a cutoff c with the labels of (c, c + H]. The backtest has rolling origins: fold
k (0 = the latest) trains at T - (k + 2)H (labels up to T - (k + 1)H) and tests on the
features at T - (k + 1)H with the labels of the horizon after; the final
models train at T - H (labels up to T) and score the features at T. With ``windows`` > 1 the
training set stacks the cutoffs c, c - H, c - 2H, ... (each with its own labels, all of them
on or before the training cutoff + H), which gives the model every season of the year.

Longer than 400 lines on purpose: the purchase and spend models share the training sets,
the time layout above and the backtest folds; one file keeps one time layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from retail_warehouse.ml import MODEL_VERSION, RANDOM_STATE
from retail_warehouse.ml._threads import single_threaded
from retail_warehouse.ml.btyd import BtydFit, fit_btyd_summary
from retail_warehouse.ml.calibration import (
    CALIBRATION_METHODS,
    Calibration,
    calibrated_name,
    fit_calibration,
    holdout_cutoff,
)
from retail_warehouse.ml.churn import (
    CHURN_GAP_MULTIPLE,
    DEFAULT_USUAL_GAP_DAYS,
    churn_backtest_rows,
    fallback_gap_days,
    is_churned,
)
from retail_warehouse.ml.feature_table import btyd_summary_of
from retail_warehouse.ml.features import (
    BTYD_STATISTICS,
    FEATURE_DESCRIPTIONS,
    PREDICTION_FEATURES,
    log_features,
    training_frame,
)
from retail_warehouse.ml.frames import from_day_number
from retail_warehouse.ml.lifetime_value import (
    DISCOUNT_RATE,
    LIFETIME_VALUE_COLUMNS,
    LifetimeValueSettings,
    fit_interval_level,
    lifetime_value_backtest_rows,
    lifetime_values,
)
from retail_warehouse.ml.metrics import (
    calibration_by_decile,
    classification_metrics,
    mean_over_folds,
    regression_metrics,
    spend_by_decile,
)
from retail_warehouse.ml.sampling import training_sample
from retail_warehouse.ml.training_table import (
    TrainingData,
    as_training_data,
    training_frame_at,
)

PURCHASE_MODEL = "blend_logistic_bgnbd"
"""The purchase estimator kept: chosen on the backtest folds before the test window (see
docs/ml.md and the evaluation rows of every candidate)."""
SPEND_MODEL = "blend_poisson_gamma_gamma"
"""The spend estimator kept, chosen the same way."""
PURCHASE_CALIBRATION = "none"
"""The calibration of the kept purchase model (:mod:`~retail_warehouse.ml.calibration`),
chosen on the backtest's validation windows only (Brier score and expected calibration
error, see docs/ml.md)."""
SELECTED_PURCHASE = calibrated_name(PURCHASE_MODEL, PURCHASE_CALIBRATION)
"""The purchase method of ml_customer_predictions: the kept model with its calibration."""

PURCHASE_CANDIDATES: tuple[str, ...] = (
    "bgnbd",
    "logistic_regression",
    "hist_gradient_boosting",
    "blend_logistic_bgnbd",
)
SPEND_CANDIDATES: tuple[str, ...] = (
    "bgnbd_gamma_gamma",
    "hist_gradient_boosting_poisson",
    "blend_poisson_gamma_gamma",
)
CEILING_METHOD = "diagnostic_fit_on_test_labels"
"""Evaluation rows of a model fitted on the test window's own labels (cross-validated): not
a candidate, the ceiling of what the features can reach there."""
CEILING_FOLDS = 5
EVALUATION_FOLDS = 3
"""Test windows of the rolling-origin backtest: (T - kH, T - (k - 1)H] for k = 1..3."""

_BGNBD_COLUMN = PREDICTION_FEATURES.index("bgnbd_purchase_probability")
_BTYD_SPEND_COLUMN = PREDICTION_FEATURES.index("btyd_expected_spend")
_CLIP = 1e-6


def _unlog(column: np.ndarray) -> np.ndarray:
    """Undo :func:`~retail_warehouse.ml.features.log_features` on one column."""
    return np.sign(column) * np.expm1(np.abs(column))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _CLIP, 1 - _CLIP)
    return np.log(p / (1 - p))


class _Classifier(Protocol):
    def fit(self, x: np.ndarray, y: np.ndarray) -> object: ...
    def predict_proba(self, x: np.ndarray) -> np.ndarray: ...


class BgNbdClassifier(ClassifierMixin, BaseEstimator):
    """The BG/NBD probability of a purchase in the horizon, read from its feature column
    (fitted at each cutoff on the history up to it); ``fit`` learns nothing."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> BgNbdClassifier:
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.clip(_unlog(np.asarray(x)[:, _BGNBD_COLUMN]), 0.0, 1.0)
        return np.column_stack([1 - p, p])


class BlendClassifier(ClassifierMixin, BaseEstimator):
    """The mean, on the logit scale, of a logistic regression on every feature and the
    BG/NBD probability: the regression adds the season, spend and regularity, BG/NBD the
    individual purchase process."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> BlendClassifier:
        self.classes_ = np.array([0, 1])
        self.regression_ = make_purchase_model("logistic_regression").fit(x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        regression = self.regression_.predict_proba(x)[:, 1]
        bgnbd = BgNbdClassifier().fit(x, None).predict_proba(x)[:, 1]
        p = 1.0 / (1.0 + np.exp(-(_logit(regression) + _logit(bgnbd)) / 2))
        return np.column_stack([1 - p, p])


def make_purchase_model(name: str) -> _Classifier:
    """A fresh, seeded purchase classifier by name (input: log-scaled features)."""
    if name == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if name == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=80,
            max_leaf_nodes=8,
            min_samples_leaf=100,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=RANDOM_STATE,
        )
    if name == "bgnbd":
        return BgNbdClassifier()
    if name == "blend_logistic_bgnbd":
        return BlendClassifier()
    raise ValueError(f"unknown purchase model {name!r}")


def _hgb_regressor() -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=RANDOM_STATE,
    )


class _ZeroRegressor:
    """Stands in when nobody spent in the training windows: predicts 0 for everyone."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.zeros(len(x))


@dataclass
class SpendModel:
    """Expected net revenue in the horizon (never negative). ``bgnbd_gamma_gamma`` is the
    BTYD expectation (expected purchases x Gamma-Gamma value, from its feature column);
    ``hist_gradient_boosting_poisson`` regresses every customer's spend (negative counted
    as 0); ``blend_poisson_gamma_gamma`` is the mean of the two."""

    name: str

    @single_threaded
    def fit(self, x: np.ndarray, spend: np.ndarray) -> SpendModel:
        """Fit on features and the horizon's net revenue."""
        if self.name not in SPEND_CANDIDATES:
            raise ValueError(f"unknown spend model {self.name!r}")
        if self.name != "bgnbd_gamma_gamma":
            target = np.clip(spend, 0.0, None)
            # Poisson regression needs a positive total: with nobody spending in the
            # training windows (one invoice far after the others) the expectation is 0
            has_spend = target.sum() > 0
            self._model = _hgb_regressor().fit(x, target) if has_spend else _ZeroRegressor()
        return self

    @single_threaded
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Expected net revenue in GBP per row of ``x``."""
        btyd = np.clip(_unlog(np.asarray(x)[:, _BTYD_SPEND_COLUMN]), 0.0, None)
        if self.name == "bgnbd_gamma_gamma":
            return btyd
        regression = np.clip(self._model.predict(x), 0.0, None)
        if self.name == "hist_gradient_boosting_poisson":
            return regression
        return (regression + btyd) / 2


def fit_spend_models(x: np.ndarray, spend: np.ndarray) -> dict[str, SpendModel]:
    """Every spend candidate fitted on the same rows; the gradient boosting regressor is
    fitted once and shared by the models that use it."""
    regression = SpendModel("hist_gradient_boosting_poisson").fit(x, spend)
    models = {"hist_gradient_boosting_poisson": regression}
    for name in SPEND_CANDIDATES:
        if name not in models:
            models[name] = SpendModel(name)
            if name != "bgnbd_gamma_gamma":
                models[name]._model = regression._model
    return {name: models[name] for name in SPEND_CANDIDATES}


class _ConstantClassifier:
    """Stands in when the training labels have one class: predicts that class's rate."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def fit(self, x: np.ndarray, y: np.ndarray) -> _ConstantClassifier:
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.column_stack([np.full(len(x), 1 - self.rate), np.full(len(x), self.rate)])


def _fit_classifier(name: str, x: np.ndarray, y: np.ndarray) -> _Classifier:
    if len(np.unique(y)) < 2 and name != "bgnbd":
        return _ConstantClassifier(float(np.mean(y)) if len(y) else 0.0)
    return make_purchase_model(name).fit(x, y)


def _probability(model: _Classifier, x: np.ndarray) -> np.ndarray:
    return np.clip(model.predict_proba(x)[:, 1], 0.0, 1.0)


def training_cutoffs(first_day: int, cutoff_day: int, horizon_days: int, windows: int):
    """The training cutoffs ``cutoff_day - i * horizon_days`` for i < ``windows`` that are
    on or after ``first_day`` (the first invoice day), newest first."""
    cutoffs = (cutoff_day - i * horizon_days for i in range(max(1, windows)))
    return [cutoff for cutoff in cutoffs if cutoff >= first_day]


def stacked_training_frame(
    data: TrainingData | pd.DataFrame,
    cutoff_day: int,
    horizon_days: int,
    active_window_days: int,
    windows: int,
    frames: dict[int, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Training rows at the cutoffs of :func:`training_cutoffs` from ``data``
    (:class:`~retail_warehouse.ml.training_table.TrainingData`, or prepared invoices
    measured in pandas). Sorted by cutoff, then customer. ``frames`` caches
    :func:`~retail_warehouse.ml.training_table.training_frame_at` by cutoff (the backtest
    folds share cutoffs, and each fits the BTYD models)."""
    data = as_training_data(data, horizon_days, windows)
    cache = {} if frames is None else frames
    cutoffs = training_cutoffs(data.first_day, cutoff_day, horizon_days, windows)
    for cutoff in cutoffs:
        if cutoff not in cache:
            cache[cutoff] = training_frame_at(data, cutoff, horizon_days, active_window_days)
    parts = [cache[cutoff] for cutoff in cutoffs]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        raise ValueError("no active customers at the training cutoff(s)")
    return frame.sort_values(["cutoff_day", "customer_id"], kind="mergesort").reset_index(drop=True)


def backtest_split(
    data: TrainingData | pd.DataFrame,
    horizon_days: int,
    active_window_days: int,
    windows: int,
    fold: int = 0,
    frames: dict[int, pd.DataFrame] | None = None,
) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """One out-of-time backtest fold: ``(test_cutoff, train, test)`` with the test cutoff
    at T - (``fold`` + 1)H (labels up to T - ``fold`` x H) and the training rows stacked
    from one horizon before it back (labels up to the test cutoff), so no training label
    overlaps the test window. Fold 0 is the latest window. ``frames`` caches
    :func:`~retail_warehouse.ml.training_table.training_frame_at` by cutoff across folds."""
    data = as_training_data(data, horizon_days, windows)
    cache = {} if frames is None else frames
    test_cutoff = data.as_of_day - (fold + 1) * horizon_days
    train = stacked_training_frame(
        data, test_cutoff - horizon_days, horizon_days, active_window_days, windows, cache
    )
    if test_cutoff not in cache:
        cache[test_cutoff] = training_frame_at(data, test_cutoff, horizon_days, active_window_days)
    return test_cutoff, train, cache[test_cutoff]


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = log_features(frame, PREDICTION_FEATURES)
    return x, frame["will_purchase"].to_numpy(), frame["future_net_revenue"].to_numpy()


def historical_purchase_probability(frame: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """Baseline: the customer's historical order rate (orders per day over max(tenure, H))
    as a Poisson probability of at least one order in the horizon."""
    days = np.maximum(frame["tenure_days"].to_numpy(dtype="float64"), horizon_days)
    rate = frame["frequency"].to_numpy(dtype="float64") / days
    return 1.0 - np.exp(-rate * horizon_days)


def historical_average_spend(frame: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """Baseline: net revenue so far per day over max(tenure, H), times the horizon."""
    days = np.maximum(frame["tenure_days"].to_numpy(dtype="float64"), horizon_days)
    return frame["monetary"].to_numpy(dtype="float64") / days * horizon_days


def _evaluation_rows(
    model: str, method: str, metrics: dict[str, float], selected: bool
) -> list[dict[str, object]]:
    return [
        {
            "model": model,
            "method": method,
            "metric": metric,
            "value": value,
            "is_selected": selected,
        }
        for metric, value in metrics.items()
    ]


def fold_name(index: int) -> str:
    """``test`` for the latest window (index 0), ``validation_<index>`` for earlier ones."""
    return "test" if index == 0 else f"validation_{index}"


def _ceiling_scores(x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Out-of-fold probabilities of a logistic regression fitted on the test window's own
    labels (stratified CEILING_FOLDS-fold, seeded); None when a class is too small."""
    if len(np.unique(y)) < 2 or np.bincount(y.astype("int64")).min() < CEILING_FOLDS:
        return None
    folds = StratifiedKFold(CEILING_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    return cross_val_predict(
        make_purchase_model("logistic_regression"), x, y, cv=folds, method="predict_proba"
    )[:, 1]


def calibration_for(
    method: str, train: pd.DataFrame, score_cutoff: int
) -> tuple[Calibration, _Classifier | None]:
    """The calibration ``method`` of the kept purchase model that is trained on ``train``
    (stacked cutoffs, :func:`stacked_training_frame`) and scores the features at
    ``score_cutoff``: the model refitted without the holdout cutoff
    (:func:`~retail_warehouse.ml.calibration.holdout_cutoff`) predicts it, and the
    parameters are fitted on those predictions and its labels (returned with that model)."""
    cutoffs = sorted(int(cutoff) for cutoff in train["cutoff_day"].unique())
    holdout = holdout_cutoff(cutoffs, score_cutoff, method)
    if holdout is None:
        return Calibration(), None
    held = train["cutoff_day"].to_numpy() == holdout
    x, y, _ = _xy(train)
    model = _fit_classifier(PURCHASE_MODEL, x[~held], y[~held])
    return fit_calibration(method, y[held], _probability(model, x[held]), holdout), model


def _fold_rows(
    train: pd.DataFrame, test: pd.DataFrame, horizon_days: int, churn_gap_multiple: float
) -> list[dict[str, object]]:
    """Every candidate, baseline, calibration table and the ceiling on one fold, and the
    churn rule against P(alive)."""
    x_train, y_train, spend_train = _xy(train)
    x_test, y_test, spend_test = _xy(test)
    ids = test["customer_id"].to_numpy()
    rows: list[dict[str, object]] = []
    purchase = "purchase_next_horizon"
    predicted: dict[str, np.ndarray] = {}
    for name in PURCHASE_CANDIDATES:
        predicted[name] = _probability(_fit_classifier(name, x_train, y_train), x_test)
    test_cutoff = int(test["cutoff_day"].iloc[0])
    for method in CALIBRATION_METHODS[1:]:
        calibration, _ = calibration_for(method, train, test_cutoff)
        name = calibrated_name(PURCHASE_MODEL, method)
        predicted[name] = calibration.apply(predicted[PURCHASE_MODEL])
    for name, scores in predicted.items():
        metrics = classification_metrics(y_test, scores, ids)
        if name in (PURCHASE_MODEL, "bgnbd") or name not in PURCHASE_CANDIDATES:
            metrics |= calibration_by_decile(y_test, scores, ids)
        rows += _evaluation_rows(purchase, name, metrics, name == SELECTED_PURCHASE)
    baselines = {
        "baseline_bought_previous_horizon": (test["orders_previous_horizon"].to_numpy() > 0).astype(
            "float64"
        ),
        "baseline_historical_rate": historical_purchase_probability(test, horizon_days),
    }
    ceiling = _ceiling_scores(x_test, y_test)
    if ceiling is not None:
        baselines[CEILING_METHOD] = ceiling
    for name, scores in baselines.items():
        metrics = classification_metrics(y_test, scores, ids)
        rows += _evaluation_rows(purchase, name, metrics, False)

    for name, model in fit_spend_models(x_train, spend_train).items():
        spend = model.predict(x_test)
        metrics = regression_metrics(spend_test, spend)
        if name in (SPEND_MODEL, "bgnbd_gamma_gamma"):
            metrics |= spend_by_decile(spend_test, spend, ids)
        rows += _evaluation_rows("spend_next_horizon", name, metrics, name == SPEND_MODEL)
    spend_baselines = {
        "baseline_previous_horizon_spend": test["net_revenue_previous_horizon"].to_numpy(),
        "baseline_historical_average": historical_average_spend(test, horizon_days),
    }
    for name, predicted in spend_baselines.items():
        metrics = regression_metrics(spend_test, predicted)
        rows += _evaluation_rows("spend_next_horizon", name, metrics, False)
    return rows + churn_backtest_rows(train, test, churn_gap_multiple)


@single_threaded
def customer_model_evaluation(
    data: TrainingData | pd.DataFrame,
    horizon_days: int,
    active_window_days: int,
    windows: int,
    folds: int = EVALUATION_FOLDS,
    churn_gap_multiple: float = CHURN_GAP_MULTIPLE,
    discount_rate: float = DISCOUNT_RATE,
) -> pd.DataFrame:
    """The rolling-origin backtest of the purchase and spend models: for k = 1..``folds``
    the models train at T - (k + 1)H (stacking ``windows`` cutoffs, labels up to T - kH)
    and are tested on the customers active at T - kH with the labels of
    (T - kH, T - (k - 1)H]. Every candidate, the naive baselines, a calibration table by
    decile (selected model and BG/NBD), the ceiling diagnostic and the churn gap rule
    (``churn_gap_multiple``) against 1 - P(alive), and the lifetime value's interval on
    12-month windows (:func:`~retail_warehouse.ml.lifetime_value.lifetime_value_backtest_rows`,
    at the annual ``discount_rate``); one row per fold x model
    x metric x method (``fold``: test = k 1, validation_<k - 1> before it), plus fold
    ``mean``, the mean over the folds; a metric undefined on a fold (or its mean) has no
    row. Folds whose test cutoff has no training cutoff on or after the first invoice day
    are left out. ``data``: the training customers' features and labels
    (:class:`~retail_warehouse.ml.training_table.TrainingData`), or prepared invoices
    measured in pandas."""
    data = as_training_data(data, horizon_days, windows, max(1, folds))
    as_of = data.as_of_day
    first_day = data.first_day
    frames: dict[int, pd.DataFrame] = {}
    parts = []
    for index in range(max(1, folds)):
        if as_of - (index + 2) * horizon_days < first_day:
            break
        test_cutoff, train, test = backtest_split(
            data, horizon_days, active_window_days, windows, index, frames
        )
        if test.empty:
            break
        part = pd.DataFrame(_fold_rows(train, test, horizon_days, churn_gap_multiple))
        part["fold"] = fold_name(index)
        part["train_cutoff_date"] = from_day_number(test_cutoff - horizon_days)
        part["test_cutoff_date"] = from_day_number(test_cutoff)
        part["test_end_date"] = from_day_number(test_cutoff + horizon_days)
        part["observation_count"] = len(test)
        part["training_row_count"] = len(train)
        parts.append(part)
    if not parts:
        raise ValueError("not enough history for one backtest fold")
    lifetime = lifetime_value_backtest_rows(
        data, horizon_days, active_window_days, discount_rate, folds
    )
    result = pd.concat([*parts, lifetime] if len(lifetime) else parts, ignore_index=True)
    result["evaluation_group"] = "active customers"
    result = pd.concat([result, mean_over_folds(result)], ignore_index=True)
    # A metric undefined on a window (AUC when nobody in it buys, as when one invoice lies
    # far after the others) gives no row, as the churn rows: NaN is null on DuckDB and
    # PostgreSQL but a value on Spark, and the 0..1 test failed the build on it.
    return result[result["value"].notna()].reset_index(drop=True)


@dataclass
class CustomerModels:
    """The fitted purchase and spend models of :func:`fit_customer_models`, with what scoring
    needs to know: the features (in order, log-scaled before the estimators), the horizon,
    the active window, the days the training data ends on and the usual gap of a
    one-purchase customer for the churn rule (:mod:`~retail_warehouse.ml.churn`) and how
    the lifetime value is computed (:mod:`~retail_warehouse.ml.lifetime_value`). Persisted
    as one object in the model registry (:mod:`retail_warehouse.ml.registry`)."""

    purchase: _Classifier
    spend: SpendModel
    features: tuple[str, ...]
    horizon_days: int
    active_window_days: int
    training_cutoff_day: int
    as_of_day: int
    training_row_count: int
    btyd: BtydFit | None = None
    churn_fallback_gap_days: float = DEFAULT_USUAL_GAP_DAYS
    calibration: Calibration = field(default_factory=Calibration)
    lifetime_value: LifetimeValueSettings = field(default_factory=LifetimeValueSettings)
    purchase_model: str = SELECTED_PURCHASE
    spend_model: str = SPEND_MODEL

    @property
    def estimator_name(self) -> str:
        """The kept estimators, for the registry."""
        return f"{self.purchase_model} + {self.spend_model}"


@single_threaded
def fit_customer_models(
    data: TrainingData | pd.DataFrame, horizon_days: int, active_window_days: int, windows: int
) -> CustomerModels:
    """The kept purchase and spend models trained at T - H (labels up to T, the last invoice
    day), on ``windows`` stacked cutoffs of ``data`` (the training customers' features and
    labels, or prepared invoices measured in pandas); BG/NBD fitted on every training
    customer at T; the lifetime value's interval level fitted on the validation windows of
    its backtest (:func:`~retail_warehouse.ml.lifetime_value.fit_interval_level`)."""
    data = as_training_data(data, horizon_days, windows)
    as_of = data.as_of_day
    train = stacked_training_frame(
        data, as_of - horizon_days, horizon_days, active_window_days, windows
    )
    x_train, y_train, spend_train = _xy(train)
    return CustomerModels(
        purchase=_fit_classifier(PURCHASE_MODEL, x_train, y_train),
        spend=SpendModel(SPEND_MODEL).fit(x_train, spend_train),
        features=PREDICTION_FEATURES,
        horizon_days=int(horizon_days),
        active_window_days=int(active_window_days),
        training_cutoff_day=as_of - horizon_days,
        as_of_day=as_of,
        training_row_count=len(train),
        btyd=fit_btyd_summary(btyd_summary_of(data.rows_at(as_of))),
        churn_fallback_gap_days=fallback_gap_days(train),
        calibration=calibration_for(PURCHASE_CALIBRATION, train, as_of)[0],
        lifetime_value=LifetimeValueSettings(
            interval_level=fit_interval_level(data, horizon_days, active_window_days)
        ),
    )


@single_threaded
def predict_customers(
    models: CustomerModels,
    features: pd.DataFrame,
    as_of_day: int | None = None,
    churn_gap_multiple: float = CHURN_GAP_MULTIPLE,
    discount_rate: float = DISCOUNT_RATE,
) -> pd.DataFrame:
    """One row per row of ``features`` (the output of
    :func:`~retail_warehouse.ml.features.customer_features` at ``as_of_day``, by default
    ``models.as_of_day``, with ``models.horizon_days``, with the BTYD columns of
    :func:`~retail_warehouse.ml.features.with_btyd_features` from ``models.btyd``):
    purchase probability and expected net revenue in the horizon, BG/NBD's P(alive) and
    ``is_churned`` by the gap rule with k = ``churn_gap_multiple``, the discounted lifetime
    value with its interval (:func:`~retail_warehouse.ml.lifetime_value.lifetime_values`
    at the annual ``discount_rate``, from the BTYD statistics
    :data:`~retail_warehouse.ml.features.BTYD_STATISTICS` of ``features``; NaN without
    them), with the model columns of ``ml_customer_predictions`` (rank among the rows
    given, ``as_of_date`` the date of ``as_of_day``). Sorted by customer_id."""
    x_score = log_features(features, models.features)
    probability = models.calibration.apply(_probability(models.purchase, x_score))
    spend = models.spend.predict(x_score)
    result = pd.DataFrame(
        {
            "customer_id": features["customer_id"].to_numpy(dtype="int64"),
            "purchase_probability": np.round(probability, 6),
            "expected_net_revenue": np.round(spend, 2),
            "recency_days": features["recency_days"].to_numpy(dtype="float64"),
            "frequency": features["frequency"].to_numpy(dtype="float64"),
            "monetary": features["monetary"].to_numpy(dtype="float64").round(2),
            "net_revenue_previous_horizon": features["net_revenue_previous_horizon"]
            .to_numpy(dtype="float64")
            .round(2),
        }
    )
    order = np.lexsort((result["customer_id"].to_numpy(), -result["purchase_probability"]))
    result["probability_rank"] = np.empty(len(result), dtype="int64")
    result.loc[order, "probability_rank"] = np.arange(1, len(result) + 1)
    result["probability_rank"] = result["probability_rank"].astype("int64")
    result["horizon_days"] = models.horizon_days
    result["purchase_model"] = models.purchase_model
    result["spend_model"] = models.spend_model
    result["training_row_count"] = models.training_row_count
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = from_day_number(models.as_of_day if as_of_day is None else as_of_day)
    result["p_alive"] = np.round(features["bgnbd_p_alive"].to_numpy(dtype="float64"), 6)
    result["is_churned"] = is_churned(
        features, churn_gap_multiple, models.churn_fallback_gap_days
    ).astype(bool)
    for column, values in _lifetime_values(models, features, discount_rate).items():
        result[column] = values
    return result.sort_values("customer_id", kind="mergesort").reset_index(drop=True)


def _lifetime_values(
    models: CustomerModels, features: pd.DataFrame, discount_rate: float
) -> dict[str, np.ndarray]:
    """The lifetime value columns of :func:`predict_customers`, rounded to cents, in the
    order of ``features``: NaN when ``features`` lack the BTYD statistics."""
    if models.btyd is None or any(column not in features for column in BTYD_STATISTICS):
        return {column: np.full(len(features), np.nan) for column in LIFETIME_VALUE_COLUMNS}
    summary = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(dtype="int64")})
    for column, name in BTYD_STATISTICS.items():
        summary[name] = features[column].to_numpy(dtype="float64")
    values = lifetime_values(summary, models.btyd, discount_rate, models.lifetime_value)
    return {column: np.round(values[column].to_numpy(), 2) for column in LIFETIME_VALUE_COLUMNS}


def active_customer_features(invoices: pd.DataFrame, models: CustomerModels) -> pd.DataFrame:
    """The features at the models' as-of day of the customers active then (a purchase in
    the last ``models.active_window_days`` days): the rows ``ml_customer_predictions``
    scores."""
    score = training_frame(
        invoices, models.as_of_day, models.horizon_days, models.active_window_days, models.btyd
    )
    return score.loc[:, ["customer_id", *models.features, *BTYD_STATISTICS]]


@single_threaded
def repeat_drivers(
    data: TrainingData | pd.DataFrame,
    horizon_days: int,
    active_window_days: int,
    windows: int,
    n_repeats: int = 10,
    max_training_customers: int | None = None,
) -> pd.DataFrame:
    """One row per feature of the purchase model: permutation importance (the drop in AUC
    when the feature is shuffled) on the held-out backtest window, and its direction (the
    sign of the Spearman correlation between the feature and the predicted probability),
    with the feature's median among customers who did and did not buy again; fitted and
    measured on the training customers of ``data``
    (:class:`~retail_warehouse.ml.training_table.TrainingData`), or on the training sample
    of ``max_training_customers`` of prepared invoices
    (:func:`~retail_warehouse.ml.sampling.training_sample`)."""
    if not isinstance(data, TrainingData):
        data = training_sample(data, max_training_customers)
    data = as_training_data(data, horizon_days, windows)
    as_of = data.as_of_day
    test_cutoff, train, test = backtest_split(data, horizon_days, active_window_days, windows)
    x_train, y_train, _ = _xy(train)
    x_test, y_test, _ = _xy(test)
    model = _fit_classifier(PURCHASE_MODEL, x_train, y_train)
    probability = _probability(model, x_test)
    n_features = len(PREDICTION_FEATURES)
    if len(np.unique(y_test)) > 1 and not isinstance(model, _ConstantClassifier):
        importance = permutation_importance(
            model,
            x_test,
            y_test,
            scoring="roc_auc",
            n_repeats=n_repeats,
            random_state=RANDOM_STATE,
            n_jobs=1,
        )
        means, stds = importance.importances_mean, importance.importances_std
    else:
        means, stds = np.zeros(n_features), np.zeros(n_features)
    buyers = y_test.astype(bool)
    rows = []
    for index, feature in enumerate(PREDICTION_FEATURES):
        values = test[feature].to_numpy(dtype="float64")
        constant = len(np.unique(values)) < 2 or len(np.unique(probability)) < 2
        correlation = 0.0 if constant else float(spearmanr(values, probability).statistic)
        rows.append(
            {
                "feature": feature,
                "feature_description": FEATURE_DESCRIPTIONS[feature],
                "importance_auc_drop": round(float(means[index]), 6),
                "importance_std": round(float(stds[index]), 6),
                "correlation_with_probability": round(correlation, 6),
                "direction": "higher means more likely to buy again"
                if correlation > 0
                else "higher means less likely to buy again"
                if correlation < 0
                else "no clear direction",
                "median_buyers": float(np.median(values[buyers])) if buyers.any() else np.nan,
                "median_non_buyers": float(np.median(values[~buyers]))
                if (~buyers).any()
                else np.nan,
            }
        )
    result = pd.DataFrame(rows)
    order = np.lexsort((np.arange(n_features), -result["importance_auc_drop"].to_numpy()))
    result["importance_rank"] = 0
    result.loc[order, "importance_rank"] = np.arange(1, n_features + 1)
    result["importance_rank"] = result["importance_rank"].astype("int64")
    result["purchase_model"] = PURCHASE_MODEL
    result["test_cutoff_date"] = from_day_number(test_cutoff)
    result["horizon_days"] = int(horizon_days)
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = from_day_number(as_of)
    return result.sort_values("importance_rank", kind="mergesort").reset_index(drop=True)
