"""Evaluation metrics of the backtests, with deterministic tie handling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

PROBABILITY_CLIP = 1e-6
"""Probabilities are clipped to [1e-6, 1 - 1e-6] for log loss, so a 0/1 baseline gives a
finite (large) value."""


def top_decile(scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Indexes of the top 10 % (rounded up) by score; ties broken by id, ascending."""
    order = np.lexsort((ids, -scores))
    return order[: max(1, math.ceil(len(scores) / 10))]


def classification_metrics(
    y_true: np.ndarray, scores: np.ndarray, ids: np.ndarray
) -> dict[str, float]:
    """AUC, Brier score, log loss, precision and lift in the top decile of ``scores``, and
    the expected calibration error over the deciles of :func:`decile_groups`."""
    y = np.asarray(y_true, dtype="float64")
    p = np.clip(np.asarray(scores, dtype="float64"), 0.0, 1.0)
    top = top_decile(p, np.asarray(ids))
    base_rate = float(y.mean()) if len(y) else float("nan")
    precision = float(y[top].mean()) if len(y) else float("nan")
    has_both = 0 < y.sum() < len(y)
    return {
        "auc": float(roc_auc_score(y, p)) if has_both else float("nan"),
        "brier_score": float(brier_score_loss(y, p)),
        "log_loss": float(
            log_loss(y, np.clip(p, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP), labels=[0, 1])
        ),
        "precision_top_decile": precision,
        "lift_top_decile": precision / base_rate if base_rate > 0 else float("nan"),
        "base_rate": base_rate,
        "expected_calibration_error": float(
            sum(len(g) / len(y) * abs(p[g].mean() - y[g].mean()) for g in decile_groups(p, ids))
        )
        if len(y)
        else float("nan"),
    }


CALIBRATION_GROUPS = 10


def decile_groups(scores: np.ndarray, ids: np.ndarray) -> list[np.ndarray]:
    """Indexes of the rows in CALIBRATION_GROUPS groups as equal as possible by ascending
    score (ties by id, ascending), group 1 the lowest; empty groups left out. numpy's
    array_split puts the larger groups first (the lowest scores)."""
    order = np.lexsort((np.asarray(ids), np.asarray(scores, dtype="float64")))
    return [group for group in np.array_split(order, CALIBRATION_GROUPS) if len(group)]


def spend_by_decile(actual: np.ndarray, predicted: np.ndarray, ids: np.ndarray) -> dict[str, float]:
    """The spend table as metrics: customers ranked by predicted spend in the groups of
    :func:`decile_groups`; per decile ``decile_<nn>_mean_predicted`` and
    ``decile_<nn>_mean_actual`` (GBP)."""
    y = np.asarray(actual, dtype="float64")
    f = np.asarray(predicted, dtype="float64")
    order = np.lexsort((np.asarray(ids), f))
    metrics: dict[str, float] = {}
    for number, group in enumerate(np.array_split(order, CALIBRATION_GROUPS), start=1):
        empty = len(group) == 0
        metrics[f"decile_{number:02d}_mean_predicted"] = (
            float("nan") if empty else float(f[group].mean())
        )
        metrics[f"decile_{number:02d}_mean_actual"] = (
            float("nan") if empty else float(y[group].mean())
        )
    return metrics


def calibration_by_decile(
    y_true: np.ndarray, scores: np.ndarray, ids: np.ndarray
) -> dict[str, float]:
    """The calibration table as metrics: customers ranked by score (ties by id, ascending)
    and cut into CALIBRATION_GROUPS groups as equal as possible, decile 01 the lowest
    scores; per decile ``decile_<nn>_mean_predicted`` and ``decile_<nn>_buy_rate``."""
    y = np.asarray(y_true, dtype="float64")
    p = np.asarray(scores, dtype="float64")
    order = np.lexsort((np.asarray(ids), p))
    metrics: dict[str, float] = {}
    for number, group in enumerate(np.array_split(order, CALIBRATION_GROUPS), start=1):
        empty = len(group) == 0
        metrics[f"decile_{number:02d}_mean_predicted"] = (
            float("nan") if empty else float(p[group].mean())
        )
        metrics[f"decile_{number:02d}_buy_rate"] = float("nan") if empty else float(y[group].mean())
    return metrics


def regression_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and Spearman rank correlation (NaN when either side is constant)."""
    y = np.asarray(y_true, dtype="float64")
    f = np.asarray(predicted, dtype="float64")
    errors = f - y
    constant = len(np.unique(y)) < 2 or len(np.unique(f)) < 2
    return {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "spearman": float("nan") if constant else float(spearmanr(y, f).statistic),
    }


def forecast_metrics(
    actual: np.ndarray, forecast: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> dict[str, float]:
    """MAPE (in percent, over weeks with a positive actual), MAE and the share of actuals
    inside [lower, upper]."""
    y = np.asarray(actual, dtype="float64")
    f = np.asarray(forecast, dtype="float64")
    positive = y > 0
    return {
        "mape_pct": float(np.mean(np.abs(f[positive] - y[positive]) / y[positive]) * 100)
        if positive.any()
        else float("nan"),
        "mae": float(np.mean(np.abs(f - y))),
        "interval_coverage": float(np.mean((y >= lower) & (y <= upper))),
    }


def mean_over_folds(rows: pd.DataFrame) -> pd.DataFrame:
    """One ``mean`` row per model x evaluation group x method x metric of ``rows`` (per-fold
    evaluation rows): the mean value over the folds that have it (NaN if any fold's is),
    summed observations and training rows, the earliest training and test cutoffs and the
    latest test end."""
    keys = ["model", "evaluation_group", "method", "metric"]
    grouped = rows.groupby(keys, sort=True, dropna=False)
    mean = grouped.agg(
        value=("value", lambda values: float(np.mean(values.to_numpy(dtype="float64")))),
        is_selected=("is_selected", "max"),
        observation_count=("observation_count", "sum"),
        training_row_count=("training_row_count", "sum"),
        train_cutoff_date=("train_cutoff_date", "min"),
        test_cutoff_date=("test_cutoff_date", "min"),
        test_end_date=("test_end_date", "max"),
    ).reset_index()
    mean["fold"] = "mean"
    return mean
