"""The request body limit (RW_API_MAX_BODY_BYTES): a body over it is refused with 413 before
it is read (Content-Length) or as soon as it passes the limit (chunked), on every endpoint
that takes a body.

FastAPI's test client reads a streamed request body whole before the app sees it, so the
tests that count what the server read send through httpx's ASGI transport, which hands the
app one chunk per receive, as a server does."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from retail_warehouse.api import MAX_BODY_BYTES_ENV, configured_max_body_bytes
from retail_warehouse.api.app import create_app
from retail_warehouse.api.http import http_protocol
from retail_warehouse.api.server import LOCALHOST, free_port
from retail_warehouse.api.snapshot import WarehouseSource
from retail_warehouse.errors import ConfigError

LIMIT = 100_000
CHUNK = 16_384
CSV = {"content-type": "text/csv"}
ENDPOINTS = ("/score", "/score/batch")


def _app(warehouse_file: Path, limit: int = LIMIT):
    return create_app(
        WarehouseSource(target="duckdb", duckdb_path=warehouse_file), max_body_bytes=limit
    )


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["status"] == 413 and body["error"] == "body_too_large"
    assert f"{LIMIT:,} bytes" in body["message"] and MAX_BODY_BYTES_ENV in body["message"]


def test_a_body_over_the_limit_is_413(warehouse_file: Path) -> None:
    with TestClient(_app(warehouse_file)) as client:
        for path in ENDPOINTS:
            _assert_413(client.post(path, content=b"x" * (LIMIT + 1), headers=CSV))
        # At the limit the body is read and judged on its contents.
        at_limit = client.post("/score/batch", content=b"x" * LIMIT, headers=CSV)
        assert at_limit.status_code == 422, at_limit.text


def _post_counting(
    warehouse_file: Path, path: str, chunks: int, headers: dict[str, str]
) -> tuple[httpx.Response, int]:
    """POST ``chunks`` chunks of CHUNK bytes through the ASGI transport; the response and
    the bytes the generator yielded (what the app read)."""
    yielded = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal yielded
        for _ in range(chunks):
            yielded += CHUNK
            yield b"x" * CHUNK

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app(warehouse_file))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.post(path, content=body(), headers=headers)

    return asyncio.run(post()), yielded


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_content_length_over_the_limit_is_refused_unread(warehouse_file: Path, path: str) -> None:
    chunks = 50  # 800 KiB declared and sent, eight times the limit
    headers = {**CSV, "content-length": str(chunks * CHUNK)}
    response, yielded = _post_counting(warehouse_file, path, chunks, headers)
    _assert_413(response)
    assert yielded == 0


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_chunked_body_is_cut_off_at_the_limit(warehouse_file: Path, path: str) -> None:
    response, yielded = _post_counting(warehouse_file, path, 500, CSV)  # 8 MiB, no length
    _assert_413(response)
    assert yielded <= LIMIT + CHUNK
    # issue 27: the rest of the body is never read, so the connection cannot carry another
    # request: the answer closes it, as the Content-Length refusal does
    assert response.headers["connection"] == "close"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    """The API under uvicorn on a free port (no warehouse: the limit comes first)."""
    app = create_app(
        WarehouseSource(target="duckdb", duckdb_path=tmp_path / "missing.duckdb"),
        max_body_bytes=LIMIT,
    )
    port = free_port()
    config = uvicorn.Config(app, host=LOCALHOST, port=port, log_level="error", http=http_protocol())
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not served.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield port
    served.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_the_server_closes_the_connection_after_a_chunked_413(server: int, path: str) -> None:
    """Issue 27: after the 413 of a chunked body the connection stayed open (keep-alive) with
    the rest of the body unread. The server now closes it once the answer is sent."""
    chunk = b"x" * CHUNK
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection((LOCALHOST, server), timeout=10) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        connection.sendall(head.encode() + b"Transfer-Encoding: chunked\r\n\r\n")
        with contextlib.suppress(OSError):  # the server may close while we still send
            for _ in range(LIMIT // CHUNK + 1):  # just past the limit: the server reads all
                connection.sendall(framed)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk_read := connection.recv(65536):  # b"": the server closed it
                answer += chunk_read
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"connection: close" in answer.lower()


def test_the_limit_is_a_setting() -> None:
    assert configured_max_body_bytes({}) == 20 * 1024 * 1024
    assert configured_max_body_bytes({MAX_BODY_BYTES_ENV: "1000"}) == 1000
    for wrong in ("-1", "abc", "1e6"):
        with pytest.raises(ConfigError, match=MAX_BODY_BYTES_ENV):
            configured_max_body_bytes({MAX_BODY_BYTES_ENV: wrong})
