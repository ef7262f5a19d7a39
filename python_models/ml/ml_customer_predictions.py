"""Purchase probability and expected spend in the next horizon, from the fitted models in
ml_model_registry and the customer features stored by int_customer_features_measured (no
invoices); the logic is retail_warehouse.ml.customer_models."""

from retail_warehouse.ml.churn import CHURN_GAP_MULTIPLE
from retail_warehouse.ml.feature_table import feature_frame_from_relation
from retail_warehouse.ml.frames import parse_float, relation_to_pandas
from retail_warehouse.ml.lifetime_value import DISCOUNT_RATE
from retail_warehouse.ml.persisted import predictions_from_registry


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_customer_features_measured")
    ml_model_registry = dbt.ref("ml_model_registry")
    return predictions_from_registry(
        relation_to_pandas(ml_model_registry),
        feature_frame_from_relation(features),
        parse_float(
            dbt.config.get("ml_churn_gap_multiple"), "ml_churn_gap_multiple", CHURN_GAP_MULTIPLE
        ),
        parse_float(dbt.config.get("ml_discount_rate"), "ml_discount_rate", DISCOUNT_RATE),
    )
