"""Online Retail II (UCI dataset 502): where its files are, how to read them, what a valid row is.

Four file formats are accepted, recognised by their first bytes (``files.sniff_format``):

* CSV and gzip-compressed CSV, loaded as they are;
* the UCI workbook (XLSX) with the sheets "Year 2009-2010" and "Year 2010-2011", written to a
  temporary CSV in exactly the text form of the shared CSV;
* the UCI zip download, which holds the workbook (or a CSV): the inner file is extracted to a
  temporary folder and read as above.

``prepared_csv`` hides all of this: it yields a ``CsvInput`` whose header has been checked.

The rules a row must meet are pure functions here; the loader checks the whole staged file in
SQL with the same regular expressions (``VALUE_PATTERNS``), finds the first offending row and
then asks ``row_problem`` which column is wrong and why, so the SQL and the message never
disagree. Line numbers are those of the file: line 1 is the header, so data row ``n`` is on
line ``n + 1``. ``SYSTEM`` is what the loader uses (see ``retail_warehouse.sources``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import re
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from retail_warehouse.engines.base import (
    LOAD_COLUMNS,
    RawTable,
    quarantine_columns,
    text_columns,
)
from retail_warehouse.errors import LoadError
from retail_warehouse.sources import SourceSystem
from retail_warehouse.sources.files import (
    CsvInput,
    SourceFormat,
    extract_zip_member,
    open_input,
    sniff_format,
)
from retail_warehouse.sources.workbook import SheetLayout, workbook_to_csv

DEFAULT_SOURCE_URL = "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"
"""The official UCI download of Online Retail II (dataset 502, CC BY 4.0)."""

SOURCE_ENV_VAR = "ONLINE_RETAIL_SOURCE"
"""Environment variable that overrides the default source."""

RAW_COLUMNS: dict[str, str] = {
    "Invoice": "invoice",
    "StockCode": "stock_code",
    "Description": "description",
    "Quantity": "quantity",
    "InvoiceDate": "invoice_date",
    "Price": "price",
    "Customer ID": "customer_id",
    "Country": "country",
}
"""Source column name -> column of ``raw.invoice_lines``, in file order."""

SOURCE_COLUMNS: tuple[str, ...] = tuple(RAW_COLUMNS)
"""The header of every raw file, in this order (the original Online Retail II names)."""

REQUIRED_COLUMNS: tuple[str, ...] = (
    "Invoice",
    "StockCode",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Country",
)
"""Columns that must not be empty. Description and Customer ID may be."""

VALUE_PATTERNS: dict[str, str] = {
    "Quantity": r"^-?[0-9]+$",
    "InvoiceDate": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$",
    "Price": r"^-?[0-9]+(\.[0-9]{1,3})?$",
    "Customer ID": r"^[0-9]+$",
}
"""Regular expressions (valid in Python, DuckDB/RE2 and PostgreSQL) that non-empty values of
these columns must match."""

MAX_FIELD_LENGTH = 4000
"""Longest value accepted in any column (Online Retail II descriptions are under 40
characters); a longer one is a broken line, such as a missing line break or quote."""

OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
"""Delimiters of exports that are not comma-separated, named for the message."""

WORKBOOK = SheetLayout(
    sheets=("Year 2009-2010", "Year 2010-2011"),
    columns=SOURCE_COLUMNS,
    float_columns=("Price",),
)
"""The UCI workbook: both sheets, in order; Price always prints as a float (``18.0``)."""

XLSX_SHEETS: tuple[str, ...] = WORKBOOK.sheets
"""The workbook's sheets, read in this order."""

WORKBOOK_MEMBER = "online_retail_II.xlsx"
"""The workbook's name inside the UCI zip."""

INVOICE_LINES = RawTable("invoice_lines", text_columns(list(RAW_COLUMNS.values())) + LOAD_COLUMNS)
"""The eight source columns as text exactly as in the file (empty fields NULL), then where
and when each row was loaded."""

