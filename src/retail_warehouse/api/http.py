"""uvicorn's HTTP protocol with the API's JSON error for a request it cannot read, and a
limit on the size of a request's head.

uvicorn answers a request its parser refuses (a URL over the parser's limit, about 64 KB with
httptools; a head over 16 KB with h11; a malformed request line) itself, before the app sees
it, with a plain-text "Invalid HTTP request received.": every other error of the API is the
JSON ``Error`` (schemas.py). The protocol below writes that JSON instead.

httptools has no limit on the headers: a client (no API key needed, the key is a header) could
send one header of gigabytes and the server held all of it (a 200 MB header took the server
from 328 to 573 MB, then answered 200). The protocol counts what arrives before the headers
end and answers 431 once it passes :data:`MAX_HEAD_BYTES`.
"""

from __future__ import annotations

import json
from typing import Any

MAX_HEAD_BYTES = 64 * 1024
"""The most a request line and its headers may take together (nginx takes 32 KB by default;
h11, uvicorn's other parser, 16 KB)."""

HEAD_TOO_LARGE_MESSAGE = (
    f"the request line and headers are over {MAX_HEAD_BYTES:,} bytes; send fewer or shorter headers"
)

BAD_REQUEST_MESSAGE = (
    "the request cannot be read as HTTP (a URL or headers over the server's limit, or a "
    "malformed request line)"
)


def bad_request_body() -> bytes:
    """The JSON ``Error`` of a request uvicorn's parser refuses."""
    return _error_body(400, "bad_request", BAD_REQUEST_MESSAGE)


def _error_body(status: int, error: str, message: str) -> bytes:
    body = {"status": status, "error": error, "message": message, "field": None}
    return json.dumps(body).encode("ascii")


def _write_json_error(protocol: Any, status_line: bytes, body: bytes) -> None:
    content = [status_line]
    for name, value in protocol.server_state.default_headers:
        content.extend([name, b": ", value, b"\r\n"])
    content.extend(
        [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n",
            b"\r\n",
            body,
        ]
    )
    protocol.transport.write(b"".join(content))
    protocol.transport.close()


def _write_json_400(protocol: Any) -> None:
    _write_json_error(protocol, b"HTTP/1.1 400 Bad Request\r\n", bad_request_body())


class _HeadTooLarge(Exception):
    """Raised from the parser's callback to stop it once the 431 is written."""


def _refuse_the_head(protocol: Any) -> None:
    protocol._rw_in_head, protocol._rw_refused = False, True
    body = _error_body(431, "headers_too_large", HEAD_TOO_LARGE_MESSAGE)
    _write_json_error(protocol, b"HTTP/1.1 431 Request Header Fields Too Large\r\n", body)


def _limit_the_head(base: type) -> dict[str, Any]:
    """Methods that answer 431 to a head (request line and headers) over
    :data:`MAX_HEAD_BYTES`: exactly, from the parsed parts, when the headers are complete
    (before the app sees the request); and while a head is still arriving, by the reads
    that begin and end inside it (the read in which a request begins may hold the end of
    the one before it, pipelined), so at most the limit and two reads (256 KiB each) are
    held."""

    def on_message_begin(self: Any) -> None:
        base.on_message_begin(self)
        self._rw_in_head, self._rw_head_bytes = True, 0

    def on_headers_complete(self: Any) -> None:
        self._rw_in_head = False
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEAD_BYTES:
            _refuse_the_head(self)
            raise _HeadTooLarge  # httptools stops; send_400_response stays silent
        base.on_headers_complete(self)

    def data_received(self: Any, data: bytes) -> None:
        if getattr(self, "_rw_refused", False):
            return
        was_in_head = getattr(self, "_rw_in_head", False)
        base.data_received(self, data)
        if not (was_in_head and getattr(self, "_rw_in_head", False)):
            return
        self._rw_head_bytes += len(data)
        if self._rw_head_bytes > MAX_HEAD_BYTES:
            _refuse_the_head(self)

    return {
        "on_message_begin": on_message_begin,
        "on_headers_complete": on_headers_complete,
        "data_received": data_received,
    }


def http_protocol() -> type:
    """The protocol class uvicorn would pick ('auto': httptools when installed, else h11),
    answering an unreadable request with the JSON error."""
    methods: dict[str, Any] = {}
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base: type = HttpToolsProtocol
        methods.update(_limit_the_head(base))
    except ImportError:  # h11 limits the head itself (16 KB), and answers 400
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol

    def send_400_response(self: Any, msg: str) -> None:
        del msg  # uvicorn's plain text; the JSON says the same
        if not getattr(self, "_rw_refused", False):  # a 431 is already written
            _write_json_400(self)

    methods["send_400_response"] = send_400_response
    return type("JsonErrorHttpProtocol", (base,), methods)
