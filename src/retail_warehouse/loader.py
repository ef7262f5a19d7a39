"""Load a raw Online Retail II file into ``<prefix>raw.invoice_lines`` on DuckDB or PostgreSQL.

How a load runs:

1. The source is fetched (URLs are downloaded once into the cache) and hashed (SHA-256).
2. If ``load_log`` already has a succeeded load of the same bytes whose rows are still in
   ``invoice_lines``, nothing is done and nothing is recorded: a repeated load is a no-op.
   ``replace=True`` never skips.
3. The file is turned into a CSV (see ``sources.prepared_csv``), bulk-read into a temporary
   stage table (DuckDB ``read_csv``, PostgreSQL ``COPY``) and validated in SQL.
4. One transaction creates the raw tables if needed, deletes the old rows when replacing,
   inserts the rows and a 'succeeded' row in ``load_log``. Any error rolls all of it back;
   then a separate short transaction records a 'failed' row with the message, the only
   trace that a failed load leaves.

Load ids are ``1 + max(load_id)`` of ``load_log``, so failed attempts use up an id too.
The eight source columns are stored as text exactly as in the file; empty fields are NULL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import re
import tempfile
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import duckdb
import psycopg2

from retail_warehouse.errors import LoadError
from retail_warehouse.quarantine import Rejected, screen_csv, utf8_error_column
from retail_warehouse.settings import TARGETS, PostgresSettings, Settings, from_env
from retail_warehouse.sources import (
    DEFAULT_CACHE_DIR,
    CsvInput,
    cached_file_name,
    fetch,
    file_sha256,
    is_url,
    prepared_csv,
    resolve_source,
)
from retail_warehouse.validation import (
    MAX_FIELD_LENGTH,
    RAW_COLUMNS,
    REQUIRED_COLUMNS,
    SOURCE_COLUMNS,
    VALUE_PATTERNS,
    is_real_datetime,
    problem_message,
    row_problem,
)

MAX_LINE_BYTES = 64 * 1024 * 1024
"""DuckDB's read_csv line limit, raised from 2 MB so that an overlong line is caught by the
value rules (MAX_FIELD_LENGTH) with the same message on both engines."""

STAGE_TABLE = "rw_stage_invoice_lines"
"""The temporary table a file is bulk-read into before it is checked."""

_RAW_COLUMN_LIST = ", ".join(RAW_COLUMNS.values())
_SOURCE_BY_RAW = {raw: source for source, raw in RAW_COLUMNS.items()}

INVOICE_LINES_DDL = """
create table if not exists {schema}.invoice_lines (
    invoice varchar,
    stock_code varchar,
    description varchar,
    quantity varchar,
    invoice_date varchar,
    price varchar,
    customer_id varchar,
    country varchar,
    source_file varchar,
    source_row_number bigint,
    load_id integer,
    loaded_at timestamp
)
"""

LOAD_LOG_DDL = """
create table if not exists {schema}.load_log (
    load_id integer,
    source varchar,
    source_file varchar,
    file_sha256 varchar,
    file_bytes bigint,
    rows_loaded bigint,
    started_at timestamp,
    finished_at timestamp,
    status varchar,
    message varchar,
    rows_quarantined bigint,
    rows_already_loaded bigint
)
"""

LOAD_LOG_NEW_COLUMNS = ("rows_quarantined bigint", "rows_already_loaded bigint")
"""Columns added to load_log after its first version; added to older warehouses on load."""

QUARANTINE_DDL = """
create table if not exists {schema}.quarantine_lines (
    load_id integer,
    source_file varchar,
    line_number bigint,
    column_name varchar,
    reason varchar,
    invoice varchar,
    stock_code varchar,
    description varchar,
    quantity varchar,
    invoice_date varchar,
    price varchar,
    customer_id varchar,
    country varchar,
    raw_text varchar,
    quarantined_at timestamp
)
"""

REJECTS_TABLE = "rw_stage_rejects"
"""Temporary table of the stage rows set aside in quarantine mode."""


@dataclass(frozen=True)
class LoadResult:
    """What a call of ``load`` did."""

    status: str
    """'succeeded', or 'skipped' when the same file was already loaded."""
    target: str
    source: str
    source_file: str
    file_sha256: str
    load_id: int
    """The new load, or for a skipped one the earlier load that holds the rows."""
    rows_loaded: int
    raw_table: str
    seconds: float
    replaced: bool = False
    rows_quarantined: int = 0
    """Rows set aside in quarantine mode (in ``quarantine_lines``)."""
    rows_already_loaded: int = 0
    """Rows whose eight values an earlier load already brought (an overlapping extract);
    they are loaded as they are, and dbt keeps one copy (exclusion reason duplicate_line)."""

    def summary(self) -> str:
        """The one-line summary the command line prints."""
        if self.status == "skipped":
            return (
                f"already loaded: {self.source_file} (sha256 {self.file_sha256[:8]}…, "
                f"load {self.load_id}); nothing to do"
            )
        replacing = "replacing all earlier rows, " if self.replaced else ""
        text = (
            f"loaded {self.rows_loaded:,} rows from {self.source_file} into {self.target} "
            f"{self.raw_table} (load {self.load_id}, {replacing}{self.seconds:.1f} s)"
        )
        if self.rows_quarantined:
            schema = self.raw_table.rsplit(".", 1)[0]
            text += f"; quarantined {self.rows_quarantined:,} rows in {schema}.quarantine_lines"
        if self.rows_already_loaded:
            text += (
                f"; {self.rows_already_loaded:,} rows repeat rows of earlier loads "
                "(overlapping extract; dbt keeps one copy)"
            )
        return text


@dataclass
class _Attempt:
    """What is known about the load so far, for its load_log row."""

    source: str
    source_file: str
    started_at: dt.datetime
    file_sha256: str | None = None
    file_bytes: int | None = None


# --- engines ---------------------------------------------------------------------------------


class Warehouse(ABC):
    """A connection to one warehouse engine, with the few SQL differences that matter here.

    SQL is written with ``?`` placeholders; engines that use another style translate them.
    """

    target: str
    row_number: str
    """SQL expression for the data row number of a stage row (1 = first row after header)."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""

    @abstractmethod
    def begin(self) -> None:
        """Start a transaction."""

    @abstractmethod
    def commit(self) -> None:
        """Commit the current transaction."""

    @abstractmethod
    def rollback(self) -> None:
        """Roll the current transaction back (no error if there is none)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def create_stage(self, csv_input: CsvInput) -> None:
        """Bulk-read the CSV into ``STAGE_TABLE`` (committed; temporary to this connection)."""

    @abstractmethod
    def matches(self, column: str) -> str:
        """SQL that is true when ``column`` matches the regular expression in the placeholder."""

    @abstractmethod
    def in_list(self, column: str) -> str:
        """SQL that is true when ``column`` is in the list of strings in the placeholder."""

    @abstractmethod
    def lock_load_log(self, schema: str) -> None:
        """Serialise concurrent loads (only needed where several writers are possible)."""

    @abstractmethod
    def drop_stage(self) -> None:
        """End any open transaction and drop the stage table if it exists."""

    def table_exists(self, schema: str, table: str) -> bool:
        """True if the table or view exists."""
        rows = self.query(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        )
        return bool(rows[0][0])


class DuckDBWarehouse(Warehouse):
    """DuckDB: one file, one writing process at a time."""

    target = "duckdb"
    row_number = "rowid + 1"

    def __init__(self, path: Path, read_only: bool = False) -> None:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            raise LoadError(describe_duckdb_connect_error(path, str(error))) from error

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        self.connection.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""
        return self.connection.execute(sql, list(params)).fetchall()

    def begin(self) -> None:
        """Start a transaction."""
        self.connection.begin()

    def commit(self) -> None:
        """Commit the current transaction."""
        self.connection.commit()

    def rollback(self) -> None:
        """Roll back, ignoring 'no transaction is active'."""
        with contextlib.suppress(duckdb.TransactionException):
            self.connection.rollback()

    def close(self) -> None:
        """Close the connection (and release the file lock)."""
        self.connection.close()

    def create_stage(self, csv_input: CsvInput) -> None:
        """``read_csv`` into a temporary table, outside any transaction.

        Outside a transaction because uncommitted rows have provisional rowids; once
        committed, ``rowid`` follows the file order (insertion order is preserved).
        """
        columns = ", ".join(f"'{name}': 'VARCHAR'" for name in RAW_COLUMNS.values())
        sql = (
            f"create or replace temp table {STAGE_TABLE} as select * from read_csv(?, "
            "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"strict_mode = true, max_line_size = {MAX_LINE_BYTES}, compression = ?, "
            f"columns = {{{columns}}})"
        )
        compression = "gzip" if csv_input.gzipped else "none"
        try:
            self.execute(sql, [str(csv_input.path), compression])
        except duckdb.Error as error:
            message = describe_duckdb_error(csv_input.display_name, str(error))
            raise LoadError(with_utf8_column(message, csv_input)) from error

    def lock_load_log(self, schema: str) -> None:
        """Not needed: DuckDB lets only one process write the file."""

    def drop_stage(self) -> None:
        """Drop the temporary stage (autocommit)."""
        self.rollback()
        self.execute(f"drop table if exists temp.main.{STAGE_TABLE}")
        self.execute(f"drop table if exists temp.main.{REJECTS_TABLE}")

    def matches(self, column: str) -> str:
        """RE2 search; the patterns are anchored."""
        return f"regexp_matches({column}, ?)"

    def in_list(self, column: str) -> str:
        """A list parameter."""
        return f"list_contains(?::varchar[], {column})"


class PostgresWarehouse(Warehouse):
    """PostgreSQL through psycopg2."""

    target = "postgres"
    row_number = "source_row_number"

    def __init__(self, settings: PostgresSettings) -> None:
        try:
            self.connection = psycopg2.connect(**settings.connect_kwargs())
        except psycopg2.Error as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise LoadError(
                f"cannot connect to PostgreSQL at {settings.describe()}: {first_line}"
            ) from error
        self.connection.set_client_encoding("UTF8")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), list(params))
            return cursor.fetchall()

    def begin(self) -> None:
        """psycopg2 opens a transaction with the first statement; end any open one first."""
        self.connection.commit()

    def commit(self) -> None:
        """Commit the current transaction."""
        self.connection.commit()

    def rollback(self) -> None:
        """Roll the current transaction back."""
        if not self.connection.closed:
            self.connection.rollback()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def create_stage(self, csv_input: CsvInput) -> None:
        """``COPY ... FROM STDIN`` into a temporary table whose identity numbers the rows."""
        column_defs = ", ".join(f"{name} text" for name in RAW_COLUMNS.values())
        self.drop_stage()
        self.execute(
            f"create temp table {STAGE_TABLE} ("
            f"source_row_number bigint generated always as identity, {column_defs})"
        )
        copy_sql = (
            f"copy {STAGE_TABLE} ({_RAW_COLUMN_LIST}) from stdin with (format csv, header true)"
        )
        with _open_for_copy(csv_input) as handle:
            reader = _GuardedReader(handle)
            try:
                with self.connection.cursor() as cursor:
                    cursor.copy_expert(copy_sql, reader, size=1 << 20)
            except psycopg2.Error as error:
                self.connection.rollback()
                message = describe_postgres_error(
                    csv_input.display_name,
                    error.diag.message_primary or str(error),
                    error.diag.context,
                    reader.error,
                )
                raise LoadError(with_utf8_column(message, csv_input)) from error
        self.connection.commit()

    def drop_stage(self) -> None:
        """Drop the temporary stage in its own transaction."""
        self.rollback()
        self.execute(f"drop table if exists pg_temp.{STAGE_TABLE}")
        self.execute(f"drop table if exists pg_temp.{REJECTS_TABLE}")
        self.commit()

    def matches(self, column: str) -> str:
        """POSIX regular expression match."""
        return f"{column} ~ ?"

    def in_list(self, column: str) -> str:
        """A text array parameter."""
        return f"{column} = any(?)"

    def lock_load_log(self, schema: str) -> None:
        """Two loaders must not take the same load_id."""
        self.execute(f"lock table {schema}.load_log in share row exclusive mode")


class _GuardedReader:
    """Wraps a file for ``copy_expert`` and remembers a read error (e.g. truncated gzip)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.error: Exception | None = None

    def read(self, size: int = -1) -> bytes:
        """Read bytes, recording decompression errors before passing them on."""
        try:
            return self.handle.read(size)
        except (OSError, EOFError, zlib.error) as error:
            self.error = error
            raise


