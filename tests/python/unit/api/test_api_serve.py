"""`retail-warehouse serve` freezes its start-up objects before it serves: a reload's
allocations set off full collections of the cyclic garbage collector, which scanned every
module and route object and stopped every request for about 100 ms."""

from __future__ import annotations

import gc
import socket
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


def test_serve_refuses_an_address_it_cannot_listen_on_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hostile round 3: RW_API_PORT=abc broke every command with a traceback (the parser
    read it); --port -1, 70000 or a host that does not resolve started uvicorn, which
    logged the error and exited with status 3 and a screen of leak reports; --port 0 was
    announced as port 0. Each is now one line and exit 2, before the server starts."""
    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("RW_API_PORT", "abc")
    cli.build_parser()  # the other commands do not read it
    assert cli.main(["serve"]) == 2
    wording = "must be a port number (digits 0-9 only), 1 to 65535"
    assert f"RW_API_PORT {wording}, not 'abc'" in capsys.readouterr().err
    for port in ("0", "-1", "70000", "x"):
        assert cli.main(["serve", "--port", port]) == 2
        assert f"--port {wording}" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert cli.main(["serve", "--port", port]) == 2
    assert f"error: cannot listen on 127.0.0.1:{port}: " in capsys.readouterr().err
    assert started == []
