"""Customer clusters: KMeans on log-transformed, standardised behaviour features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from retail_warehouse.ml import MODEL_VERSION, RANDOM_STATE
from retail_warehouse.ml._threads import single_threaded
from retail_warehouse.ml.features import BEHAVIOUR_FEATURES, customer_features, log_features
from retail_warehouse.ml.frames import from_day_number

# Centroid z-scores beyond this mark a feature as high or low in a cluster's label.
_LABEL_THRESHOLD = 0.5
SILHOUETTE_SAMPLE = 2000
"""Rows of the fixed silhouette sample (the score that chooses k and is reported)."""


def choose_k(scaled: np.ndarray, k_min: int, k_max: int) -> tuple[int, float | None]:
    """The k in [k_min, k_max] with the highest silhouette score, and that score.

    The score is the silhouette of a fixed random sample of SILHOUETTE_SAMPLE rows (all
    rows when fewer; the full score costs O(n^2) per k). k is capped by the number of
    distinct points minus one (silhouette needs 2 <= k < n); with fewer than three distinct
    points there is nothing to compare and (1, None) is returned. Ties go to the smaller k.
    """
    distinct = len(np.unique(scaled, axis=0))
    best_k, best_score = 1, None
    for k in range(max(k_min, 2), min(k_max, distinct - 1) + 1):
        score = _silhouette(scaled, _fit(scaled, k).labels_)
        if best_score is None or score > best_score + 1e-12:
            best_k, best_score = k, score
    return best_k, best_score


def _silhouette(scaled: np.ndarray, labels: np.ndarray) -> float:
    sample = SILHOUETTE_SAMPLE if len(scaled) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(scaled, labels, sample_size=sample, random_state=RANDOM_STATE))


def _fit(scaled: np.ndarray, k: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=10, random_state=RANDOM_STATE).fit(scaled)


def _label(z_centroid: pd.Series) -> str:
    """A readable name from a centroid in standard units (0 = the average customer)."""

    def level(value: float, high: str, low: str, middle: str = "") -> str:
        if value >= _LABEL_THRESHOLD:
            return high
        if value <= -_LABEL_THRESHOLD:
            return low
        return middle

    parts = [
        level(z_centroid["monetary"], "high-value", "low-value", "mid-value"),
        level(z_centroid["frequency"], "frequent", "one-off"),
        level(z_centroid["recency_days"], "lapsed", "recent"),
        level(z_centroid["tenure_days"], "long-standing", "new"),
        level(z_centroid["average_order_value"], "big-basket", "small-basket"),
        level(z_centroid["product_breadth"], "broad-range", "narrow-range"),
        "high-cancellation" if z_centroid["cancellation_rate"] >= 2 * _LABEL_THRESHOLD else "",
    ]
    return " ".join(part for part in parts if part)


@dataclass
class ClusterModel:
    """The fitted clustering of :func:`fit_cluster_features`: the scaler and KMeans (``None`` when
    k = 1), the cluster number and label of each KMeans label, k, the silhouette score and
    the as-of day. Persisted in the model registry (:mod:`retail_warehouse.ml.registry`)."""

    scaler: StandardScaler
    kmeans: KMeans | None
    numbers: dict[int, int]
    labels: dict[int, str]
    cluster_count: int
    silhouette: float | None
    as_of_day: int
    features: tuple[str, ...] = BEHAVIOUR_FEATURES

    @property
    def training_cutoff_day(self) -> int:
        """The clustering is fitted on the features at the as-of day."""
        return self.as_of_day

    @property
    def estimator_name(self) -> str:
        """KMeans and its k, for the registry."""
        return f"kmeans_k{self.cluster_count}"

    def raw_labels(self, features: pd.DataFrame) -> np.ndarray:
        """KMeans' own label of each row of ``features`` (behaviour features, original units)."""
        scaled = self.scaler.transform(log_features(features, self.features))
        if self.kmeans is None:
            return np.zeros(len(features), dtype="int64")
        return self.kmeans.predict(scaled).astype("int64")


