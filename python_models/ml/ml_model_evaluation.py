"""Out-of-time backtests of every ML model; the logic is retail_warehouse.ml.evaluation. The
customer models read the training customers' features and labels measured in SQL, the
forecast the daily sales: never the invoices."""

from retail_warehouse.ml.churn import CHURN_GAP_MULTIPLE
from retail_warehouse.ml.evaluation import model_evaluation
from retail_warehouse.ml.forecast import daily_sales_from_relation
from retail_warehouse.ml.frames import parse_float, parse_int
from retail_warehouse.ml.lifetime_value import DISCOUNT_RATE
from retail_warehouse.ml.training_table import training_data_from_relations


def model(dbt, session):
    dbt.config(materialized="table")
    training = training_data_from_relations(
        dbt.ref("int_customer_features_measured"),
        dbt.ref("int_customer_outcomes_measured"),
        dbt.ref("int_ml_cutoffs_listed"),
        dbt.ref("ml_training_customers"),
    )
    return model_evaluation(
        training,
        horizon_days=parse_int(dbt.config.get("ml_horizon_days"), "ml_horizon_days"),
        active_window_days=parse_int(
            dbt.config.get("ml_active_window_days"), "ml_active_window_days"
        ),
        training_windows=parse_int(dbt.config.get("ml_training_windows"), "ml_training_windows"),
        forecast_weeks=parse_int(dbt.config.get("ml_forecast_weeks"), "ml_forecast_weeks"),
        top_countries=parse_int(
            dbt.config.get("ml_forecast_top_countries"), "ml_forecast_top_countries"
        ),
        forecast_weekly_origins=parse_int(
            dbt.config.get("ml_forecast_weekly_origins"), "ml_forecast_weekly_origins", 26
        ),
        churn_gap_multiple=parse_float(
            dbt.config.get("ml_churn_gap_multiple"), "ml_churn_gap_multiple", CHURN_GAP_MULTIPLE
        ),
        sales=daily_sales_from_relation(dbt.ref("int_sales_days_summarized")),
        discount_rate=parse_float(
            dbt.config.get("ml_discount_rate"), "ml_discount_rate", DISCOUNT_RATE
        ),
    )
