"""The gains table of the backtest (``ml_model_gains``): per window, the customers in ten
groups by predicted purchase probability (or spend), highest first, with what they did.

It reads the decile rows of ``ml_model_evaluation`` (``decile_<nn>_mean_predicted`` with
``decile_<nn>_buy_rate`` for the purchase models, ``decile_<nn>_mean_actual`` for the spend
models; 01 the lowest, the groups of :func:`~retail_warehouse.ml.metrics.decile_groups`)
and turns them around for a campaign: decile 1 is the top tenth, with its share of all
customers, the observed buy rate (or mean net revenue), the cumulative share of all buyers
(or net revenue) reached down to it (cumulative gains), and the lift over the window's
average, for the decile and cumulatively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.ml.metrics import CALIBRATION_GROUPS

GAINS_COLUMNS: tuple[str, ...] = (
    "model",
    "method",
    "fold",
    "decile",
    "is_selected",
    "customer_count",
    "cumulative_customer_share",
    "mean_predicted",
    "observed_mean",
    "cumulative_gain",
    "lift",
    "cumulative_lift",
    "test_cutoff_date",
    "test_end_date",
    "model_version",
    "as_of_date",
)
"""The columns of ``ml_model_gains``, in order (the key first)."""

_OBSERVED = {"purchase_next_horizon": "buy_rate", "spend_next_horizon": "mean_actual"}


def decile_sizes(customers: int) -> np.ndarray:
    """Customers per group of :func:`~retail_warehouse.ml.metrics.decile_groups`, group 01
    (the lowest predictions) first: numpy's array_split gives the larger groups first."""
    base, extra = divmod(int(customers), CALIBRATION_GROUPS)
    return np.array([base + 1] * extra + [base] * (CALIBRATION_GROUPS - extra), dtype="int64")


def _one_table(rows: pd.DataFrame, observed_name: str) -> pd.DataFrame | None:
    value = rows.set_index("metric")["value"]
    numbers = range(CALIBRATION_GROUPS, 0, -1)  # the top group first
    predicted = np.array([value.get(f"decile_{n:02d}_mean_predicted", np.nan) for n in numbers])
    observed = np.array([value.get(f"decile_{n:02d}_{observed_name}", np.nan) for n in numbers])
    sizes = decile_sizes(int(rows["observation_count"].iloc[0]))[::-1]
    keep = sizes > 0
    predicted, observed, sizes = predicted[keep], observed[keep], sizes[keep]
    totals = sizes * observed
    if not np.isfinite(totals.sum()) or totals.sum() == 0:
        # nobody bought (or no net revenue) in the window: no buyers to reach, so no gains;
        # as an undefined metric of ml_model_evaluation, the window has no rows
        return None
    overall = totals.sum() / sizes.sum()
    customer_share = np.cumsum(sizes) / sizes.sum()
    gain = np.cumsum(totals) / totals.sum()
    lift = observed / overall
    first = rows.iloc[0]
    return pd.DataFrame(
        {
            "model": first["model"],
            "method": first["method"],
            "is_selected": bool(first["is_selected"]),
            "fold": first["fold"],
            "decile": np.arange(1, len(sizes) + 1, dtype="int64"),
            "customer_count": sizes.astype("int64"),
            "cumulative_customer_share": customer_share,
            "mean_predicted": predicted,
            "observed_mean": observed,
            "cumulative_gain": gain,
            "lift": lift,
            "cumulative_lift": gain / customer_share,
            "test_cutoff_date": first["test_cutoff_date"],
            "test_end_date": first["test_end_date"],
        }
    )


def model_gains(evaluation: pd.DataFrame) -> pd.DataFrame:
    """``ml_model_gains`` from the rows of ``ml_model_evaluation``: one row per model x
    method x fold (the windows, not their mean) x decile, for every purchase and spend
    method with decile rows (a window without buyers, or without net revenue, has none).
    Sorted by model, method, fold and decile."""
    evaluation = evaluation.assign(
        value=pd.to_numeric(evaluation["value"]).astype("float64"),
        observation_count=pd.to_numeric(evaluation["observation_count"]).astype("int64"),
        is_selected=evaluation["is_selected"].astype(bool),
    )
    for column in ("test_cutoff_date", "test_end_date", "as_of_date"):
        evaluation[column] = [pd.Timestamp(value).date() for value in evaluation[column]]
    deciles = evaluation[
        evaluation["model"].isin(list(_OBSERVED))
        & evaluation["metric"].str.startswith("decile_")
        & (evaluation["fold"] != "mean")
    ]
    tables = [
        table
        for key, rows in deciles.groupby(["model", "method", "fold"], sort=True)
        if (table := _one_table(rows, _OBSERVED[str(key[0])])) is not None
    ]
    if not tables:
        result = pd.DataFrame({column: [] for column in GAINS_COLUMNS})
    else:
        result = pd.concat(tables, ignore_index=True)
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = evaluation["as_of_date"].iloc[0] if len(evaluation) else None
    for column in ("cumulative_customer_share", "cumulative_gain", "lift", "cumulative_lift"):
        result[column] = result[column].astype("float64").round(6)
    result["mean_predicted"] = result["mean_predicted"].astype("float64").round(6)
    result["observed_mean"] = result["observed_mean"].astype("float64").round(6)
    return (
        result.loc[:, list(GAINS_COLUMNS)]
        .sort_values(["model", "method", "fold", "decile"], kind="mergesort")
        .reset_index(drop=True)
    )
