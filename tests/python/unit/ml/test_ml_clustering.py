"""Unit tests for retail_warehouse.ml.clustering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ml_direct import direct_clusters
from ml_invoices import invoice

from retail_warehouse.ml.clustering import choose_k, cluster_profiles


def _three_groups() -> list[dict[str, object]]:
    """Nine customers in three clear groups: big frequent, medium, small one-off lapsed."""
    rows: list[dict[str, object]] = []
    number = 0
    for customer, (orders, amount, first_day) in enumerate(
        [(20, 1000.0, 0)] * 3 + [(5, 100.0, 200)] * 3 + [(1, 10.0, 10)] * 3, start=1
    ):
        for order in range(orders):
            number += 1
            day = first_day + order * 7 + customer
            rows.append(invoice(f"{number:05d}", customer, day, amount, lines=orders))
    return rows


def test_separated_groups_found_and_numbered_by_revenue(make_invoices) -> None:
    clusters = direct_clusters(make_invoices(_three_groups()), k_min=2, k_max=5)
    assert clusters["cluster_count"].unique().tolist() == [3]
    by_customer = clusters.set_index("customer_id")["cluster_id"]
    assert by_customer.loc[[1, 2, 3]].unique().tolist() == [1]
    assert by_customer.loc[[4, 5, 6]].unique().tolist() == [2]
    assert by_customer.loc[[7, 8, 9]].unique().tolist() == [3]
    assert 0 < clusters["silhouette_score"].iloc[0] <= 1
    assert clusters["cluster_label"].nunique() == 3
    assert (
        clusters.loc[clusters["cluster_id"] == 1, "cluster_label"].iloc[0].startswith("high-value")
    )
    assert clusters["as_of_date"].nunique() == 1
    assert clusters["model_version"].nunique() == 1


def test_deterministic_and_independent_of_row_order(make_invoices) -> None:
    rows = _three_groups()
    first = direct_clusters(make_invoices(rows))
    again = direct_clusters(make_invoices(rows[::-1]))
    pd.testing.assert_frame_equal(first, again)


def test_fixed_k(make_invoices) -> None:
    clusters = direct_clusters(make_invoices(_three_groups()), n_clusters=2)
    assert clusters["cluster_count"].unique().tolist() == [2]
    assert sorted(clusters["cluster_id"].unique()) == [1, 2]


def test_single_customer(make_invoices) -> None:
    clusters = direct_clusters(make_invoices([invoice("1", 5, 0, 10.0)]))
    assert clusters["cluster_id"].tolist() == [1]
    assert clusters["cluster_count"].tolist() == [1]
    assert np.isnan(clusters["silhouette_score"].iloc[0])
    assert clusters["cluster_label"].tolist() == ["mid-value"]  # the average customer


def test_identical_customers_form_one_cluster(make_invoices) -> None:
    rows = [invoice(str(c), c, 3, 10.0) for c in range(1, 6)]
    clusters = direct_clusters(make_invoices(rows), n_clusters=3)
    assert clusters["cluster_id"].unique().tolist() == [1]
    assert clusters["cluster_count"].unique().tolist() == [1]


def test_customer_with_only_cancellations_is_clustered(make_invoices) -> None:
    rows = [*_three_groups(), invoice("C9", 99, 50, -40.0, kind="cancellation")]
    clusters = direct_clusters(make_invoices(rows))
    assert 99 in clusters["customer_id"].tolist()
    assert clusters["monetary"].min() == -40.0


def test_choose_k_with_too_few_points() -> None:
    assert choose_k(np.zeros((4, 2)), 3, 8) == (1, None)


def test_profiles_in_original_units(make_invoices) -> None:
    clusters = direct_clusters(make_invoices(_three_groups()), k_min=2, k_max=5)
    profiles = cluster_profiles(clusters)
    assert profiles["cluster_id"].tolist() == [1, 2, 3]
    assert profiles["customer_count"].sum() == 9
    assert profiles["customer_share"].sum() == pytest.approx(1.0, abs=1e-5)
    assert profiles.loc[0, "mean_monetary"] == 20000.0
    assert profiles.loc[2, "mean_frequency"] == 1.0
    assert profiles["net_revenue_share"].sum() == pytest.approx(1.0, abs=1e-5)
    assert profiles["as_of_date"].nunique() == 1
