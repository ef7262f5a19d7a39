"""The API on the full build: POST /score/batch for every warehouse customer gives what the
marts say, and PostgreSQL is served as the read-only BI role with the same profiles.

Uses the session fixture `built_warehouse` (conftest.py); skipped without the data or
PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from warehouse_helpers import query_columns

from retail_warehouse.api import read_only_settings
from retail_warehouse.api.app import create_app
from retail_warehouse.api.schemas import MAX_BATCH_CUSTOMERS
from retail_warehouse.api.snapshot import WarehouseSource
from retail_warehouse.settings import from_env

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _records(built_warehouse: dict[str, object], sql: str) -> list[dict[str, object]]:
    columns, rows = query_columns(built_warehouse["duck"], sql)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_scoring_every_customer_gives_the_marts(built_warehouse: dict[str, object]) -> None:
    client = TestClient(
        create_app(WarehouseSource(target="duckdb", duckdb_path=built_warehouse["duckdb_path"]))
    )
    invoices = _records(
        built_warehouse,
        "select customer_id, invoice_id, invoice_date, product_amount, invoice_kind, "
        "product_line_count from marts.fct_invoices where customer_id is not null "
        "order by customer_id, invoice_id",
    )
    histories: dict[int, list[dict[str, object]]] = defaultdict(list)
    for row in invoices:
        histories[int(row["customer_id"])].append(
            {
                "invoice_id": row["invoice_id"],
                "invoice_date": row["invoice_date"].isoformat(),
                "product_amount": float(row["product_amount"]),
                "invoice_kind": row["invoice_kind"],
                "product_line_count": int(row["product_line_count"]),
            }
        )
    ids = sorted(histories)
    scored = {}
    for start in range(0, len(ids), MAX_BATCH_CUSTOMERS):
        batch = [
            {"customer_id": i, "history": histories[i]}
            for i in ids[start : start + MAX_BATCH_CUSTOMERS]
        ]
        response = client.post("/score/batch", json={"customers": batch})
        assert response.status_code == 200, response.text
        scored.update({item["customer_id"]: item for item in response.json()["items"]})
    assert len(scored) == len(ids) == 5939

    rfm = _records(
        built_warehouse,
        "select customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, "
        "rfm_cell, rfm_score, segment from marts.mart_customer_rfm",
    )
    assert len(rfm) == 5852
    for row in rfm:
        expected = {**row, "monetary": float(row["monetary"])}
        del expected["customer_id"]
        assert scored[row["customer_id"]]["rfm"] == expected, row["customer_id"]
    unscored = set(ids) - {row["customer_id"] for row in rfm}
    assert all(scored[i]["rfm"] is None for i in unscored)

    for row in _records(
        built_warehouse,
        "select customer_id, cluster_id, cluster_label from ml.ml_customer_clusters",
    ):
        assert scored[row["customer_id"]]["cluster"] == {
            "cluster_id": row["cluster_id"],
            "cluster_label": row["cluster_label"],
        }
    predictions = _records(
        built_warehouse,
        "select customer_id, purchase_probability, expected_net_revenue, horizon_days "
        "from ml.ml_customer_predictions",
    )
    assert {i for i in ids if scored[i]["is_active"]} == {p["customer_id"] for p in predictions}
    for row in predictions:
        # The warehouse keeps the declared scale (numeric(9, 6) and (18, 2), as the
        # marts); the API answers in full precision.
        prediction = scored[row["customer_id"]]["prediction"]
        assert prediction["horizon_days"] == row["horizon_days"]
        for name, half_unit in (("purchase_probability", 5e-7), ("expected_net_revenue", 5e-3)):
            assert abs(prediction[name] - float(row[name])) <= half_unit + 1e-9, row
    assert {item["as_of_date"] for item in scored.values()} == {"2011-12-09"}


def test_postgres_is_served_as_the_bi_role(built_warehouse: dict[str, object]) -> None:
    env = built_warehouse["env"]
    settings = read_only_settings(from_env(env), env)
    postgres = dataclasses.replace(settings.postgres, dbname=env["PGDATABASE"])
    assert postgres.user == os.environ.get("RW_BI_ROLE", "bi_reader")
    pg = TestClient(create_app(WarehouseSource(target="postgres", postgres=postgres)))
    duck = TestClient(
        create_app(
            WarehouseSource(target="duckdb", duckdb_path=Path(built_warehouse["duckdb_path"]))
        )
    )
    health = pg.get("/health")
    assert health.status_code == 200, health.text
    assert health.json()["target"].startswith(f"postgres {postgres.user}@")
    assert health.json()["customer_count"] == duck.get("/health").json()["customer_count"]
    for customer_id in (12346, 12347, 12748, 14911, 18287):
        assert (
            pg.get(f"/customers/{customer_id}").json()
            == duck.get(f"/customers/{customer_id}").json()
        )
    assert pg.get("/segments").json() == duck.get("/segments").json()
    assert pg.get("/forecast").json() == duck.get("/forecast").json()
