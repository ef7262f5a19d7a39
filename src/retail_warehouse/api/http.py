"""uvicorn's HTTP protocol with the API's JSON error for a request it cannot read.

uvicorn answers a request its parser refuses (a URL or headers over the parser's limit, about
80 KB with httptools, 16 KB with h11; a malformed request line) itself, before the app sees it,
with a plain-text "Invalid HTTP request received.": every other error of the API is the JSON
``Error`` (schemas.py). The protocol below writes that JSON instead.
"""

from __future__ import annotations

import json
from typing import Any

BAD_REQUEST_MESSAGE = (
    "the request cannot be read as HTTP (a URL or headers over the server's limit, or a "
    "malformed request line)"
)


def bad_request_body() -> bytes:
    """The JSON ``Error`` of a request uvicorn's parser refuses."""
    error = {"status": 400, "error": "bad_request", "message": BAD_REQUEST_MESSAGE, "field": None}
    return json.dumps(error).encode("ascii")


def _write_json_400(protocol: Any) -> None:
    body = bad_request_body()
    content = [b"HTTP/1.1 400 Bad Request\r\n"]
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


def http_protocol() -> type:
    """The protocol class uvicorn would pick ('auto': httptools when installed, else h11),
    answering an unreadable request with the JSON error."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base: type = HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol

    def send_400_response(self: Any, msg: str) -> None:
        del msg  # uvicorn's plain text; the JSON says the same
        _write_json_400(self)

    return type("JsonErrorHttpProtocol", (base,), {"send_400_response": send_400_response})
