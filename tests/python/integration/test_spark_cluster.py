"""`dbt build --target spark_cluster` on TPC-H at scale factor 0.01 over Spark Connect, on the
cluster of scripts/spark_cluster.sh (a standalone master, two workers and a Connect server on
127.0.0.1, ports of its own so a developer's `make spark-cluster` is left alone), every table
compared with a DuckDB build of the same files (spark_builds.py says how), and the work run
on the two workers' executors (the Connect driver's REST API).

The suite's only Spark build of TPC-H: test_spark_build.py builds Online Retail II on a local
session (docs/testing.md, "Spark: one build per source"), and runs the dbt unit tests and
the tests on seeds that run alike on both sources, which this build leaves out
(spark_shared_nodes.py) when the Online Retail II file is there for that module.

Heavy (a cluster start, then the whole project over the network on two one-core executors):
its own group for the scheduler. The cluster is stopped at the end whatever happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from spark_builds import build_both, compare, ran_whole, spark_available
from spark_shared_nodes import cluster_exclusions
from warehouse_helpers import REPO

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.xdist_group("spark_cluster")]

PORTS = {
    "RW_SPARK_MASTER_PORT": "7277",
    "RW_SPARK_MASTER_UI_PORT": "8280",
    "RW_SPARK_WORKER1_PORT": "7278",
    "RW_SPARK_WORKER1_UI_PORT": "8281",
    "RW_SPARK_WORKER2_PORT": "7279",
    "RW_SPARK_WORKER2_UI_PORT": "8282",
    "RW_SPARK_CONNECT_PORT": "15112",
    "RW_SPARK_CONNECT_UI_PORT": "4240",
}
"""The test cluster's ports: none of Spark's defaults nor make spark-cluster's."""

SCRIPT = REPO / "scripts" / "spark_cluster.sh"


def _cluster(command: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(SCRIPT), command], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"spark_cluster.sh {command} exited {result.returncode}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A cluster whose Connect server keeps its warehouse and metastore in ``work/spark``;
    stopped (by its pid files) at the end."""
    spark_available()
    pytest.importorskip("pyspark.sql.connect.session")
    work = tmp_path_factory.mktemp("spark_cluster")
    env = dict(os.environ)
    env.update(
        PORTS,
        RW_SPARK_CLUSTER_DIR=str(work / "cluster"),
        RW_SPARK_DIR=str(work / "spark"),
        RW_SPARK_PYTHON=sys.executable,
    )
    try:
        started = _cluster("start", env)
        yield {"work": work, "env": env, "started": started}
    finally:
        _cluster("stop", env)


def _left_to_the_session_build() -> list[str]:
    """The unit tests and seed tests that run alike on both sources, when
    test_spark_build.py runs them on Spark (it needs the Online Retail II file):
    spark_shared_nodes.py."""
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    return cluster_exclusions() if source and Path(source).is_file() else []


@pytest.fixture(scope="module")
def cluster_builds(cluster: dict[str, Any]) -> dict[str, Any]:
    """TPC-H SF 0.01 built on DuckDB and on the cluster, without the nodes the session
    build runs alike (spark_shared_nodes.py)."""
    return build_both(
        cluster["work"],
        "tpch",
        ["--source-system", "tpch", "--scale-factor", "0.01"],
        spark_target="spark_cluster",
        spark_env=PORTS,
        spark_exclude=_left_to_the_session_build(),
    )


def _executors() -> list[dict[str, Any]]:
    """The Connect driver's executors (the driver's own entry left out), from its REST API."""
    base = f"http://127.0.0.1:{PORTS['RW_SPARK_CONNECT_UI_PORT']}/api/v1/applications"
    with urllib.request.urlopen(base, timeout=30) as answer:
        application = json.load(answer)[0]["id"]
    with urllib.request.urlopen(f"{base}/{application}/executors", timeout=30) as answer:
        return [entry for entry in json.load(answer) if entry["id"] != "driver"]


def test_the_cluster_starts_once_and_says_how_to_stop(cluster: dict[str, Any]) -> None:
    assert "sc://127.0.0.1:15112" in cluster["started"]
    assert "make spark-cluster-stop" in cluster["started"]
    again = _cluster("start", cluster["env"])
    assert again.count("already running") == 4, again
    pids = sorted(path.name for path in (cluster["work"] / "cluster" / "pids").iterdir())
    assert len(pids) == 4, pids


def test_tpch_on_the_cluster_equals_duckdb(cluster_builds: dict[str, Any]) -> None:
    ran_whole(cluster_builds)
    assert compare(cluster_builds) == []


def test_the_workers_ran_the_tasks(cluster_builds: dict[str, Any]) -> None:
    """Both workers' executors ran tasks; the catalog stayed in the driver's folder."""
    executors = _executors()
    assert len(executors) == 2, executors
    assert all(entry["totalTasks"] > 0 for entry in executors), executors
    spark_dir: Path = cluster_builds["spark"]
    assert (spark_dir / "metastore_db").is_dir()
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (REPO / stray).exists()
