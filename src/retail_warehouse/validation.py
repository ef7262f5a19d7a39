"""The rules a raw file must meet before it is loaded, as pure functions.

The loader checks the whole staged file in SQL with the same regular expressions (see
``VALUE_PATTERNS``), finds the first offending row and then asks ``row_problem`` which column
is wrong and why, so the SQL and the message never disagree.

Line numbers are those of the file: line 1 is the header, so data row ``n`` is on line ``n + 1``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping, Sequence

from retail_warehouse.errors import LoadError

SOURCE_COLUMNS: tuple[str, ...] = (
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
)
"""The header of every raw file, in this order (the original Online Retail II names)."""

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
"""Source column name -> column of ``raw.invoice_lines``."""

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

_COMPILED = {column: re.compile(pattern) for column, pattern in VALUE_PATTERNS.items()}
_DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")

_PATTERN_MESSAGES: dict[str, str] = {
    "Quantity": "{value!r} is not an integer",
    "InvoiceDate": "{value!r} is not a date-time of the form YYYY-MM-DD HH:MM:SS",
    "Price": "{value!r} is not a decimal number",
    "Customer ID": "{value!r} is not a customer number (digits only)",
}


def location(file_name: str, line: int | None = None, column: str | None = None) -> str:
    """The prefix of every message about a file: ``"online.csv: line 7, column Quantity"``."""
    parts = [file_name]
    if line is not None:
        parts.append(f"line {line}")
    text = ": ".join(parts)
    if column is not None:
        text += f", column {column}" if line is not None else f": column {column}"
    return text


def problem_message(file_name: str, line: int | None, column: str | None, problem: str) -> str:
    """A full message: location, a colon, and what is wrong."""
    return f"{location(file_name, line, column)}: {problem}"


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


OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
"""Delimiters of exports that are not comma-separated, named for the message."""

MAX_FIELD_LENGTH = 4000
"""Longest value accepted in any column (Online Retail II descriptions are under 40
characters); a longer one is a broken line, such as a missing line break or quote."""


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
