"""PostgreSQL through psycopg2: many clients, so loads lock ``load_log``."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

import psycopg2

from retail_warehouse.engines.base import REJECTS_TABLE, STAGE_TABLE, Warehouse
from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput, open_input
from retail_warehouse.messages import describe_postgres_error
from retail_warehouse.settings import PostgresSettings


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

    def create_stage(
        self,
        csv_input: CsvInput,
        columns: Mapping[str, str],
        explain: Callable[[str], str | None] | None = None,
    ) -> None:
        """``COPY ... FROM STDIN`` into a temporary table whose identity numbers the rows."""
        column_defs = ", ".join(f"{name} text" for name in columns.values())
        self.drop_stage()
        self.execute(
            f"create temp table {STAGE_TABLE} ("
            f"source_row_number bigint generated always as identity, {column_defs})"
        )
        copy_sql = (
            f"copy {STAGE_TABLE} ({', '.join(columns.values())}) "
            "from stdin with (format csv, header true)"
        )
        with open_input(csv_input) as handle:
            reader = _GuardedReader(handle)
            try:
                with self.connection.cursor() as cursor:
                    cursor.copy_expert(copy_sql, reader, size=1 << 20)
            except psycopg2.Error as error:
                self.connection.rollback()
                primary = error.diag.message_primary or str(error)
                message = None if reader.error or explain is None else explain(primary)
                message = message or describe_postgres_error(
                    csv_input.display_name,
                    primary,
                    error.diag.context,
                    {raw: source for source, raw in columns.items()},
                    reader.error,
                )
                raise LoadError(message) from error
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


@contextlib.contextmanager
def throwaway_database(settings: PostgresSettings, prefix: str = "rw_tmp") -> Iterator[str]:
    """Create an empty database named ``<prefix>_<random>`` on the server of ``settings``,
    yield its name, and drop it afterwards (for tests and benchmarks)."""
    admin = psycopg2.connect(**dataclasses.replace(settings, dbname="postgres").connect_kwargs())
    admin.autocommit = True
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create database {name}")
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name} with (force)")
        admin.close()