def _open_for_copy(csv_input: CsvInput) -> BinaryIO:
    """The CSV's decompressed bytes."""
    if csv_input.gzipped:
        return gzip.open(csv_input.path, "rb")  # type: ignore[return-value]
    return csv_input.path.open("rb")


def open_warehouse(target: str, settings: Settings, read_only: bool = False) -> Warehouse:
    """Connect to the warehouse of ``target`` ('duckdb' or 'postgres')."""
    if target == "duckdb":
        return DuckDBWarehouse(settings.duckdb_path, read_only=read_only)
    if target == "postgres":
        return PostgresWarehouse(settings.postgres)
    raise LoadError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")


# --- engine messages -------------------------------------------------------------------------

_DUCKDB_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCKDB_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_POSTGRES_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")
_POSTGRES_MISSING = re.compile(r'missing data for column "(\w+)"')


def describe_duckdb_connect_error(path: Path, message: str) -> str:
    """A DuckDB connection error as a message; a lock conflict says what to do."""
    if "lock" in message.lower():
        return (
            f"the warehouse file {path} is in use by another process (e.g. a running dbt "
            "build or a BI tool); close it and retry"
        )
    return f"cannot open the warehouse file {path}: {_first_line(message)}"


def describe_duckdb_error(file_name: str, message: str) -> str:
    """A DuckDB ``read_csv`` error as ``file: line N: what is wrong``."""
    found = _DUCKDB_LINE.search(message)
    line = int(found.group(1)) if found else None
    return problem_message(file_name, line, None, _duckdb_reason(message))


