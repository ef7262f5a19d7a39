"""Weekly net revenue forecast with 80 % intervals; the logic is
retail_warehouse.ml.forecast. Reads the daily sales per country, never the invoices."""

from retail_warehouse.ml.forecast import daily_sales_from_relation, sales_forecast
from retail_warehouse.ml.frames import parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    sales = daily_sales_from_relation(dbt.ref("int_sales_days_summarized"))
    return sales_forecast(
        sales,
        horizon_weeks=parse_int(dbt.config.get("ml_forecast_weeks"), "ml_forecast_weeks"),
        top_countries=parse_int(
            dbt.config.get("ml_forecast_top_countries"), "ml_forecast_top_countries"
        ),
    )
