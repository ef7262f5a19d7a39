"""The fitted clustering and purchase/spend models, persisted with skops; the logic is
retail_warehouse.ml.registry (fitting: clustering and customer_models)."""

from retail_warehouse.ml.frames import invoices_from_relation, parse_int
from retail_warehouse.ml.persisted import fit_registry


def model(dbt, session):
    dbt.config(materialized="table")
    fct_invoices = dbt.ref("fct_invoices")
    invoices = invoices_from_relation(fct_invoices)
    return fit_registry(
        invoices,
        horizon_days=parse_int(dbt.config.get("ml_horizon_days"), "ml_horizon_days"),
        active_window_days=parse_int(
            dbt.config.get("ml_active_window_days"), "ml_active_window_days"
        ),
        training_windows=parse_int(dbt.config.get("ml_training_windows"), "ml_training_windows"),
        n_clusters=parse_int(dbt.config.get("ml_cluster_count"), "ml_cluster_count"),
        k_min=parse_int(dbt.config.get("ml_cluster_k_min"), "ml_cluster_k_min", 3),
        k_max=parse_int(dbt.config.get("ml_cluster_k_max"), "ml_cluster_k_max", 8),
        max_training_customers=parse_int(
            dbt.config.get("ml_max_training_customers"), "ml_max_training_customers"
        ),
    )
