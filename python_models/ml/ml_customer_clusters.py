"""Customer clusters by KMeans, from the fitted model in ml_model_registry; the logic is
retail_warehouse.ml.clustering."""

from retail_warehouse.ml.frames import invoices_from_relation, relation_to_pandas
from retail_warehouse.ml.persisted import clusters_from_registry


def model(dbt, session):
    dbt.config(materialized="table")
    fct_invoices = dbt.ref("fct_invoices")
    ml_model_registry = dbt.ref("ml_model_registry")
    return clusters_from_registry(
        relation_to_pandas(ml_model_registry), invoices_from_relation(fct_invoices)
    )
