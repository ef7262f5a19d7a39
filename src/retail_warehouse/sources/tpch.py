"""TPC-H, the second source system: the eight tables of a wholesale supplier's ERP.

A TPC-H load reads one file per table from a folder (``.tbl`` as dbgen and ``tpchgen-cli``
write them, ``.csv`` with a header, or ``.parquet``; gzipped ``.tbl``/``.csv`` too), or
generates the folder first with ``tpchgen-cli`` at a scale factor into the git-ignored data
cache. Each table is one ``SourceSystem`` for the generic loader (``retail_warehouse.load``,
``load_feed``): its file is turned into a header-checked CSV (``prepare``, with DuckDB's
``read_csv`` or ``read_parquet``), bulk-read into the stage and checked against the column
rules below; once all eight are checked, one transaction inserts them into
``<prefix>raw.tpch_<table>`` with the same lineage columns, ``load_log`` rows and error
messages as Online Retail II. The values are stored as text exactly as
in the file, so a ``.tbl``, a ``.csv`` and a ``.parquet`` of the same data give the same raw
rows.

Longer than 400 lines on purpose: about 125 of them are the eight table layouts (column
rules as data), which read best beside the reader that applies them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import gzip
import math
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import duckdb

from retail_warehouse.engines.base import LOAD_COLUMNS, RawTable, quarantine_columns, text_columns
from retail_warehouse.engines.duckdb import scratch_connection
from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput
from retail_warehouse.messages import column_count_problem, excerpt, problem_message
from retail_warehouse.project import dbt_var, seed_column
from retail_warehouse.sources import LazyPatterns, SourceSystem
from retail_warehouse.sources.csv_checks import check_header, parse_header_line
from retail_warehouse.sources.files import DEFAULT_CACHE_DIR, GZIP_MAGIC, folder_file
from retail_warehouse.sources.scan import (
    bounded_lines,
    line_ending,
    mixed_endings_problem,
    read_problem,
    scan_input,
)

SOURCE_ENV_VAR = "TPCH_SOURCE"
"""Environment variable naming the default folder of TPC-H files."""

KEY = r"^[0-9]+$"
MONEY = r"^-?[0-9]+(\.[0-9]{1,2})?$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
FLAG = r"^[A-Z]$"

_MESSAGES = {
    KEY: "{value!r} is not a whole number",
    MONEY: "{value!r} is not a decimal number with at most 2 decimals",
    DATE: "{value!r} is not a date of the form YYYY-MM-DD",
    FLAG: "{value!r} is not a one-letter flag",
}

MAX_FIELD_LENGTH = 200
"""Longest value accepted (TPC-H's longest, a part comment, is under 120 characters)."""


@dataclass(frozen=True)
class TableLayout:
    """One TPC-H table: its columns in file order and the rule of each checked column."""

    name: str
    columns: tuple[str, ...]
    patterns: Mapping[str, str]

    @property
    def required(self) -> tuple[str, ...]:
        """Every column with a rule must have a value; free text may be empty."""
        return tuple(column for column in self.columns if column in self.patterns)

    @property
    def rechecked_columns(self) -> tuple[str, ...]:
        """The columns with a plausible range (``Bounds``), all checked but the flags, and
        those whose value must be in a seed (``SEEDED_COLUMNS``)."""
        ranged = tuple(column for column, pattern in self.patterns.items() if pattern != FLAG)
        return ranged + tuple(column for column in self.columns if column in SEEDED_COLUMNS)


TABLES: tuple[TableLayout, ...] = (
    TableLayout("region", ("r_regionkey", "r_name", "r_comment"), {"r_regionkey": KEY}),
    TableLayout(
        "nation",
        ("n_nationkey", "n_name", "n_regionkey", "n_comment"),
        {"n_nationkey": KEY, "n_regionkey": KEY},
    ),
    TableLayout(
        "supplier",
        ("s_suppkey", "s_name", "s_address", "s_nationkey", "s_phone", "s_acctbal", "s_comment"),
        {"s_suppkey": KEY, "s_nationkey": KEY, "s_acctbal": MONEY},
    ),
    TableLayout(
        "customer",
        (
            "c_custkey",
            "c_name",
            "c_address",
            "c_nationkey",
            "c_phone",
            "c_acctbal",
            "c_mktsegment",
            "c_comment",
        ),
        {"c_custkey": KEY, "c_nationkey": KEY, "c_acctbal": MONEY},
    ),
    TableLayout(
        "part",
        (
            "p_partkey",
            "p_name",
            "p_mfgr",
            "p_brand",
            "p_type",
            "p_size",
            "p_container",
            "p_retailprice",
            "p_comment",
        ),
        {"p_partkey": KEY, "p_size": KEY, "p_retailprice": MONEY},
    ),
    TableLayout(
        "partsupp",
        ("ps_partkey", "ps_suppkey", "ps_availqty", "ps_supplycost", "ps_comment"),
        {"ps_partkey": KEY, "ps_suppkey": KEY, "ps_availqty": KEY, "ps_supplycost": MONEY},
    ),
    TableLayout(
        "orders",
        (
            "o_orderkey",
            "o_custkey",
            "o_orderstatus",
            "o_totalprice",
            "o_orderdate",
            "o_orderpriority",
            "o_clerk",
            "o_shippriority",
            "o_comment",
        ),
        {
            "o_orderkey": KEY,
            "o_custkey": KEY,
            "o_orderstatus": FLAG,
            "o_totalprice": MONEY,
            "o_orderdate": DATE,
            "o_shippriority": KEY,
        },
    ),
    TableLayout(
        "lineitem",
        (
            "l_orderkey",
            "l_partkey",
            "l_suppkey",
            "l_linenumber",
            "l_quantity",
            "l_extendedprice",
            "l_discount",
            "l_tax",
            "l_returnflag",
            "l_linestatus",
            "l_shipdate",
            "l_commitdate",
            "l_receiptdate",
            "l_shipinstruct",
            "l_shipmode",
            "l_comment",
        ),
        {
            "l_orderkey": KEY,
            "l_partkey": KEY,
            "l_suppkey": KEY,
            "l_linenumber": KEY,
            "l_quantity": MONEY,
            "l_extendedprice": MONEY,
            "l_discount": MONEY,
            "l_tax": MONEY,
            "l_returnflag": FLAG,
            "l_linestatus": FLAG,
            "l_shipdate": DATE,
            "l_commitdate": DATE,
            "l_receiptdate": DATE,
        },
    ),
)
"""The eight tables in load order (referenced tables first)."""

WHOLE_NUMBER_DECIMALS = ("l_quantity",)
"""Decimal columns that TPC-H's text files write as whole numbers."""

FILE_SUFFIXES = (".tbl", ".tbl.gz", ".csv", ".csv.gz", ".parquet")
"""The file kinds a folder may hold, one per table."""


ORDER_KEYS = ("o_orderkey", "l_orderkey")
"""Keys typed bigint in staging (TPC-H's order keys pass 2^31 above scale factor 300); the
other whole-number columns are integer."""

UNSIGNED_AMOUNTS = ("p_retailprice", "ps_supplycost", "o_totalprice", "l_extendedprice")
"""Prices and costs: never negative (a return is flagged, not negated). Account balances
(``c_acctbal``, ``s_acctbal``) may be negative."""

RATES = ("l_discount", "l_tax")
"""Rates from 0 to 1 (typed numeric(4, 2) in staging)."""

QUANTITIES: Mapping[str, int] = {"l_quantity": 1, "ps_availqty": 0}
"""Whole numbers of units -> the least accepted (a line sells at least one unit)."""

UNIQUE_KEYS: Mapping[str, str] = {
    "region": "r_regionkey",
    "nation": "n_nationkey",
    "supplier": "s_suppkey",
    "customer": "c_custkey",
    "part": "p_partkey",
    "orders": "o_orderkey",
}
"""Table -> its key, which staging tests as unique: a key twice in a file is refused at load
(``SourceSystem.unique_key``). Line items and part suppliers have keys of two columns."""

NATION_SEED = "tpch_nation_codes"
"""The seed that maps every nation name the build accepts (column ``nation_name``) to its
country code; staging's relationships test fails on any other ``n_name``."""

SEEDED_COLUMNS: Mapping[str, tuple[str, str]] = {"n_name": (NATION_SEED, "nation_name")}
"""Free-text columns whose value must be in a seed: column -> (seed, seed column)."""


@dataclass(frozen=True)
class Bounds:
    """The plausible range of TPC-H's typed values; the numbers are the vars ``tpch_*`` of the
    same names in ``dbt_project.yml`` (their one home)."""

    first_date: dt.date
    last_date: dt.date
    max_key: int
    max_order_key: int
    max_abs_amount: Decimal
    max_quantity: int


@functools.cache
def bounds() -> Bounds:
    """The bounds from ``dbt_project.yml``."""
    return Bounds(
        first_date=dt.date.fromisoformat(str(dbt_var("tpch_first_date"))),
        last_date=dt.date.fromisoformat(str(dbt_var("tpch_last_date"))),
        max_key=int(dbt_var("tpch_max_key")),
        max_order_key=int(dbt_var("tpch_max_order_key")),
        max_abs_amount=Decimal(str(dbt_var("tpch_max_abs_amount"))),
        max_quantity=int(dbt_var("tpch_max_quantity")),
    )


# --- the values ------------------------------------------------------------------------------


def is_real_date(value: str) -> bool:
    """True if a value of the form YYYY-MM-DD is a real calendar date."""
    try:
        dt.date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def value_problem(layout: TableLayout, column: str, value: str | None) -> str | None:
    """What is wrong with one raw value of a table, or ``None`` if it is acceptable."""
    if value is None or value == "":
        return "the value is empty" if column in layout.required else None
    if len(value) > MAX_FIELD_LENGTH:
        return f"the value is {len(value):,} characters long (more than {MAX_FIELD_LENGTH})"
    if column in SEEDED_COLUMNS:
        return _seed_problem(column, value)
    pattern = layout.patterns.get(column)
    if pattern is None:
        return None
    if not re.match(pattern, value):
        return _MESSAGES[pattern].format(value=value)
    if pattern == DATE and not is_real_date(value):
        return f"{value!r} is not a real date"
    return _range_problem(column, pattern, value)


def _seed_problem(column: str, value: str) -> str | None:
    """A value that staging (which trims spaces) would not find in its seed."""
    seed, seed_name = SEEDED_COLUMNS[column]
    if value.strip(" ") in seed_column(seed, seed_name):
        return None
    return (
        f"{value!r} is not a known nation: add it to seeds/{seed}.csv (with its ISO code) "
        "and run dbt seed"
    )


def _range_problem(column: str, pattern: str, value: str) -> str | None:
    """A well-formed value outside its plausible range (``Bounds``)."""
    limits = bounds()
    var = "see vars tpch_* in dbt_project.yml"
    if pattern == DATE:
        day = dt.date.fromisoformat(value)
        if not limits.first_date <= day <= limits.last_date:
            return (
                f"{value!r} is outside the plausible dates {limits.first_date} to "
                f"{limits.last_date} ({var})"
            )
        return None
    if pattern not in (KEY, MONEY):
        return None
    number = Decimal(value)
    if column in QUANTITIES:
        least = QUANTITIES[column]
        if number != number.to_integral_value():
            return f"{value!r} is not a whole number of units"
        if not least <= number <= limits.max_quantity:
            return f"{value!r} is out of range ({least} to {limits.max_quantity:,}; {var})"
    elif column in RATES:
        if not 0 <= number <= 1:
            return f"{value!r} is out of range (a rate from 0 to 1)"
    elif pattern == KEY:
        most = limits.max_order_key if column in ORDER_KEYS else limits.max_key
        if number > most:
            return f"{value!r} is out of range (at most {most:,}; {var})"
    elif column in UNSIGNED_AMOUNTS and number < 0:
        return f"{value!r} is negative (a price or cost is at least 0)"
    elif abs(number) > limits.max_abs_amount:
        return f"{value!r} is out of range (at most {limits.max_abs_amount:,} either way; {var})"
    return None


def recheck_patterns(layout: TableLayout) -> dict[str, str]:
    """For each rechecked column with many distinct values, a regular expression that every
    value ``_range_problem`` could refuse matches (``SourceSystem.recheck_patterns``): keys
    with at least as many digits as their bound, amounts with a minus sign or as many digits
    before the point as theirs. A value with fewer digits is below its bound."""
    limits = bounds()
    digits = len(str(int(limits.max_abs_amount)))
    found: dict[str, str] = {}
    for column, pattern in layout.patterns.items():
        if column in QUANTITIES or column in RATES:
            continue  # few distinct values: every one is rechecked
        if pattern == KEY:
            most = limits.max_order_key if column in ORDER_KEYS else limits.max_key
            found[column] = f"^[0-9]{{{len(str(most))},}}$"
        elif pattern == MONEY:
            found[column] = f"^-?[0-9]{{{digits},}}" + ("|^-" if column in UNSIGNED_AMOUNTS else "")
    return found


def row_checker(
    layout: TableLayout,
) -> Callable[[Mapping[str, str | None]], tuple[str, str] | None]:
    """The ``row_problem`` of a table: its first ``(column, problem)`` in file order."""

    def row_problem(values: Mapping[str, str | None]) -> tuple[str, str] | None:
        for column in layout.columns:
            problem = value_problem(layout, column, values.get(column))
            if problem is not None:
                return column, problem
        return None

    return row_problem


# --- turning a table's file into a checked CSV -----------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_nested(kind: str) -> bool:
    """Whether a DuckDB type holds several values (a struct, map, union, list or array): cast
    to text, a Parquet column of one loaded as "{'a': AFRICA}" or "[AFRICA]", a name no
    TPC-H table has, where a free-text column (r_name, c_name, p_name, ...) has no pattern
    to refuse it."""
    upper = kind.upper()
    return upper.startswith(("STRUCT", "MAP", "UNION")) or upper.endswith("]")


def _reader(
    connection: duckdb.DuckDBPyConnection,
    layout: TableLayout,
    path: Path,
    name: str,
    skip_blank_lines: bool = False,
) -> str:
    """DuckDB SQL reading ``path`` as text columns named like the layout, in file order.

    ``skip_blank_lines`` (.tbl only) leaves out blank lines, for a file whose only blank
    lines are at its end (``_check_tbl_fields``)."""
    suffix = "".join(path.suffixes[-2:]).lower()
    columns = list(layout.columns)
    if suffix.endswith(".parquet"):
        described = connection.execute(
            f"describe select * from read_parquet({_sql_text(str(path))})"
        ).fetchall()
        found = [row[0] for row in described]
        if [column.lower() for column in found] != columns:
            raise LoadError(
                f"{name}: the columns are {excerpt(', '.join(found))}; "
                f"expected {', '.join(columns)}"
            )
        for column, kind in ((row[0], str(row[1])) for row in described):
            if _is_nested(kind):
                raise LoadError(
                    f"{name}: column {column} is of type {excerpt(kind)}, which holds "
                    "several values; TPC-H's columns hold one (text, a number or a date)"
                )
        # Parquet types l_quantity as a decimal (17.00) where .tbl and .csv write the whole
        # number (17): written the same way, every file kind gives the same raw text.
        texts = [
            f"regexp_replace(cast({column} as varchar), '\\.0+$', '') as {column}"
            if column in WHOLE_NUMBER_DECIMALS
            else f"cast({column} as varchar) as {column}"
            for column in found
        ]
        return f"select {', '.join(texts)} from read_parquet({_sql_text(str(path))})"
    if ".csv" in suffix:
        types = ", ".join(f"'{column}': 'VARCHAR'" for column in columns)
        _check_csv_header(layout, path, name)
        return (
            f"select * from read_csv({_sql_text(str(path))}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            f"columns = {{{types}}})"
        )
    # .tbl: pipe-delimited, no header, each field ending in a pipe. Each line is read whole
    # and split here, so that a line with a field too many or too few stops the read
    # (``_check_tbl_fields`` then names it) instead of DuckDB shifting or dropping a field.
    fields = ", ".join(
        f"nullif(parts[{index}], '') as {column}" for index, column in enumerate(columns, 1)
    )
    expected = len(columns) + 1
    lines = (
        f"read_csv({_sql_text(str(path))}, header = false, auto_detect = false, "
        f"delim = {_sql_text(TBL_LINE_DELIMITER)}, quote = '', escape = '', "
        "strict_mode = true, columns = {'line': 'VARCHAR'})"
    )
    if skip_blank_lines:
        lines += " where line is not null"
    return (
        f"select {fields} from (select case when len(parts) = {expected} "
        f"and parts[{expected}] = '' then parts else error('{TBL_FIELD_COUNT}') end as parts "
        f"from (select string_split(coalesce(line, ''), '|') as parts from {lines}) as split) "
        "as checked"
    )


