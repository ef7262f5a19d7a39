"""A changed warehouse is read off the request path: requests are answered from the served
snapshot while a background thread reads the new one, which is swapped in once complete; a
failed read keeps the served snapshot and says so in /health."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from retail_warehouse.api.app import create_app
from retail_warehouse.api.reload import SnapshotHolder
from retail_warehouse.api.snapshot import Snapshot, WarehouseSource, WarehouseUnavailable

GATE_SECONDS = 5.0
"""How long a held read waits at most (so a test of a blocking reload fails, not hangs)."""


@dataclass
class GatedSource(WarehouseSource):
    """A source whose reads, once ``hold`` is set, signal ``reading`` and wait for ``gate``:
    a slow reload, as long as the test wants."""

    hold: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    reading: threading.Event = field(default_factory=threading.Event)

    def _load(self) -> tuple[Any, Snapshot]:
        if self.hold.is_set():
            self.reading.set()
            self.gate.wait(GATE_SECONDS)
        return super()._load()


def _copy(warehouse_file: Path, path: Path, without_customer: int | None = None) -> None:
    """Put a copy of the warehouse at ``path`` as a publish does (a new file renamed in),
    optionally without one customer."""
    new = path.with_name(path.name + ".new")
    shutil.copy(warehouse_file, new)
    if without_customer is not None:
        connection = duckdb.connect(str(new))
        connection.execute(
            "delete from marts.dim_customers where customer_id = ?", [without_customer]
        )
        connection.close()
    new.replace(path)


def test_a_slow_reload_does_not_delay_requests(warehouse_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _copy(warehouse_file, path)
    source = GatedSource(target="duckdb", duckdb_path=path, check_seconds=0)
    with TestClient(create_app(source)) as client:
        assert client.get("/customers/3").status_code == 200
        source.hold.set()
        _copy(warehouse_file, path, without_customer=3)
        seconds = []
        for _ in range(20):
            started = time.monotonic()
            response = client.get("/customers/3")
            seconds.append(time.monotonic() - started)
            assert response.status_code == 200, "answered from the served snapshot"
        assert source.reading.wait(GATE_SECONDS), "the new build is being read"
        assert client.get("/health").json()["customer_count"] == 58
        assert max(seconds) < GATE_SECONDS / 2, seconds
        source.gate.set()
        assert source.wait_for_reload(GATE_SECONDS)
        assert client.get("/customers/3").status_code == 404
        health = client.get("/health").json()
        assert health["customer_count"] == 57 and health["reload_error"] is None


def _serves_without_customer_3(client: TestClient, source: WarehouseSource) -> bool:
    """Whether the API comes to serve the copy without customer 3. A request starts the
    background check of the file and is answered from the served snapshot; under load the
    check may not have started when ``wait_for_reload`` looks (it then has nothing to wait
    for), so ask again until GATE_SECONDS have passed."""
    deadline = time.monotonic() + GATE_SECONDS
    while time.monotonic() < deadline:
        client.get("/health")
        source.wait_for_reload(GATE_SECONDS)
        if client.get("/customers/3").status_code == 404:
            return True
        time.sleep(0.05)
    return False


def test_a_failed_reload_keeps_the_served_snapshot(warehouse_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _copy(warehouse_file, path)
    source = WarehouseSource(target="duckdb", duckdb_path=path, check_seconds=0)
    with TestClient(create_app(source)) as client:
        assert client.get("/customers/3").status_code == 200
        broken = tmp_path / "broken.duckdb"
        duckdb.connect(str(broken)).close()
        broken.replace(path)
        assert client.get("/customers/3").status_code == 200
        assert source.wait_for_reload(GATE_SECONDS)
        assert client.get("/customers/3").status_code == 200
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["customer_count"] == 58
        assert "not built (missing" in health.json()["reload_error"]
        _copy(warehouse_file, path, without_customer=3)
        assert _serves_without_customer_3(client, source), "the next good build is served"
        assert client.get("/health").json()["reload_error"] is None


def _holder(load: Any, changed: Any, timeout_seconds: float = 5.0) -> SnapshotHolder[str]:
    return SnapshotHolder(
        load=load, changed=changed, check_seconds=0, timeout_seconds=timeout_seconds
    )


def test_the_holder_swaps_in_the_new_snapshot_once_it_is_read() -> None:
    gate, reading = threading.Event(), threading.Event()
    loads = iter(["old", "new"])

    def load() -> tuple[str, str]:
        value = next(loads)
        if value == "new":
            reading.set()
            assert gate.wait(GATE_SECONDS)
        return value, value

    holder = _holder(load, lambda identity: identity != "new")
    assert holder.current() == "old"
    assert holder.current() == "old" and reading.wait(GATE_SECONDS)
    assert holder.current() == "old"
    gate.set()
    assert holder.wait(GATE_SECONDS)
    assert holder.current() == "new" and holder.error is None


def _holder_failing_after_the_first_read(error: Exception) -> SnapshotHolder[str]:
    """A holder serving "old", whose every later read (always asked for) raises ``error``."""
    calls = 0

    def load() -> tuple[int, str]:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise error
        return calls, "old"

    holder = _holder(load, lambda identity: True)
    assert holder.current() == "old"
    return holder


def test_the_holder_keeps_the_served_snapshot_when_a_read_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    holder = _holder_failing_after_the_first_read(
        WarehouseUnavailable("the warehouse is being rebuilt")
    )
    with caplog.at_level(logging.WARNING, logger="retail_warehouse.api.reload"):
        assert holder.refresh_if_changed() is False
        assert holder.refresh_if_changed() is False
    assert holder.current() == "old" and holder.error == "the warehouse is being rebuilt"
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "being rebuilt" in warnings[0], "logged once per error"


def test_the_holder_logs_an_unexpected_error_and_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    holder = _holder_failing_after_the_first_read(KeyError("segment"))
    with caplog.at_level(logging.WARNING, logger="retail_warehouse.api.reload"):
        assert holder.refresh_if_changed() is False
    assert holder.current() == "old" and holder.error is not None
    assert "KeyError" in holder.error and caplog.records[0].exc_info is not None


def test_with_nothing_served_a_request_waits_for_the_first_read_at_most_the_timeout() -> None:
    gate = threading.Event()

    def load() -> tuple[int, str]:
        assert gate.wait(GATE_SECONDS)
        return 1, "first"

    holder = _holder(load, lambda identity: True, timeout_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(WarehouseUnavailable, match="being read"):
        holder.current()
    assert time.monotonic() - started < GATE_SECONDS / 2
    gate.set()
    assert holder.wait(GATE_SECONDS) and holder.current() == "first"


def test_a_failed_first_read_is_503_with_its_reason() -> None:
    def load() -> tuple[int, str]:
        raise WarehouseUnavailable("the warehouse is not built")

    holder = _holder(load, lambda identity: True)
    with pytest.raises(WarehouseUnavailable, match="not built"):
        holder.current()
