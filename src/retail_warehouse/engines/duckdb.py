"""DuckDB: one file, one writing process at a time."""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from retail_warehouse.engines.base import REJECTS_TABLE, STAGE_TABLE, Warehouse
from retail_warehouse.errors import ConfigError, LoadError, WarehouseBusyError
from retail_warehouse.inputs import CsvInput
from retail_warehouse.messages import (
    describe_duckdb_connect_error,
    describe_duckdb_error,
    is_duckdb_lock_conflict,
)
from retail_warehouse.settings import check_duckdb_path, from_env

MAX_LINE_BYTES = 64 * 1024 * 1024
"""DuckDB's read_csv line limit, raised from 2 MB so that an overlong line is caught by the
value rules (the longest field allowed) with the same message on both engines."""


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for reading, converting or slicing input files, held to
    the warehouse's memory limit (``RW_DUCKDB_MEMORY_LIMIT``, settings.py). Without one DuckDB
    may take 80 % of the machine's memory: converting TPC-H SF 10's lineitem to CSV peaked at
    8 GiB here, SF 1's at 1.0 GiB (0.3 GiB under a 300MB limit)."""
    return duckdb.connect(config={"memory_limit": from_env().duckdb_memory_limit})


class DuckDBWarehouse(Warehouse):
    """DuckDB: one file, one writing process at a time."""

    target = "duckdb"
    row_number = "rowid + 1"

    def __init__(
        self, path: Path, read_only: bool = False, memory_limit: str | None = None
    ) -> None:
        check_duckdb_file(path)  # a missing folder is refused there, never created
        config = {} if memory_limit is None else {"memory_limit": memory_limit}
        try:
            self.connection = duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.Error as error:
            message = describe_duckdb_connect_error(path, str(error))
            if memory_limit is not None and "memory" in str(error).lower():
                message += f" (RW_DUCKDB_MEMORY_LIMIT is {memory_limit!r})"
            raise LoadError(message) from error

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

    def create_stage(
        self,
        csv_input: CsvInput,
        columns: Mapping[str, str],
        explain: Callable[[str], str | None] | None = None,
    ) -> None:
        """``read_csv`` into a temporary table, outside any transaction.

        Outside a transaction because uncommitted rows have provisional rowids; once
        committed, ``rowid`` follows the file order (insertion order is preserved).
        """
        column_types = ", ".join(f"'{name}': 'VARCHAR'" for name in columns.values())
        sql = (
            f"create or replace temp table {STAGE_TABLE} as select * from read_csv(?, "
            "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"strict_mode = true, max_line_size = {MAX_LINE_BYTES}, compression = ?, "
            f"columns = {{{column_types}}})"
        )
        compression = "gzip" if csv_input.gzipped else "none"
        try:
            self.execute(sql, [str(csv_input.path), compression])
        except duckdb.Error as error:
            message = explain(str(error)) if explain else None
            raise LoadError(
                message or describe_duckdb_error(csv_input.display_name, str(error))
            ) from error

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


DUCKDB_MAGIC = b"DUCK"
"""What every DuckDB database file holds at ``DUCKDB_MAGIC_OFFSET`` (its main header)."""

DUCKDB_MAGIC_OFFSET = 8


def check_duckdb_file(path: Path) -> None:
    """Raise ``ConfigError`` unless ``path`` is absent from a folder that exists (a load or
    build creates the file) or a DuckDB database file. DuckDB itself opens some other files
    (a CSV file) as a database without an error, in memory: a load into it said "loaded N
    rows" and lost them, and a build would have replaced the file. A missing folder is
    refused, not created: a typo in DUCKDB_PATH sent a load to a new, empty warehouse
    (hostile round 5, finding 11). Nothing of the file is quoted."""
    check_duckdb_path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise ConfigError(
                f"DUCKDB_PATH {path}: the folder {path.parent} does not exist (a load or "
                "build creates the warehouse file, never its folder): create it or correct "
                "the path"
            ) from None
        return
    except OSError as error:
        raise ConfigError(f"cannot use {path} as the DuckDB warehouse: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise ConfigError(f"{path} is not a regular file: it cannot be the DuckDB warehouse")
    try:
        with path.open("rb") as file:
            file.seek(DUCKDB_MAGIC_OFFSET)
            magic = file.read(len(DUCKDB_MAGIC))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    if magic != DUCKDB_MAGIC:
        raise ConfigError(
            f"{path} is not a DuckDB database file: set DUCKDB_PATH to the warehouse file "
            "(or to a new name, which a load or build creates)"
        )


def check_duckdb_free(path: Path) -> None:
    """Raise ``WarehouseBusyError`` if another process holds the DuckDB file (``LoadError`` if
    it cannot be opened for another reason, a corrupt file; a missing
    file is fine: the build creates it)."""
    check_duckdb_file(path)
    if not path.exists():
        return
    try:
        duckdb.connect(str(path)).close()
    except duckdb.Error as error:
        raise connect_error(path, error) from error


def connect_error(path: Path, error: duckdb.Error) -> LoadError | WarehouseBusyError:
    """The error of a failed connection to the DuckDB file: ``WarehouseBusyError`` (wait and
    try again) only when another process holds it; a corrupt file is no busy one."""
    message = describe_duckdb_connect_error(path, str(error))
    if is_duckdb_lock_conflict(str(error)):
        return WarehouseBusyError(message)
    return LoadError(message)
