"""The stored customer features: one row per customer per cutoff, computed in the engine by
the SQL model ``int_customer_features_measured``, read by ``ml_customer_clusters`` and
``ml_customer_predictions`` instead of the invoices (memory grows with customers x features,
never with invoices).

A row holds :data:`~retail_warehouse.ml.features.HISTORY_FEATURES` as
:func:`~retail_warehouse.ml.features.customer_features` computes them (the horizon of the
horizon windows in ``horizon_days``) and the BTYD statistics of
:func:`~retail_warehouse.ml.btyd.btyd_summary` in days (null without a purchase). From them
the scoring functions here give the rows the clustering and the purchase and spend models
score; :func:`feature_table` is the same table computed in pandas from invoices, the
reference the SQL model is tested against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retail_warehouse.ml.btyd import BTYD_UNIT_DAYS, BtydFit, btyd_summary
from retail_warehouse.ml.features import (
    BEHAVIOUR_FEATURES,
    BTYD_STATISTICS,
    HISTORY_FEATURES,
    customer_features,
    with_btyd_summary_features,
)
from retail_warehouse.ml.frames import relation_to_pandas

if TYPE_CHECKING:
    from retail_warehouse.ml.customer_models import CustomerModels

FEATURE_TABLE_MODEL = "int_customer_features_measured"
"""The dbt model of the stored features."""

BTYD_SUMMARY_COLUMNS: dict[str, str] = {
    "btyd_repeat_purchases": "repeat_purchases",
    "btyd_last_purchase_age_days": "last_purchase_age",
    "btyd_observed_age_days": "observed_age",
    "btyd_mean_repeat_value": "mean_repeat_value",
}
"""Columns of the BTYD statistics (time in days) and their names in
:func:`~retail_warehouse.ml.btyd.btyd_summary`."""

FEATURE_TABLE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cutoff_date",
    "horizon_days",
    *HISTORY_FEATURES,
    *BTYD_SUMMARY_COLUMNS,
)
"""The columns of ``int_customer_features_measured``, in order."""

FEATURE_FRAME_COLUMNS: tuple[str, ...] = ("customer_id", "cutoff_day", *FEATURE_TABLE_COLUMNS[2:])
"""The columns of a feature frame: the table's with the cutoff as a day number."""


def feature_table(invoices: pd.DataFrame, cutoff_day: int, horizon_days: int) -> pd.DataFrame:
    """The rows of ``int_customer_features_measured`` at ``cutoff_day``, computed in pandas
    from prepared invoices (:func:`~retail_warehouse.ml.frames.prepare_invoices`), as a
    feature frame (:data:`FEATURE_FRAME_COLUMNS`, sorted by customer_id)."""
    features = customer_features(invoices, cutoff_day, horizon_days)
    summary = btyd_summary(invoices, cutoff_day, unit_days=1.0).rename(
        columns={name: column for column, name in BTYD_SUMMARY_COLUMNS.items()}
    )
    summary["customer_id"] = summary["customer_id"].astype("int64")
    frame = features.merge(summary, on="customer_id", how="left", validate="one_to_one")
    frame.insert(1, "cutoff_day", np.int64(cutoff_day))
    frame.insert(2, "horizon_days", np.int64(horizon_days))
    return _typed(frame)