QUARANTINE_LINES = RawTable("quarantine_lines", quarantine_columns(list(RAW_COLUMNS.values())))
"""Rows set aside in quarantine mode, with their line and reason."""

_COMPILED = {column: re.compile(pattern) for column, pattern in VALUE_PATTERNS.items()}
_DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")

_PATTERN_MESSAGES: dict[str, str] = {
    "Quantity": "{value!r} is not an integer",
    "InvoiceDate": "{value!r} is not a date-time of the form YYYY-MM-DD HH:MM:SS",
    "Price": "{value!r} is not a decimal number",
    "Customer ID": "{value!r} is not a customer number (digits only)",
}


# --- the header ------------------------------------------------------------------------------


def parse_header_line(line: str) -> list[str]:
    """Split the first line of a CSV file into field names (BOM and line end removed)."""
    line = line.removeprefix("\ufeff").rstrip("\r\n")
    if not line:
        return []
    return next(csv.reader([line]))


def header_problem(found: Sequence[str]) -> tuple[int, str] | None:
    """Compare a header with ``SOURCE_COLUMNS``.

    Returns ``None`` when it matches, else ``(column_number, message)`` for the first column
    that differs, with a hint about missing, extra or reordered columns.
    """
    expected = SOURCE_COLUMNS
    if tuple(found) == expected:
        return None
    index = next(
        i
        for i in range(max(len(found), len(expected)))
        if i >= len(found) or i >= len(expected) or found[i] != expected[i]
    )
    if index >= len(found):
        message = f"expected {expected[index]!r}, found no column"
    elif index >= len(expected):
        message = f"unexpected extra column {found[index]!r}"
    else:
        message = f"expected {expected[index]!r}, found {found[index]!r}"
    return index + 1, message + _header_hint(found)


def _header_hint(found: Sequence[str]) -> str:
    """Which expected columns are missing and which found ones are unknown."""
    if len(found) == 1:
        for delimiter, name in OTHER_DELIMITERS.items():
            if delimiter in found[0]:
                return f" (the file is separated by {name}, not commas: export it as CSV)"
    missing = [name for name in SOURCE_COLUMNS if name not in found]
    extra = [name for name in found if name not in SOURCE_COLUMNS]
    notes = []
    if missing:
        notes.append("missing " + ", ".join(repr(name) for name in missing))
    if extra:
        notes.append("unexpected " + ", ".join(repr(name) for name in extra))
    if not notes:
        notes.append("the columns are in another order")
    return " (" + "; ".join(notes) + ")"


def check_header(found: Sequence[str], file_name: str) -> None:
    """Raise ``LoadError`` naming the file, line 1 and the column if the header is wrong."""
    problem = header_problem(found)
    if problem is not None:
        column_number, message = problem
        raise LoadError(f"{file_name}: line 1, column {column_number}: {message}")


# --- the values ------------------------------------------------------------------------------


def is_real_datetime(value: str) -> bool:
    """True if a value that matches the InvoiceDate pattern is a real calendar date-time."""
    try:
        dt.datetime(
            int(value[0:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]) if len(value) > 16 else 0,
        )
    except ValueError:
        return False
    return True


def value_problem(column: str, value: str | None) -> str | None:
    """What is wrong with one raw value, or ``None`` if it is acceptable."""
    if value is None or value == "":
        return "the value is empty" if column in REQUIRED_COLUMNS else None
    if len(value) > MAX_FIELD_LENGTH:
        return (
            f"the value is {len(value):,} characters long (more than {MAX_FIELD_LENGTH:,}; "
            "a missing line break or quote?)"
        )
    pattern = _COMPILED.get(column)
    if pattern is None:
        return None
    if not pattern.match(value):
        if column == "Price" and _DECIMAL.match(value):
            return f"{value!r} has more than 3 decimals"
        return _PATTERN_MESSAGES[column].format(value=value)
    if column == "InvoiceDate" and not is_real_datetime(value):
        return f"{value!r} is not a real date and time"
    return None


