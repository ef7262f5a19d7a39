"""Property-based tests (Hypothesis) of the Online Retail CSV reader and the loyalty CSV reader
on DuckDB (issue 27): a generated file, valid or with one random corruption (a field too many
or too few, a bad date, a byte that is not UTF-8, a stray quote, CR or CRLF line ends, a blank
line, a NUL byte), either loads exactly or is refused with a ``LoadError`` that names the file
and a line (and the column, for a bad value), with the warehouse's raw tables unchanged.

"Exactly" is checked against Python's ``csv`` module reading the same bytes: the rows of the
raw table are the file's records, in order, with empty fields as NULL.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from retail_warehouse.errors import LoadError
from retail_warehouse.load import load
from retail_warehouse.load_feed import load_feed
from retail_warehouse.project import seed_column
from retail_warehouse.settings import Settings
from retail_warehouse.sources.loyalty import feed_files
from retail_warehouse.sources.online_retail import SOURCE_COLUMNS

PROPERTY_SETTINGS = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CORRUPTIONS = (
    "none",
    "extra_field",
    "missing_field",
    "bad_date",
    "not_utf8",
    "stray_quote",
    "lone_cr",
    "crlf",
    "blank_line",
    "nul",
)
VALUE_CORRUPTIONS = ("bad_date", "not_utf8")
"""Corruptions of one value: the message must also name its column."""

# --- generating rows -------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    max_size=12,
)
_FREE_TEXT = st.one_of(_TEXT, st.sampled_from(['A "QUOTED", WORD', "two\nlines", " x ", ""]))


def _datetime(first: dt.date, last: dt.date, seconds: bool) -> st.SearchStrategy[str]:
    days = (last - first).days
    return st.builds(
        lambda day, minute, second: (
            dt.datetime.combine(first + dt.timedelta(days=day), dt.time())
            + dt.timedelta(minutes=minute, seconds=second)
        ).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"),
        st.integers(0, days),
        st.integers(0, 24 * 60 - 1),
        st.integers(0, 59) if seconds else st.just(0),
    )


def _online_retail_row() -> st.SearchStrategy[list[str]]:
    countries = sorted(seed_column("country_codes", "country"))
    return st.builds(
        lambda *values: list(values),
        st.from_regex(r"\AC?[0-9]{6}\Z"),
        st.from_regex(r"\A[0-9A-Z]{1,8}\Z"),
        _FREE_TEXT,
        st.integers(-1000, 1000).map(str),
        st.one_of(
            _datetime(dt.date(2009, 12, 1), dt.date(2011, 12, 9), True),
            _datetime(dt.date(2010, 1, 1), dt.date(2010, 12, 31), False),
        ),
        st.decimals(-500, 500, places=2, allow_nan=False).map(str),
        st.one_of(st.just(""), st.integers(12000, 18999).map(str)),
        st.sampled_from(countries),
    )


def _customer_row() -> st.SearchStrategy[list[str]]:
    blank_or = st.one_of(st.just(""), st.integers(0, 10**6).map(str))
    return st.builds(
        lambda *values: list(values),
        st.integers(1, 10**9).map(str),
        _datetime(dt.date(2016, 1, 1), dt.date(2022, 12, 31), False).map(lambda text: text[:10]),
        blank_or,
        blank_or,
        blank_or,
        blank_or,
    )


def _transaction_row() -> st.SearchStrategy[list[str]]:
    return st.builds(
        lambda *values: list(values),
        st.integers(1, 10**9).map(str),
        st.one_of(
            _datetime(dt.date(2016, 1, 1), dt.date(2022, 12, 31), True),
            _datetime(dt.date(2016, 1, 1), dt.date(2022, 12, 31), False).map(lambda t: t[:10]),
        ),
        st.integers(-(10**7), 10**7).map(str),
        st.integers(-(10**5), 10**5).map(str),
    )


# --- writing and corrupting a file -----------------------------------------------------------


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[bytes, list[int]]:
    """The CSV (minimal quoting, LF) and the physical line each data row starts on."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    starts = []
    line = 2
    for row in rows:
        starts.append(line)
        before = buffer.tell()
        writer.writerow(row)
        line += buffer.getvalue()[before:].count("\n")
    return buffer.getvalue().encode("utf-8"), starts


