"""The training inputs of the customer models: the training customers' features at every
cutoff and their labels, computed in the engine by the SQL models
``int_customer_features_measured`` (features), ``int_customer_outcomes_measured`` (labels)
and ``int_ml_cutoffs_listed`` (the cutoffs and the calendar of the data), so the training
models read customers x cutoffs x features, never the invoices.

:class:`TrainingData` holds them; :func:`training_frame_at` turns one cutoff into the rows a
model is fitted or tested on (the active customers, their BTYD features fitted at the
cutoff, their labels). :func:`training_data_from_invoices` is the same data measured in
pandas from prepared invoices, the reference the SQL models are tested against
(tests/python/integration/test_ml_features_sql.py), which the unit tests train on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from retail_warehouse.ml.feature_table import (
    active_prediction_features,
    feature_frame,
    feature_table,
)
from retail_warehouse.ml.features import future_labels
from retail_warehouse.ml.frames import (
    check_history_span,
    from_day_number,
    last_day,
    relation_to_pandas,
)

CUTOFFS_MODEL = "int_ml_cutoffs_listed"
"""The dbt model of the cutoffs and the calendar."""
LABELS_MODEL = "int_customer_outcomes_measured"
"""The dbt model of the labels."""

BACKTEST_FOLDS = 3
"""Backtest folds the cutoffs are listed for (``backtest_folds`` of int_ml_cutoffs_listed,
:data:`~retail_warehouse.ml.customer_models.EVALUATION_FOLDS`)."""

CUTOFF_COLUMNS: tuple[str, ...] = (
    "cutoff_date",
    "first_invoice_date",
    "last_invoice_date",
    "first_customer_invoice_date",
    "last_customer_invoice_date",
)
LABEL_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cutoff_date",
    "has_future_purchase",
    "future_net_revenue",
)
LABEL_FRAME_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cutoff_day",
    "will_purchase",
    "future_net_revenue",
)
"""The columns of :attr:`TrainingData.labels`."""


@dataclass(frozen=True)
class TrainingData:
    """What the customer models are fitted and backtested on.

    ``features``: a :func:`~retail_warehouse.ml.feature_table.feature_frame` of the training
    customers at every cutoff of ``cutoffs`` (the scoring cutoff ``as_of_day`` included;
    a customer is measured from their first invoice on); ``labels``:
    :data:`LABEL_FRAME_COLUMNS` of the same customers at the earlier cutoffs;
    ``first_day``: the first invoice day of any kind and customer (no training cutoff is
    earlier); ``customer_span``: the first and last day of an invoice with a customer (None
    without one)."""

    features: pd.DataFrame
    labels: pd.DataFrame
    cutoffs: frozenset[int]
    as_of_day: int
    first_day: int
    customer_span: tuple[int, int] | None

    def rows_at(self, cutoff_day: int) -> pd.DataFrame:
        """The feature rows at ``cutoff_day``, sorted by customer_id; ``ValueError`` when the
        cutoff was not measured (the SQL models list fewer cutoffs than asked for)."""
        if cutoff_day not in self.cutoffs:
            raise ValueError(
                f"{CUTOFFS_MODEL} has no cutoff {from_day_number(cutoff_day)}: the models need the "
                f"cutoffs of {CUTOFFS_MODEL} for the same ml_horizon_days and "
                "ml_training_windows; rebuild it with the training models"
            )
        rows = self.features[self.features["cutoff_day"].to_numpy() == cutoff_day]
        return rows.sort_values("customer_id", kind="mergesort").reset_index(drop=True)

    def labels_at(self, cutoff_day: int, customer_ids: pd.Series) -> pd.DataFrame:
        """``customer_id``, ``will_purchase`` (0/1) and ``future_net_revenue`` (GBP) at
        ``cutoff_day`` of each of ``customer_ids``, in that order (0 without a row: the
        scoring cutoff has no labels, nothing comes after it)."""
        rows = self.labels[self.labels["cutoff_day"].to_numpy() == cutoff_day]
        ids = pd.Index(customer_ids.astype("int64"), name="customer_id")
        aligned = rows.set_index("customer_id").reindex(ids)
        return pd.DataFrame(
            {
                "customer_id": ids.to_numpy(),
                "will_purchase": aligned["will_purchase"].fillna(0).to_numpy(dtype="int64"),
                "future_net_revenue": aligned["future_net_revenue"]
                .fillna(0.0)
                .to_numpy(dtype="float64"),
            }
        )

    def check_history(self, horizon_days: int, model: str) -> None:
        """:func:`~retail_warehouse.ml.frames.check_history` of the data's invoices."""
        check_history_span(self.customer_span, horizon_days, model)


