"""Calibration of the purchase probability, learned on a window the model did not train on.

The purchase model is trained on stacked cutoffs of every season, so its level is the mean
season's: at the Christmas window it predicted a mean of 0.38 against a buy rate of 0.51.
A calibration maps its probability p to sigmoid(slope x logit(p) + intercept), with the
parameters learned on one training cutoff held out (the model refitted on the other
cutoffs predicts it; its labels end on or before the cutoff the model scores, so nothing
after that cutoff is seen):

- ``platt_latest_window``: Platt scaling (slope and intercept by logistic regression) on
  the latest training cutoff, the window just before the one scored;
- ``season_shift``: a level shift (slope 1) on the training cutoff nearest a year before
  the scored cutoff, last year's same season, so the mean prediction there equals its buy
  rate;
- ``none``: the model's own probability.

Which one the production model uses is chosen on the backtest's validation windows only
(:data:`~retail_warehouse.ml.customer_models.PURCHASE_CALIBRATION`); the fitted parameters
are stored with the model in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from sklearn.linear_model import LogisticRegression

CALIBRATION_METHODS: tuple[str, ...] = ("none", "platt_latest_window", "season_shift")
SEASON_DAYS = 364
"""A year back, in whole weeks: the season of the scored window."""
_CLIP = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), _CLIP, 1 - _CLIP)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Calibration:
    """p -> sigmoid(slope x logit(p) + intercept); ``method`` names how the parameters were
    learned and ``holdout_cutoff_day`` on which training cutoff (None: identity)."""

    method: str = "none"
    slope: float = 1.0
    intercept: float = 0.0
    holdout_cutoff_day: int | None = None

    def apply(self, p: np.ndarray) -> np.ndarray:
        """The calibrated probabilities of ``p``."""
        p = np.asarray(p, dtype="float64")
        if self.method == "none":
            return p
        return np.clip(_sigmoid(self.slope * _logit(p) + self.intercept), 0.0, 1.0)


def calibrated_name(model: str, method: str) -> str:
    """The evaluation method name of ``model`` calibrated by ``method``."""
    return model if method == "none" else f"{model}_{method}"


def holdout_cutoff(cutoffs: list[int], score_cutoff: int, method: str) -> int | None:
    """The training cutoff the parameters of ``method`` are learned on, for a model that
    scores the features at ``score_cutoff``: the latest (Platt) or the one nearest
    SEASON_DAYS before ``score_cutoff`` (season shift; the later one on a tie). None for
    ``none`` or with fewer than two cutoffs (one must remain to fit the model on)."""
    if method == "none" or len(set(cutoffs)) < 2:
        return None
    if method == "platt_latest_window":
        return max(cutoffs)
    if method == "season_shift":
        return min(
            sorted(set(cutoffs), reverse=True),
            key=lambda cutoff: abs(score_cutoff - cutoff - SEASON_DAYS),
        )
    raise ValueError(f"unknown calibration {method!r}")


def fit_calibration(method: str, y: np.ndarray, p: np.ndarray, holdout: int | None) -> Calibration:
    """The parameters of ``method`` from held-out labels ``y`` and probabilities ``p`` (the
    model fitted without the holdout cutoff ``holdout``); identity when they hold one
    class."""
    y = np.asarray(y, dtype="float64")
    if method == "none" or holdout is None or len(y) == 0 or not 0 < y.mean() < 1:
        return Calibration()
    z = _logit(p)
    if method == "platt_latest_window":
        fitted = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y)
        return Calibration(
            method, float(fitted.coef_[0, 0]), float(fitted.intercept_[0]), int(holdout)
        )
    if method == "season_shift":
        rate = float(y.mean())
        shift = brentq(lambda delta: float(_sigmoid(z + delta).mean()) - rate, -20.0, 20.0)
        return Calibration(method, 1.0, float(shift), int(holdout))
    raise ValueError(f"unknown calibration {method!r}")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, groups: list[np.ndarray]) -> float:
    """Sum over the ``groups`` (index arrays, e.g. the deciles) of their share of rows times
    |mean prediction - observed rate|."""
    y = np.asarray(y, dtype="float64")
    p = np.asarray(p, dtype="float64")
    if len(y) == 0:
        return float("nan")
    return float(
        sum(len(g) / len(y) * abs(p[g].mean() - y[g].mean()) for g in groups if len(g) > 0)
    )
