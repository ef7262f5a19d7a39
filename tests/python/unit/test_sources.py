"""Unit tests for the pure parts of ``retail_warehouse.sources``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from retail_warehouse.errors import LoadError
from retail_warehouse.sources.files import (
    SourceFormat,
    cache_path,
    cached_file_name,
    detect_format,
    format_progress,
    is_url,
)
from retail_warehouse.sources.online_retail import (
    DEFAULT_SOURCE_URL,
    WORKBOOK,
    choose_zip_member,
    resolve_source,
)
from retail_warehouse.sources.workbook import normalise_cell, normalise_row, trim_trailing_empty


@pytest.mark.parametrize(
    ("head", "members", "expected"),
    [
        (b"\x1f\x8b\x08\x00", (), SourceFormat.CSV_GZ),
        (b"PK\x03\x04", ("[Content_Types].xml", "xl/workbook.xml"), SourceFormat.XLSX),
        (b"PK\x03\x04", ("online_retail_II.xlsx",), SourceFormat.ZIP),
        (b"PK\x05\x06", (), SourceFormat.ZIP),
        (b"Invoice,", (), SourceFormat.CSV),
        (b"\xef\xbb\xbfInvoice", (), SourceFormat.CSV),
        (b"", (), SourceFormat.CSV),
    ],
)
def test_detect_format(head: bytes, members: tuple[str, ...], expected: SourceFormat) -> None:
    assert detect_format(head, members) is expected


def test_detect_format_ignores_misleading_extension_logic() -> None:
    # Only the bytes count: a gzip stays gzip whatever its name would say.
    assert detect_format(b"\x1f\x8b", ["xl/workbook.xml"]) is SourceFormat.CSV_GZ


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["online_retail_II.xlsx"], "online_retail_II.xlsx"),
        (["docs/readme.txt", "x/online_retail_II.xlsx", "other.csv"], "x/online_retail_II.xlsx"),
        (["data.csv", "__MACOSX/._data.csv"], "data.csv"),
        (["data.csv.gz"], "data.csv.gz"),
        (["a.csv", "b.csv"], None),
        (["readme.txt"], None),
        ([], None),
    ],
)
def test_choose_zip_member(names: list[str], expected: str | None) -> None:
    assert choose_zip_member(names) == expected


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("Invoice", 489434.0, "489434"),
        ("Invoice", 489434, "489434"),
        ("Invoice", "C489449", "C489449"),
        ("StockCode", 85048.0, "85048"),
        ("StockCode", "85123A", "85123A"),
        ("Description", "  SPACES KEPT ", "  SPACES KEPT "),
        ("Description", "", ""),
        ("Description", None, ""),
        ("Quantity", 12.0, "12"),
        ("Quantity", -80995.0, "-80995"),
        ("Quantity", 1.5, "1.5"),
        ("InvoiceDate", dt.datetime(2009, 12, 1, 7, 45), "2009-12-01 07:45:00"),
        ("InvoiceDate", dt.date(2009, 12, 1), "2009-12-01 00:00:00"),
        ("InvoiceDate", dt.datetime(2009, 12, 1, 7, 44, 59, 999_000), "2009-12-01 07:45:00"),
        ("InvoiceDate", dt.datetime(2009, 12, 1, 7, 45, 0, 1_000), "2009-12-01 07:45:00"),
        ("InvoiceDate", "2009-12-01 07:45:00", "2009-12-01 07:45:00"),
        ("Price", 6.95, "6.95"),
        ("Price", 18.0, "18.0"),
        ("Price", 18, "18.0"),
        ("Price", 0.0, "0.0"),
        ("Price", -53594.36, "-53594.36"),
        ("Customer ID", 13085.0, "13085"),
        ("Customer ID", "", ""),
        ("Country", "EIRE", "EIRE"),
        ("Country", True, "TRUE"),
    ],
)
def test_normalise_cell(column: str, value: object, expected: str) -> None:
    assert normalise_cell(value, column in WORKBOOK.float_columns) == expected


def test_normalise_row_pads_short_rows() -> None:
    row = normalise_row([489434.0, 85048.0, "X", 12.0], WORKBOOK)
    assert row == ["489434", "85048", "X", "12", "", "", "", ""]


def test_trim_trailing_empty() -> None:
    assert trim_trailing_empty(["a", "", None, ""]) == ["a"]
    assert trim_trailing_empty(["", "b", ""]) == ["", "b"]
    assert trim_trailing_empty(["", ""]) == []


def test_resolve_source_precedence() -> None:
    env = {"ONLINE_RETAIL_SOURCE": "/data/file.csv.gz"}
    assert resolve_source("x.csv", env) == "x.csv"
    assert resolve_source(None, env) == "/data/file.csv.gz"
    assert resolve_source(None, {}) == DEFAULT_SOURCE_URL
    assert resolve_source("", {"ONLINE_RETAIL_SOURCE": ""}) == DEFAULT_SOURCE_URL


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (DEFAULT_SOURCE_URL, True),
        ("HTTP://example.org/a.csv", True),
        ("/tmp/a.csv", False),
        ("data/online.csv.gz", False),
        ("C:\\data\\a.csv", False),
        ("ftp://example.org/a.csv", False),
    ],
)
def test_is_url(source: str, expected: bool) -> None:
    assert is_url(source) is expected


def test_a_url_with_a_password_is_refused_without_it() -> None:
    # It failed with "Name or service not known" and kept the password in load_log.message.
    with pytest.raises(LoadError) as refused:
        resolve_source("http://user:s3cret@127.0.0.1:8000/e.csv", {})
    assert "s3cret" not in str(refused.value) and "user:" not in str(refused.value)
    assert str(refused.value).startswith("http://127.0.0.1:8000/e.csv: the URL holds")
    with pytest.raises(LoadError):
        resolve_source(None, {"ONLINE_RETAIL_SOURCE": "https://tok@h/x.csv"})


def test_a_long_url_name_is_cached_under_its_end() -> None:
    # A last part over 255 bytes failed with "OSError: [Errno 36] File name too long".
    name = cached_file_name("http://h/" + "a" * 300 + ".csv")
    assert len(name) == 200 and name.endswith("aaa.csv")


def test_cached_file_name() -> None:
    assert cached_file_name(DEFAULT_SOURCE_URL) == "online+retail+ii.zip"
    assert cached_file_name("http://h:8000/dir/my%20file.csv.gz?x=1") == "my file.csv.gz"
    assert cached_file_name("http://h/") == "download"
    assert cached_file_name("http://h/%2e%2e%2f%2e%2e%2fpwned.csv") == "pwned.csv"
    assert cached_file_name("http://h/%2ftmp%2fx.csv") == "x.csv"
    assert cached_file_name("http://h/..%5c..%5cx.csv") == "_.._x.csv"
    assert cached_file_name("http://h/%2e%2e") == "download"


def test_cache_path_is_keyed_on_the_whole_url_and_stays_inside(tmp_path: Path) -> None:
    first = cache_path("http://h/a/month.csv?m=1", tmp_path)
    second = cache_path("http://h/month.csv?m=2", tmp_path)
    assert first.name == second.name == "month.csv"
    assert first.parent != second.parent
    assert first.parent.parent == tmp_path


def test_format_progress() -> None:
    assert format_progress("a.zip", 250, 1000) == "downloading a.zip: 250 of 1,000 bytes (25%)"
    assert format_progress("a.zip", 1_234_567, None) == "downloading a.zip: 1,234,567 bytes"
    assert format_progress("a.zip", 0, 0) == "downloading a.zip: 0 bytes"