def model_cutoff_days(
    as_of_day: int, first_day: int, horizon_days: int, windows: int, folds: int = BACKTEST_FOLDS
) -> list[int]:
    """The cutoffs of ``int_ml_cutoffs_listed``: ``as_of_day - k * horizon_days`` for
    k = 0..max(windows, 1) + ``folds``, on or after ``first_day``, newest first."""
    cutoffs = (as_of_day - k * horizon_days for k in range(max(windows, 1) + folds + 1))
    return [cutoff for cutoff in cutoffs if cutoff >= first_day]


def training_frame_at(
    data: TrainingData,
    cutoff_day: int,
    horizon_days: int,
    active_window_days: int,
    btyd: Any = None,
) -> pd.DataFrame:
    """The rows a model is fitted or tested on at ``cutoff_day``: customer_id, cutoff_day,
    the prediction features of the customers active then (a purchase in the
    ``active_window_days`` days up to the cutoff; BTYD from ``btyd``, or fitted on every
    training customer's statistics at the cutoff without it) and their labels
    (``will_purchase``, ``future_net_revenue``). Sorted by customer_id."""
    features = active_prediction_features(
        data.rows_at(cutoff_day), horizon_days, active_window_days, btyd
    )
    labels = data.labels_at(cutoff_day, features["customer_id"])
    frame = features.merge(labels, on="customer_id", how="left", validate="one_to_one")
    frame.insert(1, "cutoff_day", cutoff_day)
    return frame


def training_data_from_invoices(
    invoices: pd.DataFrame,
    horizon_days: int,
    cutoff_days: Iterable[int] | None = None,
    windows: int = 1,
    folds: int = BACKTEST_FOLDS,
) -> TrainingData:
    """:class:`TrainingData` measured in pandas from prepared invoices
    (:func:`~retail_warehouse.ml.frames.prepare_invoices`; every customer with an invoice is
    a training customer: sample first with
    :func:`~retail_warehouse.ml.sampling.training_sample`), at ``cutoff_days`` (by default
    :func:`model_cutoff_days` for ``windows`` and ``folds``) and the last invoice day."""
    as_of = last_day(invoices)
    first_day = int(invoices["day"].min())
    if cutoff_days is None:
        cutoff_days = model_cutoff_days(as_of, first_day, horizon_days, windows, folds)
    cutoffs = sorted({as_of, *(int(day) for day in cutoff_days)}, reverse=True)
    features = pd.concat(
        [feature_table(invoices, cutoff, horizon_days) for cutoff in cutoffs], ignore_index=True
    )
    features = features.sort_values(["cutoff_day", "customer_id"], kind="mergesort")
    labels = [
        future_labels(
            invoices,
            features.loc[features["cutoff_day"] == cutoff, "customer_id"],
            cutoff,
            horizon_days,
        ).assign(cutoff_day=np.int64(cutoff))
        for cutoff in cutoffs
        if cutoff != as_of
    ]
    label_frame = (
        pd.concat(labels, ignore_index=True)
        if labels
        else pd.DataFrame({column: pd.Series(dtype="int64") for column in LABEL_FRAME_COLUMNS})
    )
    with_customer = invoices[invoices["customer_id"].notna()]
    span = None
    if not with_customer.empty:
        span = int(with_customer["day"].min()), int(with_customer["day"].max())
    return TrainingData(
        features=features.reset_index(drop=True),
        labels=_typed_labels(label_frame),
        cutoffs=frozenset(cutoffs),
        as_of_day=as_of,
        first_day=first_day,
        customer_span=span,
    )


