"""The public Python API: segment a customer, predict their next purchase and spend, and
forecast sales, from plain inputs (a customer's invoices as a DataFrame or a list of
records), without dbt.

```python
from retail_warehouse.scoring import load_models, score_customer

models = load_models()                      # the built warehouse (DUCKDB_PATH), read-only
score_customer(
    [
        {"invoice_id": "1", "invoice_date": "2011-11-02", "product_amount": 250.0},
        {"invoice_id": "2", "invoice_date": "2011-12-01", "product_amount": 410.5},
    ],
    models,
)
```

The models are the ones the last build fitted and persisted (``ml.ml_model_registry``, see
:mod:`retail_warehouse.ml.registry`) and the RFM edges it scored with
(``marts.mart_rfm_scoring_grid``); the dbt models ``ml_customer_clusters`` and
``ml_customer_predictions`` score with the same functions and objects, so a customer who
is in the warehouse gets here exactly what the marts say (tested).

An invoice record is a row of ``marts.fct_invoices`` (``invoice_id``, ``invoice_date``,
``product_amount``, optionally ``invoice_kind``, ``product_line_count``, ``country_code``,
``customer_id``); :mod:`retail_warehouse.invoice_history` describes and checks it
(``invoice_frame``, ``HistoryError``, both re-exported here).

Just over 400 lines: the public API's one import, holding the scorers and the RFM scores
from the stored edges that they all share; the input checks live in ``invoice_history``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.invoice_history import HistoryError, invoice_frame
from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.ml.clustering import ClusterModel, assign_clusters, behaviour_features
from retail_warehouse.ml.customer_models import CustomerModels, predict_customers
from retail_warehouse.ml.features import (
    active_customers,
    customer_features,
    with_btyd_features,
)
from retail_warehouse.ml.forecast import sales_forecast
from retail_warehouse.ml.frames import day_number, from_day_number, prepare_invoices
from retail_warehouse.ml.persisted import cluster_model, customer_models
from retail_warehouse.ml.registry import REGISTRY_COLUMNS, models_from_registry
from retail_warehouse.settings import Settings, from_env, schema_name

__all__ = [
    "GRID_COLUMNS",
    "HistoryError",
    "RfmEdges",
    "ScoringModels",
    "forecast_sales",
    "invoice_frame",
    "load_models",
    "models_from_frames",
    "predict_customer",
    "score_customer",
    "score_customers",
    "segment_customer",
]

GRID_COLUMNS: tuple[str, ...] = (
    "r_score",
    "f_score",
    "segment",
    "reference_date",
    "window_start_date",
    "rfm_definition",
    "frequency_binning",
    *(
        f"{measure}_p{p}"
        for measure in ("recency", "frequency", "monetary")
        for p in (20, 40, 60, 80)
    ),
)
"""The columns of ``mart_rfm_scoring_grid``."""

SCORE_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "reference_date",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "rfm_score",
    "segment",
    "cluster_id",
    "cluster_label",
    "is_active",
    "purchase_probability",
    "expected_net_revenue",
    "horizon_days",
    "model_version",
    "as_of_date",
)
"""The columns of :func:`score_customers`."""


@dataclass(frozen=True)
class RfmEdges:
    """The quintile edges and segment grid of the current RFM scores."""

    reference_date: dt.date
    window_start_date: dt.date | None
    rfm_definition: str
    frequency_binning: str
    recency: tuple[Decimal, ...]
    frequency: tuple[Decimal, ...]
    monetary: tuple[Decimal, ...]
    segments: Mapping[tuple[int, int], str]

    @classmethod
    def from_frame(cls, grid: pd.DataFrame) -> RfmEdges:
        """From the rows of ``mart_rfm_scoring_grid`` (either engine)."""
        missing = [column for column in GRID_COLUMNS if column not in grid.columns]
        if missing or grid.empty:
            raise RetailWarehouseError(
                f"mart_rfm_scoring_grid is empty or lacks columns {missing}; rebuild the warehouse"
            )
        first = grid.iloc[0]

        def edges(measure: str) -> tuple[Decimal, ...]:
            return tuple(Decimal(str(first[f"{measure}_p{p}"])) for p in (20, 40, 60, 80))

        start = first["window_start_date"]
        return cls(
            reference_date=_as_date(first["reference_date"]),
            window_start_date=None if start is None or pd.isna(start) else _as_date(start),
            rfm_definition=str(first["rfm_definition"]),
            frequency_binning=str(first["frequency_binning"]),
            recency=edges("recency"),
            frequency=edges("frequency"),
            monetary=edges("monetary"),
            segments={
                (int(row.r_score), int(row.f_score)): str(row.segment)
                for row in grid.itertuples(index=False)
            },
        )


def _as_date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


@dataclass(frozen=True)
class ScoringModels:
    """Everything scoring needs: the RFM edges and the registered, fitted models."""

    rfm: RfmEdges
    clusters: ClusterModel
    customers: CustomerModels

    @property
    def as_of_date(self) -> dt.date:
        """The last invoice date the models know: invoices after it cannot be scored."""
        return from_day_number(self.customers.as_of_day)

    @property
    def horizon_days(self) -> int:
        """Days ahead of the purchase and spend predictions."""
        return self.customers.horizon_days


def models_from_frames(registry: pd.DataFrame, grid: pd.DataFrame) -> ScoringModels:
    """The models from the rows of ``ml_model_registry`` and ``mart_rfm_scoring_grid``.
    Raises :class:`~retail_warehouse.ml.registry.ModelVersionError` for models of another
    version."""
    models = models_from_registry(registry)
    return ScoringModels(
        rfm=RfmEdges.from_frame(grid),
        clusters=cluster_model(models),
        customers=customer_models(models),
    )


def load_models(target: str = "duckdb", settings: Settings | None = None) -> ScoringModels:
    """Read the models of a built warehouse (read-only; DuckDB file from ``DUCKDB_PATH``,
    PostgreSQL from the ``PG*`` variables, as ``retail-warehouse`` does)."""
    from retail_warehouse.engines import open_warehouse

    settings = settings or from_env()
    marts = schema_name(settings.schema_prefix, "marts")
    ml = schema_name(settings.schema_prefix, "ml")
    warehouse = open_warehouse(target, settings, read_only=True)
    try:
        registry = _read(warehouse, f"{ml}.ml_model_registry", REGISTRY_COLUMNS)
        grid = _read(warehouse, f"{marts}.mart_rfm_scoring_grid", GRID_COLUMNS)
    finally:
        warehouse.close()
    return models_from_frames(registry, grid)


def _read(warehouse: Any, table: str, columns: Sequence[str]) -> pd.DataFrame:
    rows = warehouse.query(f"select {', '.join(columns)} from {table}")
    return pd.DataFrame(rows, columns=list(columns))


def _edge_units(edges: Sequence[Decimal]) -> np.ndarray:
    """Edges (4 decimals) as integer ten-thousandths, for exact comparisons."""
    return np.array([int(edge.scaleb(4).to_integral_value()) for edge in edges], dtype="int64")


def _quintile(values: np.ndarray, edges: Sequence[Decimal], scale: int) -> np.ndarray:
    """How many edges lie strictly below each value (the rule of the rfm_quantile_score
    macro: a value on an edge stays in the lower bin); ``values`` are integers in units of
    10^-``scale``."""
    units = values.astype("int64") * 10 ** (4 - scale)
    return (units[:, None] > _edge_units(edges)[None, :]).sum(axis=1)


def _rfm_rows(invoices: pd.DataFrame, rfm: RfmEdges) -> pd.DataFrame:
    """RFM values, scores and segment of every customer of ``invoices`` (fct_invoices rows),
    as ``mart_customer_rfm`` computes them; customers without a purchase in the window are
    left out."""
    if rfm.rfm_definition != "warehouse":
        raise RetailWarehouseError(
            f"the warehouse scores RFM with rfm_definition = {rfm.rfm_definition}; a customer "
            "outside the warehouse can only be scored with the warehouse definition"
        )
    if rfm.frequency_binning != "quantile":
        raise RetailWarehouseError(
            "the warehouse scores frequency by rank (var rfm_frequency_binning = rank), which "
            "ranks a customer among all others: a customer outside the warehouse can only be "
            "scored with quantile binning"
        )
    dates = pd.to_datetime(invoices["invoice_date"])
    in_window = invoices["invoice_kind"].isin(["sale", "cancellation"]) & (
        dates < pd.Timestamp(rfm.reference_date)
    )
    if rfm.window_start_date is not None:
        in_window &= dates >= pd.Timestamp(rfm.window_start_date)
    window = pd.DataFrame(
        {
            "customer_id": invoices["customer_id"].to_numpy(dtype="int64"),
            "milli": np.rint(invoices["product_amount"].to_numpy(dtype="float64") * 1000).astype(
                "int64"
            ),
            "purchase": invoices["is_purchase"].to_numpy(dtype=bool).astype("int64"),
            "purchase_day": np.where(
                invoices["is_purchase"].to_numpy(dtype=bool),
                (dates - pd.Timestamp(rfm.reference_date)).dt.days.to_numpy(),
                np.iinfo("int64").min,
            ),
        }
    )[in_window.to_numpy()]
    grouped = window.groupby("customer_id", sort=True).agg(
        frequency=("purchase", "sum"), milli=("milli", "sum"), last=("purchase_day", "max")
    )
    grouped = grouped[grouped["frequency"] > 0]
    milli = grouped["milli"].to_numpy(dtype="int64")
    # numeric(18, 2): rounded half away from zero, as both engines cast
    cents = np.sign(milli) * ((np.abs(milli) + 5) // 10)
    recency = -grouped["last"].to_numpy(dtype="int64")
    frequency = grouped["frequency"].to_numpy(dtype="int64")
    r_score = 5 - _quintile(recency, rfm.recency, 0)
    f_score = 1 + _quintile(frequency, rfm.frequency, 0)
    m_score = np.where(cents <= 0, 1, 1 + _quintile(cents, rfm.monetary, 2))
    cells = [f"{r}{f}{m}" for r, f, m in zip(r_score, f_score, m_score, strict=True)]
    return pd.DataFrame(
        {
            "customer_id": grouped.index.to_numpy(dtype="int64"),
            "recency_days": recency,
            "frequency": frequency,
            "monetary": cents / 100.0,
            "r_score": r_score.astype("int64"),
            "f_score": f_score.astype("int64"),
            "m_score": m_score.astype("int64"),
            "rfm_cell": cells,
            "rfm_score": (r_score + f_score + m_score).astype("int64"),
            "segment": [
                rfm.segments.get((int(r), int(f))) for r, f in zip(r_score, f_score, strict=True)
            ],
        }
    )


def score_customers(
    history: pd.DataFrame | Sequence[Mapping[str, Any]], models: ScoringModels
) -> pd.DataFrame:
    """Score every customer of an invoice history (records with ``customer_id``): one row per
    customer with the columns of :data:`SCORE_COLUMNS`, sorted by customer_id.

    RFM values, scores and segment as ``mart_customer_rfm`` (null without a purchase in the
    window); cluster as ``ml_customer_clusters``; purchase probability and expected net
    revenue as ``ml_customer_predictions`` for active customers (a purchase in the models'
    active window), null for the others.
    """
    invoices = invoice_frame(history, as_of_date=models.as_of_date)
    prepared = prepare_invoices(invoices)
    as_of_day = day_number(models.as_of_date)
    ids = pd.Series(np.unique(invoices["customer_id"].to_numpy(dtype="int64")), name="customer_id")
    result = pd.DataFrame({"customer_id": ids})

    rfm = _rfm_rows(invoices, models.rfm)
    result = result.merge(rfm, on="customer_id", how="left", validate="one_to_one")

    clusters = assign_clusters(models.clusters, behaviour_features(prepared, as_of_day))
    result = result.merge(
        clusters.loc[:, ["customer_id", "cluster_id", "cluster_label"]],
        on="customer_id",
        how="left",
        validate="one_to_one",
    )

    customers = models.customers
    active = active_customers(prepared, as_of_day, customers.active_window_days)
    features = customer_features(prepared, as_of_day, customers.horizon_days)
    features = features[features["customer_id"].isin(active)].reset_index(drop=True)
    # The BTYD features come from the BG/NBD and Gamma-Gamma fitted at the models' as-of
    # day on the whole warehouse, not refitted on this history.
    features = with_btyd_features(
        features, prepared, as_of_day, customers.horizon_days, customers.btyd
    )
    result["is_active"] = result["customer_id"].isin(active)
    if len(features):
        predicted = predict_customers(
            customers, features.loc[:, ["customer_id", *customers.features]]
        )
        result = result.merge(
            predicted.loc[:, ["customer_id", "purchase_probability", "expected_net_revenue"]],
            on="customer_id",
            how="left",
            validate="one_to_one",
        )
    else:
        result["purchase_probability"] = np.nan
        result["expected_net_revenue"] = np.nan
    result["reference_date"] = models.rfm.reference_date
    result["horizon_days"] = customers.horizon_days
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = models.as_of_date
    return result.loc[:, list(SCORE_COLUMNS)].reset_index(drop=True)


def score_customer(
    history: pd.DataFrame | Sequence[Mapping[str, Any]], models: ScoringModels
) -> dict[str, Any]:
    """Segment and predict one customer from their invoices: a dict with the columns of
    :data:`SCORE_COLUMNS` (``customer_id`` 0 unless the records carry one; nulls as
    ``None``)."""
    invoices = invoice_frame(history, as_of_date=models.as_of_date)
    if invoices["customer_id"].nunique() > 1:
        raise HistoryError("history", "the invoices belong to more than one customer_id")
    row = score_customers(invoices, models).iloc[0].to_dict()
    return {key: _plain(value) for key, value in row.items()}


def segment_customer(
    history: pd.DataFrame | Sequence[Mapping[str, Any]], models: ScoringModels
) -> dict[str, Any]:
    """RFM values, scores and segment (against the current edges) and the cluster of one
    customer (see :func:`score_customer`)."""
    keys = ("customer_id", "reference_date", "recency_days", "frequency", "monetary")
    keys += ("r_score", "f_score", "m_score", "rfm_cell", "rfm_score", "segment")
    keys += ("cluster_id", "cluster_label", "model_version", "as_of_date")
    score = score_customer(history, models)
    return {key: score[key] for key in keys}


def predict_customer(
    history: pd.DataFrame | Sequence[Mapping[str, Any]], models: ScoringModels
) -> dict[str, Any]:
    """Purchase probability and expected net revenue of one customer in the models' horizon
    (``None`` when the customer is not active; see :func:`score_customer`)."""
    keys = ("customer_id", "is_active", "purchase_probability", "expected_net_revenue")
    keys += ("horizon_days", "model_version", "as_of_date")
    score = score_customer(history, models)
    return {key: score[key] for key in keys}


def forecast_sales(
    history: pd.DataFrame | Sequence[Mapping[str, Any]],
    horizon_weeks: int = 12,
    top_countries: int = 5,
) -> pd.DataFrame:
    """Weekly net revenue for the ``horizon_weeks`` weeks after the last invoice, total and
    for the ``top_countries`` largest countries, with 80 % intervals: the method of
    ``ml_sales_forecast``, on the invoices of every customer (records as above, with
    ``country_code``)."""
    if horizon_weeks < 1 or top_countries < 0:
        raise HistoryError("horizon_weeks", "must be at least 1 (and top_countries >= 0)")
    return sales_forecast(prepare_invoices(invoice_frame(history)), horizon_weeks, top_countries)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
