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
from raw_files import Cell, write_cells_xlsx

from retail_warehouse.errors import LoadError
from retail_warehouse.load import load
from retail_warehouse.load_feed import load_feed
from retail_warehouse.project import seed_column
from retail_warehouse.settings import Settings
from retail_warehouse.sources.loyalty import feed_files
from retail_warehouse.sources.online_retail import SOURCE_COLUMNS, bounds, row_problem

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


# --- the Online Retail II workbook ------------------------------------------------------------

_ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=12,
)


def _cells_of(column: str) -> st.SearchStrategy[Cell]:
    """The cells a user's workbook may hold in ``column`` that the CSV export would accept."""
    first, last = bounds().first_invoice_date, bounds().last_invoice_date
    moment = st.builds(
        lambda day, second, micro: (
            dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=second, microseconds=micro)
        ),
        st.dates(first, last),
        st.integers(0, 24 * 3600 - 1),
        st.sampled_from([0, 400_000, 999_999]),
    )
    number = st.integers(-1000, 1000)
    kinds: dict[str, st.SearchStrategy[Cell]] = {
        "Invoice": st.one_of(
            st.integers(100000, 999999).map(lambda n: ("number", n)),
            st.from_regex(r"\AC?[0-9]{6}\Z").map(lambda t: ("text", t)),
            st.integers(100000, 999999).map(lambda n: ("formula", (f"={n}", n))),
        ),
        "StockCode": st.one_of(
            st.integers(1, 10**8).map(lambda n: ("number", n)),
            st.from_regex(r"\A[0-9A-Z]{1,8}\Z").map(lambda t: ("text", t)),
        ),
        "Description": st.one_of(
            st.just(("blank", None)),
            _ODD_TEXT.map(lambda t: ("text", t)),
            st.sampled_from(["two\nlines", 'A "QUOTED", WORD', " x ", "😀\u200be\u0301"]).map(
                lambda t: ("text", t)
            ),
            _ODD_TEXT.map(lambda t: ("formula", ('="x"', t))),
            st.booleans().map(lambda b: ("bool", b)),
        ),
        "Quantity": st.one_of(
            number.map(lambda n: ("number", n)),
            number.map(lambda n: ("number", float(n))),
            number.map(lambda n: ("formula", ("=2*3", n))),
            number.map(lambda n: ("text", str(n))),
        ),
        "InvoiceDate": st.one_of(
            moment.map(lambda m: ("datetime", m)),
            st.dates(first, last).map(lambda d: ("date", d)),
            moment.map(lambda m: ("text", m.strftime("%Y-%m-%d %H:%M"))),
        ),
        "Price": st.one_of(
            st.decimals(-500, 500, places=2).map(lambda d: ("number", float(d))),
            st.integers(0, 500).map(lambda n: ("number", n)),
            st.decimals(0, 500, places=3).map(lambda d: ("text", str(d))),
        ),
        "Customer ID": st.one_of(
            st.just(("blank", None)),
            st.integers(12000, 18999).map(lambda n: ("number", n)),
            st.integers(12000, 18999).map(lambda n: ("text", str(n))),
        ),
        "Country": st.sampled_from(sorted(seed_column("country_codes", "country"))).map(
            lambda t: ("text", t)
        ),
    }
    return kinds[column]


HOSTILE_CELLS: dict[str, st.SearchStrategy[Cell]] = {
    "none": st.nothing(),
    "any_float": st.floats(allow_nan=False, allow_infinity=False).map(lambda f: ("number", f)),
    "float_noise": st.sampled_from([0.1 + 0.2, 1 / 3, 2.675, 1e20, -1e-7, 12.5, 2**53 + 1.0]).map(
        lambda f: ("number", f)
    ),
    "formula_error": st.sampled_from(["#N/A", "#DIV/0!", "#REF!", "#VALUE!"]).map(
        lambda e: ("error", e)
    ),
    "boolean": st.booleans().map(lambda b: ("bool", b)),
    "odd_text": st.one_of(
        _ODD_TEXT,
        st.sampled_from(
            ["x" * 5000, "2010-13-45 10:00", "04/01/2010 09:00", "  ", "a\rb", "a\r\nb", "\u2028"]
        ),
    ).map(lambda t: ("text", t)),
    "blank": st.just(("blank", None)),
    "datetime_out_of_range": st.sampled_from(
        [dt.datetime(1995, 5, 5, 5, 5, 5), dt.datetime(2031, 1, 1), dt.datetime(1900, 3, 1)]
    ).map(lambda m: ("datetime", m)),
}
"""Cells of every other kind, put anywhere in a row (``none``: the rows as generated)."""

_WORKBOOK_ROW = st.tuples(*(_cells_of(column) for column in SOURCE_COLUMNS)).map(list)


def _exported_text(cell: Cell, column: str) -> str | None:
    """The text the UCI CSV export writes for a cell (None when empty): numbers as Excel
    stores them (16 significant digits), whole ones without a decimal point except Price,
    which always prints as a float; date-times to the nearest second; booleans in capitals."""
    kind, value = cell
    if kind == "formula":
        cached = value[1]
        kind, value = ("text", cached) if isinstance(cached, str) else ("number", cached)
    if kind in ("blank", "error") or (kind == "text" and value == ""):
        return None
    if kind == "text":
        return str(value)
    if kind == "bool":
        return "TRUE" if value else "FALSE"
    if kind == "date":
        return value.strftime("%Y-%m-%d 00:00:00")
    if kind == "datetime":
        nearest = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        return nearest.strftime("%Y-%m-%d %H:%M:%S")
    stored = float(f"{value:.16G}")
    if column == "Price":
        return repr(stored)
    return str(int(stored)) if stored.is_integer() else repr(stored)


