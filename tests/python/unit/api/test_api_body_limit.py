"""The request body limit (RW_API_MAX_BODY_BYTES): a body over it is refused with 413 before
it is read (Content-Length) or as soon as it passes the limit (chunked), on every endpoint
that takes a body.

FastAPI's test client reads a streamed request body whole before the app sees it, so the
tests that count what the server read send through httpx's ASGI transport, which hands the
app one chunk per receive, as a server does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from retail_warehouse.api import MAX_BODY_BYTES_ENV, configured_max_body_bytes
from retail_warehouse.api.app import create_app
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


def test_the_limit_is_a_setting() -> None:
    assert configured_max_body_bytes({}) == 20 * 1024 * 1024
    assert configured_max_body_bytes({MAX_BODY_BYTES_ENV: "1000"}) == 1000
    for wrong in ("-1", "abc", "1e6"):
        with pytest.raises(ConfigError, match=MAX_BODY_BYTES_ENV):
            configured_max_body_bytes({MAX_BODY_BYTES_ENV: wrong})
