"""What drives repeat buying (permutation importance); the logic is
retail_warehouse.ml.customer_models. Reads the training customers' features and labels
measured in SQL, never the invoices."""

from retail_warehouse.ml.customer_models import repeat_drivers
from retail_warehouse.ml.frames import parse_int
from retail_warehouse.ml.training_table import training_data_from_relations


def model(dbt, session):
    dbt.config(materialized="table")
    training = training_data_from_relations(
        dbt.ref("int_customer_features_measured"),
        dbt.ref("int_customer_outcomes_measured"),
        dbt.ref("int_ml_cutoffs_listed"),
        dbt.ref("ml_training_customers"),
    )
    return repeat_drivers(
        training,
        horizon_days=parse_int(dbt.config.get("ml_horizon_days"), "ml_horizon_days"),
        active_window_days=parse_int(
            dbt.config.get("ml_active_window_days"), "ml_active_window_days"
        ),
        windows=parse_int(dbt.config.get("ml_training_windows"), "ml_training_windows"),
        n_repeats=parse_int(dbt.config.get("ml_permutation_repeats"), "ml_permutation_repeats"),
    )
