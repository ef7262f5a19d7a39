"""The public scoring API (retail_warehouse.scoring) on synthetic invoices."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from ml_direct import direct_clusters, direct_predictions
from ml_invoices import START, invoice, synthetic_rows
from scoring_fixtures import grid_frame

from retail_warehouse import invoice_history, scoring
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.ml.forecast import sales_forecast
from retail_warehouse.ml.frames import prepare_invoices
from retail_warehouse.ml.persisted import fit_registry
from retail_warehouse.scoring import (
    HistoryError,
    ScoringModels,
    forecast_sales,
    invoice_frame,
    models_from_frames,
    predict_customer,
    score_customer,
    score_customers,
    segment_customer,
)

HORIZON, ACTIVE, WINDOWS = 90, 365, 2


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return [row for row in synthetic_rows() if row["customer_id"] is not None]


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return fit_registry(prepare_invoices(pd.DataFrame(synthetic_rows())), HORIZON, ACTIVE, WINDOWS)


@pytest.fixture(scope="module")
def as_of() -> dt.date:
    return max(row["invoice_date"] for row in synthetic_rows())


@pytest.fixture(scope="module")
def models(registry: pd.DataFrame, as_of: dt.date) -> ScoringModels:
    return models_from_frames(registry, grid_frame(as_of + dt.timedelta(days=1)))


def test_every_customer_scores_as_the_ml_models(
    rows: list[dict[str, object]], models: ScoringModels
) -> None:
    invoices = prepare_invoices(pd.DataFrame(synthetic_rows()))
    scored = score_customers(rows, models).set_index("customer_id")
    clusters = direct_clusters(invoices).set_index("customer_id")
    assert scored["cluster_id"].equals(clusters.loc[scored.index, "cluster_id"])
    predicted = direct_predictions(invoices, HORIZON, ACTIVE, WINDOWS).set_index("customer_id")
    active = scored[scored["is_active"]]
    assert sorted(active.index) == sorted(predicted.index)
    assert active["purchase_probability"].equals(
        predicted.loc[active.index, "purchase_probability"]
    )
    assert active["expected_net_revenue"].equals(
        predicted.loc[active.index, "expected_net_revenue"]
    )
    assert scored.loc[~scored["is_active"], "purchase_probability"].isna().all()


def test_rfm_scores_follow_the_edges(models: ScoringModels, as_of: dt.date) -> None:
    reference = as_of + dt.timedelta(days=1)

    def on(days_before: int) -> str:
        return (reference - dt.timedelta(days=days_before)).isoformat()

    # recency 30 lies on an edge and stays in the lower bin: one edge below, r = 5 - 1
    history = [
        {"invoice_id": "a", "invoice_date": on(400), "product_amount": 400.0},
        {"invoice_id": "b", "invoice_date": on(30), "product_amount": 100.0},
    ]
    score = segment_customer(history, models)
    assert (score["recency_days"], score["frequency"], score["monetary"]) == (30, 2, 500.0)
    assert (score["r_score"], score["f_score"], score["m_score"]) == (4, 2, 2)
    assert score["segment"] == "Potential Loyalists"
    assert score["rfm_cell"] == "422" and score["rfm_score"] == 8


def test_cancellations_outweighing_purchases_score_m_1(
    models: ScoringModels, as_of: dt.date
) -> None:
    history = [
        invoice("1", 7, (as_of - START).days - 3, 20.0),
        invoice("C1", 7, (as_of - START).days - 2, -50.0, kind="cancellation"),
    ]
    score = score_customer(history, models)
    assert score["customer_id"] == 7
    assert score["monetary"] == -30.0 and score["m_score"] == 1
    assert score["r_score"] == 5 and score["segment"] == "New Customers"


def test_a_customer_without_purchases_has_no_segment_and_no_prediction(
    models: ScoringModels, as_of: dt.date
) -> None:
    history = [
        {
            "invoice_id": "C9",
            "invoice_date": as_of.isoformat(),
            "product_amount": -12.5,
            "invoice_kind": "cancellation",
        }
    ]
    score = score_customer(history, models)
    assert score["segment"] is None and score["r_score"] is None
    assert score["cluster_id"] is not None
    prediction = predict_customer(history, models)
    assert prediction["is_active"] is False and prediction["purchase_probability"] is None


def test_the_rfm_window_leaves_older_invoices_out(registry: pd.DataFrame, as_of: dt.date) -> None:
    reference = as_of + dt.timedelta(days=1)
    windowed = models_from_frames(
        registry, grid_frame(reference, window_start_date=reference - dt.timedelta(days=100))
    )
    history = [
        {
            "invoice_id": "a",
            "invoice_date": reference - dt.timedelta(days=150),
            "product_amount": 900,
        },
        {"invoice_id": "b", "invoice_date": reference - dt.timedelta(days=5), "product_amount": 50},
    ]
    assert segment_customer(history, windowed)["frequency"] == 1


def test_rank_binning_cannot_score_outsiders(registry: pd.DataFrame, as_of: dt.date) -> None:
    ranked = models_from_frames(registry, grid_frame(as_of, frequency_binning="rank"))
    history = [{"invoice_id": "a", "invoice_date": as_of, "product_amount": 10}]
    with pytest.raises(RetailWarehouseError, match="quantile binning"):
        score_customer(history, ranked)
    classic = models_from_frames(registry, grid_frame(as_of, rfm_definition="classic"))
    with pytest.raises(RetailWarehouseError, match="warehouse definition"):
        score_customer(history, classic)


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"invoice_date": "2011-01-01", "product_amount": 1}, "[0].invoice_id", "required"),
        (
            {"invoice_id": "1", "invoice_date": "01/02/2011", "product_amount": 1},
            "[0].invoice_date",
            "not a date",
        ),
        (
            {"invoice_id": "1", "invoice_date": "2011-01-01", "product_amount": "x"},
            "[0].product_amount",
            "not a number",
        ),
        (
            {"invoice_id": "1", "invoice_date": "2011-01-01", "product_amount": float("inf")},
            "[0].product_amount",
            "not a number",
        ),
        (
            {"invoice_id": "1", "invoice_date": "2011-01-01", "product_amount": True},
            "[0].product_amount",
            "not a number",
        ),
        (
            {
                "invoice_id": "1",
                "invoice_date": "2011-01-01",
                "product_amount": 1,
                "invoice_kind": "refund",
            },
            "[0].invoice_kind",
            "not one of",
        ),
        (
            {
                "invoice_id": "1",
                "invoice_date": "2011-01-01",
                "product_amount": 1,
                "product_line_count": -1,
            },
            "[0].product_line_count",
            "whole number",
        ),
        (
            {
                "invoice_id": "1",
                "invoice_date": "2011-01-01",
                "product_amount": 1,
                "product_line_count": 1.5,
            },
            "[0].product_line_count",
            "whole number",
        ),
    ],
)
def test_bad_records_name_their_field(record: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(HistoryError, match=message) as error:
        invoice_frame([record])
    assert error.value.field == field


def test_the_input_checks_are_the_public_api_s() -> None:
    """The checks live in invoice_history; scoring, the public API's one import, hands out
    the same objects."""
    assert scoring.__all__.count("invoice_frame") == scoring.__all__.count("HistoryError") == 1
    assert invoice_frame is invoice_history.invoice_frame
    assert HistoryError is invoice_history.HistoryError
    assert issubclass(HistoryError, RetailWarehouseError)


def test_whole_history_problems(models: ScoringModels, as_of: dt.date) -> None:
    with pytest.raises(HistoryError, match="at least one invoice"):
        invoice_frame([])
    twice = [{"invoice_id": "1", "invoice_date": "2011-01-01", "product_amount": 1}] * 2
    with pytest.raises(HistoryError, match="appears twice") as error:
        invoice_frame(twice)
    assert error.value.field == "[1].invoice_id"
    late = [{"invoice_id": "1", "invoice_date": as_of + dt.timedelta(days=1), "product_amount": 1}]
    with pytest.raises(HistoryError, match="after the models' as-of date"):
        score_customer(late, models)
    two = [
        {"invoice_id": "1", "customer_id": 1, "invoice_date": as_of, "product_amount": 1},
        {"invoice_id": "2", "customer_id": 2, "invoice_date": as_of, "product_amount": 1},
    ]
    with pytest.raises(HistoryError, match="more than one customer_id"):
        score_customer(two, models)


def test_defaults_follow_fct_invoices() -> None:
    frame = invoice_frame(
        [
            {"invoice_id": "1", "invoice_date": "2011-01-01", "product_amount": 10},
            {"invoice_id": "2", "invoice_date": "2011-01-02", "product_amount": -4},
            {
                "invoice_id": "3",
                "invoice_date": "2011-01-03",
                "product_amount": 0,
                "product_line_count": 0,
            },
        ]
    )
    assert frame["invoice_kind"].tolist() == ["sale", "cancellation", "sale"]
    assert frame["is_purchase"].tolist() == [True, False, False]
    assert frame["is_cancellation"].tolist() == [False, True, False]


def test_forecast_sales_is_the_ml_forecast() -> None:
    rows = synthetic_rows()
    pd.testing.assert_frame_equal(
        forecast_sales(rows, horizon_weeks=4, top_countries=1),
        sales_forecast(prepare_invoices(pd.DataFrame(rows)), 4, 1),
    )
