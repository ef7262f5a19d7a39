"""Weekly net revenue forecast with 80 % intervals; the logic is
retail_warehouse.ml.forecast."""

from retail_warehouse.ml.forecast import sales_forecast
from retail_warehouse.ml.frames import invoices_from_relation, parse_int


def model(dbt, session):
    dbt.config(materialized="table")
    fct_invoices = dbt.ref("fct_invoices")
    invoices = invoices_from_relation(fct_invoices)
    return sales_forecast(
        invoices,
        horizon_weeks=parse_int(dbt.config.get("ml_forecast_weeks"), "ml_forecast_weeks"),
        top_countries=parse_int(
            dbt.config.get("ml_forecast_top_countries"), "ml_forecast_top_countries"
        ),
    )
