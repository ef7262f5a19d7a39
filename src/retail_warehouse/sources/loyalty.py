"""A loyalty programme's own export: ``customers.csv`` and ``transactions.csv`` in one folder.

The format (docs/loyalty.md): ``customers.csv`` has ``id``, ``signup_date`` (YYYY-MM-DD) and
four summary columns that are often blank (``number_of_purchases``, ``value_of_purchases`` in
cents, ``total_standard_points``, ``total_points_redeemed``); ``transactions.csv`` has
``user_id``, ``date`` (YYYY-MM-DD, optionally with HH:MM[:SS]), ``value`` in whole cents
(negative for a refund) and ``point_differential`` (points earned minus points spent). Every
number is a whole number: money in cents, so nothing here or in dbt is floating point.

Each file is a ``SourceSystem`` of its own (its header, rules and raw table); ``feed_files``
finds both in a folder and ``retail_warehouse.load_feed.load_feed`` loads them in one transaction.
The raw tables keep every column as text exactly as in the file; ``date`` and ``value`` are
stored as ``transaction_date`` and ``value_cents`` (plain words that no SQL dialect reserves).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from retail_warehouse.engines.base import (
    LOAD_COLUMNS,
    RawTable,
    quarantine_columns,
    text_columns,
)
from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput
from retail_warehouse.project import dbt_var
from retail_warehouse.sources import LazyPatterns, SourceSystem
from retail_warehouse.sources.csv_checks import check_csv_file
from retail_warehouse.sources.files import SourceFormat, folder_file, sniff_format

SOURCE_ENV_VAR = "LOYALTY_SOURCE"
"""Environment variable naming the feed's folder when ``--source`` is not given."""

MAX_FIELD_LENGTH = 100
"""Longest value accepted in any column (ids, dates and numbers are short)."""

WHOLE = r"^[0-9]{1,18}$"
SIGNED_WHOLE = r"^-?[0-9]{1,18}$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_OR_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$"

CUSTOMER_COLUMNS: dict[str, str] = {
    "id": "id",
    "signup_date": "signup_date",
    "number_of_purchases": "number_of_purchases",
    "value_of_purchases": "value_of_purchases",
    "total_standard_points": "total_standard_points",
    "total_points_redeemed": "total_points_redeemed",
}
"""customers.csv header -> column of ``raw.loyalty_customers``, in file order."""

TRANSACTION_COLUMNS: dict[str, str] = {
    "user_id": "user_id",
    "date": "transaction_date",
    "value": "value_cents",
    "point_differential": "point_differential",
}
"""transactions.csv header -> column of ``raw.loyalty_transactions``, in file order."""

PATTERNS: dict[str, str] = {
    "id": WHOLE,
    "signup_date": DATE,
    "number_of_purchases": WHOLE,
    "value_of_purchases": SIGNED_WHOLE,
    "total_standard_points": SIGNED_WHOLE,
    "total_points_redeemed": WHOLE,
    "user_id": WHOLE,
    "date": DATE_OR_DATETIME,
    "value": SIGNED_WHOLE,
    "point_differential": SIGNED_WHOLE,
}
"""Regular expressions (Python, RE2 and PostgreSQL) that non-empty values must match."""

PATTERN_MESSAGES: dict[str, str] = {
    WHOLE: "{value!r} is not a whole number of at most 18 digits, without a sign",
    SIGNED_WHOLE: "{value!r} is not a whole number (cents and points have no decimals)",
    DATE: "{value!r} is not a date of the form YYYY-MM-DD",
    DATE_OR_DATETIME: "{value!r} is not a date of the form YYYY-MM-DD [HH:MM[:SS]]",
}

CUSTOMER_REQUIRED = ("id", "signup_date")
"""The summary columns of customers.csv may be blank; the warehouse fills them."""

TRANSACTION_REQUIRED = tuple(TRANSACTION_COLUMNS)
"""Every column of transactions.csv must have a value."""

_COMPILED = {column: re.compile(pattern) for column, pattern in PATTERNS.items()}

RowProblem = Callable[[Mapping[str, str | None]], tuple[str, str] | None]
Prepare = Callable[[Path, str | None], AbstractContextManager[CsvInput]]


def is_real_date(value: str) -> bool:
    """True if a value of the form YYYY-MM-DD[ HH:MM[:SS]] is a real calendar date and time."""
    try:
        dt.datetime(
            int(value[0:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]) if len(value) > 10 else 0,
            int(value[14:16]) if len(value) > 10 else 0,
            int(value[17:19]) if len(value) > 16 else 0,
        )
    except ValueError:
        return False
    return True


