"""Customer behaviour features as of a cutoff day, and the labels of the following horizon.

Everything is computed on invoices dated on or before the cutoff only (labels: strictly
after it), so a feature can never see the future. Days are integer day numbers
(:func:`retail_warehouse.ml.frames.day_number`), money integer thousandths of a GBP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.btyd import BtydFit, btyd_predictions, btyd_summary_predictions
from retail_warehouse.ml.frames import from_day_number

BEHAVIOUR_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "average_order_value",
    "cancellation_rate",
    "product_breadth",
)
"""The seven features of the clustering (and the core of the prediction models)."""

HISTORY_FEATURES: tuple[str, ...] = (
    *BEHAVIOUR_FEATURES,
    "orders_previous_horizon",
    "net_revenue_previous_horizon",
    "orders_same_season_last_year",
    "net_revenue_same_season_last_year",
    "gap_mean_days",
    "gap_spread_days",
    "recency_over_gap",
    "net_revenue_last_30_days",
    "net_revenue_last_180_days",
    "net_revenue_last_365_days",
    "avg_line_value",
    "is_peak_season_horizon",
)
"""The features :func:`customer_features` computes: behaviour, the horizon just before the
cutoff, the same horizon a year earlier (what the customer did in the coming season last
year), the regularity of the gaps between purchases, recent spend windows, the product
mix (the price level of the lines bought) and whether the horizon is the peak season."""

BTYD_FEATURES: tuple[str, ...] = (
    "bgnbd_p_alive",
    "bgnbd_expected_purchases",
    "bgnbd_purchase_probability",
    "btyd_expected_spend",
)
"""The buy-till-you-die outputs (:mod:`retail_warehouse.ml.btyd`) fitted at the cutoff."""

PREDICTION_FEATURES: tuple[str, ...] = (*HISTORY_FEATURES, *BTYD_FEATURES)
"""Features of the purchase and spend models."""

BTYD_STATISTICS: dict[str, str] = {
    "btyd_repeat_purchases": "repeat_purchases",
    "btyd_last_purchase_age_weeks": "last_purchase_age",
    "btyd_observed_age_weeks": "observed_age",
    "btyd_mean_repeat_value": "mean_repeat_value",
}
"""The BTYD statistics (x, t_x and T in weeks, the mean repeat value) carried beside the
:data:`BTYD_FEATURES`, and their names in :func:`~retail_warehouse.ml.btyd.btyd_summary`:
not features, what the lifetime value is simulated from
(:mod:`retail_warehouse.ml.lifetime_value`)."""

SPEND_WINDOWS: tuple[int, ...] = (30, 180, 365)
"""Days of the recent spend windows (the horizon's own window is the fourth)."""

YEAR_DAYS = 365

PEAK_SEASON_MONTHS: tuple[int, ...] = (10, 11, 12)
"""The months of the peak season, October to December: a gift wholesaler's customers stock
up for Christmas, and 51 % of the customers active before that quarter bought in it against
36 to 38 % in the other quarters of the backtest. ``is_peak_season_horizon`` is 1 when the
middle day of the horizon after the cutoff falls in one of them, so a model trained on
stacked cutoffs of every season learns the season's level instead of predicting the mean
season's (docs/ml.md). The SQL model int_customer_features_measured holds the same months
(its column name carries them, so they are not a var)."""

FEATURE_DESCRIPTIONS: dict[str, str] = {
    "recency_days": "days since the last purchase (since the last invoice without purchases)",
    "frequency": "number of purchases (orders)",
    "monetary": "net revenue in GBP (product sales minus product cancellations)",
    "tenure_days": "days since the first invoice",
    "average_order_value": "product sales per order in GBP",
    "cancellation_rate": "cancellation invoices / (orders + cancellation invoices)",
    "product_breadth": "average number of product lines per order",
    "orders_previous_horizon": "orders in the horizon just before the cutoff",
    "net_revenue_previous_horizon": "net revenue in the horizon just before the cutoff",
    "orders_same_season_last_year": "orders in the horizon after the cutoff, a year earlier",
    "net_revenue_same_season_last_year": "net revenue in the horizon after the cutoff, a year "
    "earlier",
    "gap_mean_days": "mean days between purchase days (0 with fewer than two)",
    "gap_spread_days": "standard deviation of the days between purchase days (0 with fewer "
    "than three)",
    "recency_over_gap": "days since the last purchase over the mean gap (0 with fewer than two "
    "purchase days)",
    "net_revenue_last_30_days": "net revenue in the 30 days up to the cutoff",
    "net_revenue_last_180_days": "net revenue in the 180 days up to the cutoff",
    "net_revenue_last_365_days": "net revenue in the 365 days up to the cutoff",
    "avg_line_value": "product sales per product line bought in GBP (the price level of the mix)",
    "is_peak_season_horizon": "1 when the middle day of the horizon after the cutoff is in "
    "October to December (the Christmas season), else 0",
    "bgnbd_p_alive": "BG/NBD probability that the customer is still active",
    "bgnbd_expected_purchases": "BG/NBD expected purchase days in the horizon",
    "bgnbd_purchase_probability": "BG/NBD probability of a purchase in the horizon",
    "btyd_expected_spend": "BG/NBD expected purchases x Gamma-Gamma expected value, GBP",
}


def customer_features(invoices: pd.DataFrame, cutoff_day: int, horizon_days: int) -> pd.DataFrame:
    """One row per customer with an invoice on or before ``cutoff_day``: the features of
    :data:`HISTORY_FEATURES`, in original units (GBP, days, counts).

    ``invoices`` is the output of :func:`retail_warehouse.ml.frames.prepare_invoices`.
    Invoices without a customer and invoices after the cutoff are ignored. A customer with
    only cancellations has frequency 0, a negative monetary value and cancellation rate 1.
    Sorted by customer_id.
    """
    seen = invoices[invoices["customer_id"].notna() & (invoices["day"] <= cutoff_day)].copy()
    columns = ["customer_id", *HISTORY_FEATURES]
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
    for window in SPEND_WINDOWS:
        seen[f"last_{window}_milli"] = np.where(
            seen["day"] > cutoff_day - window, seen["net_milli"], 0
        )
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
        **{f"last_{window}_milli": (f"last_{window}_milli", "sum") for window in SPEND_WINDOWS},
    )
    gaps = _purchase_gaps(seen[purchase], grouped.index)
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
            "average_order_value": np.where(
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
            "gap_mean_days": gaps["mean"].to_numpy(),
            "gap_spread_days": gaps["spread"].to_numpy(),
            "recency_over_gap": np.where(
                gaps["mean"].to_numpy() > 0,
                (cutoff_day - last_active) / np.maximum(gaps["mean"].to_numpy(), 1.0),
                0.0,
            ),
            **{
                f"net_revenue_last_{window}_days": grouped[f"last_{window}_milli"].to_numpy(
                    dtype="float64"
                )
                / 1000.0
                for window in SPEND_WINDOWS
            },
            "avg_line_value": np.where(
                grouped["purchase_lines"].to_numpy() > 0,
                grouped["purchase_milli"].to_numpy()
                / 1000.0
                / np.maximum(grouped["purchase_lines"].to_numpy(), 1),
                0.0,
            ),
            "is_peak_season_horizon": peak_season_horizon(cutoff_day, horizon_days),
        }
    )

    return features.loc[:, columns].reset_index(drop=True)