TBL_FIELD_COUNT = "a .tbl line has another number of fields"
"""The error the .tbl reader raises for a line that is not the table's fields each ending in
a pipe (``_check_tbl_fields`` finds the line)."""

TBL_LINE_DELIMITER = "\x1f\x1e\x1d"
"""What DuckDB is told separates columns when it reads a .tbl line whole: three control
characters that no TPC-H text holds (a line that does is refused as unreadable)."""


def tbl_line_problem(line: bytes, expected: int) -> str | None:
    """What is wrong with the field count of one .tbl line (without its line end), or
    ``None``: a line is ``expected`` fields, each ending in ``|``."""
    pipes = line.count(b"|")
    fields = pipes if line.endswith(b"|") or not line else pipes + 1
    if fields != expected:
        return column_count_problem(expected, fields)
    if not line.endswith(b"|"):
        return f"the line does not end with '|' (each of its {expected} fields ends with '|')"
    return None


def _check_tbl_fields(layout: TableLayout, path: Path, name: str) -> None:
    """Raise ``LoadError`` at the first .tbl line whose field count is wrong; return when
    the only such lines are blank lines at the end of the file (ignored, as in a CSV). Read
    only once the reader has found a bad line, so the usual file is read once."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    first_blank: int | None = None
    with opener(path, "rb") as handle:  # type: ignore[operator]
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip(b"\r\n")
            if not line:
                first_blank = first_blank or number
                continue
            problem = tbl_line_problem(line, len(layout.columns))
            if first_blank is not None:
                problem = tbl_line_problem(b"", len(layout.columns))
                number, first_blank = first_blank, None
            if problem is not None:
                raise LoadError(problem_message(name, number, None, problem))
    if first_blank is None:
        raise LoadError(f"{name}: {TBL_FIELD_COUNT}")


def _check_tbl_line_endings(path: Path, name: str) -> None:
    """Raise ``LoadError`` at the first line of a .tbl that does not end as its first line
    does (DuckDB refuses mixed CRLF and LF endings without naming a line). Read only after
    DuckDB refused the file."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:  # type: ignore[operator]
        first: str | None = None
        for number, raw in enumerate(bounded_lines(handle, name), 1):
            ending = line_ending(raw)
            if first is None:
                first = ending
            elif ending not in (first, None) and raw.strip(b"\r\n"):
                problem = mixed_endings_problem(ending, first or "", "the first line")
                raise LoadError(problem_message(name, number, None, problem))


