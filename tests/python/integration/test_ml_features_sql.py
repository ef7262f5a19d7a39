"""The SQL customer features (int_customer_features_measured) and labels
(int_customer_outcomes_measured) equal the pandas ones, and the models that read them give
what they gave from the invoices, on DuckDB and PostgreSQL.

A sample of Online Retail II (every SAMPLE_EVERY-th customer with all their invoices, made at
test time) is loaded into a temporary DuckDB file and a throwaway PostgreSQL database, and
the scoring and training models are built with what they need (`dbt build`, tests whose
every parent is built), with a training sample smaller than the customers. On each target
fct_invoices is then read back and the features computed in pandas
(retail_warehouse.ml.feature_table.feature_table, i.e. features.customer_features and
btyd.btyd_summary at each cutoff; features.future_labels after it): the stored tables must
equal them to the bit, and the registry's artifacts, the backtest rows and the drivers must
be what the invoice path computes.
Skipped without ONLINE_RETAIL_SOURCE or PostgreSQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psycopg2
import pytest
import yaml
from warehouse_helpers import (
    BIN,
    REPO,
    pg_params,
    query_columns,
    run_command,
    throwaway_pg_database,
    write_invoice_sample,
)

from retail_warehouse.ml.clustering import assign_clusters, behaviour_features
from retail_warehouse.ml.customer_models import (
    active_customer_features,
    predict_customers,
    repeat_drivers,
)
from retail_warehouse.ml.evaluation import model_evaluation
from retail_warehouse.ml.feature_table import feature_frame, feature_table
from retail_warehouse.ml.forecast import daily_sales, daily_sales_from_table, sales_forecast
from retail_warehouse.ml.frames import INVOICE_COLUMNS, last_day, prepare_invoices
from retail_warehouse.ml.persisted import cluster_model, customer_models, fit_registry
from retail_warehouse.ml.registry import models_from_registry
from retail_warehouse.ml.sampling import training_sample
from retail_warehouse.ml.training_table import (
    TrainingData,
    training_data_from_invoices,
    training_data_from_tables,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

SAMPLE_EVERY = 24
"""Keep one Online Retail II customer in this many, with their whole history (about 45,000
lines, 250 customers, most of them repeat buyers), and one invoice without a customer in
this many."""

HORIZON = 90
"""ml_horizon_days (the project default)."""

TRAINING_WINDOWS = 2
TRAINING_CUSTOMERS = 150
"""ml_max_training_customers: fewer than the sample's customers, so the training tables hold
a sample of them (ml_training_customers), as at scale."""

ML_VARS = (
    f"{{ml_training_windows: {TRAINING_WINDOWS}, ml_max_training_customers: {TRAINING_CUSTOMERS}}}"
)
"""Fewer training windows than the default: the same scoring, a faster registry."""


def _frame(connection: object, sql: str) -> pd.DataFrame:
    columns, rows = query_columns(connection, sql)
    return pd.DataFrame(rows, columns=columns)


@pytest.fixture(scope="module")
def sample_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The sample loaded and the scoring models built on both targets; yields
    {"duckdb": read-only connection, "postgres": psycopg2 connection}."""
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    if not source or not Path(source).is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    work = tmp_path_factory.mktemp("ml_features")
    sample = work / "online_retail_sample.csv"
    write_invoice_sample(Path(source), sample, SAMPLE_EVERY, by_customer=True)
    with throwaway_pg_database("rw_mlfeat") as pg_database:
        env = dict(os.environ)
        env.update(
            DUCKDB_PATH=str(work / "warehouse.duckdb"),
            PGDATABASE=pg_database,
            DBT_PROFILES_DIR=str(REPO / "profiles"),
            RW_SCHEMA_PREFIX="",
            RW_SALES_SOURCE="online_retail",
        )

        def build(target: str) -> None:
            run_command(
                [
                    str(BIN / "retail-warehouse"),
                    "load",
                    "--target",
                    target,
                    "--source",
                    str(sample),
                ],
                env,
            )
            folders = ["--target-path", str(work / f"target_{target}")]
            folders += ["--log-path", str(work / f"logs_{target}")]
            run_command([str(BIN / "dbt"), "seed", "--target", target, *folders], env)
            selection = ["--select", "+ml_customer_predictions", "+ml_customer_clusters"]
            selection += ["+ml_model_evaluation", "+ml_repeat_drivers", "+ml_sales_forecast"]
            selection += ["--indirect-selection", "cautious", "--vars", ML_VARS]
            run_command([str(BIN / "dbt"), "build", "--target", target, *selection, *folders], env)

        # One build at a time: the sample is small, and the machine may be shared.
        for target in ("duckdb", "postgres"):
            build(target)
        duck = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
        pg = psycopg2.connect(**pg_params(pg_database))
        try:
            yield {"duckdb": duck, "postgres": pg}
        finally:
            duck.close()
            pg.close()


