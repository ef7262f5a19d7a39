"""The floor of `make bench-scale` (scripts/bench_floor.py) gives the warehouse's numbers:
its invoices, monthly sales, customers and RFM equal fct_invoices, mart_sales_monthly,
dim_customers and mart_customer_rfm, on TPC-H SF 0.01 (built here, DuckDB only, the marts
and what they need) and on the full Online Retail II build of the session. Without that the
floor's time would mean nothing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from warehouse_helpers import BIN, REPO, run_command

sys.path.insert(0, str(REPO / "scripts"))
import bench_floor

pytestmark = pytest.mark.integration

MARTS = ["+" + mart for mart, _ in bench_floor.MARTS.values()]


def test_floor_equals_the_marts_on_tpch(tmp_path: Path) -> None:
    warehouse = tmp_path / "tpch.duckdb"
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(warehouse),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="tpch_",
        RW_SALES_SOURCE="tpch",
    )
    load = [str(BIN / "retail-warehouse"), "load", "--target", "duckdb"]
    run_command([*load, "--source-system", "tpch", "--scale-factor", "0.01"], env)
    run_command(
        [
            *(str(BIN / "dbt"), "build", "--target", "duckdb", "--select", *MARTS),
            *("--resource-type", "model", "--resource-type", "seed"),
            *("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")),
        ],
        env,
    )
    counts = bench_floor.run_floor(warehouse, tmp_path / "floor.duckdb", "tpch", "tpch_")
    assert counts["floor_invoices"] > 15_000
    assert bench_floor.differences(warehouse, tmp_path / "floor.duckdb", "tpch_") == dict.fromkeys(
        bench_floor.MARTS, 0
    )


def test_floor_equals_the_marts_on_online_retail(
    built_warehouse: dict[str, object], tmp_path: Path
) -> None:
    warehouse = Path(str(built_warehouse["duckdb_path"]))
    counts = bench_floor.run_floor(warehouse, tmp_path / "floor.duckdb", "online_retail")
    assert counts["floor_customers"] > 5_000
    assert bench_floor.differences(warehouse, tmp_path / "floor.duckdb") == dict.fromkeys(
        bench_floor.MARTS, 0
    )