def _check_csv_header(layout: TableLayout, path: Path, name: str) -> None:
    """Refuse a CSV whose header is not the table's columns (any case, spaces around names
    ignored), with the rule every source follows (``csv_checks.header_problem``): a first
    line sharing no column with the header (``/etc/passwd`` linked as ``region.csv``) is
    never quoted, a wrong column name at most ``excerpt``'s 40 characters."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
        first = handle.readline(1 << 16)
    found = [field.strip().lower() for field in parse_header_line(first)]
    check_header(found, name, layout.columns)


def preparer(
    layout: TableLayout,
) -> Callable[[Path, str | None], contextlib.AbstractContextManager[CsvInput]]:
    """The ``prepare`` of a table: any of its file kinds as a comma CSV with its header."""

    @contextlib.contextmanager
    def prepared_csv(path: Path, display_name: str | None = None) -> Iterator[CsvInput]:
        name = display_name or path.name
        with tempfile.TemporaryDirectory(prefix="retail_warehouse_tpch_") as folder:
            csv_path = Path(folder) / f"{layout.name}.csv"
            is_tbl = _is_tbl(path)
            check_container(path, name)
            if ".csv" in "".join(path.suffixes[-2:]).lower():
                _scan_csv_file(layout, path, name)
            try:
                _copy_as_csv(layout, path, name, csv_path)
            except LoadError as error:
                if not (is_tbl and TBL_FIELD_COUNT in str(error)):
                    raise
                _check_tbl_fields(layout, path, name)  # raises unless trailing blank lines
                _copy_as_csv(layout, path, name, csv_path, skip_blank_lines=True)
            with csv_path.open("rb") as handle:
                handle.readline()
                if not handle.readline():
                    raise LoadError(f"{name}: no data rows")
            if path.name.lower().endswith(".parquet"):  # no lines: rows, row 1 the first
                yield CsvInput(csv_path, False, name, 0, row_per_line=True, position="row")
            else:
                yield CsvInput(csv_path, False, name, header_lines=0 if is_tbl else 1)

    return prepared_csv


def _scan_csv_file(layout: TableLayout, path: Path, name: str) -> None:
    """Apply the scan's rules (``scan.py``) to a TPC-H CSV as the user gave it, before
    DuckDB turns it into the loader's CSV: DuckDB drops empty fields at the end of a line
    silently and refuses mixed line endings without a line, and its output would hide both
    from the scan of the converted file."""
    _check_csv_header(layout, path, name)
    csv_input = CsvInput(path, path.name.lower().endswith(".gz"), name)
    scan_input(csv_input, layout.columns).raise_first_problem(csv_input)


PARQUET_MAGIC = b"PAR1"
"""The first and last four bytes of a Parquet file."""

GZIP_DAMAGED = (
    "the gzip data is truncated or corrupt (a partial download or copy?); get the file again"
)
NOT_PARQUET = "not a readable Parquet file (a damaged or partial copy, or another kind of file?)"


def check_container(path: Path, name: str) -> None:
    """Refuse, in one line naming the file and never with the engine's words or the full
    path, a ``.gz`` that is not gzip, is truncated or is compressed twice, and a
    ``.parquet`` without Parquet's magic bytes at both ends (hostile round, item 16)."""
    lowered = path.name.lower()
    if lowered.endswith(".parquet"):
        with path.open("rb") as handle:
            head = handle.read(4)
            size = handle.seek(0, 2)
            handle.seek(max(size - 4, 0))
            tail = handle.read(4)
        if size < 12 or head != PARQUET_MAGIC or tail != PARQUET_MAGIC:
            raise LoadError(f"{name}: {NOT_PARQUET}")
        return
    if not lowered.endswith(".gz"):
        return
    with path.open("rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            raise LoadError(f"{name}: not gzip data, though its name ends in .gz")
    try:
        with gzip.open(path, "rb") as handle:
            first = handle.read(2)
    except (OSError, EOFError, zlib.error):
        raise LoadError(f"{name}: {GZIP_DAMAGED}") from None
    if first == GZIP_MAGIC:
        raise LoadError(
            f"{name}: holds another gzip file inside (compressed twice): decompress it once "
            "(gunzip) and load the result"
        )


def _is_tbl(path: Path) -> bool:
    """A TPC-H ``.tbl`` file (``|``-separated, no header), gzipped or not."""
    return ".tbl" in "".join(path.suffixes[-2:]).lower()


def _copy_as_csv(
    layout: TableLayout, path: Path, name: str, csv_path: Path, skip_blank_lines: bool = False
) -> None:
    """Write the table's file as a comma CSV with a header (DuckDB errors as ``LoadError``)."""
    connection = scratch_connection()
    try:
        reader = _reader(connection, layout, path, name, skip_blank_lines)
        connection.execute(
            f"copy ({reader}) to {_sql_text(str(csv_path))} "
            "(header true, delimiter ',', quote '\"')"
        ).fetchall()
    except duckdb.Error as error:
        if TBL_FIELD_COUNT in str(error):
            raise LoadError(f"{name}: {TBL_FIELD_COUNT}") from error
        if path.name.lower().endswith(".parquet"):
            raise LoadError(f"{name}: {NOT_PARQUET}") from None
        if "gzip" in str(error).lower():  # damaged after the first bytes (check_container)
            raise LoadError(f"{name}: {GZIP_DAMAGED}") from None
        if _is_tbl(path):
            _check_tbl_line_endings(path, name)
        found = None
        if not path.name.lower().endswith(".parquet"):  # the line, column and cause, read here
            delimiter = "|" if _is_tbl(path) else ","
            found = read_problem(path, name, layout.columns, delimiter, str(error))
        reason = _duckdb_reason(str(error), path)
        for shown in (str(path.resolve()), str(path)):  # the file by its name only
            reason = reason.replace(shown, name)
        raise LoadError(found or f"{name}: {reason}") from error
    finally:
        connection.close()


_LINE = re.compile(r"[Ll]ine:? ?(\d+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _duckdb_reason(message: str, path: Path) -> str:
    """DuckDB's reading error in one line, with the file line when it gives one."""
    first = message.strip().splitlines()[0] if message.strip() else message
    line = _LINE.search(message)
    where = f"line {line.group(1)}: " if line else ""
    columns = _COLUMNS.search(message)
    if columns and _is_tbl(path):
        return f"{where}the line holds the control characters 0x1f 0x1e 0x1d"
    if columns:
        return f"{where}{column_count_problem(int(columns.group(1)), columns.group(2))}"
    if "too many columns" in message.lower():
        return f"{where}wrong number of fields (expected the TPC-H layout)"
    return first[:300]


def _no_download(path: Path, name: str) -> None:
    """TPC-H files are generated or read from a folder, never downloaded."""
    raise LoadError(f"{name}: TPC-H files are loaded from a folder (--source DIR), not a URL")


# --- the systems -----------------------------------------------------------------------------


def _system(layout: TableLayout) -> SourceSystem:
    columns = {column: column for column in layout.columns}
    return SourceSystem(
        name=f"tpch_{layout.name}",
        columns=columns,
        required=layout.required,
        patterns=dict(layout.patterns),
        rechecked_columns=layout.rechecked_columns,
        recheck_patterns=LazyPatterns(lambda: recheck_patterns(layout)),
        unique_key=UNIQUE_KEYS.get(layout.name),
        max_field_length=MAX_FIELD_LENGTH,
        row_problem=row_checker(layout),
        value_problem=lambda column, value: value_problem(layout, column, value),
        prepare=preparer(layout),
        check_download=_no_download,
        raw_table=RawTable(f"tpch_{layout.name}", text_columns(layout.columns) + LOAD_COLUMNS),
        quarantine_table=RawTable(
            f"tpch_{layout.name}_quarantine", quarantine_columns(list(layout.columns))
        ),
        env_var=SOURCE_ENV_VAR,
        default_source="",
    )


SYSTEMS: dict[str, SourceSystem] = {layout.name: _system(layout) for layout in TABLES}
"""Table name -> the loader's view of it, in load order."""


# --- finding and generating the files --------------------------------------------------------


def table_files(folder: Path) -> dict[str, Path]:
    """The file of each table in ``folder`` (``<table>.tbl``, ``.csv``, ``.parquet``, ...).

    Raises ``LoadError`` naming the missing tables, or a table with two files."""
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder of TPC-H files")
    found: dict[str, Path] = {}
    missing: list[str] = []
    for layout in TABLES:
        path = folder_file(folder, layout.name, FILE_SUFFIXES, links_outside=True)
        if path is None:
            missing.append(layout.name)
        else:
            found[layout.name] = path
    if missing:
        raise LoadError(
            f"{folder}: no file for {', '.join(missing)} "
            f"(expected <table>{' or <table>'.join(FILE_SUFFIXES)})"
        )
    return found


MIN_SCALE_FACTOR = Decimal("0.01")
MAX_SCALE_FACTOR = Decimal("1000")
"""The scale factors generated: from 0.01 (every table has rows; below it tpchgen-cli
writes an empty supplier table) to 1000 (about 1 TB of text, already far past this machine's
disk), with at most 2 decimals."""

_SCALE_FACTOR_TEXT = re.compile(r"[0-9]{1,4}(\.[0-9]{1,2})?")
_SCALE_FACTOR_RULE = (
    "a TPC-H scale factor is a number from 0.01 to 1000 with at most 2 decimals, "
    "written with digits and a point (0.01, 1, 10)"
)


def parse_scale_factor(text: str) -> float:
    """The ``--scale-factor`` option as a number, strictly: digits and at most one point
    with 2 decimals, from ``MIN_SCALE_FACTOR`` to ``MAX_SCALE_FACTOR``. Python's ``float``
    would take ``1_0`` (10), ``1e-9``, ``nan`` and ``inf``."""
    if not _SCALE_FACTOR_TEXT.fullmatch(text) or not (
        MIN_SCALE_FACTOR <= Decimal(text) <= MAX_SCALE_FACTOR
    ):
        raise LoadError(f"--scale-factor {excerpt(text)}: {_SCALE_FACTOR_RULE}")
    return float(text)


def scale_factor_text(scale_factor: float) -> str:
    """The scale factor as written in folder names and on the command line (0.01, 1);
    ``LoadError`` outside the range of ``parse_scale_factor``."""
    if not math.isfinite(scale_factor) or not (
        MIN_SCALE_FACTOR <= Decimal(str(scale_factor)) <= MAX_SCALE_FACTOR
        and round(scale_factor, 2) == scale_factor
    ):
        raise LoadError(f"scale factor {scale_factor:g}: {_SCALE_FACTOR_RULE}")
    return f"{scale_factor:g}"


def generated_folder(scale_factor: float, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Where ``generate`` puts the files of a scale factor."""
    return cache_dir / "tpch" / f"sf{scale_factor_text(scale_factor)}"


def tpchgen_executable() -> str:
    """``tpchgen-cli`` of this environment (next to the running Python), else on PATH."""
    beside = Path(sys.executable).parent / "tpchgen-cli"
    if beside.exists():
        return str(beside)
    found = shutil.which("tpchgen-cli")
    if found is None:
        raise LoadError("tpchgen-cli is not installed: run `make install`")
    return found


def generate(
    scale_factor: float, cache_dir: Path = DEFAULT_CACHE_DIR, progress: TextIO | None = None
) -> Path:
    """Generate the eight tables at ``scale_factor`` as Parquet with ``tpchgen-cli`` into the
    data cache (once: a complete folder is reused) and return the folder."""
    folder = generated_folder(scale_factor, cache_dir)
    if _complete(folder):
        return folder
    with _generating(folder):
        if _complete(folder):  # another process generated it while this one waited
            return folder
        return _generate_into(folder, scale_factor, progress)


@contextlib.contextmanager
def _generating(folder: Path) -> Iterator[None]:
    """One process generates a scale factor at a time: the others wait (an ``flock`` on a
    file beside the folder, released by the kernel if the process dies) and then find the
    folder complete. Two loads that generate the same scale factor at once used to share
    one ``.partial`` folder, each deleting the other's files."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield


def _generate_into(folder: Path, scale_factor: float, progress: TextIO | None) -> Path:
    """Run ``tpchgen-cli`` table by table into ``<folder>.partial``, then rename it."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for layout in TABLES:
        if progress is not None:
            print(
                f"generating TPC-H SF {scale_factor_text(scale_factor)}: {layout.name}",
                file=progress,
                flush=True,
            )
        command = [
            tpchgen_executable(),
            "parquet",
            "--scale-factor",
            scale_factor_text(scale_factor),
            "--tables",
            layout.name,
            "--output-dir",
            str(partial),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise LoadError(f"tpchgen-cli failed for {layout.name}: {result.stderr.strip()[:500]}")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def _complete(folder: Path) -> bool:
    return all((folder / f"{layout.name}.parquet").is_file() for layout in TABLES)


def load_order(files: Mapping[str, Path]) -> Sequence[tuple[SourceSystem, Path]]:
    """Each table's system and file, referenced tables first."""
    return [(SYSTEMS[layout.name], files[layout.name]) for layout in TABLES]
