"""Columns of a model that more than one part of the package writes or reads, in one place.

Each list is the model's columns as its YAML declares them, in the same order (a unit test,
``tests/python/unit/test_contracts.py``, compares them). A leaf module of plain tuples: the
report imports it without pandas or the ML libraries.
"""

from __future__ import annotations

FORECAST_COLUMNS: tuple[str, ...] = (
    "series",
    "week_ahead",
    "week_start_date",
    "week_end_date",
    "forecast_net_revenue",
    "lower_80",
    "upper_80",
    "same_week_last_year",
    "method",
    "model_version",
    "as_of_date",
)
"""The columns of ``ml_sales_forecast`` (python_models/ml/ml_sales_forecast.yml): written by
``ml.forecast.sales_forecast``, read by the API's snapshot and the report."""
