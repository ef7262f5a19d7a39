"""Fixtures of the API tests: a synthetic warehouse file and test clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_warehouse import write_warehouse
from fastapi.testclient import TestClient

from retail_warehouse.api.app import create_app
from retail_warehouse.api.snapshot import WarehouseSource


@pytest.fixture(scope="session")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic warehouse file, written once per session (do not modify it)."""
    path = tmp_path_factory.mktemp("api") / "warehouse.duckdb"
    write_warehouse(path)
    return path


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """A test client of the API over a DuckDB file (keyword arguments: api_key)."""
    clients: list[TestClient] = []

    def make(path: Path, api_key: str | None = None, check_seconds: float = 0.0) -> TestClient:
        source = WarehouseSource(target="duckdb", duckdb_path=path, check_seconds=check_seconds)
        client = TestClient(create_app(source, api_key=api_key))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(warehouse_file: Path, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(warehouse_file)
