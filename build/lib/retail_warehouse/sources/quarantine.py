"""Quarantine mode: load the good rows of a messy export and set the bad ones aside.

A normal load stops at the first bad line. With ``--quarantine`` the loader first screens the
file line by line in Python for what the bulk readers cannot skip (text that is not UTF-8, a
wrong number of fields, a stray quote), writes a clean copy in which each such line is kept as
an empty row (so every row keeps its line number), bulk-loads that copy, and then finds the
rows whose values break a rule. Good rows go to ``raw.invoice_lines``; bad rows go to
``raw.quarantine_lines`` with the file, the line, the column and the reason.

The screening works for any source: it is given the file's columns (``columns``).

Line numbers are those of the file: line 1 is the header, data row ``n`` is line ``n + 1``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from retail_warehouse.sources.files import CsvInput, open_input

MAX_RAW_TEXT = 2000
"""Longest raw line kept in the quarantine table (longer ones are cut)."""


@dataclass(frozen=True)
class Rejected:
    """One quarantined row."""

    row_number: int
    """Data row number (1 = the first row after the header)."""
    column: str | None
    """The offending column, when one can be named."""
    reason: str
    values: tuple[str | None, ...] | None
    """The fields when the row could be split into them, else None."""
    raw_text: str | None
    """The line as read (decoded leniently), for rows that could not be split."""

    @property
    def line(self) -> int:
        """Line number in the file."""
        return self.row_number + 1


def invalid_utf8_column(raw: bytes, columns: Sequence[str]) -> str | None:
    """The column holding the first byte that is not UTF-8, if the line splits into the
    file's fields when read as Latin-1 (every byte is a Latin-1 character)."""
    fields = next(csv.reader([raw.decode("latin-1").rstrip("\r\n")]), [])
    if len(fields) != len(columns):
        return None
    for column, field in zip(columns, fields, strict=True):
        try:
            field.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return column
    return None


def utf8_error_column(csv_input: CsvInput, line: int, columns: Sequence[str]) -> str | None:
    """The column of the first non-UTF-8 byte on a line of the file (1 = the header)."""
    with open_input(csv_input) as source:
        for number, raw in enumerate(source, start=1):
            if number == line:
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return invalid_utf8_column(raw, columns)
                return None
    return None


def screen_line(
    raw: bytes, row_number: int, columns: Sequence[str]
) -> tuple[list[str] | None, Rejected | None]:
    """Split one data line into its fields, or say why it cannot be loaded."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        column = invalid_utf8_column(raw, columns)
        reason = f"the text is not valid UTF-8 (byte 0x{raw[error.start]:02x}; Latin-1 export?)"
        return None, Rejected(row_number, column, reason, None, _lenient(raw))
    stripped = text.rstrip("\r\n")
    try:
        fields = next(csv.reader([stripped], strict=True), [])
    except csv.Error as error:
        reason = f"the line cannot be read as CSV ({error})"
        return None, Rejected(row_number, None, reason, None, _cut(stripped))
    if len(fields) != len(columns):
        reason = f"expected {len(columns)} columns, found {len(fields)}"
        return None, Rejected(row_number, None, reason, None, _cut(stripped))
    return fields, None


def screen_csv(
    csv_input: CsvInput, clean_path: Path, columns: Sequence[str]
) -> tuple[CsvInput, list[Rejected]]:
    """Write a clean copy of the CSV (unreadable lines replaced by empty rows) and return it
    with the rejected lines. The header has already been checked."""
    rejected: list[Rejected] = []
    with open_input(csv_input) as source, clean_path.open("w", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        lines = _data_lines(source)
        writer.writerow(columns)
        for row_number, raw in enumerate(lines, start=1):
            fields, problem = screen_line(raw, row_number, columns)
            if problem is not None:
                rejected.append(problem)
                fields = [""] * len(columns)
            writer.writerow(fields)
    clean = CsvInput(clean_path, gzipped=False, display_name=csv_input.display_name)
    return clean, rejected


def _data_lines(source: BinaryIO) -> Iterator[bytes]:
    """The file's lines after the header, one per data row (an empty line is rejected as a
    row with too few columns, so the numbering never shifts)."""
    next(source, b"")  # the header, already checked
    yield from source


def _lenient(raw: bytes) -> str:
    """A line decoded so that nothing is lost: bad bytes as Latin-1 characters."""
    return _cut(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _cut(text: str) -> str:
    """At most ``MAX_RAW_TEXT`` characters."""
    return text if len(text) <= MAX_RAW_TEXT else text[:MAX_RAW_TEXT] + "..."
