"""ML Python models on the full data: DuckDB (dbt-duckdb) and PostgreSQL
(dbt-pybridge) give the same rows, and the outputs hang together.

Uses the session fixture `built_warehouse` (conftest.py), which loads and
builds both targets once; skipped without ONLINE_RETAIL_SOURCE or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pytest
import yaml
from warehouse_helpers import REPO, query_columns

from retail_warehouse.ml.calibration import CALIBRATION_METHODS, calibrated_name
from retail_warehouse.ml.customer_models import (
    PURCHASE_CANDIDATES,
    PURCHASE_MODEL,
    SELECTED_PURCHASE,
    SPEND_CANDIDATES,
    SPEND_MODEL,
)
from retail_warehouse.ml.forecast import FORECAST_METHOD, METHODS, STATSFORECAST_METHODS, TOTAL

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

KEYS = {
    "ml_customer_clusters": 1,
    "ml_cluster_profiles": 1,
    "ml_customer_predictions": 1,
    "ml_repeat_drivers": 1,
    "ml_sales_forecast": 2,
    "ml_model_evaluation": 5,
    "ml_model_registry": 1,
    "ml_model_gains": 4,
}
ORDER = {
    "ml_customer_clusters": "customer_id",
    "ml_cluster_profiles": "cluster_id",
    "ml_customer_predictions": "customer_id",
    "ml_repeat_drivers": "feature",
    "ml_sales_forecast": "series, week_ahead",
    "ml_model_evaluation": "model, evaluation_group, fold, method, metric",
    "ml_model_registry": "model_name",
    "ml_model_gains": "model, method, fold, decile",
}
AS_OF = dt.date(2011, 12, 9)
ML_YAML = REPO / "python_models" / "ml"
COLUMN_TYPES_SQL = (
    "select table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale "
    "from information_schema.columns where table_schema in ('marts', 'ml')"
)


def canonical_type(data_type: str, precision: object = None, scale: object = None) -> str:
    """One spelling per type across DuckDB, PostgreSQL and the YAML: integer, bigint,
    varchar, double, numeric(18,2), ..."""
    name = re.sub(r"\s+", " ", data_type.strip().lower())
    name = {
        "character varying": "varchar",
        "double precision": "double",
        "decimal": "numeric",
        "timestamp without time zone": "timestamp",
    }.get(name, name)
    if name.startswith(("numeric", "decimal")):
        if "(" in name:
            return "numeric(" + re.sub(r"\s", "", name.split("(", 1)[1])
        if precision is not None:
            return f"numeric({precision},{scale})"
    return name


def declared_ml_types(folder: Path = ML_YAML) -> dict[tuple[str, str], str]:
    """(model, column) -> canonical data_type declared in the ml models' YAML."""
    declared: dict[tuple[str, str], str] = {}
    for path in sorted(folder.glob("ml_*.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            for column in model["columns"]:
                declared[(model["name"], column["name"])] = canonical_type(
                    column.get("data_type") or "(none declared)"
                )
    return declared


def test_canonical_type_spellings() -> None:
    assert canonical_type("DECIMAL(18,2)") == canonical_type("numeric(18, 2)") == "numeric(18,2)"
    assert canonical_type("numeric", 9, 6) == "numeric(9,6)"
    assert canonical_type("character varying") == canonical_type("VARCHAR") == "varchar"
    assert canonical_type("DOUBLE") == canonical_type("double precision") == "double"
    assert canonical_type("BIGINT") != canonical_type("integer")
    assert canonical_type("timestamp without time zone") == canonical_type("TIMESTAMP")


@pytest.mark.parametrize("target", ["duck", "pg"])
def test_ml_column_types_are_the_declared_ones_and_the_marts(
    built_warehouse: dict[str, object], target: str
) -> None:
    """Every ml column has the data_type of its YAML (macros/schema/
    declare_python_model_types.sql), and a column the marts also have has a type they
    use for it (customer_id exactly dim_customers')."""
    declared = declared_ml_types()
    _, rows = query_columns(built_warehouse[target], COLUMN_TYPES_SQL)
    actual = {
        (schema, table, column): canonical_type(data_type, precision, scale)
        for schema, table, column, data_type, precision, scale in rows
    }
    ml = {key[1:]: kind for key, kind in actual.items() if key[0] == "ml"}
    assert ml == declared
    mart_types: dict[str, set[str]] = {}
    for (schema, _, column), kind in actual.items():
        if schema == "marts":
            mart_types.setdefault(column, set()).add(kind)
    mismatched = {
        key: (kind, sorted(mart_types[key[1]]))
        for key, kind in ml.items()
        if key[1] in mart_types and kind not in mart_types[key[1]]
    }
    assert not mismatched
    customer_id = actual[("marts", "dim_customers", "customer_id")]
    assert {kind for (_, column), kind in ml.items() if column == "customer_id"} == {customer_id}


def _normalised(rows: list[tuple[object, ...]], width: int) -> dict[object, tuple[object, ...]]:
    """Rows keyed by their first `width` values; NaN and None both become None."""

    def clean(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    keyed = {row[:width]: tuple(clean(value) for value in row[width:]) for row in rows}
    assert len(keyed) == len(rows), "key is not unique"
    return keyed


@pytest.mark.parametrize("model", list(KEYS))
def test_identical_on_both_targets(built_warehouse: dict[str, object], model: str) -> None:
    sql = f"select * from ml.{model} order by {ORDER[model]}"
    duck_columns, duck_rows = query_columns(built_warehouse["duck"], sql)
    pg_columns, pg_rows = query_columns(built_warehouse["pg"], sql)
    assert duck_columns == pg_columns
    # when each build fitted its models: the one column two builds of the same data differ in
    fitted = [index for index, name in enumerate(duck_columns) if name == "trained_at"]
    duck_rows = [tuple(v for i, v in enumerate(row) if i not in fitted) for row in duck_rows]
    pg_rows = [tuple(v for i, v in enumerate(row) if i not in fitted) for row in pg_rows]
    assert duck_rows
    duck = _normalised(duck_rows, KEYS[model])
    pg = _normalised(pg_rows, KEYS[model])
    assert duck.keys() == pg.keys()
    differing = [key for key in duck if duck[key] != pg[key]]
    assert not differing, f"{len(differing)} rows differ, e.g. {differing[:3]}"


def test_every_output_has_version_and_as_of_date(built_warehouse: dict[str, object]) -> None:
    for model in KEYS:
        _, rows = query_columns(
            built_warehouse["duck"],
            f"select distinct model_version, as_of_date from ml.{model}",
        )
        assert len(rows) == 1
        assert rows[0][1] == AS_OF


def test_predictions_cover_the_active_customers(built_warehouse: dict[str, object]) -> None:
    duck = built_warehouse["duck"]
    _, active = query_columns(
        duck,
        "select count(distinct customer_id) from marts.fct_invoices "
        "where is_purchase and customer_id is not null "
        "and invoice_date > date '2011-12-09' - interval 365 day",
    )
    _, predicted = query_columns(duck, "select count(*) from ml.ml_customer_predictions")
    assert predicted == active


def test_selected_models_beat_the_naive_baselines(built_warehouse: dict[str, object]) -> None:
    _, rows = query_columns(
        built_warehouse["duck"],
        "select model, fold, method, metric, value from ml.ml_model_evaluation "
        "where evaluation_group = 'active customers'",
    )
    value = {tuple(row[:4]): row[4] for row in rows}
    purchase = "purchase_next_horizon"
    spend = "spend_next_horizon"
    for fold in ("test", "validation_1", "validation_2", "mean"):
        assert (
            value[(purchase, fold, SELECTED_PURCHASE, "auc")]
            > value[(purchase, fold, "baseline_bought_previous_horizon", "auc")]
        )
        assert (
            value[(spend, fold, SPEND_MODEL, "mae")]
            < value[(spend, fold, "baseline_historical_average", "mae")]
        )


def test_kept_methods_are_the_best_on_the_validation_folds(
    built_warehouse: dict[str, object],
) -> None:
    """The rule the constants follow: chosen on the folds before the test window only."""
    _, rows = query_columns(
        built_warehouse["duck"],
        "select model, evaluation_group, method, metric, avg(value) from ml.ml_model_evaluation "
        "where fold like 'validation%' group by 1, 2, 3, 4",
    )
    mean = {tuple(row[:4]): row[4] for row in rows}

    def best(model: str, group: str, methods: tuple[str, ...], metric: str, low: bool) -> str:
        scores = {method: mean[(model, group, method, metric)] for method in methods}
        return (min if low else max)(scores, key=scores.get)

    customers = "active customers"
    purchase = best("purchase_next_horizon", customers, PURCHASE_CANDIDATES, "auc", low=False)
    assert purchase == PURCHASE_MODEL
    calibrations = tuple(calibrated_name(PURCHASE_MODEL, method) for method in CALIBRATION_METHODS)
    calibrated = best("purchase_next_horizon", customers, calibrations, "brier_score", low=True)
    assert calibrated == SELECTED_PURCHASE
    assert best("spend_next_horizon", customers, SPEND_CANDIDATES, "mae", low=True) == SPEND_MODEL
    methods = (*METHODS, *STATSFORECAST_METHODS)
    assert best("sales_forecast", TOTAL, methods, "mape_pct", low=True) == FORECAST_METHOD


def test_btyd_candidates_on_every_fold(built_warehouse: dict[str, object]) -> None:
    _, rows = query_columns(
        built_warehouse["duck"],
        "select fold, method from ml.ml_model_evaluation "
        "where method in ('bgnbd', 'bgnbd_gamma_gamma') and metric in ('auc', 'mae')",
    )
    assert sorted(rows) == sorted(
        (fold, method)
        for fold in ("mean", "test", "validation_1", "validation_2")
        for method in ("bgnbd", "bgnbd_gamma_gamma")
    )


def test_forecast_weeks_and_series(built_warehouse: dict[str, object]) -> None:
    _, rows = query_columns(
        built_warehouse["duck"],
        "select series, count(*), min(week_start_date) from ml.ml_sales_forecast group by 1",
    )
    assert len(rows) == 6  # the total and five countries
    assert {count for _, count, _ in rows} == {12}
    assert {start for _, _, start in rows} == {dt.date(2011, 12, 10)}