def peak_season_horizon(cutoff_day: int, horizon_days: int) -> float:
    """1.0 when the middle day of the horizon after ``cutoff_day`` (the cutoff plus half the
    horizon, rounded down) is in :data:`PEAK_SEASON_MONTHS`, else 0.0: known at the cutoff,
    the same for every customer."""
    middle = from_day_number(cutoff_day + horizon_days // 2)
    return 1.0 if middle.month in PEAK_SEASON_MONTHS else 0.0


def _purchase_gaps(purchases: pd.DataFrame, customer_ids: pd.Index) -> pd.DataFrame:
    """Mean and standard deviation (population) of the days between a customer's distinct
    purchase days, 0 where undefined; one row per id of ``customer_ids``, in that order.

    Both come from whole-number sums of the n gaps (S1 = sum, S2 = sum of squares): mean
    S1 / n, spread sqrt(n * S2 - S1^2) / n, each one correctly rounded division or square
    root of an exact integer, so the SQL model int_customer_features_measured computes the
    same bits on every engine (pandas' running variance differed in the last bit)."""
    days = (
        purchases.loc[:, ["customer_id", "day"]]
        .drop_duplicates()
        .sort_values(["customer_id", "day"], kind="mergesort")
    )
    days["gap"] = days.groupby("customer_id", sort=True)["day"].diff()
    gaps = days.dropna(subset=["gap"])
    gaps = pd.DataFrame(
        {"customer_id": gaps["customer_id"], "gap": gaps["gap"].to_numpy(dtype="int64")}
    )
    gaps["square"] = gaps["gap"] * gaps["gap"]
    sums = gaps.groupby("customer_id", sort=True).agg(
        count=("gap", "size"), total=("gap", "sum"), squares=("square", "sum")
    )
    count = sums["count"].to_numpy(dtype="int64")
    total = sums["total"].to_numpy(dtype="int64")
    spread_numerator = count * sums["squares"].to_numpy(dtype="int64") - total * total
    frame = pd.DataFrame(
        {
            "mean": total.astype("float64") / count.astype("float64"),
            "spread": np.sqrt(spread_numerator.astype("float64")) / count.astype("float64"),
        },
        index=sums.index,
    )
    return frame.reindex(customer_ids, fill_value=0.0).fillna(0.0).astype("float64")


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
    btyd: BtydFit | None = None,
) -> pd.DataFrame:
    """Features at ``cutoff_day`` of the customers active then (:data:`PREDICTION_FEATURES`,
    the BTYD models fitted on every customer's history up to the cutoff), with their labels
    from the following horizon and a ``cutoff_day`` column (``btyd``: a fit to use instead).
    Sorted by customer_id."""
    active = active_customers(invoices, cutoff_day, active_window_days)
    features = customer_features(invoices, cutoff_day, horizon_days)
    features = features[features["customer_id"].isin(active)].reset_index(drop=True)
    features = with_btyd_features(features, invoices, cutoff_day, horizon_days, btyd)
    labels = future_labels(invoices, features["customer_id"], cutoff_day, horizon_days)
    frame = features.merge(labels, on="customer_id", how="left", validate="one_to_one")
    frame.insert(1, "cutoff_day", cutoff_day)
    return frame