def _duckdb_reason(message: str) -> str:
    """The cause of a DuckDB CSV error, in plain words."""
    columns = _DUCKDB_COLUMNS.search(message)
    if columns:
        return f"expected {columns.group(1)} columns, found {columns.group(2)}"
    lower = message.lower()
    if "unterminated quote" in lower:
        return "a quoted field is not closed properly (a missing or stray '\"')"
    if "invalid unicode" in lower:
        return "the text is not valid UTF-8"
    if "gzip" in lower:
        return "the gzip data is truncated or corrupt"
    return _first_line(message)


def describe_postgres_error(
    file_name: str,
    primary: str,
    context: str | None,
    read_error: Exception | None = None,
) -> str:
    """A PostgreSQL ``COPY`` error as ``file: line N, column C: what is wrong``."""
    found = _POSTGRES_CONTEXT.search(context or "")
    line = int(found.group(1)) if found else None
    raw_column = found.group(2) if found else None
    column = _SOURCE_BY_RAW.get(raw_column) if raw_column else None
    if read_error is not None:
        return problem_message(
            file_name, line, None, f"the gzip data is truncated or corrupt ({read_error})"
        )
    return problem_message(file_name, line, column, _postgres_reason(primary))


def _postgres_reason(primary: str) -> str:
    """The cause of a PostgreSQL COPY error, in plain words."""
    missing = _POSTGRES_MISSING.search(primary)
    if missing:
        column = _SOURCE_BY_RAW.get(missing.group(1), missing.group(1))
        return f"expected {len(SOURCE_COLUMNS)} columns, found fewer (nothing for {column})"
    if "extra data after last expected column" in primary:
        return f"expected {len(SOURCE_COLUMNS)} columns, found more"
    if "unterminated CSV quoted field" in primary:
        return "a quoted field is not closed (a '\"' is missing on this or an earlier line)"
    if "invalid byte sequence" in primary:
        return f"the text is not valid UTF-8 ({primary})"
    return _first_line(primary)


