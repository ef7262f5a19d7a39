"""A request uvicorn's parser refuses before the app sees it (hostile round 27, item 16: a
100 KB URL) is answered with the API's JSON error, not uvicorn's plain text."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from retail_warehouse.api.http import http_protocol
from retail_warehouse.api.server import LOCALHOST, free_port


@pytest.fixture
def port() -> Iterator[int]:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    port = free_port()
    config = uvicorn.Config(app, host=LOCALHOST, port=port, log_level="error", http=http_protocol())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _get(port: int, target: str) -> bytes:
    with socket.create_connection((LOCALHOST, port), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"connection: close" not in answer.lower():
                break
    return answer


def test_a_url_over_the_parser_s_limit_gets_the_json_error(port: int) -> None:
    assert _get(port, "/health").startswith(b"HTTP/1.1 200")
    answer = _get(port, "/health?q=" + "a" * 100_000)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)
    assert error["status"] == 400 and error["error"] == "bad_request"
    assert set(error) == {"status", "error", "message", "field"}
