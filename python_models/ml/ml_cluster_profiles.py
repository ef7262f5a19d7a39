"""Profiles of the customer clusters; the logic is retail_warehouse.ml.clustering."""

from retail_warehouse.ml.clustering import cluster_profiles
from retail_warehouse.ml.frames import relation_to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    ml_customer_clusters = dbt.ref("ml_customer_clusters")
    return cluster_profiles(relation_to_pandas(ml_customer_clusters))