def value_problem(column: str, value: str | None, required: tuple[str, ...]) -> str | None:
    """What is wrong with one raw value of ``column``, or ``None``."""
    if value is None or value == "":
        return "the value is empty" if column in required else None
    if len(value) > MAX_FIELD_LENGTH:
        return f"the value is {len(value):,} characters long (more than {MAX_FIELD_LENGTH})"
    pattern = _COMPILED[column]
    if not pattern.match(value):
        return PATTERN_MESSAGES[pattern.pattern].format(value=value)
    if column in AMOUNT_COLUMNS:
        return _amount_problem(column, value)
    if column in ("signup_date", "date"):
        if not is_real_date(value):
            return f"{value!r} is not a real date"
        first, last = date_bounds()
        if not first <= dt.date.fromisoformat(value[:10]) <= last:
            return (
                f"{value!r} is outside the plausible dates {first} to {last} (see vars "
                "loyalty_feed_first_date and loyalty_feed_last_date in dbt_project.yml)"
            )
    return None


MONEY_COLUMNS = ("value", "value_of_purchases")
"""Amounts in cents: at most ``Bounds.max_abs_cents`` either way."""

POINTS_COLUMNS = ("point_differential", "total_standard_points", "total_points_redeemed")
"""Points: at most ``Bounds.max_abs_points`` either way."""

MAX_PURCHASES = 2_147_483_647
"""The most ``number_of_purchases`` may be: staging types it integer."""

AMOUNT_COLUMNS = (*MONEY_COLUMNS, *POINTS_COLUMNS, "number_of_purchases")
"""The numbers with a plausible range (whole numbers of up to 18 digits pass the pattern,
more than the marts' arithmetic can take: hostile round, item 3)."""


@dataclass(frozen=True)
class Bounds:
    """The plausible size of a feed's numbers (vars ``loyalty_feed_max_abs_cents`` and
    ``loyalty_feed_max_abs_points`` of ``dbt_project.yml``, their one home)."""

    max_abs_cents: int
    max_abs_points: int


@functools.cache
def bounds() -> Bounds:
    """The bounds from ``dbt_project.yml``, read when a load first needs them (never at
    import: an installed package, the API's wheel, has no dbt_project.yml)."""
    return Bounds(
        max_abs_cents=int(dbt_var("loyalty_feed_max_abs_cents")),
        max_abs_points=int(dbt_var("loyalty_feed_max_abs_points")),
    )


def _limit(column: str) -> int:
    """The largest absolute value of an ``AMOUNT_COLUMNS`` column."""
    if column in MONEY_COLUMNS:
        return bounds().max_abs_cents
    if column in POINTS_COLUMNS:
        return bounds().max_abs_points
    return MAX_PURCHASES


def _amount_problem(column: str, value: str) -> str | None:
    """A whole number (already matching its pattern) beyond its column's bound, or ``None``."""
    most = _limit(column)
    if abs(int(value)) <= most:
        return None
    if column in MONEY_COLUMNS:
        var = "loyalty_feed_max_abs_cents"
    elif column in POINTS_COLUMNS:
        var = "loyalty_feed_max_abs_points"
    else:
        return f"{value!r} is out of range (at most {most:,}, the integer of staging)"
    return (
        f"{value!r} is out of range (at most {most:,} either way; see var {var} in dbt_project.yml)"
    )


def recheck_patterns(columns: Iterable[str]) -> dict[str, str]:
    """``SourceSystem.recheck_patterns`` of one file: for each of its ``AMOUNT_COLUMNS``, a
    pattern that every value beyond the bound matches (as many digits as the bound, or
    more), so only those few distinct values go to Python (bounds: ``bounds``)."""
    return {
        column: f"^-?[0-9]{{{len(str(_limit(column)))},}}$"
        for column in columns
        if column in AMOUNT_COLUMNS
    }


@functools.cache
def date_bounds() -> tuple[dt.date, dt.date]:
    """The first and last date a feed may hold (vars ``loyalty_feed_first_date`` and
    ``loyalty_feed_last_date`` of ``dbt_project.yml``, their one home)."""
    return (
        dt.date.fromisoformat(str(dbt_var("loyalty_feed_first_date"))),
        dt.date.fromisoformat(str(dbt_var("loyalty_feed_last_date"))),
    )