def _invoices(connection: object) -> pd.DataFrame:
    return prepare_invoices(
        _frame(connection, f"select {', '.join(INVOICE_COLUMNS)} from marts.fct_invoices")
    )


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_sql_features_equal_the_pandas_features(sample_builds: dict[str, Any], target: str) -> None:
    connection = sample_builds[target]
    invoices = _invoices(connection)
    stored = feature_frame(
        _frame(connection, "select * from intermediate.int_customer_features_measured")
    )
    stored = stored[stored["cutoff_day"] == last_day(invoices)].reset_index(drop=True)
    expected = feature_table(invoices, last_day(invoices), HORIZON)
    assert len(expected) > 200
    assert expected["btyd_repeat_purchases"].gt(0).sum() > 100
    assert expected["gap_spread_days"].gt(0).sum() > 100
    pd.testing.assert_frame_equal(stored, expected, check_exact=True)


def _tolerances(model: str) -> dict[str, float]:
    """Per column of an ml model, how far its stored value may be from the unrounded one:
    half a unit of the last decimal of a declared numeric(p, s), else 1e-9."""
    spec = yaml.safe_load((REPO / "python_models" / "ml" / f"{model}.yml").read_text())
    tolerances = {}
    for column in spec["models"][0]["columns"]:
        scale = re.fullmatch(r"numeric\(\d+,\s*(\d+)\)", column.get("data_type", ""))
        tolerances[column["name"]] = 0.5 * 10 ** -int(scale.group(1)) if scale else 0.0
    return {name: tolerance + 1e-9 for name, tolerance in tolerances.items()}


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_scoring_models_equal_the_invoice_path(sample_builds: dict[str, Any], target: str) -> None:
    """ml_customer_predictions and ml_customer_clusters, built from the stored features,
    hold the rows the invoice path computes with the same registry, up to the scale their
    YAML declares (the on-run-end hook rounds the tables to it)."""
    connection = sample_builds[target]
    invoices = _invoices(connection)
    models = models_from_registry(_frame(connection, "select * from ml.ml_model_registry"))
    customers, clusters = customer_models(models), cluster_model(models)
    expected_predictions = predict_customers(
        customers, active_customer_features(invoices, customers)
    )
    expected_clusters = assign_clusters(clusters, behaviour_features(invoices, clusters.as_of_day))
    for name, expected in (
        ("ml_customer_predictions", expected_predictions),
        ("ml_customer_clusters", expected_clusters),
    ):
        stored = _frame(connection, f"select * from ml.{name} order by customer_id")
        assert list(stored.columns) == list(expected.columns)
        assert stored["customer_id"].tolist() == expected["customer_id"].tolist()
        tolerances = _tolerances(name)
        for column in expected.columns:
            if pd.api.types.is_float_dtype(expected[column]):
                assert stored[column].astype("float64").to_numpy() == pytest.approx(
                    expected[column].to_numpy(), abs=tolerances[column], nan_ok=True
                ), column
            else:
                assert stored[column].tolist() == expected[column].tolist(), column


