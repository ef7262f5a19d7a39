"""`dbt build --target spark` on TPC-H at scale factor 0.01, every table compared with a
DuckDB build of the same files (spark_builds.py says how); Spark's state stays in its folder.

The Online Retail II sample is built in test_spark_build_online_retail.py, a module of its own
so that the two Spark builds, the suite's longest, can run on the two workers at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from spark_builds import build_both, compare, ran_whole, spark_available
from warehouse_helpers import REPO

pytestmark = [pytest.mark.integration, pytest.mark.spark]


@pytest.fixture(scope="module")
def tpch_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """TPC-H SF 0.01 built on both targets."""
    spark_available()
    work = tmp_path_factory.mktemp("spark_tpch")
    return build_both(work, "tpch", ["--source-system", "tpch", "--scale-factor", "0.01"])


def test_tpch_on_spark_equals_duckdb(tpch_builds: dict[str, Any]) -> None:
    ran_whole(tpch_builds)
    assert compare(tpch_builds) == []


def test_spark_state_stays_in_its_folder(tpch_builds: dict[str, Any]) -> None:
    """The metastore, derby.log and the tables are in RW_SPARK_DIR, never in the repository."""
    spark_dir = tpch_builds["spark"]
    assert (spark_dir / "metastore_db").is_dir()
    assert (spark_dir / "derby.log").is_file()
    assert (spark_dir / "lake" / "raw" / "load_log" / "data.parquet").is_file()
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (REPO / stray).exists()
