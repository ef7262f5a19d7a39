"""Purchase probability and expected spend in the next horizon; the logic is
retail_warehouse.ml.customer_models."""

from retail_warehouse.ml.customer_models import customer_predictions
from retail_warehouse.ml.frames import parse_int, prepare_invoices, relation_to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    fct_invoices = dbt.ref("fct_invoices")
    invoices = prepare_invoices(relation_to_pandas(fct_invoices))
    return customer_predictions(
        invoices,
        horizon_days=parse_int(dbt.config.get("ml_horizon_days"), "ml_horizon_days"),
        active_window_days=parse_int(
            dbt.config.get("ml_active_window_days"), "ml_active_window_days"
        ),
        windows=parse_int(dbt.config.get("ml_training_windows"), "ml_training_windows"),
    )
