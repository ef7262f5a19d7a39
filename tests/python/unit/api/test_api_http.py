"""A request uvicorn's parser refuses before the app sees it (hostile round 27, item 16: a
100 KB URL) is answered with the API's JSON error, not uvicorn's plain text; a head over
MAX_HEAD_BYTES is answered 431 as it arrives (hostile7)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Request

from retail_warehouse.api.http import MAX_HEAD_BYTES, http_protocol
from retail_warehouse.api.server import LOCALHOST, free_port


@pytest.fixture
def port() -> Iterator[int]:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/size")
    async def size(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

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


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [
        # the head's limit (hostile7) comes before the parser's limit on a URL (about 64 KB)
        ("/health?q=" + "a" * 100_000, 431, "headers_too_large"),
        ("/health HTTP/1.1 extra", 400, "bad_request"),  # a malformed request line
    ],
)
def test_a_request_the_parser_refuses_gets_the_json_error(
    port: int, target: str, status: int, code: str
) -> None:
    assert _get(port, "/health").startswith(b"HTTP/1.1 200")
    answer = _get(port, target)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode())
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)
    assert error["status"] == status and error["error"] == code
    assert set(error) == {"status", "error", "message", "field"}


def _send(port: int, request: bytes, answers: int = 1) -> bytes:
    """Send ``request`` in pieces of 64 KiB and read until ``answers`` responses (or the
    server closes)."""
    with socket.create_connection((LOCALHOST, port), timeout=30) as connection:
        try:
            for start in range(0, len(request), 65536):
                connection.sendall(request[start : start + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the whole request was sent
        answer = b""
        while answer.count(b"HTTP/1.1 ") < answers or not answer.endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "headers",
    [
        b"X-Big: " + b"a" * (4 * 1024 * 1024) + b"\r\n",
        b"".join(b"X-%06d: %s\r\n" % (number, b"v" * 50) for number in range(5000)),
        b"X-Big: " + b"a" * (MAX_HEAD_BYTES + 100) + b"\r\n",
    ],
    ids=["one header of 4 MiB", "5,000 headers", "a header just over the limit"],
)
def test_headers_over_the_limit_are_refused_as_they_arrive(port: int, headers: bytes) -> None:
    """hostile7: httptools has no limit on headers; a 200 MB header (no API key needed)
    grew the server by 245 MB and was answered 200. Now 431 with the JSON error, once the
    head passes MAX_HEAD_BYTES, the connection closed."""
    answer = _send(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head[:100]
    assert b"connection: close" in head.lower()
    error = json.loads(body)
    assert (error["status"], error["error"]) == (431, "headers_too_large")
    assert f"{MAX_HEAD_BYTES:,}" in error["message"]


def test_a_head_under_the_limit_and_bodies_are_not_counted(port: int) -> None:
    """Headers of 48 KB pass; a body of 1 MB followed by a second request on the same
    connection (pipelined, in the same reads) is not taken for a head."""
    headers = b"".join(b"X-%05d: %s\r\n" % (number, b"v" * 40) for number in range(1000))
    answer = _send(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
    body = b"b" * (1024 * 1024)
    post = b"POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    answer = _send(port, post + body + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", answers=2)
    assert answer.count(b"HTTP/1.1 200") == 2, answer[:300]
    assert b'{"bytes":1048576}' in answer
