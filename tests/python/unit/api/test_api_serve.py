"""`retail-warehouse serve` freezes its start-up objects before it serves: a reload's
allocations set off full collections of the cyclic garbage collector, which scanned every
module and route object and stopped every request for about 100 ms."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from retail_warehouse import cli


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_serve_freezes_the_start_up_objects(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[int] = []

    def run(app: Any, **options: Any) -> None:
        frozen.append(gc.get_freeze_count())

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    assert cli.main(["serve", "--target", "duckdb", "--port", "8999"]) == 0
    assert len(frozen) == 1 and frozen[0] > 10_000, "the server's objects are frozen"
