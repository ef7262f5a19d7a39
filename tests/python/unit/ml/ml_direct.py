"""The models fitted straight from prepared invoices (pandas features, no stored tables): the
reference that the stored-feature path (the registry, ``scoring``) must reproduce. The
package itself trains and scores from the SQL tables (docs/ml.md, "Two lanes"); these two
compositions of its functions live here, with the tests that compare against them."""

from __future__ import annotations

import pandas as pd

from retail_warehouse.ml.clustering import assign_clusters, behaviour_features, fit_cluster_features
from retail_warehouse.ml.customer_models import (
    active_customer_features,
    fit_customer_models,
    predict_customers,
)
from retail_warehouse.ml.frames import last_day


def direct_clusters(
    invoices: pd.DataFrame, n_clusters: int | None = None, k_min: int = 3, k_max: int = 8
) -> pd.DataFrame:
    """One row per customer as of the last invoice day: the clustering fitted on the
    behaviour features of every customer, then assigned to the same customers."""
    as_of = last_day(invoices)
    features = behaviour_features(invoices, as_of)
    model = fit_cluster_features(features, as_of, n_clusters, k_min, k_max)
    return assign_clusters(model, features)


def direct_predictions(
    invoices: pd.DataFrame, horizon_days: int, active_window_days: int, windows: int
) -> pd.DataFrame:
    """One row per active customer at the last invoice day: the purchase and spend models
    trained at T - H, scoring the features at T."""
    models = fit_customer_models(invoices, horizon_days, active_window_days, windows)
    return predict_customers(models, active_customer_features(invoices, models))