_MESSAGE_LINE = re.compile(r": line (\d+): the text is not valid UTF-8")


def with_utf8_column(message: str, csv_input: CsvInput) -> str:
    """Add the column to an engine's 'not valid UTF-8' message, found by reading that line."""
    found = _MESSAGE_LINE.search(message)
    if not found:
        return message
    column = utf8_error_column(csv_input, int(found.group(1)))
    if column is None:
        return message
    return message.replace(f"line {found.group(1)}:", f"line {found.group(1)}, column {column}:", 1)


def _first_line(message: str) -> str:
    """The first non-empty line of an engine message."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return message


# --- the steps of a load ---------------------------------------------------------------------


def ensure_tables(warehouse: Warehouse, schema: str) -> None:
    """Create the raw schema and its tables if they are missing (and add the newer load_log
    columns to an older warehouse)."""
    warehouse.execute(f"create schema if not exists {schema}")
    warehouse.execute(INVOICE_LINES_DDL.format(schema=schema))
    warehouse.execute(LOAD_LOG_DDL.format(schema=schema))
    for column in LOAD_LOG_NEW_COLUMNS:
        warehouse.execute(f"alter table {schema}.load_log add column if not exists {column}")
    warehouse.execute(QUARANTINE_DDL.format(schema=schema))


def find_loaded(warehouse: Warehouse, schema: str, sha256: str) -> int | None:
    """The latest succeeded load of these bytes whose rows are still in ``invoice_lines``."""
    if not (
        warehouse.table_exists(schema, "load_log")
        and warehouse.table_exists(schema, "invoice_lines")
    ):
        return None
    rows = warehouse.query(
        f"select max(log.load_id) from {schema}.load_log as log "
        "where log.file_sha256 = ? and log.status = 'succeeded' and exists ("
        f"select 1 from {schema}.invoice_lines as lines where lines.load_id = log.load_id)",
        [sha256],
    )
    return rows[0][0]


def next_load_id(warehouse: Warehouse, schema: str) -> int:
    """``1 + max(load_id)`` of ``load_log`` (1 for the first load)."""
    rows = warehouse.query(f"select coalesce(max(load_id), 0) + 1 from {schema}.load_log")
    return int(rows[0][0])


def invalid_dates(warehouse: Warehouse) -> list[str]:
    """Distinct InvoiceDate values of the stage that have the right form but are not real."""
    rows = warehouse.query(
        f"select value from ({_distinct_values('invoice_date')}) as distinct_values "
        f"where {warehouse.matches('value')}",
        [VALUE_PATTERNS["InvoiceDate"]],
    )
    return sorted(value for (value,) in rows if not is_real_datetime(value))


def _distinct_values(column: str) -> str:
    """SQL for the distinct values of a stage column, to match each value once, not per row.

    ``offset 0`` stops PostgreSQL from pushing the outer regular expression below the
    ``distinct`` (where it would run on every row, about a second per column for 1M rows).
    """
    return f"select distinct {column} as value from {STAGE_TABLE} offset 0"


def first_bad_row_query(
    warehouse: Warehouse, bad_dates: Sequence[str], limit: int | None = 1
) -> tuple[str, list[Any]]:
    """SQL (and parameters) for the first stage rows that break a rule (all of them when
    ``limit`` is None), with their row numbers, in file order."""
    conditions: list[str] = []
    params: list[Any] = []
    for column in REQUIRED_COLUMNS:
        name = RAW_COLUMNS[column]
        conditions.append(f"{name} is null or {name} = ''")
    for name in RAW_COLUMNS.values():
        conditions.append(f"length({name}) > {MAX_FIELD_LENGTH}")
    for column, pattern in VALUE_PATTERNS.items():
        name = RAW_COLUMNS[column]
        conditions.append(
            f"{name} in (select value from ({_distinct_values(name)}) as distinct_values "
            f"where value <> '' and not {warehouse.matches('value')})"
        )
        params.append(pattern)
    if bad_dates:
        conditions.append(warehouse.in_list("invoice_date"))
        params.append(list(bad_dates))
    where = " or ".join(f"({condition})" for condition in conditions)
    sql = (
        f"select {warehouse.row_number} as row_number, {_RAW_COLUMN_LIST} "
        f"from {STAGE_TABLE} where {where} order by 1"
    )
    if limit is not None:
        sql += f" limit {int(limit)}"
    return sql, params


def validate_stage(warehouse: Warehouse, file_name: str) -> int:
    """Check every staged row; raise ``LoadError`` for the first bad one, else return the count."""
    count = int(warehouse.query(f"select count(*) from {STAGE_TABLE}")[0][0])
    if count == 0:
        raise LoadError(f"{file_name}: no data rows after the header")
    sql, params = first_bad_row_query(warehouse, invalid_dates(warehouse))
    rows = warehouse.query(sql, params)
    if rows:
        row_number, *values = rows[0]
        problem = row_problem(dict(zip(SOURCE_COLUMNS, values, strict=True)))
        column, message = problem if problem else (None, "the row breaks a rule")
        raise LoadError(problem_message(file_name, int(row_number) + 1, column, message))
    return count


def find_rejects(warehouse: Warehouse, screened: Sequence[Rejected]) -> list[Rejected]:
    """Every stage row that breaks a rule (quarantine mode): the lines the screening already
    rejected, then the rows whose values are wrong, in file order."""
    by_row = {rejected.row_number: rejected for rejected in screened}
    sql, params = first_bad_row_query(warehouse, invalid_dates(warehouse), limit=None)
    for row_number, *values in warehouse.query(sql, params):
        if int(row_number) in by_row:
            continue
        problem = row_problem(dict(zip(SOURCE_COLUMNS, values, strict=True)))
        column, reason = problem if problem else (None, "the row breaks a rule")
        by_row[int(row_number)] = Rejected(int(row_number), column, reason, tuple(values), None)
    return [by_row[row_number] for row_number in sorted(by_row)]


def stage_rejects(warehouse: Warehouse, rejects: Sequence[Rejected]) -> None:
    """Record the row numbers set aside in a temporary table (committed; connection-local)."""
    warehouse.execute(f"drop table if exists {REJECTS_TABLE}")
    warehouse.execute(f"create temp table {REJECTS_TABLE} (row_number bigint)")
    numbers = [rejected.row_number for rejected in rejects]
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start : start + 1000]
        placeholders = ", ".join("(?)" for _ in chunk)
        warehouse.execute(f"insert into {REJECTS_TABLE} values {placeholders}", chunk)
    warehouse.commit()


def insert_quarantine(
    warehouse: Warehouse,
    schema: str,
    source_file: str,
    load_id: int,
    rejects: Sequence[Rejected],
) -> None:
    """Write the rejected rows to ``quarantine_lines``."""
    now = utc_now()
    columns = ", ".join(RAW_COLUMNS.values())
    sql = (
        f"insert into {schema}.quarantine_lines (load_id, source_file, line_number, "
        f"column_name, reason, {columns}, raw_text, quarantined_at) "
        f"values (?, ?, ?, ?, ?, {', '.join('?' for _ in RAW_COLUMNS)}, ?, ?)"
    )
    for rejected in rejects:
        values = list(rejected.values) if rejected.values else [None] * len(RAW_COLUMNS)
        values = [value if value != "" else None for value in values]
        warehouse.execute(
            sql,
            [
                load_id,
                source_file,
                rejected.line,
                rejected.column,
                rejected.reason,
                *values,
                rejected.raw_text,
                now,
            ],
        )


def count_already_loaded(warehouse: Warehouse, schema: str, skip_rejects: bool) -> int:
    """Stage rows whose eight values are already in ``invoice_lines`` (an overlapping
    extract). Compared on text with nulls as '', so both engines can hash-join."""
    if not warehouse.table_exists(schema, "invoice_lines"):
        return 0
    matches = " and ".join(
        f"coalesce(lines.{name}, '') = coalesce(stage.{name}, '')" for name in RAW_COLUMNS.values()
    )
    rejects = (
        f" and {warehouse.row_number} not in (select row_number from {REJECTS_TABLE})"
        if skip_rejects
        else ""
    )
    sql = (
        f"select count(*) from {STAGE_TABLE} as stage where exists ("
        f"select 1 from {schema}.invoice_lines as lines where {matches}){rejects}"
    )
    return int(warehouse.query(sql)[0][0])


def insert_raw(
    warehouse: Warehouse,
    schema: str,
    source_file: str,
    load_id: int,
    loaded_at: dt.datetime,
    skip_rejects: bool = False,
) -> None:
    """Copy the stage into ``invoice_lines``: text as read, empty fields as NULL (without
    the rows set aside in quarantine mode)."""
    values = ", ".join(f"nullif({name}, '')" for name in RAW_COLUMNS.values())
    where = (
        f" where {warehouse.row_number} not in (select row_number from {REJECTS_TABLE})"
        if skip_rejects
        else ""
    )
    warehouse.execute(
        f"insert into {schema}.invoice_lines ({_RAW_COLUMN_LIST}, source_file, "
        "source_row_number, load_id, loaded_at) "
        f"select {values}, ?, {warehouse.row_number}, ?, ? from {STAGE_TABLE}{where}",
        [source_file, load_id, loaded_at],
    )


def record_load(
    warehouse: Warehouse,
    schema: str,
    load_id: int,
    attempt: _Attempt,
    rows_loaded: int | None,
    status: str,
    message: str | None,
    rows_quarantined: int = 0,
    rows_already_loaded: int = 0,
) -> None:
    """Insert one row into ``load_log``."""
    warehouse.execute(
        f"insert into {schema}.load_log (load_id, source, source_file, file_sha256, file_bytes, "
        "rows_loaded, started_at, finished_at, status, message, rows_quarantined, "
        "rows_already_loaded) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            attempt.source,
            attempt.source_file,
            attempt.file_sha256,
            attempt.file_bytes,
            rows_loaded,
            attempt.started_at,
            utc_now(),
            status,
            message,
            rows_quarantined,
            rows_already_loaded,
        ],
    )


def record_failure(warehouse: Warehouse, schema: str, attempt: _Attempt, message: str) -> None:
    """In its own short transaction, add a 'failed' row to ``load_log`` (best effort)."""
    try:
        warehouse.rollback()
        warehouse.begin()
        warehouse.execute(f"create schema if not exists {schema}")
        warehouse.execute(LOAD_LOG_DDL.format(schema=schema))
        for column in LOAD_LOG_NEW_COLUMNS:
            warehouse.execute(f"alter table {schema}.load_log add column if not exists {column}")
        warehouse.lock_load_log(schema)
        record_load(
            warehouse, schema, next_load_id(warehouse, schema), attempt, 0, "failed", message
        )
        warehouse.commit()
    except (duckdb.Error, psycopg2.Error):
        warehouse.rollback()


def _close_quietly(warehouse: Warehouse) -> None:
    """Drop the stage and close; errors here must not hide the load's own outcome."""
    try:
        with contextlib.suppress(duckdb.Error, psycopg2.Error):
            warehouse.drop_stage()
    finally:
        warehouse.close()