def _corrupt(
    data: bytes, starts: Sequence[int], kind: str, row: int, column: int, date_column: int
) -> bytes:
    """``data`` with one corruption of data row ``row`` (0-based), in field ``column``."""
    lines = data.split(b"\n")
    index = starts[row] - 1  # 0-based index of the row's first line
    line = lines[index]
    if kind == "extra_field":
        lines[index] = line + b",extra"
    elif kind == "missing_field":
        lines[index] = line[: line.rfind(b",")] if b"," in line else b""
    elif kind == "bad_date" and b'"' not in line:
        fields = line.split(b",")
        fields[date_column] = b"2010-13-45"
        lines[index] = b",".join(fields)
    elif kind == "not_utf8" and b'"' not in line:
        fields = line.split(b",")
        fields[column] = fields[column] + b"\xe9"
        lines[index] = b",".join(fields)
    elif kind == "stray_quote":
        lines[index] = line[:1] + b'"' + line[1:]
    elif kind == "lone_cr":
        return data.replace(b"\n", b"\r")
    elif kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    elif kind == "blank_line":
        lines.insert(index, b"")
    elif kind == "nul":
        lines[index] = line[:1] + b"\x00" + line[1:]
    return b"\n".join(lines)


def _reference_rows(data: bytes) -> list[tuple[str | None, ...]] | None:
    """The records Python's csv module reads (empty fields as None, blank lines at the end
    ignored), or None when it cannot read the bytes as UTF-8 CSV."""
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    while rows and rows[-1] == []:
        rows.pop()
    return [tuple(value or None for value in row) for row in rows[1:]]


def _check_refusal(
    error: LoadError,
    file_name: str,
    kind: str,
    line: int,
    column: str,
    date_column: str,
) -> None:
    """One line naming the file and a line; for a corrupted value, its line and column."""
    message = str(error)
    assert "\n" not in message, message
    found = re.match(rf"^{re.escape(file_name)}: line (\d+)", message)
    assert found, f"no file and line: {message}"
    if kind == "bad_date":
        assert message.startswith(f"{file_name}: line {line}, column {date_column}:"), message
    if kind == "not_utf8":
        assert message.startswith(f"{file_name}: line {line}, column {column}:"), message
        assert "not valid UTF-8" in message


# --- Online Retail II --------------------------------------------------------------------------

_BASE_ROW = [
    "B100001",
    "10001",
    "BASE ROW",
    "1",
    "2010-01-04 09:00:00",
    "1.00",
    "12001",
    "United Kingdom",
]
_RAW_SELECT = (
    "select invoice, stock_code, description, quantity, invoice_date, price, customer_id, "
    "country from raw.invoice_lines order by load_id, source_row_number"
)


_TEMPLATES = tempfile.TemporaryDirectory(prefix="rw_properties_")
"""Warehouses holding one earlier load, copied for each example (removed at exit)."""


@functools.cache
def _online_retail_template() -> Path:
    folder = Path(_TEMPLATES.name)
    base = folder / "base.csv"
    base.write_bytes(_csv_bytes(SOURCE_COLUMNS, [_BASE_ROW])[0])
    warehouse = folder / "online_retail.duckdb"
    load(str(base), "duckdb", settings=Settings(duckdb_path=warehouse), progress=io.StringIO())
    return warehouse


@functools.cache
def _loyalty_template() -> Path:
    folder = Path(_TEMPLATES.name)
    base = _write_feed(
        folder / "base_feed",
        _csv_bytes(CUSTOMER_HEADER, [["5000000000", "2016-01-01", "", "", "", ""]])[0],
        _csv_bytes(TRANSACTION_HEADER, [["5000000000", "2016-01-02", "100", "10"]])[0],
    )
    warehouse = folder / "loyalty.duckdb"
    load_feed(feed_files(base), "duckdb", settings=Settings(duckdb_path=warehouse))
    return warehouse