def row_problem(values: Mapping[str, str | None]) -> tuple[str, str] | None:
    """The first ``(column, problem)`` of a row, in file column order, or ``None``."""
    for column in SOURCE_COLUMNS:
        problem = value_problem(column, values.get(column))
        if problem is not None:
            return column, problem
    return None


# --- turning any file of this system into a checked CSV --------------------------------------


def choose_zip_member(names: Sequence[str]) -> str | None:
    """The file to read from a zip: the UCI workbook, else the only .xlsx/.csv/.csv.gz."""
    candidates = [
        name
        for name in names
        if not name.endswith("/")
        and not name.startswith("__MACOSX/")
        and name.lower().endswith((".xlsx", ".csv", ".csv.gz"))
    ]
    for name in candidates:
        if name.rsplit("/", 1)[-1] == WORKBOOK_MEMBER:
            return name
    return candidates[0] if len(candidates) == 1 else None


@contextlib.contextmanager
def prepared_csv(path: Path, display_name: str | None = None) -> Iterator[CsvInput]:
    """Yield a header-checked CSV for ``path``; temporary files are removed afterwards."""
    name = display_name or path.name
    source_format = sniff_format(path)
    if source_format in (SourceFormat.CSV, SourceFormat.CSV_GZ):
        csv_input = CsvInput(path, source_format is SourceFormat.CSV_GZ, name)
        check_csv_file(csv_input)
        yield csv_input
        return
    with tempfile.TemporaryDirectory(prefix="retail_warehouse_") as temp_dir:
        if source_format is SourceFormat.XLSX:
            csv_path = Path(temp_dir) / (path.stem + ".csv")
            workbook_to_csv(path, csv_path, name, WORKBOOK, check_header)
            csv_input = CsvInput(csv_path, False, name)
            check_csv_file(csv_input)
            yield csv_input
            return
        expected = f"{WORKBOOK_MEMBER} or one .csv file"
        inner = extract_zip_member(path, Path(temp_dir), name, choose_zip_member, expected)
        if sniff_format(inner) is SourceFormat.ZIP:
            raise LoadError(f"{name}: holds another zip ({inner.name}); unpack it first")
        with prepared_csv(inner, f"{inner.name} in {name}") as prepared:
            yield prepared


def check_csv_file(csv_input: CsvInput) -> None:
    """Check that a CSV file has the expected header and at least one line after it."""
    name = csv_input.display_name
    try:
        with open_input(csv_input) as handle:
            first = handle.readline(1 << 16)
            second = handle.readline(1 << 16)
    except (OSError, EOFError, zlib.error) as error:
        gzipped = csv_input.gzipped
        what = "the gzip data is truncated or corrupt" if gzipped else "cannot read the file"
        raise LoadError(f"{name}: {what} ({error})") from error
    if not first:
        raise LoadError(f"{name}: the file is empty")
    try:
        header_text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError(f"{name}: line 1: the header is not valid UTF-8 text") from None
    check_header(parse_header_line(header_text), name)
    if not second:
        raise LoadError(f"{name}: no data rows after the header")


SYSTEM = SourceSystem(
    name="online_retail",
    columns=RAW_COLUMNS,
    required=REQUIRED_COLUMNS,
    patterns=VALUE_PATTERNS,
    datetime_columns=("InvoiceDate",),
    max_field_length=MAX_FIELD_LENGTH,
    row_problem=row_problem,
    is_real_datetime=is_real_datetime,
    prepare=prepared_csv,
    raw_table=INVOICE_LINES,
    quarantine_table=QUARANTINE_LINES,
    env_var=SOURCE_ENV_VAR,
    default_source=DEFAULT_SOURCE_URL,
)
"""Online Retail II as the loader sees it."""


def resolve_source(option: str | None, env: Mapping[str, str] | None = None) -> str:
    """The source to load: the option if given, else ``$ONLINE_RETAIL_SOURCE``, else UCI's URL."""
    return SYSTEM.resolve_source(option, env)
