"""What the loader says: the summary of a load (``LoadResult.summary``) and, for a problem, a
message that names the file, then the line and column, then the problem
(``online.csv: line 7, column Quantity: 'x' is not an integer``).

Engine errors (DuckDB ``read_csv``, PostgreSQL ``COPY``, a locked DuckDB file) are turned into
that form here, so the same bad file gives the same words on both engines. Line numbers are
those of the file: line 1 is the header, so data row ``n`` is on line ``n + 1``.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def location(
    file_name: str, line: int | None = None, column: str | None = None, position: str = "line"
) -> str:
    """The prefix of every message about a file: ``"online.csv: line 7, column Quantity"``
    (``position`` ``row`` for a Parquet file: ``"orders.parquet: row 6, column ..."``)."""
    parts = [file_name]
    if line is not None:
        parts.append(f"{position} {line}")
    text = ": ".join(parts)
    if column is not None:
        text += f", column {column}" if line is not None else f": column {column}"
    return text


def problem_message(
    file_name: str, line: int | None, column: str | None, problem: str, position: str = "line"
) -> str:
    """A full message: location, a colon, and what is wrong."""
    return f"{location(file_name, line, column, position)}: {problem}"


def column_count_problem(expected: int, found: int | str) -> str:
    """The one wording, on every engine and source, of a line with another number of fields
    than the header has columns: ``expected 8 columns, found 9``."""
    return f"expected {expected} columns, found {found}"


def is_column_count_error(engine_message: str) -> bool:
    """Whether a DuckDB ``read_csv`` or PostgreSQL ``COPY`` error is about a line's field
    count (then the loader counts the fields itself, ``scan.wrong_field_count``)."""
    return bool(_DUCKDB_COLUMNS.search(engine_message)) or any(
        words in engine_message
        for words in ("missing data for column", "extra data after last expected column")
    )


EXCERPT_CHARACTERS = 40
"""The most of a file's text (a header name) that a message quotes, so a file that is not a
source file at all (``/etc/shadow``, a key) never ends up in a message or ``load_log``."""


def excerpt(text: str, limit: int = EXCERPT_CHARACTERS) -> str:
    """``text`` quoted for a message: at most ``limit`` characters, anything not printable
    shown as ``?``, and ``...`` when it was cut (``'Invoice;StockCode;Descrip...'``)."""
    printable = "".join(character if character.isprintable() else "?" for character in text)
    if len(printable) > limit:
        return repr(printable[:limit]) + "..."
    return repr(printable)


def first_line(message: str) -> str:
    """The first non-empty line of an engine message."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return message


# --- DuckDB ----------------------------------------------------------------------------------

_DUCKDB_LINE = re.compile(r"CSV Error on Line: (\d+)")
_DUCKDB_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


_DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)"'
    r"(?:: Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\))?"
)


def is_duckdb_lock_conflict(message: str) -> bool:
    """Whether a DuckDB connection error says another process holds the file. Only DuckDB's
    own words count: a substring "lock" took a corrupt file ("... in block at location
    12288") or a memory limit too small ("failed to pin block") for a file in use."""
    return _DUCKDB_LOCK.search(message) is not None


def describe_duckdb_connect_error(path: Path, message: str) -> str:
    """A DuckDB connection error as a message; a lock conflict says what to do, and which
    process holds the file when DuckDB says."""
    if is_duckdb_lock_conflict(message):
        found = _DUCKDB_LOCK.search(message)
        holder = (
            f"PID {found['pid']}, {Path(found['program']).name}; " if found and found["pid"] else ""
        )
        return (
            f"the warehouse file {path} is in use by another process ({holder}e.g. a running "
            "dbt build or a BI tool); close it and retry"
        )
    return f"cannot open the warehouse file {path}: {first_line(message)}"


def find_duckdb_lock_conflict(text: str) -> str | None:
    """The one-line message for the first DuckDB lock conflict in ``text`` (an engine error,
    or dbt's output), naming the file and its holder; ``None`` when there is none."""
    found = _DUCKDB_LOCK.search(text)
    if found is None:
        return None
    return describe_duckdb_connect_error(Path(found["path"]), found[0])


