"""Churn for a non-contractual business: the gap rule beside BG/NBD's P(alive).

A customer has churned when they have not bought within k times their usual gap: the days
since their last purchase day are more than k x their mean days between purchase days (k is
the dbt var ``ml_churn_gap_multiple``). A customer with one purchase day has no gap of their
own; they get the usual gap of the training customers (the median mean gap of those with two
or more purchase days), fitted with the models in the training lane and stored in the
registry, so a refresh applies the same rule. The rule's score, days since the last purchase
over the usual gap, ranks customers for the backtest (AUC and the top decile against
1 - P(alive)), with "no purchase in the next horizon" as the label.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from retail_warehouse.ml.metrics import classification_metrics

CHURN_GAP_MULTIPLE = 2.0
"""Default k of the gap rule (the dbt var ``ml_churn_gap_multiple``)."""
DEFAULT_USUAL_GAP_DAYS = 90.0
"""The usual gap when no training customer has two purchase days (tiny warehouses only)."""
P_ALIVE_THRESHOLD = 0.5
"""P(alive) below this counts as churned when the BG/NBD flag is compared with the rule."""
CHURN_METHOD = "gap_rule"
"""The churn definition kept (``is_churned`` of ml_customer_predictions)."""
P_ALIVE_METHOD = "bgnbd_p_alive"


def fallback_gap_days(features: pd.DataFrame) -> float:
    """The usual gap of a customer with one purchase day: the median mean gap (days) of the
    rows of ``features`` with two or more purchase days."""
    gaps = features["gap_mean_days"].to_numpy(dtype="float64")
    gaps = gaps[gaps > 0]
    return float(np.median(gaps)) if len(gaps) else DEFAULT_USUAL_GAP_DAYS


def usual_gap_days(features: pd.DataFrame, fallback_gap: float) -> np.ndarray:
    """Each row's mean days between purchase days, ``fallback_gap`` without one."""
    gaps = features["gap_mean_days"].to_numpy(dtype="float64")
    return np.where(gaps > 0, gaps, fallback_gap)


def churn_score(features: pd.DataFrame, fallback_gap: float) -> np.ndarray:
    """Days since the last purchase over the usual gap (the rule churns above k)."""
    usual = np.maximum(usual_gap_days(features, fallback_gap), 1.0)
    return features["recency_days"].to_numpy(dtype="float64") / usual


def is_churned(features: pd.DataFrame, gap_multiple: float, fallback_gap: float) -> np.ndarray:
    """True where no purchase came within ``gap_multiple`` x the usual gap."""
    if not gap_multiple > 0:
        raise ValueError(f"ml_churn_gap_multiple: expected a number above 0, got {gap_multiple!r}")
    return churn_score(features, fallback_gap) > gap_multiple


def churn_metrics(
    churned_next: np.ndarray, score: np.ndarray, flagged: np.ndarray, ids: np.ndarray
) -> dict[str, float]:
    """AUC, precision and lift of the top decile of ``score`` (and the base rate) for the
    label ``churned_next`` (no purchase in the horizon), and the flag's share of customers,
    precision and recall."""
    y = np.asarray(churned_next, dtype="float64")
    metrics = classification_metrics(y, score / max(float(np.max(score, initial=0.0)), 1.0), ids)
    flag = np.asarray(flagged, dtype=bool)
    return {
        "auc": metrics["auc"],
        "precision_top_decile": metrics["precision_top_decile"],
        "lift_top_decile": metrics["lift_top_decile"],
        "base_rate": metrics["base_rate"],
        "flagged_share": float(flag.mean()) if len(flag) else float("nan"),
        "flag_precision": float(y[flag].mean()) if flag.any() else float("nan"),
        "flag_recall": float(flag[y == 1].mean()) if (y == 1).any() else float("nan"),
    }


def churn_backtest_rows(
    train: pd.DataFrame, test: pd.DataFrame, gap_multiple: float
) -> list[dict[str, object]]:
    """The gap rule (usual gap of one-purchase customers from ``train``) and 1 - P(alive) on
    one backtest fold: metrics of :func:`churn_metrics` per method, the label being no
    purchase in the horizon after the test cutoff."""
    fallback = fallback_gap_days(train)
    ids = test["customer_id"].to_numpy()
    churned_next = 1 - test["will_purchase"].to_numpy(dtype="int64")
    p_alive = test["bgnbd_p_alive"].to_numpy(dtype="float64")
    methods = {
        CHURN_METHOD: (
            churn_score(test, fallback),
            is_churned(test, gap_multiple, fallback),
        ),
        P_ALIVE_METHOD: (1.0 - p_alive, p_alive < P_ALIVE_THRESHOLD),
    }
    rows: list[dict[str, object]] = []
    for method, (score, flagged) in methods.items():
        for metric, value in churn_metrics(churned_next, score, flagged, ids).items():
            if math.isnan(value):
                continue  # undefined (a rule that flags nobody has no precision): no row
            rows.append(
                {
                    "model": "churn",
                    "method": method,
                    "metric": metric,
                    "value": value,
                    "is_selected": method == CHURN_METHOD,
                }
            )
    return rows
