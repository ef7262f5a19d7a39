"""`retail-warehouse serve` in a child process, for scripts and tests: started on a free local
port, polled until ``/health`` answers 200, stopped when the block ends. The one home of the
start-and-poll code that the API benchmark (scripts/bench_api.py) and the tests of a running
server (schemathesis, the installed wheel) share."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

LOCALHOST = "127.0.0.1"
START_SECONDS = 120.0
"""How long a server may take to answer /health with 200 (it reads the warehouse first)."""


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port nobody listens on now (another process may take it before we do)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):  # HTTPError too: 503
        return False


@contextmanager
def serve_in_background(
    executable: str | Path,
    env: Mapping[str, str],
    *,
    args: Sequence[str] = (),
    cwd: Path | None = None,
    host: str = LOCALHOST,
    port: int | None = None,
    start_seconds: float = START_SECONDS,
) -> Iterator[str]:
    """Run ``executable serve *args --host host --port port`` (a free port by default) with
    ``env`` until the block ends; yields its base URL once /health answers 200. Raises
    RuntimeError with the end of the server's error output if it exits or does not answer
    within ``start_seconds``."""
    port = free_port(host) if port is None else port
    command = [str(executable), "serve", *args, "--host", host, "--port", str(port)]
    url = f"http://{host}:{port}"
    # A file, not a pipe: a pipe nobody reads would block the server once it filled.
    with tempfile.TemporaryFile(mode="w+") as errors:
        server = subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, text=True
        )
        try:
            deadline = time.monotonic() + start_seconds
            while not _healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    tail = errors.read()[-2000:].strip()
                    raise RuntimeError(f"the API did not start at {url}: {tail or 'no output'}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