def _raw(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.parametrize("kind", CORRUPTIONS)
@PROPERTY_SETTINGS
@given(
    rows=st.lists(_online_retail_row(), min_size=1, max_size=6),
    where=st.tuples(st.integers(0, 5), st.integers(0, 7)),
)
def test_online_retail_csv_loads_exactly_or_is_refused_with_line_and_column(
    kind: str, rows: list[list[str]], where: tuple[int, int]
) -> None:
    row, column = where[0] % len(rows), where[1]
    data, starts = _csv_bytes(SOURCE_COLUMNS, rows)
    if kind != "none":
        data = _corrupt(data, starts, kind, row, column, SOURCE_COLUMNS.index("InvoiceDate"))
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "generated.csv"
        source.write_bytes(data)
        warehouse = Path(folder) / "warehouse.duckdb"
        shutil.copyfile(_online_retail_template(), warehouse)
        options: dict[str, Any] = {
            "settings": Settings(duckdb_path=warehouse),
            "cache_dir": Path(folder),
            "progress": io.StringIO(),
        }
        before = _raw(warehouse, _RAW_SELECT)
        try:
            load(str(source), "duckdb", **options)
        except LoadError as error:
            _check_refusal(
                error, "generated.csv", kind, starts[row], SOURCE_COLUMNS[column], "InvoiceDate"
            )
            assert _raw(warehouse, _RAW_SELECT) == before
            assert kind != "none", f"a valid file was refused: {error}"
            return
        expected = _reference_rows(data)
        assert expected is not None, f"loaded a file that is not UTF-8 CSV ({kind})"
        assert _raw(warehouse, _RAW_SELECT) == before + expected


# --- the loyalty feed ---------------------------------------------------------------------

CUSTOMER_HEADER = (
    "id",
    "signup_date",
    "number_of_purchases",
    "value_of_purchases",
    "total_standard_points",
    "total_points_redeemed",
)
TRANSACTION_HEADER = ("user_id", "date", "value", "point_differential")
_CUSTOMERS_SELECT = (
    "select id, signup_date, number_of_purchases, value_of_purchases, total_standard_points, "
    "total_points_redeemed from raw.loyalty_customers order by load_id, source_row_number"
)
_TRANSACTIONS_SELECT = (
    "select user_id, transaction_date, value_cents, point_differential "
    "from raw.loyalty_transactions order by load_id, source_row_number"
)


def _feed_state(warehouse: Path) -> tuple[list[Any], list[Any]]:
    return _raw(warehouse, _CUSTOMERS_SELECT), _raw(warehouse, _TRANSACTIONS_SELECT)


def _write_feed(folder: Path, customers: bytes, transactions: bytes) -> Path:
    folder.mkdir()
    (folder / "customers.csv").write_bytes(customers)
    (folder / "transactions.csv").write_bytes(transactions)
    return folder


@pytest.mark.parametrize("kind", CORRUPTIONS)
@PROPERTY_SETTINGS
@given(
    customers=st.lists(_customer_row(), min_size=1, max_size=5),
    transactions=st.lists(_transaction_row(), min_size=1, max_size=5),
    which=st.sampled_from(("customers", "transactions")),
    where=st.tuples(st.integers(0, 4), st.integers(0, 5)),
)
def test_loyalty_csv_loads_exactly_or_is_refused_with_line_and_column(
    kind: str,
    customers: list[list[str]],
    transactions: list[list[str]],
    which: str,
    where: tuple[int, int],
) -> None:
    customer_data, customer_starts = _csv_bytes(CUSTOMER_HEADER, customers)
    transaction_data, transaction_starts = _csv_bytes(TRANSACTION_HEADER, transactions)
    if which == "customers":
        header, rows, starts, date_column = CUSTOMER_HEADER, customers, customer_starts, 1
    else:
        header, rows, starts, date_column = TRANSACTION_HEADER, transactions, transaction_starts, 1
    event(which)
    row, column = where[0] % len(rows), where[1] % len(header)
    corrupt: Callable[[bytes], bytes] = lambda data: (  # noqa: E731
        data if kind == "none" else _corrupt(data, starts, kind, row, column, date_column)
    )
    if which == "customers":
        customer_data = corrupt(customer_data)
    else:
        transaction_data = corrupt(transaction_data)
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Path(folder) / "warehouse.duckdb"
        shutil.copyfile(_loyalty_template(), warehouse)
        options = Settings(duckdb_path=warehouse)
        before = _feed_state(warehouse)
        feed = _write_feed(Path(folder) / "feed", customer_data, transaction_data)
        try:
            load_feed(feed_files(feed), "duckdb", settings=options)
        except LoadError as error:
            _check_refusal(
                error, f"{which}.csv", kind, starts[row], header[column], header[date_column]
            )
            assert _feed_state(warehouse) == before
            assert kind != "none", f"a valid feed was refused: {error}"
            return
        expected_customers = _reference_rows(customer_data)
        expected_transactions = _reference_rows(transaction_data)
        assert expected_customers is not None and expected_transactions is not None, kind
        assert _feed_state(warehouse) == (
            before[0] + expected_customers,
            before[1] + expected_transactions,
        )
