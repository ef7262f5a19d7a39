"""The production models as persisted in the registry: fitted once per build by
``ml_model_registry``, then loaded by ``ml_customer_clusters``, ``ml_customer_predictions``,
the public scoring functions (:mod:`retail_warehouse.scoring`) and the API, so every one of
them scores with the very same fitted objects. The two scoring models read the customer
features stored by ``int_customer_features_measured`` (:mod:`retail_warehouse.ml.feature_table`),
never the invoices."""

from __future__ import annotations

import pandas as pd

from retail_warehouse.ml.churn import CHURN_GAP_MULTIPLE
from retail_warehouse.ml.clustering import ClusterModel, assign_clusters, fit_cluster_features
from retail_warehouse.ml.customer_models import (
    CustomerModels,
    fit_customer_models,
    predict_customers,
)
from retail_warehouse.ml.feature_table import (
    scoring_behaviour_features,
    scoring_prediction_features,
)
from retail_warehouse.ml.features import BEHAVIOUR_FEATURES, PREDICTION_FEATURES
from retail_warehouse.ml.frames import check_history
from retail_warehouse.ml.lifetime_value import DISCOUNT_RATE
from retail_warehouse.ml.registry import (
    ModelVersionError,
    RegisteredModel,
    RegistryError,
    model_named,
    models_from_registry,
    register,
    registry_frame,
)
from retail_warehouse.ml.sampling import training_sample
from retail_warehouse.ml.training_table import TrainingData, as_training_data

CLUSTER_MODEL = "customer_clusters"
"""Registry name of the clustering (:class:`~retail_warehouse.ml.clustering.ClusterModel`)."""
CUSTOMER_MODEL = "customer_predictions"
"""Registry name of the purchase and spend models
(:class:`~retail_warehouse.ml.customer_models.CustomerModels`)."""


def fit_registry(
    data: TrainingData | pd.DataFrame,
    horizon_days: int,
    active_window_days: int,
    training_windows: int,
    n_clusters: int | None = None,
    k_min: int = 3,
    k_max: int = 8,
    max_training_customers: int | None = None,
) -> pd.DataFrame:
    """Fit the clustering and the purchase/spend models and return the rows of
    ``ml_model_registry`` (one per model, skops artifact included). Both are fitted on
    the training customers: the features and labels of ``data``
    (:class:`~retail_warehouse.ml.training_table.TrainingData`, what the SQL models
    measured), or, for prepared invoices, the training sample of
    ``max_training_customers`` (:func:`~retail_warehouse.ml.sampling.training_sample`)
    measured in pandas; they score every customer."""
    if isinstance(data, TrainingData):
        data.check_history(horizon_days, "ml_model_registry")
    else:
        check_history(data, horizon_days, "ml_model_registry")
        data = training_sample(data, max_training_customers)
    data = as_training_data(data, horizon_days, training_windows)
    behaviour = data.rows_at(data.as_of_day).loc[:, ["customer_id", *BEHAVIOUR_FEATURES]]
    clusters = fit_cluster_features(behaviour, data.as_of_day, n_clusters, k_min, k_max)
    customers = fit_customer_models(data, horizon_days, active_window_days, training_windows)
    return registry_frame(
        [
            register(
                CLUSTER_MODEL,
                clusters,
                {"n_clusters": n_clusters, "k_min": k_min, "k_max": k_max},
            ),
            register(
                CUSTOMER_MODEL,
                customers,
                {
                    "horizon_days": horizon_days,
                    "active_window_days": active_window_days,
                    "training_windows": training_windows,
                },
            ),
        ]
    )


def cluster_model(models: dict[str, RegisteredModel]) -> ClusterModel:
    """The clustering of a loaded registry."""
    model = model_named(models, CLUSTER_MODEL).model
    if not isinstance(model, ClusterModel):
        raise RegistryError(f"registry model {CLUSTER_MODEL!r} is not a ClusterModel")
    _check_features(CLUSTER_MODEL, model.features, BEHAVIOUR_FEATURES)
    return model


def customer_models(models: dict[str, RegisteredModel]) -> CustomerModels:
    """The purchase and spend models of a loaded registry."""
    model = model_named(models, CUSTOMER_MODEL).model
    if not isinstance(model, CustomerModels):
        raise RegistryError(f"registry model {CUSTOMER_MODEL!r} is not a CustomerModels")
    _check_features(CUSTOMER_MODEL, model.features, PREDICTION_FEATURES)
    return model


def _check_features(name: str, fitted: tuple[str, ...], current: tuple[str, ...]) -> None:
    """Refuse a model fitted on other features than this package computes: a second guard
    behind the model version, for a change that forgot to bump it."""
    if tuple(fitted) != tuple(current):
        raise ModelVersionError(
            f"registry model {name!r} was fitted on the features {', '.join(fitted)}, but "
            f"this package computes {', '.join(current)}; rebuild the warehouse with this "
            "package (retail-warehouse build)"
        )


def clusters_from_registry(registry: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """``ml_customer_clusters``: every customer's cluster by the registered model, from
    the stored features (a :func:`~retail_warehouse.ml.feature_table.feature_frame`) at
    their newest cutoff."""
    model = cluster_model(models_from_registry(registry))
    cutoff, behaviour = scoring_behaviour_features(features)
    return assign_clusters(model, behaviour, cutoff)


def predictions_from_registry(
    registry: pd.DataFrame,
    features: pd.DataFrame,
    churn_gap_multiple: float = CHURN_GAP_MULTIPLE,
    discount_rate: float = DISCOUNT_RATE,
) -> pd.DataFrame:
    """``ml_customer_predictions``: the active customers scored by the registered models,
    from the stored features (a :func:`~retail_warehouse.ml.feature_table.feature_frame`)
    at their newest cutoff; ``is_churned`` by the gap rule with k = ``churn_gap_multiple``,
    the lifetime value discounted at the annual ``discount_rate``."""
    models = customer_models(models_from_registry(registry))
    cutoff, scored = scoring_prediction_features(features, models)
    return predict_customers(models, scored, cutoff, churn_gap_multiple, discount_rate)