def _training_data(connection: object) -> TrainingData:
    return training_data_from_tables(
        _frame(connection, "select * from intermediate.int_customer_features_measured"),
        _frame(connection, "select * from intermediate.int_customer_outcomes_measured"),
        _frame(connection, "select * from intermediate.int_ml_cutoffs_listed"),
        _frame(connection, "select * from ml.ml_training_customers"),
    )


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_sql_training_tables_equal_the_pandas_path(
    sample_builds: dict[str, Any], target: str
) -> None:
    """The training customers' features at every training and backtest cutoff and their
    labels, as the training models read them, equal the pandas measures of the training
    sample of the invoices, to the bit."""
    connection = sample_builds[target]
    invoices = _invoices(connection)
    stored = _training_data(connection)
    expected = training_data_from_invoices(
        training_sample(invoices, TRAINING_CUSTOMERS), HORIZON, windows=TRAINING_WINDOWS
    )
    assert stored.cutoffs == expected.cutoffs
    assert len(stored.cutoffs) == TRAINING_WINDOWS + 4
    assert (stored.as_of_day, stored.first_day) == (expected.as_of_day, expected.first_day)
    assert stored.customer_span == (
        int(invoices.loc[invoices["customer_id"].notna(), "day"].min()),
        int(invoices.loc[invoices["customer_id"].notna(), "day"].max()),
    )
    assert stored.features["customer_id"].nunique() == TRAINING_CUSTOMERS
    assert stored.labels["will_purchase"].sum() > 50
    # The cutoffs hold horizons in and out of the peak season (T - 90 days, 2011-09-10,
    # is in it), so both values of the flag are compared.
    assert set(stored.features["is_peak_season_horizon"]) == {0.0, 1.0}
    pd.testing.assert_frame_equal(stored.features, expected.features, check_exact=True)
    pd.testing.assert_frame_equal(stored.labels, expected.labels, check_exact=True)


def _assert_rows_equal(stored: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """The same rows, floats within 1e-9, dates as dates."""
    stored = stored.sort_values(keys, kind="mergesort").reset_index(drop=True)
    expected = expected.sort_values(keys, kind="mergesort").reset_index(drop=True)
    assert list(stored.columns) == list(expected.columns)
    assert len(stored) == len(expected)
    for column in expected.columns:
        numeric = pd.api.types.is_float_dtype(expected[column]) or column == "same_week_last_year"
        if numeric:
            assert pd.to_numeric(stored[column]).astype("float64").to_numpy() == pytest.approx(
                pd.to_numeric(expected[column]).astype("float64").to_numpy(),
                abs=1e-9,
                nan_ok=True,
            ), column
        elif column.endswith("_date"):
            assert [str(value)[:10] for value in stored[column]] == [
                str(value)[:10] for value in expected[column]
            ], column
        else:
            assert stored[column].tolist() == expected[column].tolist(), column


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_training_models_equal_the_invoice_path(sample_builds: dict[str, Any], target: str) -> None:
    """ml_model_registry (the artifacts byte for byte), ml_model_evaluation and
    ml_repeat_drivers, built from the SQL training tables, hold what the package computes
    from the invoices (training sample in pandas)."""
    connection = sample_builds[target]
    invoices = _invoices(connection)
    registry = _frame(connection, "select * from ml.ml_model_registry order by model_name")
    expected = fit_registry(
        invoices, HORIZON, 365, TRAINING_WINDOWS, max_training_customers=TRAINING_CUSTOMERS
    ).sort_values("model_name")
    assert registry["artifact_sha256"].tolist() == expected["artifact_sha256"].tolist()
    assert registry["artifact_base64"].tolist() == expected["artifact_base64"].tolist()
    evaluation = model_evaluation(
        invoices, HORIZON, 365, TRAINING_WINDOWS, 12, 5, TRAINING_CUSTOMERS
    )
    _assert_rows_equal(
        _frame(connection, "select * from ml.ml_model_evaluation"),
        evaluation,
        ["model", "evaluation_group", "fold", "method", "metric"],
    )
    drivers = repeat_drivers(
        invoices, HORIZON, 365, TRAINING_WINDOWS, max_training_customers=TRAINING_CUSTOMERS
    )
    _assert_rows_equal(
        _frame(connection, "select * from ml.ml_repeat_drivers"), drivers, ["feature"]
    )


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_sql_daily_sales_equal_the_pandas_path(sample_builds: dict[str, Any], target: str) -> None:
    """int_sales_days_summarized, as the forecast models read it, equals the daily sales
    summarised in pandas from the invoices, and ml_sales_forecast is what the invoice path
    forecasts."""
    connection = sample_builds[target]
    invoices = _invoices(connection)
    stored = daily_sales_from_table(
        _frame(connection, "select * from intermediate.int_sales_days_summarized")
    )
    expected = daily_sales(invoices)
    assert stored["country_code"].nunique() > 5
    pd.testing.assert_frame_equal(stored, expected, check_exact=True)
    _assert_rows_equal(
        _frame(connection, "select * from ml.ml_sales_forecast"),
        sales_forecast(invoices, 12, 5),
        ["series", "week_ahead"],
    )