def behaviour_features(invoices: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """customer_id and the behaviour features at ``as_of_day`` of every customer with an
    invoice by then: the rows the clustering is fitted on and assigns."""
    features = customer_features(invoices, as_of_day, horizon_days=0)
    return features.loc[:, ["customer_id", *BEHAVIOUR_FEATURES]]


@single_threaded
def fit_cluster_features(
    features: pd.DataFrame,
    as_of_day: int,
    n_clusters: int | None = None,
    k_min: int = 3,
    k_max: int = 8,
) -> ClusterModel:
    """The clustering of the customers' behaviour features at ``as_of_day`` (customer_id and
    :data:`~retail_warehouse.ml.features.BEHAVIOUR_FEATURES`, sorted by customer_id, as
    :func:`behaviour_features` gives them), e.g. the rows of the stored feature table at its
    scoring cutoff.

    Features are log-transformed (sign(x) * log1p(|x|)) and standardised; KMeans with
    ``n_clusters`` clusters, or k chosen by silhouette over ``k_min..k_max``. Clusters are
    numbered 1..k by mean net revenue, highest first (ties: by centroid), so numbers do not
    depend on KMeans' internal order. Labels describe each centroid relative to the average
    customer; a repeated label gets its cluster number appended.
    """
    as_of = as_of_day
    if features.empty:
        raise ValueError("no customers to cluster")
    scaler = StandardScaler().fit(log_features(features, BEHAVIOUR_FEATURES))
    scaled = scaler.transform(log_features(features, BEHAVIOUR_FEATURES))
    distinct = len(np.unique(scaled, axis=0))
    if n_clusters is not None:
        k, silhouette = min(n_clusters, distinct), None
    else:
        k, silhouette = choose_k(scaled, k_min, k_max)
    kmeans = _fit(scaled, k) if k > 1 else None
    raw_labels = kmeans.labels_ if kmeans is not None else np.zeros(len(features), dtype="int64")
    if silhouette is None and 1 < k < len(features) and len(np.unique(raw_labels)) > 1:
        silhouette = _silhouette(scaled, raw_labels)

    z = pd.DataFrame(scaled, columns=list(BEHAVIOUR_FEATURES))
    z["raw"] = raw_labels
    z_centroids = z.groupby("raw").mean()
    revenue = features.groupby(raw_labels)["monetary"].mean()
    order = sorted(
        revenue.index,
        key=lambda raw: (-round(float(revenue[raw]), 6), *np.round(z_centroids.loc[raw], 9)),
    )
    number = {int(raw): position + 1 for position, raw in enumerate(order)}
    names = {int(raw): _label(z_centroids.loc[raw]) or "average" for raw in order}
    counts = pd.Series(list(names.values())).value_counts()
    names = {
        raw: f"{name} #{number[raw]}" if counts[name] > 1 else name for raw, name in names.items()
    }
    return ClusterModel(
        scaler=scaler,
        kmeans=kmeans,
        numbers=number,
        labels=names,
        cluster_count=int(k),
        silhouette=None if silhouette is None else float(silhouette),
        as_of_day=as_of,
    )


def assign_clusters(
    model: ClusterModel, features: pd.DataFrame, as_of_day: int | None = None
) -> pd.DataFrame:
    """One row per row of ``features`` (from :func:`behaviour_features` at ``as_of_day``,
    by default the model's as-of day): the features rounded to 6 decimals, cluster_id,
    cluster_label, k and the silhouette score, as in ``ml_customer_clusters``. Sorted by
    customer_id."""
    raw_labels = model.raw_labels(features)
    result = features.loc[:, ["customer_id", *model.features]].copy()
    result.insert(1, "cluster_id", [model.numbers[int(raw)] for raw in raw_labels])
    result.insert(2, "cluster_label", [model.labels[int(raw)] for raw in raw_labels])
    result["cluster_count"] = model.cluster_count
    result["silhouette_score"] = np.nan if model.silhouette is None else round(model.silhouette, 6)
    result["model_version"] = MODEL_VERSION
    result["as_of_date"] = from_day_number(model.as_of_day if as_of_day is None else as_of_day)
    result["customer_id"] = result["customer_id"].astype("int64")
    result["cluster_id"] = result["cluster_id"].astype("int64")
    result["cluster_count"] = result["cluster_count"].astype("int64")
    for column in model.features:
        result[column] = result[column].round(6)
    return result.sort_values("customer_id", kind="mergesort").reset_index(drop=True)


def cluster_profiles(clusters: pd.DataFrame) -> pd.DataFrame:
    """One row per cluster of :func:`assign_clusters`' output: size, share of customers and net
    revenue, and the mean and median of each behaviour feature in original units."""
    frame = clusters.sort_values("customer_id", kind="mergesort")
    for column in ("monetary", *BEHAVIOUR_FEATURES):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    grouped = frame.groupby("cluster_id", sort=True)
    profiles = pd.DataFrame(
        {
            "cluster_id": grouped.size().index.to_numpy(dtype="int64"),
            "cluster_label": grouped["cluster_label"].first().to_numpy(),
            "customer_count": grouped.size().to_numpy(dtype="int64"),
        }
    )
    total_revenue = frame["monetary"].sum()
    profiles["customer_share"] = (profiles["customer_count"] / len(frame)).round(6)
    cluster_revenue = grouped["monetary"].sum().to_numpy()
    profiles["net_revenue"] = cluster_revenue.round(2)
    profiles["net_revenue_share"] = (
        (cluster_revenue / total_revenue).round(6) if total_revenue != 0 else np.nan
    )
    for column in BEHAVIOUR_FEATURES:
        profiles[f"mean_{column}"] = grouped[column].mean().to_numpy().round(6)
        profiles[f"median_{column}"] = grouped[column].median().to_numpy().round(6)
    profiles["cluster_count"] = grouped["cluster_count"].first().to_numpy(dtype="int64")
    profiles["silhouette_score"] = pd.to_numeric(grouped["silhouette_score"].first()).to_numpy(
        dtype="float64"
    )
    profiles["model_version"] = grouped["model_version"].first().to_numpy()
    profiles["as_of_date"] = [
        pd.Timestamp(value).date() for value in grouped["as_of_date"].first().to_numpy()
    ]
    return profiles.reset_index(drop=True)
