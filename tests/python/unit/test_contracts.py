"""The column lists the package reads from models are the models' own: each list of
``retail_warehouse.contracts`` is its model's YAML columns, in order, and each list the
report or the API selects straight from a model names only columns that model's YAML
declares (so a renamed column fails here, not on a built warehouse)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from retail_warehouse import alerts, contracts
from retail_warehouse.api import snapshot
from retail_warehouse.report import data

REPO = Path(__file__).resolve().parents[3]


def yaml_columns(model: str) -> list[str]:
    """The columns ``<model>.yml`` (under models/ or python_models/) declares, in order."""
    paths = [*REPO.glob(f"models/**/{model}.yml"), *REPO.glob(f"python_models/**/{model}.yml")]
    assert len(paths) == 1, f"{model}: expected one YAML file, found {paths}"
    document = yaml.safe_load(paths[0].read_text(encoding="utf-8"))
    (node,) = [node for node in document["models"] if node["name"] == model]
    return [column["name"] for column in node["columns"]]


def test_forecast_columns_are_the_yaml_columns() -> None:
    assert list(contracts.FORECAST_COLUMNS) == yaml_columns("ml_sales_forecast")


SELECTED: list[tuple[str, tuple[str, ...]]] = [
    ("mart_sales_monthly", data.MONTHLY_COLUMNS),
    ("mart_invoice_value_distribution", data.DISTRIBUTION_COLUMNS),
    ("mart_customer_cohorts", data.COHORT_COLUMNS),
    ("mart_purchase_ladder", data.LADDER_COLUMNS),
    ("mart_loyalty_programme_monthly", data.LOYALTY_MONTHLY_COLUMNS),
    ("mart_loyalty_scenarios", data.LOYALTY_SCENARIO_COLUMNS),
    ("mart_rfm_segments", data.SEGMENT_COLUMNS),
    ("mart_segment_migration", data.MIGRATION_COLUMNS),
    ("ml_cluster_profiles", data.CLUSTER_COLUMNS),
    ("mart_product_performance", data.PRODUCT_COLUMNS),
    ("mart_product_profitability", data.PROFIT_PRODUCT_COLUMNS),
    ("mart_product_group_profitability", data.PRODUCT_GROUP_COLUMNS),
    ("mart_location_performance", data.LOCATION_COLUMNS),
    ("mart_employee_performance", data.EMPLOYEE_COLUMNS),
    ("mart_country_performance", data.COUNTRY_COLUMNS),
    ("mart_sales_daily", data.DAILY_COLUMNS),
    ("mart_kpi_anomalies", data.ANOMALY_COLUMNS),
    ("mart_kpi_anomalies", alerts.COLUMNS),
    ("ml_model_evaluation", data.EVALUATION_COLUMNS),
    ("mart_load_quality", data.LOAD_QUALITY_COLUMNS),
    ("mart_data_quality_daily", data.TEST_PROBLEM_COLUMNS),
    ("mart_rfm_segments", snapshot.SEGMENT_COLUMNS),
    ("ml_cluster_profiles", snapshot.CLUSTER_COLUMNS),
    *snapshot.PROFILE_COLUMNS.items(),
]
"""(model, the columns the report or the API selects straight from it); the lists of
aggregates (ABC_COLUMNS, REWARD_TIER_COLUMNS, ...) name their own results."""


@pytest.mark.parametrize(
    ("model", "columns"), SELECTED, ids=[f"{model}-{i}" for i, (model, _) in enumerate(SELECTED)]
)
def test_selected_columns_are_declared(model: str, columns: tuple[str, ...]) -> None:
    declared = set(yaml_columns(model))
    assert [column for column in columns if column not in declared] == []