def _row_problem(columns: Mapping[str, str], required: tuple[str, ...]) -> RowProblem:
    """``row_problem`` of one file: its columns in order, with its required ones."""

    def row_problem(values: Mapping[str, str | None]) -> tuple[str, str] | None:
        """The first ``(column, problem)`` of a row, in file column order, or ``None``."""
        for column in columns:
            problem = value_problem(column, values.get(column), required)
            if problem is not None:
                return column, problem
        return None

    return row_problem


def _prepare(header: tuple[str, ...]) -> Prepare:
    """``prepare`` of one file: a CSV (or .csv.gz) whose header must be ``header``."""

    @contextlib.contextmanager
    def prepared_csv(path: Path, display_name: str | None = None) -> Iterator[CsvInput]:
        """The file as a header-checked CSV (plain or gzip-compressed; nothing else)."""
        name = display_name or path.name
        source_format = sniff_format(path)
        if source_format not in (SourceFormat.CSV, SourceFormat.CSV_GZ):
            raise LoadError(f"{name}: a loyalty feed file must be a CSV file (or .csv.gz)")
        csv_input = CsvInput(path, source_format is SourceFormat.CSV_GZ, name)
        check_csv_file(csv_input, header)
        yield csv_input

    return prepared_csv


def _check_download(header: tuple[str, ...]) -> Callable[[Path, str], None]:
    """``check_download`` of one file: what ``prepare`` checks, without keeping the file."""
    prepare = _prepare(header)

    def check(path: Path, name: str) -> None:
        with prepare(path, name):
            pass

    return check


def _system(
    name: str, columns: dict[str, str], required: tuple[str, ...], datetime_column: str
) -> SourceSystem:
    """One file of the feed as a source system."""
    amounts = tuple(column for column in columns if column in AMOUNT_COLUMNS)
    return SourceSystem(
        name=name,
        columns=columns,
        required=required,
        patterns={column: PATTERNS[column] for column in columns},
        rechecked_columns=(datetime_column, *amounts),
        recheck_patterns=LazyPatterns(lambda: recheck_patterns(columns)),
        max_field_length=MAX_FIELD_LENGTH,
        row_problem=_row_problem(columns, required),
        value_problem=lambda column, value: value_problem(column, value, required),
        prepare=_prepare(tuple(columns)),
        check_download=_check_download(tuple(columns)),
        raw_table=RawTable(name, text_columns(list(columns.values())) + LOAD_COLUMNS),
        quarantine_table=RawTable(f"{name}_quarantine", quarantine_columns(list(columns.values()))),
        env_var=SOURCE_ENV_VAR,
        newest_load_only=True,
        default_source="",
    )


CUSTOMERS = _system("loyalty_customers", CUSTOMER_COLUMNS, CUSTOMER_REQUIRED, "signup_date")
"""customers.csv as the loader sees it (raw table ``loyalty_customers``)."""

TRANSACTIONS = _system("loyalty_transactions", TRANSACTION_COLUMNS, TRANSACTION_REQUIRED, "date")
"""transactions.csv as the loader sees it (raw table ``loyalty_transactions``)."""

FEED_FILES: tuple[tuple[str, SourceSystem], ...] = (
    ("customers", CUSTOMERS),
    ("transactions", TRANSACTIONS),
)
"""The files of a feed folder (``<name>.csv`` or ``<name>.csv.gz``), loaded in this order."""


def feed_files(folder: str | Path | None) -> list[tuple[SourceSystem, Path]]:
    """The feed's files in ``folder`` (default ``$LOYALTY_SOURCE``), in loading order.

    Raises ``LoadError`` when the folder or one of its files is missing, and for what
    ``files.folder_file`` refuses: two files of one name (``customers.csv`` and
    ``customers.csv.gz``), a file that is not a regular file, a link out of the folder.
    """
    text = CUSTOMERS.resolve_source(None if folder is None else str(folder))
    if not text:
        raise LoadError(
            f"a loyalty feed needs --source DIR (or ${SOURCE_ENV_VAR}): the folder with "
            "customers.csv and transactions.csv"
        )
    path = Path(text)
    if not path.is_dir():
        raise LoadError(f"{path}: not a folder (a loyalty feed is a folder of two CSV files)")
    found: list[tuple[SourceSystem, Path]] = []
    for stem, system in FEED_FILES:
        existing = folder_file(path, stem, (".csv", ".csv.gz"))
        if existing is None:
            raise LoadError(f"{path}: {stem}.csv not found (a loyalty feed needs both files)")
        found.append((system, existing))
    return found
