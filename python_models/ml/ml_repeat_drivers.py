"""What drives repeat buying (permutation importance); the logic is
retail_warehouse.ml.customer_models."""

from retail_warehouse.ml.customer_models import repeat_drivers
from retail_warehouse.ml.frames import invoices_from_relation, parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    fct_invoices = dbt.ref("fct_invoices")
    invoices = invoices_from_relation(fct_invoices)
    return repeat_drivers(
        invoices,
        horizon_days=parse_int(dbt.config.get("ml_horizon_days"), "ml_horizon_days"),
        active_window_days=parse_int(
            dbt.config.get("ml_active_window_days"), "ml_active_window_days"
        ),
        windows=parse_int(dbt.config.get("ml_training_windows"), "ml_training_windows"),
        n_repeats=parse_int(dbt.config.get("ml_permutation_repeats"), "ml_permutation_repeats"),
        max_training_customers=parse_int(
            dbt.config.get("ml_max_training_customers"), "ml_max_training_customers"
        ),
    )