def feature_frame(table: pd.DataFrame) -> pd.DataFrame:
    """``int_customer_features_measured`` as read from any engine (dates as dates or
    timestamps, money as Decimal or float, nulls as None or NaN) as a feature frame:
    integer ids, day numbers and horizon, float64 features (NaN for null), sorted by cutoff,
    then customer_id."""
    missing = [column for column in FEATURE_TABLE_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(f"{FEATURE_TABLE_MODEL} is missing columns: {missing}")
    frame = table.loc[:, list(FEATURE_TABLE_COLUMNS)].copy()
    dates = pd.to_datetime(frame["cutoff_date"])
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    frame["cutoff_date"] = dates.to_numpy(dtype="datetime64[D]").astype("int64")
    frame = frame.rename(columns={"cutoff_date": "cutoff_day"})
    return _typed(frame)


def feature_frame_from_relation(relation: Any) -> pd.DataFrame:
    """``int_customer_features_measured`` as the models read it (what ``dbt.ref()``
    returns, only :data:`FEATURE_TABLE_COLUMNS`), as a :func:`feature_frame`."""
    return feature_frame(relation_to_pandas(relation, FEATURE_TABLE_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A feature frame with its column types, sorted by cutoff, then customer_id."""
    typed = pd.DataFrame(
        {
            "customer_id": pd.to_numeric(frame["customer_id"]).astype("int64"),
            "cutoff_day": pd.to_numeric(frame["cutoff_day"]).astype("int64"),
            "horizon_days": pd.to_numeric(frame["horizon_days"]).astype("int64"),
            **{column: frame[column].astype("float64") for column in FEATURE_FRAME_COLUMNS[3:]},
        }
    )
    return typed.sort_values(["cutoff_day", "customer_id"], kind="mergesort").reset_index(drop=True)


def scoring_cutoff(frame: pd.DataFrame) -> int:
    """The newest cutoff of a feature frame: the day the scoring models score."""
    if frame.empty:
        raise ValueError(
            f"{FEATURE_TABLE_MODEL} is empty: the models need at least one invoice with a customer"
        )
    return int(frame["cutoff_day"].max())


def _at(frame: pd.DataFrame, cutoff_day: int) -> pd.DataFrame:
    rows = frame[frame["cutoff_day"] == cutoff_day]
    return rows.sort_values("customer_id", kind="mergesort").reset_index(drop=True)


def scoring_behaviour_features(frame: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    """The scoring cutoff and, at it, customer_id and the behaviour features of every
    customer: what :func:`~retail_warehouse.ml.clustering.behaviour_features` gives from
    the invoices."""
    cutoff = scoring_cutoff(frame)
    return cutoff, _at(frame, cutoff).loc[:, ["customer_id", *BEHAVIOUR_FEATURES]]


def btyd_summary_of(rows: pd.DataFrame) -> pd.DataFrame:
    """The :func:`~retail_warehouse.ml.btyd.btyd_summary` (time in weeks) of the rows of
    one cutoff with a purchase, from their stored statistics in days."""
    bought = rows[rows["btyd_repeat_purchases"].notna()]
    summary = pd.DataFrame({"customer_id": bought["customer_id"].to_numpy(dtype="int64")})
    for column, name in BTYD_SUMMARY_COLUMNS.items():
        values = bought[column].to_numpy(dtype="float64")
        if column.endswith("_days"):
            values = values / BTYD_UNIT_DAYS
        summary[name] = values
    return summary


def scoring_prediction_features(
    frame: pd.DataFrame, models: CustomerModels
) -> tuple[int, pd.DataFrame]:
    """The scoring cutoff and, at it, customer_id and ``models.features`` of the customers
    active then (a purchase in the last ``models.active_window_days`` days, i.e. a
    frequency above 0 and recency_days below the window), the BTYD columns from
    ``models.btyd`` (fitted on every customer's statistics at the cutoff without one) and
    the BTYD statistics (:data:`~retail_warehouse.ml.features.BTYD_STATISTICS`):
    what :func:`~retail_warehouse.ml.customer_models.active_customer_features` gives from
    the invoices. Raises ``ValueError`` when the stored horizon windows are not the
    models' horizon."""
    cutoff = scoring_cutoff(frame)
    rows = _at(frame, cutoff)
    horizons = sorted({int(value) for value in rows["horizon_days"]})
    if horizons != [models.horizon_days]:
        raise ValueError(
            f"{FEATURE_TABLE_MODEL} has the horizon windows of {horizons} days, the models "
            f"in ml_model_registry were trained with {models.horizon_days} (var "
            "ml_horizon_days changed since they were trained): rebuild both with one value"
        )
    features = active_prediction_features(
        rows, models.horizon_days, models.active_window_days, models.btyd
    )
    return cutoff, features.loc[:, ["customer_id", *models.features, *BTYD_STATISTICS]]


def active_prediction_features(
    rows: pd.DataFrame, horizon_days: int, active_window_days: int, fit: BtydFit | None = None
) -> pd.DataFrame:
    """customer_id, :data:`~retail_warehouse.ml.features.HISTORY_FEATURES` and
    :data:`~retail_warehouse.ml.features.BTYD_FEATURES` of the customers active at one
    cutoff (a purchase in the last ``active_window_days`` days: a frequency above 0 and
    recency_days below the window), from the feature frame ``rows`` of that cutoff (sorted
    by customer_id); the BTYD columns from ``fit``, or fitted on the statistics of every
    row without it. Scoring and training both take their rows here."""
    active = (rows["frequency"] > 0) & (rows["recency_days"] < active_window_days)
    features = rows.loc[active, ["customer_id", *HISTORY_FEATURES]].reset_index(drop=True)
    return with_btyd_summary_features(features, btyd_summary_of(rows), horizon_days, fit)
