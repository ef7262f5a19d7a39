"""The customers the models are fitted and backtested on; the logic is
retail_warehouse.ml.sampling.training_customers."""

from retail_warehouse.ml.frames import parse_int, relation_to_pandas
from retail_warehouse.ml.sampling import training_customers


def model(dbt, session):
    dbt.config(materialized="table")
    dim_customers = dbt.ref("dim_customers")
    customers = relation_to_pandas(dim_customers, ["customer_id"])
    return training_customers(
        customers["customer_id"].to_numpy(dtype="int64"),
        parse_int(dbt.config.get("ml_max_training_customers"), "ml_max_training_customers"),
    )
