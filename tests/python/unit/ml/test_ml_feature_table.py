"""The stored customer features (retail_warehouse.ml.feature_table): the scoring models give
from them what they gave from the invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from ml_invoices import invoice, synthetic_rows

from retail_warehouse.ml.btyd import (
    BTYD_UNIT_DAYS,
    btyd_predictions,
    btyd_summary,
    btyd_summary_predictions,
    fit_btyd,
    fit_btyd_summary,
)
from retail_warehouse.ml.clustering import assign_clusters, behaviour_features
from retail_warehouse.ml.customer_models import active_customer_features, predict_customers
from retail_warehouse.ml.feature_table import (
    FEATURE_FRAME_COLUMNS,
    FEATURE_TABLE_COLUMNS,
    feature_frame,
    feature_table,
    scoring_behaviour_features,
    scoring_prediction_features,
)
from retail_warehouse.ml.frames import EPOCH, from_day_number, last_day, prepare_invoices
from retail_warehouse.ml.persisted import (
    cluster_model,
    clusters_from_registry,
    customer_models,
    fit_registry,
    predictions_from_registry,
)
from retail_warehouse.ml.registry import models_from_registry

HORIZON, ACTIVE, WINDOWS = 90, 365, 2


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic invoices and the registry fitted on them (once: fitting takes a second)."""
    invoices = prepare_invoices(pd.DataFrame(synthetic_rows()))
    return invoices, fit_registry(invoices, HORIZON, ACTIVE, WINDOWS)


def test_btyd_from_the_summary_is_btyd_from_the_invoices(synthetic_invoices) -> None:
    cutoff = last_day(synthetic_invoices)
    summary = btyd_summary(synthetic_invoices, cutoff, BTYD_UNIT_DAYS)
    assert fit_btyd_summary(summary) == fit_btyd(synthetic_invoices, cutoff)
    pd.testing.assert_frame_equal(
        btyd_summary_predictions(summary, HORIZON),
        btyd_predictions(synthetic_invoices, cutoff, HORIZON),
    )


def test_feature_table_rows(make_invoices) -> None:
    """A buyer has the BTYD statistics in days; a customer with only cancellations none;
    an invoice without a customer counts for no one."""
    invoices = make_invoices(
        [
            invoice("1", 1, 0, 10.0),
            invoice("2", 1, 7, 30.0),
            invoice("C3", 2, 3, -5.0, kind="cancellation"),
            invoice("4", None, 9, 1.0),
        ]
    )
    table = feature_table(invoices, last_day(invoices), HORIZON)
    assert list(table.columns) == list(FEATURE_FRAME_COLUMNS)
    assert table["customer_id"].tolist() == [1, 2]
    assert table["cutoff_day"].tolist() == [last_day(invoices)] * 2
    one, two = table.iloc[0], table.iloc[1]
    assert (one["btyd_repeat_purchases"], one["btyd_last_purchase_age_days"]) == (1.0, 7.0)
    assert (one["btyd_observed_age_days"], one["btyd_mean_repeat_value"]) == (10.0, 30.0)
    assert two[["btyd_repeat_purchases", "btyd_mean_repeat_value"]].isna().all()


def test_feature_frame_reads_any_engine(make_invoices) -> None:
    """Dates as dates, money as Decimal and nulls as None (dbt-pybridge, Spark) give the
    feature frame of the pandas computation."""
    invoices = make_invoices(
        [invoice("1", 1, 0, 10.0), invoice("2", 1, 7, 30.5), invoice("3", 2, 9, 2.25)]
    )
    expected = feature_table(invoices, last_day(invoices), HORIZON)
    stored = expected.rename(columns={"cutoff_day": "cutoff_date"}).astype("object")
    stored["cutoff_date"] = [EPOCH + dt.timedelta(days=int(day)) for day in expected["cutoff_day"]]
    stored["monetary"] = [Decimal(f"{value:.3f}") for value in expected["monetary"]]
    stored["btyd_mean_repeat_value"] = [
        None if np.isnan(value) else value for value in expected["btyd_mean_repeat_value"]
    ]
    stored = stored.loc[::-1, list(FEATURE_TABLE_COLUMNS)]
    pd.testing.assert_frame_equal(feature_frame(stored), expected)


def test_feature_frame_names_missing_columns() -> None:
    with pytest.raises(ValueError, match="int_customer_features_measured is missing columns"):
        feature_frame(pd.DataFrame({"customer_id": [1]}))


def test_scoring_features_are_the_invoice_features(fitted) -> None:
    invoices, registry = fitted
    models = models_from_registry(registry)
    table = feature_table(invoices, last_day(invoices), HORIZON)
    customers = customer_models(models)
    cutoff, scored = scoring_prediction_features(table, customers)
    assert cutoff == customers.as_of_day
    pd.testing.assert_frame_equal(scored, active_customer_features(invoices, customers))
    clusters = cluster_model(models)
    cutoff, behaviour = scoring_behaviour_features(table)
    pd.testing.assert_frame_equal(behaviour, behaviour_features(invoices, clusters.as_of_day))


def test_scoring_models_equal_the_invoice_path(fitted) -> None:
    """ml_customer_predictions and ml_customer_clusters from the stored features equal
    what they were from the invoices, to the bit."""
    invoices, registry = fitted
    models = models_from_registry(registry)
    customers, clusters = customer_models(models), cluster_model(models)
    table = feature_table(invoices, last_day(invoices), HORIZON)
    pd.testing.assert_frame_equal(
        predictions_from_registry(registry, table),
        predict_customers(customers, active_customer_features(invoices, customers)),
    )
    pd.testing.assert_frame_equal(
        clusters_from_registry(registry, table),
        assign_clusters(clusters, behaviour_features(invoices, clusters.as_of_day)),
    )


def test_scores_at_the_newest_cutoff_with_the_stored_models(fitted) -> None:
    """Features measured after the models were fitted are scored as of their own cutoff
    (the registry's BTYD fit and estimators, not refitted)."""
    invoices, registry = fitted
    later = last_day(invoices) + 30
    table = feature_table(invoices, later, HORIZON)
    predictions = predictions_from_registry(registry, table)
    clusters = clusters_from_registry(registry, table)
    assert set(predictions["as_of_date"]) == {from_day_number(later)}
    assert set(clusters["as_of_date"]) == {from_day_number(later)}
    recency = table.set_index("customer_id").loc[predictions["customer_id"], "recency_days"]
    assert (recency < ACTIVE).all()


def test_features_of_another_horizon_are_refused(fitted) -> None:
    invoices, registry = fitted
    table = feature_table(invoices, last_day(invoices), 30)
    with pytest.raises(ValueError, match=r"horizon windows of \[30\] days.*trained with 90"):
        predictions_from_registry(registry, table)


def test_no_features_is_an_error(fitted) -> None:
    _, registry = fitted
    empty = pd.DataFrame({column: [] for column in FEATURE_FRAME_COLUMNS})
    with pytest.raises(ValueError, match="int_customer_features_measured is empty"):
        clusters_from_registry(registry, empty)
