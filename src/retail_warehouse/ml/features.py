"""Customer behaviour features as of a cutoff day, and the labels of the following horizon.

Everything is computed on invoices dated on or before the cutoff only (labels: strictly
after it), so a feature can never see the future. Days are integer day numbers
(:func:`retail_warehouse.ml.frames.day_number`), money integer thousandths of a GBP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BEHAVIOUR_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_order_value",
    "cancellation_rate",
    "product_breadth",
)
"""The seven features of the clustering (and the core of the prediction models)."""

PREDICTION_FEATURES: tuple[str, ...] = (
    *BEHAVIOUR_FEATURES,
    "orders_previous_horizon",
    "net_revenue_previous_horizon",
    "orders_same_season_last_year",
    "net_revenue_same_season_last_year",
)
"""Features of the purchase and spend models: behaviour, the horizon just before the
cutoff, and the same horizon a year earlier (what the customer did in the coming season
last year)."""

YEAR_DAYS = 365

FEATURE_DESCRIPTIONS: dict[str, str] = {
    "recency_days": "days since the last purchase (since the last invoice without purchases)",
    "frequency": "number of purchases (orders)",
    "monetary": "net revenue in GBP (product sales minus product cancellations)",
    "tenure_days": "days since the first invoice",
    "avg_order_value": "product sales per order in GBP",
    "cancellation_rate": "cancellation invoices / (orders + cancellation invoices)",
    "product_breadth": "average number of product lines per order",
    "orders_previous_horizon": "orders in the horizon just before the cutoff",
    "net_revenue_previous_horizon": "net revenue in the horizon just before the cutoff",
    "orders_same_season_last_year": "orders in the horizon after the cutoff, a year earlier",
    "net_revenue_same_season_last_year": "net revenue in the horizon after the cutoff, a year "
    "earlier",
}


def customer_features(invoices: pd.DataFrame, cutoff_day: int, horizon_days: int) -> pd.DataFrame:
    """One row per customer with an invoice on or before ``cutoff_day``: the features of
    :data:`PREDICTION_FEATURES`, in original units (GBP, days, counts).

    ``invoices`` is the output of :func:`retail_warehouse.ml.frames.prepare_invoices`.
    Invoices without a customer and invoices after the cutoff are ignored. A customer with
    only cancellations has frequency 0, a negative monetary value and cancellation rate 1.
    Sorted by customer_id.
    """
    seen = invoices[invoices["customer_id"].notna() & (invoices["day"] <= cutoff_day)].copy()
    columns = ["customer_id", *PREDICTION_FEATURES]
    if seen.empty:
        return pd.DataFrame({column: pd.Series(dtype="float64") for column in columns}).astype(
            {"customer_id": "int64"}
        )
    seen["customer_id"] = seen["customer_id"].astype("int64")
    purchase = seen["is_purchase"].to_numpy()
    seen["purchase_milli"] = np.where(purchase, seen["product_milli"], 0)
    seen["purchase_lines"] = np.where(purchase, seen["product_line_count"], 0)
    seen["purchase_day"] = np.where(purchase, seen["day"], np.iinfo("int64").min)
    seen["is_money"] = seen["invoice_kind"].isin(["sale", "cancellation"])
    seen["net_milli"] = np.where(seen["is_money"], seen["product_milli"], 0)
    recent = seen["day"] > cutoff_day - horizon_days
    seen["recent_orders"] = (purchase & recent).astype("int64")
    seen["recent_net_milli"] = np.where(recent, seen["net_milli"], 0)
    last_year = (seen["day"] > cutoff_day - YEAR_DAYS) & (
        seen["day"] <= cutoff_day - YEAR_DAYS + min(horizon_days, YEAR_DAYS)
    )
    seen["last_year_orders"] = (purchase & last_year).astype("int64")
    seen["last_year_net_milli"] = np.where(last_year, seen["net_milli"], 0)
    seen["orders"] = purchase.astype("int64")
    seen["cancellations"] = seen["is_cancellation"].astype("int64")
    grouped = seen.groupby("customer_id", sort=True).agg(
        orders=("orders", "sum"),
        cancellations=("cancellations", "sum"),
        net_milli=("net_milli", "sum"),
        purchase_milli=("purchase_milli", "sum"),
        purchase_lines=("purchase_lines", "sum"),
        first_day=("day", "min"),
        last_day=("day", "max"),
        last_purchase_day=("purchase_day", "max"),
        recent_orders=("recent_orders", "sum"),
        recent_net_milli=("recent_net_milli", "sum"),
        last_year_orders=("last_year_orders", "sum"),
        last_year_net_milli=("last_year_net_milli", "sum"),
    )
    orders = grouped["orders"].to_numpy(dtype="float64")
    has_orders = orders > 0
    last_active = np.where(has_orders, grouped["last_purchase_day"], grouped["last_day"])
    safe_orders = np.where(has_orders, orders, 1.0)
    cancellations = grouped["cancellations"].to_numpy(dtype="float64")
    features = pd.DataFrame(
        {
            "customer_id": grouped.index.to_numpy(dtype="int64"),
            "recency_days": (cutoff_day - last_active).astype("float64"),
            "frequency": orders,
            "monetary": grouped["net_milli"].to_numpy(dtype="float64") / 1000.0,
            "tenure_days": (cutoff_day - grouped["first_day"].to_numpy()).astype("float64"),
            "avg_order_value": np.where(
                has_orders, grouped["purchase_milli"].to_numpy() / 1000.0 / safe_orders, 0.0
            ),
            "cancellation_rate": cancellations / np.maximum(orders + cancellations, 1.0),
            "product_breadth": np.where(
                has_orders, grouped["purchase_lines"].to_numpy() / safe_orders, 0.0
            ),
            "orders_previous_horizon": grouped["recent_orders"].to_numpy(dtype="float64"),
            "net_revenue_previous_horizon": grouped["recent_net_milli"].to_numpy(dtype="float64")
            / 1000.0,
            "orders_same_season_last_year": grouped["last_year_orders"].to_numpy(dtype="float64"),
            "net_revenue_same_season_last_year": grouped["last_year_net_milli"].to_numpy(
                dtype="float64"
            )
            / 1000.0,
        }
    )

    return features.loc[:, columns].reset_index(drop=True)


def active_customers(invoices: pd.DataFrame, cutoff_day: int, active_window_days: int) -> pd.Series:
    """Sorted customer ids with at least one purchase in the ``active_window_days`` days
    ending on ``cutoff_day`` (inclusive)."""
    window = invoices[
        invoices["customer_id"].notna()
        & invoices["is_purchase"]
        & (invoices["day"] <= cutoff_day)
        & (invoices["day"] > cutoff_day - active_window_days)
    ]
    ids = np.unique(window["customer_id"].astype("int64").to_numpy())
    return pd.Series(ids, name="customer_id", dtype="int64")


def future_labels(
    invoices: pd.DataFrame, customer_ids: pd.Series, cutoff_day: int, horizon_days: int
) -> pd.DataFrame:
    """For each customer id: ``will_purchase`` (a purchase in the ``horizon_days`` days after
    ``cutoff_day``) and ``future_net_revenue`` (net revenue in GBP in those days, negative when
    cancellations exceed sales). Keeps the order of ``customer_ids``."""
    window = invoices[
        invoices["customer_id"].notna()
        & (invoices["day"] > cutoff_day)
        & (invoices["day"] <= cutoff_day + horizon_days)
    ].copy()
    window["customer_id"] = window["customer_id"].astype("int64")
    window["net_milli"] = np.where(
        window["invoice_kind"].isin(["sale", "cancellation"]), window["product_milli"], 0
    )
    window["orders"] = window["is_purchase"].astype("int64")
    grouped = window.groupby("customer_id", sort=True).agg(
        orders=("orders", "sum"), net_milli=("net_milli", "sum")
    )
    ids = pd.Index(customer_ids.astype("int64"), name="customer_id")
    aligned = grouped.reindex(ids, fill_value=0)
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "will_purchase": (aligned["orders"].to_numpy() > 0).astype("int64"),
            "future_net_revenue": aligned["net_milli"].to_numpy(dtype="float64") / 1000.0,
        }
    )


def training_frame(
    invoices: pd.DataFrame,
    cutoff_day: int,
    horizon_days: int,
    active_window_days: int,
) -> pd.DataFrame:
    """Features at ``cutoff_day`` of the customers active then, with their labels from the
    following horizon and a ``cutoff_day`` column. Sorted by customer_id."""
    active = active_customers(invoices, cutoff_day, active_window_days)
    features = customer_features(invoices, cutoff_day, horizon_days)
    features = features[features["customer_id"].isin(active)].reset_index(drop=True)
    labels = future_labels(invoices, features["customer_id"], cutoff_day, horizon_days)
    frame = features.merge(labels, on="customer_id", how="left", validate="one_to_one")
    frame.insert(1, "cutoff_day", cutoff_day)
    return frame


def log_features(features: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The columns on a log scale: sign(x) * log1p(|x|) (monetary can be negative)."""
    values = features.loc[:, list(columns)].to_numpy(dtype="float64")
    return np.sign(values) * np.log1p(np.abs(values))
