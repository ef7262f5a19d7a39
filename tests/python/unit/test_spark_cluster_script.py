"""scripts/spark_cluster.sh without starting a JVM: a taken port stops the start before any
daemon, naming the variable to change; stop and status with nothing started touch nothing.
tests/python/integration/test_spark_cluster.py starts the cluster for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "spark_cluster.sh"


def _run(command: str, tmp_path: Path, **ports: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        RW_SPARK_CLUSTER_DIR=str(tmp_path / "cluster"),
        RW_SPARK_DIR=str(tmp_path / "spark"),
        RW_SPARK_PYTHON=sys.executable,
        **ports,
    )
    return subprocess.run(
        [str(SCRIPT), command], env=env, capture_output=True, text=True, check=False, timeout=60
    )


def test_a_taken_port_is_named_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = str(listener.getsockname()[1])
        result = _run("start", tmp_path, RW_SPARK_MASTER_PORT=port)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in result.stderr
    assert "set RW_SPARK_MASTER_PORT to a free port" in result.stderr
    assert list((tmp_path / "cluster" / "pids").iterdir()) == []


def test_stop_and_status_with_nothing_started(tmp_path: Path) -> None:
    stopped = _run("stop", tmp_path)
    assert stopped.returncode == 0 and stopped.stdout == ""
    status = _run("status", tmp_path)
    assert status.stdout.splitlines() == [
        "master stopped",
        "worker-1 stopped",
        "worker-2 stopped",
        "connect stopped",
    ]
    assert _run("restart", tmp_path).returncode == 2
