"""The download cache (issue 10): it never resolves outside its folder, it is keyed on the whole
URL, it caches only a usable file, and it says when a cached copy is used. On both engines."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from raw_files import ROWS, csv_text

# The two-engine fixtures of the loader tests (target runs each test on DuckDB and PostgreSQL).
from test_loader import Target, pg_database, target  # noqa: F401

from retail_warehouse.errors import LoadError
from retail_warehouse.load import load
from retail_warehouse.sources.files import cache_path


class _Server:
    """A web server that answers every path: the CSV of ``ROWS`` (or ``body`` when set),
    with ``rows`` rows when the query asks for ``?rows=N``."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.body: bytes | None = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                rows = ROWS
                if "rows=" in self.path:
                    rows = ROWS[: int(self.path.rsplit("rows=", 1)[1])]
                body = outer.body if outer.body is not None else csv_text(rows).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()


def _files(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    "path",
    ["%2e%2e%2f%2e%2e%2fpwned.csv", "%2ftmp%2fpwned.csv", "..%5c..%5cpwned.csv", "%2e%2e"],
)
def test_no_url_resolves_outside_the_cache(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    server: _Server,
    path: str,
) -> None:
    cache = tmp_path / "deep" / "data"
    target.cache_dir = cache
    before = _files(tmp_path)
    target.load(f"{server.base}/{path}")
    # the warehouse's own files: the DuckDB file (and its log) and the lock a load takes
    new = {
        file
        for file in _files(tmp_path) - before
        if "warehouse.duckdb" not in file.name and "warehouse.generations" not in file.parts
    }
    assert new and all(file.resolve().is_relative_to(cache.resolve()) for file in new), new
    assert not Path("/tmp/pwned.csv").exists()


def test_a_local_file_is_never_read_as_the_cache(
    target: Target,  # noqa: F811  (the imported fixture)
) -> None:
    with pytest.raises(LoadError, match="cannot download") as raised:
        target.load("http://127.0.0.1:9/%2fetc%2fpasswd")
    assert "root:" not in str(raised.value)
    assert all("root:" not in str(entry[3]) for entry in target.log())


def test_the_cache_is_keyed_on_the_whole_url(
    target: Target,  # noqa: F811  (the imported fixture)
    server: _Server,
) -> None:
    first = target.load(f"{server.base}/sub/month.csv?rows=2")
    second = target.load(f"{server.base}/month.csv?rows=4")
    assert (first.status, first.rows_loaded) == ("succeeded", 2)
    assert (second.status, second.rows_loaded) == ("succeeded", 4)
    assert server.requests == ["/sub/month.csv?rows=2", "/month.csv?rows=4"]


def test_a_cached_copy_is_named_with_how_to_refresh_it(
    target: Target,  # noqa: F811  (the imported fixture)
    server: _Server,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"{server.base}/export.csv"
    target.load(url)
    again = target.with_prefix("again_")
    assert again.load(url).status == "succeeded"
    assert server.requests == ["/export.csv"]
    cached = cache_path(url, target.cache_dir)
    assert cached.is_file()
    # Target.load writes progress to a buffer; the command line shows it on stderr.
    load(
        url, target.name, settings=target.with_prefix("third_").settings, cache_dir=target.cache_dir
    )
    err = capsys.readouterr().err
    assert f"using the cached copy {cached} of {url}; delete that file to download it again" in err


def test_an_error_page_is_not_cached(
    target: Target,  # noqa: F811  (the imported fixture)
    server: _Server,
) -> None:
    url = f"{server.base}/export.csv"
    server.body = b"<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n"
    with pytest.raises(
        LoadError, match=r"export.csv \(downloaded from .*\): line 1: this is an HTML"
    ):
        target.load(url)
    assert not cache_path(url, target.cache_dir).exists()
    server.body = None  # the server is fixed
    assert target.load(url).rows_loaded == len(ROWS)
    assert server.requests == ["/export.csv", "/export.csv"]
