"""Customer segments by KMeans; the logic is retail_warehouse.ml.clustering."""

from retail_warehouse.ml.clustering import customer_clusters
from retail_warehouse.ml.frames import parse_int, prepare_invoices, relation_to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    fct_invoices = dbt.ref("fct_invoices")
    invoices = prepare_invoices(relation_to_pandas(fct_invoices))
    return customer_clusters(
        invoices,
        n_clusters=parse_int(dbt.config.get("ml_cluster_count"), "ml_cluster_count"),
        k_min=parse_int(dbt.config.get("ml_cluster_k_min"), "ml_cluster_k_min", 3),
        k_max=parse_int(dbt.config.get("ml_cluster_k_max"), "ml_cluster_k_max", 8),
    )
