"""Customer clusters by KMeans, from the fitted model in ml_model_registry and the customer
features stored by int_customer_features_measured (no invoices); the logic is
retail_warehouse.ml.clustering."""

from retail_warehouse.ml.feature_table import feature_frame_from_relation
from retail_warehouse.ml.frames import relation_to_pandas
from retail_warehouse.ml.persisted import clusters_from_registry


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_customer_features_measured")
    ml_model_registry = dbt.ref("ml_model_registry")
    return clusters_from_registry(
        relation_to_pandas(ml_model_registry), feature_frame_from_relation(features)
    )
