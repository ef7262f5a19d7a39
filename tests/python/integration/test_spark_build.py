"""`dbt build --target spark` (a local session, ``method: session``) on a sample of Online
Retail II (every SAMPLE_EVERY-th invoice, the whole two years, so the ML models have their
history), every table compared with a DuckDB build of the same file (spark_builds.py says
how); Spark's state stays in its folder.

One build per source on Spark: TPC-H is built over Spark Connect in test_spark_cluster.py,
Online Retail II here on the session, so each source's SQL and each connection method's
adapter code (docs/testing.md, "Spark: one build per source") runs once with the whole
project, and the two modules, the suite's longest, run on the two workers at once. The dbt
unit tests and the tests on seeds that run alike on both sources run on Spark here only:
the cluster build leaves them out (spark_shared_nodes.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from spark_builds import build_both, compare, ran_whole, spark_available
from warehouse_helpers import REPO, write_invoice_sample

pytestmark = [pytest.mark.integration, pytest.mark.spark]

SAMPLE_EVERY = 80
"""Keep one Online Retail II invoice in this many (about 13,000 lines over 2009-12 to 2011-12)."""


@pytest.fixture(scope="module")
def online_retail_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The Online Retail II sample built on both targets."""
    spark_available()
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    if not source or not Path(source).is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    work = tmp_path_factory.mktemp("spark_online_retail")
    sample = work / "online_retail_sample.csv"
    write_invoice_sample(Path(source), sample, SAMPLE_EVERY)
    return build_both(work, "online_retail", ["--source", str(sample)])


def test_online_retail_on_spark_equals_duckdb(online_retail_builds: dict[str, Any]) -> None:
    ran_whole(online_retail_builds)
    assert compare(online_retail_builds) == []


def test_spark_state_stays_in_its_folder(online_retail_builds: dict[str, Any]) -> None:
    """The metastore, derby.log and the tables are in RW_SPARK_DIR, never in the repository."""
    spark_dir = online_retail_builds["spark"]
    assert (spark_dir / "metastore_db").is_dir()
    assert (spark_dir / "derby.log").is_file()
    assert (spark_dir / "lake" / "raw" / "load_log" / "data.parquet").is_file()
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (REPO / stray).exists()