def describe_duckdb_error(file_name: str, message: str) -> str:
    """A DuckDB ``read_csv`` error as ``file: line N: what is wrong``."""
    found = _DUCKDB_LINE.search(message)
    line = int(found.group(1)) if found else None
    return problem_message(file_name, line, None, _duckdb_reason(message))


def _duckdb_reason(message: str) -> str:
    """The cause of a DuckDB CSV error, in plain words."""
    columns = _DUCKDB_COLUMNS.search(message)
    if columns:
        return column_count_problem(int(columns.group(1)), columns.group(2))
    lower = message.lower()
    if "unterminated quote" in lower:
        return "a quoted field is not closed properly (a missing or stray '\"')"
    if "invalid unicode" in lower:
        return "the text is not valid UTF-8"
    if "gzip" in lower:
        return "the gzip data is truncated or corrupt"
    return first_line(message)


# --- PostgreSQL ------------------------------------------------------------------------------

_POSTGRES_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")
_POSTGRES_MISSING = re.compile(r'missing data for column "(\w+)"')


def describe_postgres_error(
    file_name: str,
    primary: str,
    context: str | None,
    source_columns: Mapping[str, str],
    read_error: Exception | None = None,
) -> str:
    """A PostgreSQL ``COPY`` error as ``file: line N, column C: what is wrong``.

    ``source_columns`` maps each raw column to its name in the file's header.
    """
    found = _POSTGRES_CONTEXT.search(context or "")
    line = int(found.group(1)) if found else None
    raw_column = found.group(2) if found else None
    column = source_columns.get(raw_column) if raw_column else None
    if read_error is not None:
        return problem_message(
            file_name, line, None, f"the gzip data is truncated or corrupt ({read_error})"
        )
    return problem_message(file_name, line, column, _postgres_reason(primary, source_columns))


def _postgres_reason(primary: str, source_columns: Mapping[str, str]) -> str:
    """The cause of a PostgreSQL COPY error, in plain words."""
    if _POSTGRES_MISSING.search(primary):  # the count, when the file cannot be read again
        return column_count_problem(len(source_columns), "fewer")
    if "extra data after last expected column" in primary:
        return column_count_problem(len(source_columns), "more")
    if "unterminated CSV quoted field" in primary:
        return "a quoted field is not closed (a '\"' is missing on this or an earlier line)"
    if "invalid byte sequence" in primary:
        return f"the text is not valid UTF-8 ({primary})"
    return first_line(primary)


# --- the result of a load ----------------------------------------------------------------


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
    """Rows whose values an earlier load already brought (an overlapping extract); they are
    loaded as they are, and dbt keeps one copy (exclusion reason duplicate_line)."""
    interrupted_after_commit: bool = False
    """Ctrl-C came after the load committed (``interrupts.CommitGuard``): the load is
    complete and the command finished it."""
    newer_load_id: int = 0
    """For a skipped file of a system whose models read only the newest load (each load a
    whole export: the loyalty feed), that newer load when the file is an earlier export;
    else 0."""

    def summary(self) -> str:
        """The one-line summary the command line prints."""
        if self.status == "skipped":
            text = (
                f"already loaded: {self.source_file} (sha256 {self.file_sha256[:8]}…, "
                f"load {self.load_id}"
            )
            if self.newer_load_id:
                return (
                    f"{text}), an earlier export than load {self.newer_load_id}, which the "
                    "models read; nothing loaded (--replace loads it as the current export)"
                )
            return f"{text}); nothing to do"
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


def read_error_cause(error: BaseException) -> str:
    """Why reading a (gzipped) file failed, without its bytes: Python's ``gzip`` names the
    bytes it found where a member should start (``Not a gzipped file (b'ga')``), and nothing
    of a file's text reaches a message."""
    if isinstance(error, gzip.BadGzipFile):
        return "bytes that are not gzip data follow or replace the compressed data"
    return str(error)
