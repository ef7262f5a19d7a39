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
import datetime as dt
import functools
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from retail_warehouse.engines.base import (
    LOAD_COLUMNS,
    RawTable,
    quarantine_columns,
    text_columns,
)
from retail_warehouse.errors import LoadError, escape_unprintable
from retail_warehouse.inputs import CsvInput
from retail_warehouse.project import dbt_var, seed_column
from retail_warehouse.sources import SourceSystem
from retail_warehouse.sources.csv_checks import check_csv_file, check_header
from retail_warehouse.sources.files import (
    SourceFormat,
    extract_zip_member,
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

WHOLE_NUMBER = r"^-?[0-9]+$"
"""A whole number as a source file writes it: ASCII digits, a minus sign at most (no "+", no
"_", no exponent, no spaces; Python's ``int()`` and ``float()`` take all of those)."""
DIGITS_ONLY = r"^[0-9]+$"
"""An id or a count: ASCII digits only."""
DECIMAL_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
"""A decimal number: a whole number with an optional fraction after a point (no exponent,
no "1." or ".5"). Price narrows it to 3 decimals."""

VALUE_PATTERNS: dict[str, str] = {
    "Quantity": WHOLE_NUMBER,
    "InvoiceDate": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$",
    "Price": r"^-?[0-9]+(\.[0-9]{1,3})?$",
    "Customer ID": DIGITS_ONLY,
}
"""Regular expressions (valid in Python, DuckDB/RE2 and PostgreSQL) that non-empty values of
these columns must match."""

RECHECKED_COLUMNS: tuple[str, ...] = ("Quantity", "InvoiceDate", "Price", "Customer ID", "Country")
"""Columns whose values, once they match their pattern, are checked again in Python: real
date-times, the plausible ranges (``Bounds``) and the countries of the seed."""

COUNTRY_SEED = "country_codes"
"""The seed that lists every country name the build accepts (column ``country``)."""

MAX_FIELD_LENGTH = 4000
"""Longest value accepted in any column (Online Retail II descriptions are under 40
characters); a longer one is a broken line, such as a missing line break or quote."""

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


@dataclass(frozen=True)
class Bounds:
    """The plausible range of each typed value; the numbers are the vars of the same names
    in ``dbt_project.yml`` (their one home, which the staging tests read too)."""

    first_invoice_date: dt.date
    last_invoice_date: dt.date
    max_abs_quantity: int
    max_abs_price: Decimal
    max_customer_id: int


@functools.cache
def bounds() -> Bounds:
    """The bounds from ``dbt_project.yml``."""
    return Bounds(
        first_invoice_date=dt.date.fromisoformat(str(dbt_var("online_retail_first_invoice_date"))),
        last_invoice_date=dt.date.fromisoformat(str(dbt_var("online_retail_last_invoice_date"))),
        max_abs_quantity=int(dbt_var("online_retail_max_abs_quantity")),
        max_abs_price=Decimal(str(dbt_var("online_retail_max_abs_price"))),
        max_customer_id=int(dbt_var("online_retail_max_customer_id")),
    )


BLANK_VALUE = "the value is blank (only spaces)"
"""The problem of a required value that staging's ``trim()`` would turn into ''."""

_COMPILED = {column: re.compile(pattern) for column, pattern in VALUE_PATTERNS.items()}
_DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")

_PATTERN_MESSAGES: dict[str, str] = {
    "Quantity": "{value!r} is not an integer",
    "InvoiceDate": "{value!r} is not a date-time of the form YYYY-MM-DD HH:MM:SS",
    "Price": "{value!r} is not a decimal number",
    "Customer ID": "{value!r} is not a customer number (digits only)",
}


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


def sql_trim(value: str) -> str:
    """``value`` as staging's SQL ``trim()`` leaves it: without leading and trailing spaces,
    and only spaces (a tab or a no-break space stays, on every engine). The loader's rules
    use this, never ``str.strip()``, so a value they accept is the value staging sees."""
    return value.strip(" ")


def value_problem(column: str, value: str | None) -> str | None:
    """What is wrong with one raw value, or ``None`` if it is acceptable."""
    if value is None or value == "":
        return "the value is empty" if column in REQUIRED_COLUMNS else None
    if column in REQUIRED_COLUMNS and sql_trim(value) == "":
        return BLANK_VALUE
    if len(value) > MAX_FIELD_LENGTH:
        return (
            f"the value is {len(value):,} characters long (more than {MAX_FIELD_LENGTH:,}; "
            "a missing line break or quote?)"
        )
    pattern = _COMPILED.get(column)
    if pattern is not None and not pattern.match(value):
        if column == "Price" and _DECIMAL.match(value):
            return f"{value!r} has more than 3 decimals"
        return _PATTERN_MESSAGES[column].format(value=value)
    if column == "InvoiceDate" and not is_real_datetime(value):
        return f"{value!r} is not a real date and time"
    return _range_problem(column, value)


def _range_problem(column: str, value: str) -> str | None:
    """A well-formed value outside the plausible range, or a country the seed lacks."""
    limits = bounds()
    var = "see vars online_retail_* in dbt_project.yml"
    if column == "Quantity" and abs(int(value)) > limits.max_abs_quantity:
        return f"{value!r} is out of range (at most {limits.max_abs_quantity:,} either way; {var})"
    if column == "Price" and abs(Decimal(value)) > limits.max_abs_price:
        return f"{value!r} is out of range (at most {limits.max_abs_price:,} either way; {var})"
    if column == "Customer ID" and int(value) > limits.max_customer_id:
        return f"{value!r} is out of range (at most {limits.max_customer_id:,}; {var})"
    if column == "InvoiceDate":
        day = dt.date.fromisoformat(value[:10])
        if not limits.first_invoice_date <= day <= limits.last_invoice_date:
            return (
                f"{value!r} is outside the plausible dates {limits.first_invoice_date} to "
                f"{limits.last_invoice_date} ({var})"
            )
    countries = seed_column(COUNTRY_SEED, "country") if column == "Country" else ()
    if column == "Country" and sql_trim(value) not in countries:
        if value.strip() in countries:
            return (
                f"{value!r} has a tab, no-break space or other invisible character around "
                "the name (staging trims spaces only): remove it"
            )
        return (
            f"{value!r} is not a known country: add it to seeds/{COUNTRY_SEED}.csv "
            "(with its ISO code) and run dbt seed"
        )
    return None


def row_problem(values: Mapping[str, str | None]) -> tuple[str, str] | None:
    """The first ``(column, problem)`` of a row, in file column order, or ``None``."""
    for column in SOURCE_COLUMNS:
        problem = value_problem(column, values.get(column))
        if problem is not None:
            return column, problem
    return None


# --- turning any file of this system into a checked CSV --------------------------------------


def check_online_retail_header(found: Sequence[str], file_name: str) -> None:
    """``check_header`` against this system's eight columns (for the workbook's sheets)."""
    check_header(found, file_name, SOURCE_COLUMNS)


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
        check_csv_file(csv_input, SOURCE_COLUMNS)
        yield csv_input
        return
    with tempfile.TemporaryDirectory(prefix="retail_warehouse_") as temp_dir:
        if source_format is SourceFormat.XLSX:
            csv_path = Path(temp_dir) / (path.stem + ".csv")
            workbook_to_csv(path, csv_path, name, WORKBOOK, check_online_retail_header)
            csv_input = CsvInput(csv_path, False, name, row_per_line=True)
            check_csv_file(csv_input, SOURCE_COLUMNS)
            yield csv_input
            return
        expected = f"{WORKBOOK_MEMBER} or one .csv file"
        inner = extract_zip_member(path, Path(temp_dir), name, choose_zip_member, expected)
        if sniff_format(inner) is SourceFormat.ZIP:
            raise LoadError(f"{name}: holds another zip ({inner.name}); unpack it first")
        with prepared_csv(inner, f"{escape_unprintable(inner.name)} in {name}") as prepared:
            yield prepared


def check_download(path: Path, name: str) -> None:
    """A quick check that a downloaded file is one of this system's files (run before it is
    cached): a readable zip with the workbook or one CSV, or a CSV with the right header."""
    source_format = sniff_format(path)
    if source_format in (SourceFormat.CSV, SourceFormat.CSV_GZ):
        check_csv_file(CsvInput(path, source_format is SourceFormat.CSV_GZ, name), SOURCE_COLUMNS)
    elif source_format is SourceFormat.ZIP:
        with zipfile.ZipFile(path) as archive:
            if choose_zip_member(archive.namelist()) is None:
                raise LoadError(f"{name}: expected {WORKBOOK_MEMBER} or one .csv file in the zip")


SYSTEM = SourceSystem(
    name="online_retail",
    columns=RAW_COLUMNS,
    required=REQUIRED_COLUMNS,
    patterns=VALUE_PATTERNS,
    rechecked_columns=RECHECKED_COLUMNS,
    max_field_length=MAX_FIELD_LENGTH,
    row_problem=row_problem,
    value_problem=value_problem,
    prepare=prepared_csv,
    check_download=check_download,
    raw_table=INVOICE_LINES,
    quarantine_table=QUARANTINE_LINES,
    env_var=SOURCE_ENV_VAR,
    default_source=DEFAULT_SOURCE_URL,
)
"""Online Retail II as the loader sees it."""


def resolve_source(option: str | None, env: Mapping[str, str] | None = None) -> str:
    """The source to load: the option if given, else ``$ONLINE_RETAIL_SOURCE``, else UCI's URL."""
    return SYSTEM.resolve_source(option, env)