def utc_now() -> dt.datetime:
    """The current UTC time as a naive timestamp (the warehouse's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def source_file_name(source: str) -> str:
    """The file name recorded for a source: the path's base name or the cached download's."""
    return cached_file_name(source) if is_url(source) else Path(source).name


# --- the public entry point ------------------------------------------------------------------


def load(
    source: str | Path | None = None,
    target: str = "duckdb",
    *,
    replace: bool = False,
    quarantine: bool = False,
    settings: Settings | None = None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    progress: TextIO | None = None,
) -> LoadResult:
    """Load a raw file into ``<prefix>raw.invoice_lines`` of ``target``.

    ``source`` is a path or URL (default: ``$ONLINE_RETAIL_SOURCE``, else the UCI download).
    ``replace`` deletes all raw rows in the same transaction before inserting. Raises
    ``LoadError`` with the file, line and column of the first problem; the warehouse is then
    exactly as before, except for a 'failed' row in ``load_log``. With ``quarantine`` the
    good rows load and the bad ones go to ``quarantine_lines`` with their line and reason
    (problems of the file as a whole, such as a wrong header, still fail the load).
    """
    settings = settings or from_env()
    source_text = resolve_source(source)
    attempt = _Attempt(source_text, source_file_name(source_text), utc_now())
    clock = time.perf_counter()
    warehouse = open_warehouse(target, settings)
    schema = settings.raw_schema
    try:
        try:
            result = _run_load(
                warehouse, schema, attempt, _Options(replace, quarantine), cache_dir, progress
            )
        except LoadError as error:
            record_failure(warehouse, schema, attempt, str(error))
            raise
        except (duckdb.Error, psycopg2.Error) as error:
            message = f"{attempt.source_file}: {target} error: {_first_line(str(error))}"
            record_failure(warehouse, schema, attempt, message)
            raise LoadError(message) from error
    finally:
        _close_quietly(warehouse)
    return _result(result, target, attempt, schema, time.perf_counter() - clock, replace)


@dataclass(frozen=True)
class _Options:
    replace: bool
    quarantine: bool


@dataclass(frozen=True)
class _Outcome:
    status: str
    load_id: int
    rows_loaded: int
    rows_quarantined: int = 0
    rows_already_loaded: int = 0


def _run_load(
    warehouse: Warehouse,
    schema: str,
    attempt: _Attempt,
    options: _Options,
    cache_dir: Path,
    progress: TextIO | None,
) -> _Outcome:
    """Fetch, check, stage, validate and insert; returns what happened."""
    local = fetch(attempt.source, cache_dir, progress)
    attempt.source_file = local.name
    attempt.file_sha256 = file_sha256(local)
    attempt.file_bytes = local.stat().st_size
    if not options.replace and (previous := find_loaded(warehouse, schema, attempt.file_sha256)):
        return _Outcome("skipped", previous, 0)
    rejects: list[Rejected] = []
    with prepared_csv(local) as csv_input, tempfile.TemporaryDirectory() as folder:
        if options.quarantine:
            clean, screened = screen_csv(csv_input, Path(folder) / "screened.csv")
            warehouse.create_stage(clean)
            rejects = find_rejects(warehouse, screened)
            stage_rejects(warehouse, rejects)
            staged = int(warehouse.query(f"select count(*) from {STAGE_TABLE}")[0][0])
            rows = staged - len(rejects)
        else:
            warehouse.create_stage(csv_input)
            rows = validate_stage(warehouse, csv_input.display_name)
    warehouse.begin()
    try:
        return _insert_in_transaction(warehouse, schema, attempt, options, rows, rejects)
    except BaseException:
        warehouse.rollback()
        raise


def _insert_in_transaction(
    warehouse: Warehouse,
    schema: str,
    attempt: _Attempt,
    options: _Options,
    rows: int,
    rejects: Sequence[Rejected],
) -> _Outcome:
    """The one transaction that changes the warehouse."""
    ensure_tables(warehouse, schema)
    warehouse.lock_load_log(schema)
    assert attempt.file_sha256 is not None
    if not options.replace and (previous := find_loaded(warehouse, schema, attempt.file_sha256)):
        warehouse.rollback()  # another loader got there first
        return _Outcome("skipped", previous, 0)
    load_id = next_load_id(warehouse, schema)
    if options.replace:
        warehouse.execute(f"delete from {schema}.invoice_lines")
        already_loaded = 0
    else:
        already_loaded = count_already_loaded(warehouse, schema, options.quarantine)
    insert_raw(
        warehouse, schema, attempt.source_file, load_id, attempt.started_at, options.quarantine
    )
    insert_quarantine(warehouse, schema, attempt.source_file, load_id, rejects)
    message = "replaced all earlier rows" if options.replace else None
    record_load(
        warehouse,
        schema,
        load_id,
        attempt,
        rows,
        "succeeded",
        message,
        rows_quarantined=len(rejects),
        rows_already_loaded=already_loaded,
    )
    warehouse.commit()
    return _Outcome("succeeded", load_id, rows, len(rejects), already_loaded)


def _result(
    outcome: _Outcome,
    target: str,
    attempt: _Attempt,
    schema: str,
    seconds: float,
    replace: bool,
) -> LoadResult:
    """Assemble the public result."""
    return LoadResult(
        status=outcome.status,
        target=target,
        source=attempt.source,
        source_file=attempt.source_file,
        file_sha256=attempt.file_sha256 or "",
        load_id=outcome.load_id,
        rows_loaded=outcome.rows_loaded,
        raw_table=f"{schema}.invoice_lines",
        seconds=seconds,
        replaced=replace and outcome.status == "succeeded",
        rows_quarantined=outcome.rows_quarantined,
        rows_already_loaded=outcome.rows_already_loaded,
    )
