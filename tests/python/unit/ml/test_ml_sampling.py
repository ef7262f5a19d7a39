"""Unit tests for retail_warehouse.ml.sampling: the deterministic training sample."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from ml_direct import direct_predictions
from ml_invoices import invoice, synthetic_rows

from retail_warehouse.ml.customer_models import (
    customer_model_evaluation,
    repeat_drivers,
)
from retail_warehouse.ml.evaluation import model_evaluation
from retail_warehouse.ml.feature_table import feature_table
from retail_warehouse.ml.frames import last_day, prepare_invoices
from retail_warehouse.ml.persisted import fit_registry, predictions_from_registry
from retail_warehouse.ml.sampling import (
    customer_hash,
    sampled_customers,
    training_customers,
    training_sample,
)

HORIZON, ACTIVE, WINDOWS = 90, 365, 2


def test_customer_hash_is_a_fixed_function_of_the_id() -> None:
    # splitmix64 of id + 0x9E3779B97F4A7C15: the published first output of seed 0 is
    # 0xE220A8397B1DCDAF, so the same numbers on any platform, engine and run.
    assert int(customer_hash(np.array([0]))[0]) == 0xE220A8397B1DCDAF
    ids = np.array([12346, 17850, 1, 99_999_999], dtype="int64")
    assert customer_hash(ids).tolist() == customer_hash(ids[::-1]).tolist()[::-1]
    assert len(set(customer_hash(np.arange(10_000)).tolist())) == 10_000


def test_everyone_is_kept_up_to_the_cap() -> None:
    ids = np.array([5, 3, 3, 9, 1], dtype="int64")
    assert sampled_customers(ids, 4).tolist() == [1, 3, 5, 9]
    assert sampled_customers(ids, 100).tolist() == [1, 3, 5, 9]
    with pytest.raises(ValueError, match="at least 1"):
        sampled_customers(ids, 0)


def test_the_sample_is_capped_at_the_smallest_hashes() -> None:
    ids = np.arange(1, 1001, dtype="int64")
    sample = sampled_customers(ids, 100)
    assert len(sample) == 100
    assert sample.tolist() == sorted(ids[np.argsort(customer_hash(ids))[:100]].tolist())
    # spread over the ids, not the first hundred
    assert sample.min() < 100 and sample.max() > 900
    # row order and duplicates do not matter
    shuffled = np.random.default_rng(1).permutation(np.concatenate([ids, ids[:300]]))
    assert sampled_customers(shuffled, 100).tolist() == sample.tolist()


def test_a_sampled_customer_stays_sampled_as_customers_arrive() -> None:
    small = set(sampled_customers(np.arange(1, 1001), 100).tolist())
    large = set(sampled_customers(np.arange(1, 2001), 100).tolist())
    assert large - small == {value for value in large if value > 1000}
    assert small >= large & set(range(1, 1001))


def test_the_sample_is_the_same_from_either_engines_types() -> None:
    rows = synthetic_rows()
    as_decimal = [dict(row, customer_id=_decimal(row["customer_id"])) for row in rows]
    duckdb_like = training_sample(prepare_invoices(pd.DataFrame(rows)), 20)
    postgres_like = training_sample(prepare_invoices(pd.DataFrame(as_decimal)), 20)
    pd.testing.assert_frame_equal(duckdb_like, postgres_like)
    assert duckdb_like["customer_id"].nunique() == 20


def _decimal(value: object) -> object:
    return None if value is None else Decimal(int(value))


def test_outside_the_sample_invoices_keep_their_days_without_a_customer(
    synthetic_invoices: pd.DataFrame,
) -> None:
    customers = synthetic_invoices["customer_id"].nunique()
    assert training_sample(synthetic_invoices, customers) is synthetic_invoices
    assert training_sample(synthetic_invoices, None) is synthetic_invoices
    sample = training_sample(synthetic_invoices, 10)
    assert sample["customer_id"].nunique() == 10
    kept = sampled_customers(synthetic_invoices["customer_id"].dropna().to_numpy(), 10)
    assert sorted(sample["customer_id"].dropna().unique().tolist()) == kept.tolist()
    assert last_day(sample) == last_day(synthetic_invoices)
    same = synthetic_invoices.drop(columns="customer_id")
    pd.testing.assert_frame_equal(sample.drop(columns="customer_id"), same)
    assert synthetic_invoices["customer_id"].nunique() == customers


def test_a_cap_above_the_customers_changes_no_result(synthetic_invoices: pd.DataFrame) -> None:
    customers = synthetic_invoices["customer_id"].nunique()
    pd.testing.assert_frame_equal(
        model_evaluation(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, 12, 2),
        model_evaluation(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, 12, 2, customers),
    )
    pd.testing.assert_frame_equal(
        repeat_drivers(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, 2),
        repeat_drivers(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, 2, customers),
    )
    pd.testing.assert_frame_equal(  # trained_at: when each was fitted
        fit_registry(synthetic_invoices, HORIZON, ACTIVE, WINDOWS).drop(columns="trained_at"),
        fit_registry(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, max_training_customers=60).drop(
            columns="trained_at"
        ),
    )


def test_a_cap_fits_on_the_sample_and_scores_every_customer(
    synthetic_invoices: pd.DataFrame,
) -> None:
    cap = 30
    registry = fit_registry(
        synthetic_invoices, HORIZON, ACTIVE, WINDOWS, max_training_customers=cap
    )
    features = feature_table(synthetic_invoices, last_day(synthetic_invoices), HORIZON)
    predictions = predictions_from_registry(registry, features)
    everyone = direct_predictions(synthetic_invoices, HORIZON, ACTIVE, WINDOWS)
    assert predictions["customer_id"].tolist() == everyone["customer_id"].tolist()
    sampled = direct_predictions(training_sample(synthetic_invoices, cap), HORIZON, ACTIVE, WINDOWS)
    assert predictions["training_row_count"].iloc[0] == sampled["training_row_count"].iloc[0]
    assert predictions["training_row_count"].iloc[0] < everyone["training_row_count"].iloc[0]

    evaluation = model_evaluation(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, 12, 2, cap)
    is_customer = evaluation["model"] != "sales_forecast"
    customers = evaluation[is_customer]
    expected = customer_model_evaluation(
        training_sample(synthetic_invoices, cap), HORIZON, ACTIVE, WINDOWS
    )
    assert customers["observation_count"].max() == expected["observation_count"].max()
    assert customers.loc[customers["fold"] != "mean", "observation_count"].max() <= cap
    full = model_evaluation(synthetic_invoices, HORIZON, ACTIVE, WINDOWS, 12, 2)
    forecast = evaluation[~is_customer].reset_index(drop=True)
    full_forecast = full[~full["model"].isin(customers["model"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(forecast, full_forecast)


def test_a_single_customer_cap_still_keeps_the_calendar() -> None:
    rows = [invoice("1", 1, 0, 10.0), invoice("2", 2, 400, 20.0), invoice("3", 3, 800, 5.0)]
    invoices = prepare_invoices(pd.DataFrame(rows))
    sample = training_sample(invoices, 1)
    assert sample["customer_id"].notna().sum() == 1
    assert (sample["day"].min(), sample["day"].max()) == (
        invoices["day"].min(),
        invoices["day"].max(),
    )


def test_training_customers_are_the_customers_training_sample_keeps() -> None:
    """ml_training_customers lists the customers training_sample keeps (all of them under
    the cap), so the SQL training tables and the invoice path train on the same ones."""
    ids = np.array([5, 3, 3, 11, 8, 2, 40, 17], dtype="int64")
    invoices = pd.DataFrame(
        {"customer_id": pd.array([*ids, None], dtype="Int64"), "day": np.arange(len(ids) + 1)}
    )
    for cap in (None, 3, 7, 100):
        listed = training_customers(ids, cap)["customer_id"]
        kept = training_sample(invoices, cap)["customer_id"].dropna().astype("int64")
        assert listed.tolist() == sorted(set(kept.tolist()))
        assert listed.dtype == "int64"
