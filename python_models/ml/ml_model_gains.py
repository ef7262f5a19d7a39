"""The gains table of the backtest, from the decile rows of ml_model_evaluation; the logic
is retail_warehouse.ml.gains."""

from retail_warehouse.ml.frames import relation_to_pandas
from retail_warehouse.ml.gains import model_gains


def model(dbt, session):
    dbt.config(materialized="table")
    ml_model_evaluation = dbt.ref("ml_model_evaluation")
    return model_gains(relation_to_pandas(ml_model_evaluation))
