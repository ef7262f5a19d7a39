"""The interface both warehouse engines implement, and the raw tables they hold.

SQL is written with ``?`` placeholders; engines that use another style translate them. A raw
table is defined once, as a ``RawTable``; its ``create table`` statement is derived from it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retail_warehouse.inputs import CsvInput

STAGE_TABLE = "rw_stage_invoice_lines"
"""The temporary table a file is bulk-read into before it is checked."""

REJECTS_TABLE = "rw_stage_rejects"
"""Temporary table of the stage rows set aside in quarantine mode."""


@dataclass(frozen=True)
class RawTable:
    """One table of the raw schema: its name and its ``(column, type)`` pairs, in order.

    The types are written so that both engines accept them (``varchar``, ``bigint``...).
    ``added_later`` names columns that older warehouses lack; they are added on load.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    added_later: tuple[str, ...] = ()

    def create_statements(self, schema: str) -> list[str]:
        """``create table if not exists`` plus an ``add column if not exists`` per newer
        column."""
        columns = ",\n    ".join(f"{name} {kind}" for name, kind in self.columns)
        statements = [f"create table if not exists {schema}.{self.name} (\n    {columns}\n)"]
        types = dict(self.columns)
        statements += [
            f"alter table {schema}.{self.name} add column if not exists {name} {types[name]}"
            for name in self.added_later
        ]
        return statements


def text_columns(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Columns stored as text exactly as in the file."""
    return tuple((name, "varchar") for name in names)


LOAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source_file", "varchar"),
    ("source_row_number", "bigint"),
    ("load_id", "integer"),
    ("loaded_at", "timestamp"),
)
"""The columns every raw table of rows ends with: where and when each row was loaded."""


def quarantine_columns(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The columns of a quarantine table for a file with these text columns."""
    return (
        ("load_id", "integer"),
        ("source_file", "varchar"),
        ("line_number", "bigint"),
        ("column_name", "varchar"),
        ("reason", "varchar"),
        *text_columns(names),
        ("raw_text", "varchar"),
        ("quarantined_at", "timestamp"),
    )


LOAD_LOG = RawTable(
    "load_log",
    (
        ("load_id", "integer"),
        ("source", "varchar"),
        ("source_file", "varchar"),
        ("file_sha256", "varchar"),
        ("file_bytes", "bigint"),
        ("rows_loaded", "bigint"),
        ("started_at", "timestamp"),
        ("finished_at", "timestamp"),
        ("status", "varchar"),
        ("message", "varchar"),
        ("rows_quarantined", "bigint"),
        ("rows_already_loaded", "bigint"),
    ),
    added_later=("rows_quarantined", "rows_already_loaded"),
)
"""One row per load attempt of any source (succeeded, skipped ones are not logged, failed)."""


class Warehouse(ABC):
    """A connection to one warehouse engine, with the few SQL differences that matter here."""

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
    def create_stage(
        self,
        csv_input: CsvInput,
        columns: Mapping[str, str],
        explain: Callable[[str], str | None] | None = None,
    ) -> None:
        """Bulk-read the CSV into ``STAGE_TABLE`` (committed; temporary to this connection).

        ``columns`` maps the file's header names to the stage's text columns, in file order.
        ``explain`` turns the engine's error message into the loader's own (a wrong field
        count, counted in the file), or gives ``None`` for the engine's words: the loader's
        reading of files lives in ``sources/``, which this package does not import.
        """

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

    def ensure_tables(self, schema: str, tables: Sequence[RawTable]) -> None:
        """Create the schema and the tables if they are missing (and add newer columns)."""
        self.execute(f"create schema if not exists {schema}")
        for table in tables:
            for statement in table.create_statements(schema):
                self.execute(statement)
