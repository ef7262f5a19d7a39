"""RFM marts on the full data: DuckDB and PostgreSQL give the same scores and
segments for every customer, and the figures hang together.

Uses the session fixture `built_warehouse` (conftest.py), which loads and
builds both targets once; skipped without ONLINE_RETAIL_SOURCE or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from warehouse_helpers import query_rows

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

SEGMENTS = {
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
}
CUSTOMER_COLUMNS = (
    "customer_id, reference_date, window_start_date, frequency_binning, "
    "first_purchase_date, last_purchase_date, recency_days, frequency, monetary, "
    "r_score, f_score, m_score, rfm_cell, rfm_score, segment"
)


def _by_key(rows: list[tuple[object, ...]], width: int = 1) -> dict[object, tuple[object, ...]]:
    """Rows keyed by their first `width` values (sorted here, not in SQL:
    text collation may differ between the engines)."""
    keyed = {row[:width] if width > 1 else row[0]: row[width:] for row in rows}
    assert len(keyed) == len(rows), "key is not unique"
    return keyed


def test_customer_scores_and_segments_identical(built_warehouse: dict[str, object]) -> None:
    sql = f"select {CUSTOMER_COLUMNS} from marts.mart_customer_rfm"
    duck = _by_key(query_rows(built_warehouse["duck"], sql))
    pg = _by_key(query_rows(built_warehouse["pg"], sql))
    assert duck
    assert duck.keys() == pg.keys()
    differing = [customer for customer in duck if duck[customer] != pg[customer]]
    assert not differing, f"{len(differing)} customers differ, e.g. {differing[:5]}"


def test_every_purchasing_customer_scored_once(built_warehouse: dict[str, object]) -> None:
    for name in ("duck", "pg"):
        connection = built_warehouse[name]
        (purchasers,) = query_rows(
            connection, "select count(*) from marts.dim_customers where has_purchase"
        )[0]
        (scored, distinct, reference_date) = query_rows(
            connection,
            "select count(*), count(distinct customer_id), max(reference_date) "
            "from marts.mart_customer_rfm",
        )[0]
        # Default vars: all history, reference date the day after the last invoice.
        assert scored == distinct == purchasers
        assert reference_date == dt.date(2011, 12, 10)
        segments = {
            row[0] for row in query_rows(connection, "select segment from marts.mart_customer_rfm")
        }
        assert segments <= SEGMENTS
        for score in ("r_score", "f_score", "m_score"):
            used = {
                row[0]
                for row in query_rows(connection, f"select {score} from marts.mart_customer_rfm")
            }
            assert used == {1, 2, 3, 4, 5}, score


def test_segment_summary_identical_and_complete(built_warehouse: dict[str, object]) -> None:
    columns = (
        "segment, segment_order, customer_count, customer_share, mean_recency_days, "
        "median_recency_days, mean_frequency, median_frequency, mean_monetary, "
        "median_monetary, net_revenue, revenue_share, recommended_action"
    )
    sql = f"select {columns} from marts.mart_rfm_segments"
    duck_rows = query_rows(built_warehouse["duck"], sql)
    assert _by_key(duck_rows) == _by_key(query_rows(built_warehouse["pg"], sql))
    names = [name.strip() for name in columns.split(",")]
    summary = {row[0]: dict(zip(names, row, strict=True)) for row in duck_rows}
    assert set(summary) == SEGMENTS
    (customers, revenue) = query_rows(
        built_warehouse["duck"], "select count(*), sum(monetary) from marts.mart_customer_rfm"
    )[0]
    assert sum(segment["customer_count"] for segment in summary.values()) == customers
    assert sum(segment["net_revenue"] for segment in summary.values()) == revenue
    share = sum(segment["customer_share"] for segment in summary.values())
    assert abs(share - Decimal(1)) <= Decimal("0.0010")


def test_segment_history_identical(built_warehouse: dict[str, object]) -> None:
    sql = (
        "select customer_id, as_of_date, recency_days, frequency, monetary, rfm_cell, "
        "segment, previous_segment from marts.mart_customer_segment_history"
    )
    duck = _by_key(query_rows(built_warehouse["duck"], sql), width=2)
    pg = _by_key(query_rows(built_warehouse["pg"], sql), width=2)
    assert duck.keys() == pg.keys()
    differing = [key for key in duck if duck[key] != pg[key]]
    assert not differing, f"{len(differing)} customer-months differ, e.g. {differing[:5]}"
    snapshots = sorted({key[1] for key in duck})
    assert snapshots[0] == dt.date(2009, 12, 31)
    assert snapshots[-1] == dt.date(2011, 12, 9)
    assert len(snapshots) == 25


def test_last_snapshot_is_the_current_rfm(built_warehouse: dict[str, object]) -> None:
    duck = built_warehouse["duck"]
    current = _by_key(
        query_rows(duck, "select customer_id, rfm_cell, segment from marts.mart_customer_rfm")
    )
    last = _by_key(
        query_rows(
            duck,
            "select customer_id, rfm_cell, segment from marts.mart_customer_segment_history "
            "where as_of_date = date '2011-12-09'",
        )
    )
    assert current == last


def test_segment_migration_identical(built_warehouse: dict[str, object]) -> None:
    sql = (
        "select quarter_end_date, from_segment, to_segment, previous_quarter_end_date, "
        "is_complete_quarter, customer_count, from_segment_customer_count, from_segment_share "
        "from marts.mart_segment_migration"
    )
    duck = _by_key(query_rows(built_warehouse["duck"], sql), width=3)
    pg = _by_key(query_rows(built_warehouse["pg"], sql), width=3)
    assert duck
    assert duck == pg
    from_segments = {key[1] for key in duck}
    assert from_segments <= SEGMENTS | {"New (no purchase yet)"}