def with_btyd_features(
    features: pd.DataFrame,
    invoices: pd.DataFrame,
    cutoff_day: int,
    horizon_days: int,
    fit: BtydFit | None = None,
) -> pd.DataFrame:
    """``features`` (rows of :func:`customer_features` at ``cutoff_day``) with the
    :data:`BTYD_FEATURES` columns: the BTYD models of ``fit``, or fitted on ``invoices`` up
    to the cutoff without it (0 for a customer without a purchase)."""
    if features.empty:
        empty = (*BTYD_FEATURES, *BTYD_STATISTICS)
        return features.assign(**{column: pd.Series(dtype="float64") for column in empty})
    return _merged_btyd(features, btyd_predictions(invoices, cutoff_day, horizon_days, fit))


def with_btyd_summary_features(
    features: pd.DataFrame,
    summary: pd.DataFrame,
    horizon_days: int,
    fit: BtydFit | None = None,
) -> pd.DataFrame:
    """:func:`with_btyd_features` from the customers' BTYD statistics at the cutoff
    (:func:`~retail_warehouse.ml.btyd.btyd_summary`, in weeks, every customer with a purchase)
    instead of their invoices: the same columns and values."""
    if features.empty:
        empty = (*BTYD_FEATURES, *BTYD_STATISTICS)
        return features.assign(**{column: pd.Series(dtype="float64") for column in empty})
    return _merged_btyd(features, btyd_summary_predictions(summary, horizon_days, fit))


def _merged_btyd(features: pd.DataFrame, btyd: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the BTYD predictions ``btyd`` as :data:`BTYD_FEATURES` (0 where a
    customer has none) and the statistics they come from as :data:`BTYD_STATISTICS` (NaN
    where a customer has none)."""
    renamed = pd.DataFrame(
        {
            "customer_id": btyd["customer_id"].to_numpy(dtype="int64"),
            "bgnbd_p_alive": btyd["p_alive"].to_numpy(),
            "bgnbd_expected_purchases": btyd["expected_purchases"].to_numpy(),
            "bgnbd_purchase_probability": btyd["purchase_probability"].to_numpy(),
            "btyd_expected_spend": btyd["expected_spend"].to_numpy(),
            **{
                column: btyd[name].to_numpy(dtype="float64")
                for column, name in BTYD_STATISTICS.items()
            },
        }
    )
    merged = features.merge(renamed, on="customer_id", how="left", validate="one_to_one")
    merged.loc[:, list(BTYD_FEATURES)] = merged.loc[:, list(BTYD_FEATURES)].fillna(0.0)
    return merged


def log_features(features: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The columns on a log scale: sign(x) * log1p(|x|) (monetary can be negative)."""
    values = features.loc[:, list(columns)].to_numpy(dtype="float64")
    return np.sign(values) * np.log1p(np.abs(values))
