"""The fitted clustering and purchase/spend models, persisted with skops; the logic is
retail_warehouse.ml.registry (fitting: clustering and customer_models). Reads the training
customers' features and labels measured in SQL, never the invoices."""

from retail_warehouse.ml.frames import parse_int
from retail_warehouse.ml.persisted import fit_registry
from retail_warehouse.ml.training_table import training_data_from_relations


def model(dbt, session):
    dbt.config(materialized="table")
    training = training_data_from_relations(
        dbt.ref("int_customer_features_measured"),
        dbt.ref("int_customer_outcomes_measured"),
        dbt.ref("int_ml_cutoffs_listed"),
        dbt.ref("ml_training_customers"),
    )
    return fit_registry(
        training,
        horizon_days=parse_int(dbt.config.get("ml_horizon_days"), "ml_horizon_days"),
        active_window_days=parse_int(
            dbt.config.get("ml_active_window_days"), "ml_active_window_days"
        ),
        training_windows=parse_int(dbt.config.get("ml_training_windows"), "ml_training_windows"),
        n_clusters=parse_int(dbt.config.get("ml_cluster_count"), "ml_cluster_count"),
        k_min=parse_int(dbt.config.get("ml_cluster_k_min"), "ml_cluster_k_min", 3),
        k_max=parse_int(dbt.config.get("ml_cluster_k_max"), "ml_cluster_k_max", 8),
    )