def _days(values: pd.Series) -> np.ndarray:
    """Dates as read from any engine (dates, timestamps, strings) as day numbers."""
    dates = pd.to_datetime(values)
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy(dtype="datetime64[D]").astype("int64")


def _typed_labels(labels: pd.DataFrame) -> pd.DataFrame:
    typed = pd.DataFrame(
        {
            "customer_id": pd.to_numeric(labels["customer_id"]).astype("int64"),
            "cutoff_day": pd.to_numeric(labels["cutoff_day"]).astype("int64"),
            "will_purchase": pd.to_numeric(labels["will_purchase"]).astype("int64"),
            "future_net_revenue": labels["future_net_revenue"].astype("float64"),
        }
    )
    return typed.sort_values(["cutoff_day", "customer_id"], kind="mergesort").reset_index(drop=True)


def training_data_from_tables(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    cutoffs: pd.DataFrame,
    training_customers: pd.DataFrame,
) -> TrainingData:
    """:class:`TrainingData` from the SQL models as read from any engine:
    ``int_customer_features_measured`` (``features``), ``int_customer_outcomes_measured``
    (``labels``), ``int_ml_cutoffs_listed`` (``cutoffs``) and ``ml_training_customers``
    (``training_customers``: the rows at the scoring cutoff, which hold every customer,
    are kept for these only)."""
    if cutoffs.empty:
        raise ValueError(f"{CUTOFFS_MODEL} is empty: the models need at least one invoice")
    frame = feature_frame(features)
    kept = np.isin(
        frame["customer_id"].to_numpy(),
        pd.to_numeric(training_customers["customer_id"]).to_numpy(dtype="int64"),
    )
    as_of = int(_days(cutoffs["last_invoice_date"]).max())
    label_frame = pd.DataFrame(
        {
            "customer_id": labels["customer_id"],
            "cutoff_day": _days(labels["cutoff_date"]) if len(labels) else labels["cutoff_date"],
            "will_purchase": labels["has_future_purchase"].astype(bool).astype("int64"),
            "future_net_revenue": labels["future_net_revenue"],
        }
    )
    first_customer = cutoffs["first_customer_invoice_date"].dropna()
    span = None
    if not first_customer.empty:
        span = (
            int(_days(first_customer).min()),
            int(_days(cutoffs["last_customer_invoice_date"].dropna()).max()),
        )
    return TrainingData(
        features=frame[kept | (frame["cutoff_day"].to_numpy() != as_of)].reset_index(drop=True),
        labels=_typed_labels(label_frame),
        cutoffs=frozenset(int(day) for day in _days(cutoffs["cutoff_date"])),
        as_of_day=as_of,
        first_day=int(_days(cutoffs["first_invoice_date"]).min()),
        customer_span=span,
    )


def training_data_from_relations(
    features: Any, labels: Any, cutoffs: Any, training_customers: Any
) -> TrainingData:
    """:func:`training_data_from_tables` of what ``dbt.ref()`` returns for the four models
    (only the columns used)."""
    from retail_warehouse.ml.feature_table import FEATURE_TABLE_COLUMNS

    return training_data_from_tables(
        relation_to_pandas(features, FEATURE_TABLE_COLUMNS),
        relation_to_pandas(labels, LABEL_COLUMNS),
        relation_to_pandas(cutoffs, CUTOFF_COLUMNS),
        relation_to_pandas(training_customers, ["customer_id"]),
    )


def as_training_data(
    source: TrainingData | pd.DataFrame,
    horizon_days: int,
    windows: int,
    folds: int = BACKTEST_FOLDS,
) -> TrainingData:
    """``source`` itself, or, for prepared invoices (the unit tests, the pandas reference),
    :func:`training_data_from_invoices` of them for ``windows`` and ``folds``."""
    if isinstance(source, TrainingData):
        return source
    return training_data_from_invoices(source, horizon_days, windows=windows, folds=folds)
