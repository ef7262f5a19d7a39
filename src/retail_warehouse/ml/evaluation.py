"""All backtest rows in one frame: the customer models and the sales forecast."""

from __future__ import annotations

import pandas as pd

from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.ml.churn import CHURN_GAP_MULTIPLE
from retail_warehouse.ml.customer_models import customer_model_evaluation
from retail_warehouse.ml.forecast import WEEKLY_ORIGINS, forecast_backtest
from retail_warehouse.ml.frames import check_history, from_day_number, last_day
from retail_warehouse.ml.lifetime_value import DISCOUNT_RATE
from retail_warehouse.ml.sampling import training_sample
from retail_warehouse.ml.training_table import TrainingData

EVALUATION_COLUMNS: tuple[str, ...] = (
    "model",
    "evaluation_group",
    "fold",
    "method",
    "metric",
    "value",
    "is_selected",
    "observation_count",
    "training_row_count",
    "train_cutoff_date",
    "test_cutoff_date",
    "test_end_date",
    "model_version",
    "as_of_date",
)


def model_evaluation(
    data: TrainingData | pd.DataFrame,
    horizon_days: int,
    active_window_days: int,
    training_windows: int,
    forecast_weeks: int,
    top_countries: int,
    max_training_customers: int | None = None,
    forecast_weekly_origins: int = WEEKLY_ORIGINS,
    churn_gap_multiple: float = CHURN_GAP_MULTIPLE,
    sales: pd.DataFrame | None = None,
    discount_rate: float = DISCOUNT_RATE,
) -> pd.DataFrame:
    """One row per model x evaluation group x fold x method x metric of the out-of-time backtests
    (rolling origins: fold ``test`` is the latest window, ``validation_<k>`` the earlier
    ones the methods were chosen on, ``mean`` the mean over the folds): the
    purchase and spend models with their candidates and naive baselines
    (:func:`~retail_warehouse.ml.customer_models.customer_model_evaluation`) and the weekly
    sales forecast methods per series (:func:`~retail_warehouse.ml.forecast.forecast_backtest`,
    with the mean over ``forecast_weekly_origins`` weekly origins) and the lifetime
    value's interval, discounted at the annual ``discount_rate``.
    ``is_selected`` marks the method the production model uses. The customer models are
    backtested on the training customers: the features and labels of ``data``
    (:class:`~retail_warehouse.ml.training_table.TrainingData`), or, for prepared invoices,
    the training sample of ``max_training_customers``
    (:func:`~retail_warehouse.ml.sampling.training_sample`) measured in pandas; the forecast
    on ``sales``, the daily sales of every invoice
    (:func:`~retail_warehouse.ml.forecast.daily_sales`; by default those of ``data``'s
    invoices)."""
    if isinstance(data, TrainingData):
        data.check_history(horizon_days, "ml_model_evaluation")
        as_of = data.as_of_day
    else:
        check_history(data, horizon_days, "ml_model_evaluation")
        as_of = last_day(data)
        sales = data if sales is None else sales
        data = training_sample(data, max_training_customers)
    if sales is None:
        raise ValueError("model_evaluation: the forecast backtest needs the daily sales")
    customers = customer_model_evaluation(
        data,
        horizon_days,
        active_window_days,
        training_windows,
        churn_gap_multiple=churn_gap_multiple,
        discount_rate=discount_rate,
    )
    forecast = forecast_backtest(
        sales, forecast_weeks, top_countries, weekly_origins=forecast_weekly_origins
    )
    result = pd.concat([customers, forecast], ignore_index=True)
    result["value"] = result["value"].astype("float64").round(6)
    result["is_selected"] = result["is_selected"].astype(bool)
    result["observation_count"] = result["observation_count"].astype("int64")
    result["training_row_count"] = result["training_row_count"].astype("int64")
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = from_day_number(as_of)
    result = result.loc[:, list(EVALUATION_COLUMNS)]
    return result.sort_values(
        ["model", "evaluation_group", "fold", "method", "metric"], kind="mergesort"
    ).reset_index(drop=True)
