"""A small DuckDB warehouse for the API tests, made from synthetic invoices with the
package's own functions (no dbt): every table the API reads, with the same columns
(imported by conftest and tests)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ml"))
from ml_invoices import synthetic_rows
from scoring_fixtures import grid_frame

from retail_warehouse.ml.clustering import cluster_profiles
from retail_warehouse.ml.feature_table import feature_table
from retail_warehouse.ml.forecast import sales_forecast
from retail_warehouse.ml.frames import last_day, prepare_invoices
from retail_warehouse.ml.persisted import (
    clusters_from_registry,
    fit_registry,
    predictions_from_registry,
)
from retail_warehouse.scoring import models_from_frames, score_customers

HORIZON, ACTIVE, WINDOWS = 90, 365, 2


def customer_rows() -> list[dict[str, object]]:
    """The synthetic invoices of identified customers."""
    return [row for row in synthetic_rows() if row["customer_id"] is not None]


def write_warehouse(path: Path, model_version: str | None = None) -> None:
    """Write every serving table into a DuckDB file at ``path``."""
    invoices = prepare_invoices(pd.DataFrame(synthetic_rows()))
    registry = fit_registry(invoices, HORIZON, ACTIVE, WINDOWS)
    as_of = max(row["invoice_date"] for row in synthetic_rows())
    grid = grid_frame(as_of + dt.timedelta(days=1))
    scores = score_customers(customer_rows(), models_from_frames(registry, grid))
    features = feature_table(invoices, last_day(invoices), HORIZON)
    clusters = clusters_from_registry(registry, features)
    predictions = predictions_from_registry(registry, features)
    if model_version is not None:
        registry["model_version"] = model_version
    rfm = scores[scores["r_score"].notna()]
    dim = pd.DataFrame(
        {
            "customer_id": scores["customer_id"],
            "country_code": "GB",
            "order_count": scores["frequency"].fillna(0).astype("int64"),
            "net_revenue": scores["monetary"].fillna(0.0),
            "first_purchase_date": as_of - dt.timedelta(days=300),
            "last_purchase_date": as_of,
        }
    )
    segments = pd.DataFrame(
        {
            "segment": ["Champions", "Hibernating"],
            "segment_order": [1, 10],
            "customer_count": [1, 2],
            "customer_share": [0.3333, 0.6667],
            "mean_recency_days": [1.0, None],
            "mean_frequency": [3.0, None],
            "mean_monetary": [100.0, None],
            "net_revenue": [100.0, 0.0],
            "revenue_share": [1.0, 0.0],
            "description": ["best", "lapsed"],
            "recommended_action": ["reward", "let go"],
        }
    )
    top = pd.DataFrame(
        {
            "customer_id": scores["customer_id"],
            "loyalty_tier": "standard",
            "revenue_rank": range(1, len(scores) + 1),
        }
    )
    tables = {
        "marts.dim_customers": dim,
        "marts.mart_customer_rfm": rfm,
        "marts.mart_rfm_segments": segments,
        "marts.mart_rfm_scoring_grid": grid,
        "marts.mart_top_customers": top,
        "ml.ml_customer_clusters": clusters,
        "ml.ml_cluster_profiles": cluster_profiles(clusters),
        "ml.ml_customer_predictions": predictions,
        "ml.ml_sales_forecast": sales_forecast(invoices, 4, 1),
        "ml.ml_model_registry": registry,
    }
    connection = duckdb.connect(str(path))
    try:
        for schema in ("marts", "ml"):
            connection.execute(f"create schema if not exists {schema}")
        for name, frame in tables.items():
            connection.register("frame", frame)
            connection.execute(f"create or replace table {name} as select * from frame")
            connection.unregister("frame")
    finally:
        connection.close()