def _sheet_rows(rows: list[list[Cell]]) -> list[list[Cell]]:
    """The rows of a sheet the loader reads: trailing rows of blank cells are not data."""
    kept = list(rows)
    while kept and all(kind in ("blank", "text") and not value for kind, value in kept[-1]):
        kept.pop()
    return kept


@pytest.mark.parametrize("kind", HOSTILE_CELLS)
@settings(PROPERTY_SETTINGS, max_examples=12)
@given(
    sheets=st.tuples(
        st.lists(_WORKBOOK_ROW, min_size=1, max_size=5),
        st.lists(_WORKBOOK_ROW, max_size=4),
    ),
    data=st.data(),
)
def test_online_retail_xlsx_loads_exactly_or_is_refused_with_line_and_column(
    kind: str, sheets: tuple[list[list[Cell]], list[list[Cell]]], data: st.DataObject
) -> None:
    first, second = sheets
    if kind != "none":
        rows = first + second
        for _ in range(data.draw(st.integers(1, 2))):
            row = data.draw(st.integers(0, len(rows) - 1))
            rows[row][data.draw(st.integers(0, 7))] = data.draw(HOSTILE_CELLS[kind])
    rows = _sheet_rows(first) + _sheet_rows(second)
    expected = [
        tuple(
            _exported_text(cell, column) for cell, column in zip(row, SOURCE_COLUMNS, strict=True)
        )
        for row in rows
    ]
    problem = _first_problem(rows, expected)
    with tempfile.TemporaryDirectory() as folder:
        source = write_cells_xlsx(Path(folder) / "generated.xlsx", [first, second])
        warehouse = Path(folder) / "warehouse.duckdb"
        shutil.copyfile(_online_retail_template(), warehouse)
        before = _raw(warehouse, _RAW_SELECT)
        options: dict[str, Any] = {
            "settings": Settings(duckdb_path=warehouse),
            "cache_dir": Path(folder),
            "progress": io.StringIO(),
        }
        if problem is None:
            event("loads")
            load(str(source), "duckdb", **options)
            assert _raw(warehouse, _RAW_SELECT) == before + expected
            return
        line, column, words = problem
        event("refused")
        with pytest.raises(LoadError) as refused:
            load(str(source), "duckdb", **options)
        message = str(refused.value)
        assert "\n" not in message, message
        assert message.startswith(f"generated.xlsx: line {line}, column {column}: "), message
        assert words in message, message
        assert _raw(warehouse, _RAW_SELECT) == before


def _first_problem(
    rows: list[list[Cell]], values: list[tuple[str | None, ...]]
) -> tuple[int, str, str] | None:
    """(line, column, words) the loader must report: the first cell holding a formula error
    or a lone carriage return (found while the workbook is read, before any value is
    checked; an error first in its row), else the first rule broken, in row order."""
    for line, (row, row_values) in enumerate(zip(rows, values, strict=True), 2):
        for cell, column in zip(row, SOURCE_COLUMNS, strict=True):
            if cell[0] == "error":
                return line, column, f"the cell holds the formula error '{cell[1]}'"
        for value, column in zip(row_values, SOURCE_COLUMNS, strict=True):
            if value is not None and re.search("\r(?!\n)", value):
                return line, column, "the cell holds a carriage return (CR) without a line feed"
    for line, row_values in enumerate(values, 2):
        found = row_problem(dict(zip(SOURCE_COLUMNS, row_values, strict=True)))
        if found is not None:
            return line, *found
    return None


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


# --- regressions the workbook property found -----------------------------------------------


def _workbook_row(quantity: Cell, description: str = "CUP") -> list[Cell]:
    return [("number", 100001), ("text", "10001"), ("text", description), quantity,
            ("datetime", dt.datetime(2010, 1, 4, 9)), ("number", 1.5), ("blank", None),
            ("text", "France")]  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        # A line break in a cell above used to move the reported line down by one.
        (("number", 1.5), "generated.xlsx: line 4, column Quantity: '1.5' is not an integer"),
        # A formula error used to load as an empty cell.
        (
            ("error", "#N/A"),
            "generated.xlsx: line 4, column Quantity: the cell holds the formula error '#N/A' "
            "(sheet 'Year 2009-2010', cell D4): fix or clear it",
        ),
        # A lone CR in a cell used to be refused as the file's line endings, without a column.
        (
            ("text", "1\r2"),
            "generated.xlsx: line 4, column Quantity: the cell holds a carriage return (CR) "
            "without a line feed: remove it (sheet 'Year 2009-2010')",
        ),
    ],
)
def test_workbook_refusals_name_the_row_and_column_of_the_cell(
    tmp_path: Path, bad: Cell, message: str
) -> None:
    rows = [_workbook_row(("number", 1), "TWO\nLINES"), _workbook_row(("number", 2))]
    source = write_cells_xlsx(tmp_path / "generated.xlsx", [[*rows, _workbook_row(bad)], []])
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(_online_retail_template(), warehouse)
    before = _raw(warehouse, _RAW_SELECT)
    with pytest.raises(LoadError) as refused:
        load(
            str(source),
            "duckdb",
            settings=Settings(duckdb_path=warehouse),
            cache_dir=tmp_path,
            progress=io.StringIO(),
        )
    assert str(refused.value) == message
    assert _raw(warehouse, _RAW_SELECT) == before
