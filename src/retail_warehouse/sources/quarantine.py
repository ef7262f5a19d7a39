"""Quarantine mode: load the good rows of a messy export and set the bad ones aside.

A normal load stops at the first bad line. With ``--quarantine`` the loader first screens the
file record by record in Python for what the bulk readers cannot skip (text that is not UTF-8,
a wrong number of fields, a stray quote, a NUL byte, a blank line between data lines), writes
a clean copy in which each such record is kept as an empty row (so every row keeps its
number), bulk-loads that copy, and then finds the rows whose values break a rule. A record is
one line, or several when a quoted value holds a line break (``scan.records``). Good rows go
to ``raw.invoice_lines``; bad rows go to ``raw.quarantine_lines`` with the file, the line, the
column and the reason.

The screening works for any source: it is given the file's columns (``columns``).

Line numbers are physical lines of the file (line 1 is the header): the line a record starts on.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from retail_warehouse.inputs import CsvInput, open_input
from retail_warehouse.sources.scan import (
    BLANK_LINE,
    NUL_BYTE,
    is_blank,
    nul_column,
    quote_problem,
    records,
)

MAX_RAW_TEXT = 2000
"""Longest raw line kept in the quarantine table (longer ones are cut)."""


@dataclass(frozen=True)
class Rejected:
    """One quarantined row."""

    row_number: int
    """Data row number (1 = the first row after the header)."""
    line: int
    """The physical line of the file the row starts on."""
    column: str | None
    """The offending column, when one can be named."""
    reason: str
    values: tuple[str | None, ...] | None
    """The fields when the row could be split into them, else None."""
    raw_text: str | None
    """The line as read (decoded leniently), for rows that could not be split."""


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


def screen_record(
    raw: bytes, row_number: int, line: int, columns: Sequence[str]
) -> tuple[list[str] | None, Rejected | None]:
    """Split one record into its fields, or say why it cannot be loaded."""
    if is_blank(raw):
        return None, Rejected(row_number, line, None, BLANK_LINE, None, "")
    if b"\x00" in raw:
        column = nul_column(raw, columns)
        return None, Rejected(row_number, line, column, NUL_BYTE, None, _lenient(raw))
    if b'"' in raw and (found := quote_problem(raw, columns)):
        _, column, reason = found
        return None, Rejected(row_number, line, column, reason, None, _lenient(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        column = invalid_utf8_column(raw, columns)
        reason = f"the text is not valid UTF-8 (byte 0x{raw[error.start]:02x}; Latin-1 export?)"
        return None, Rejected(row_number, line, column, reason, None, _lenient(raw))
    stripped = text.rstrip("\r\n")
    try:
        fields = next(csv.reader([stripped], strict=True), [])
    except csv.Error as error:
        reason = f"the line cannot be read as CSV ({error})"
        return None, Rejected(row_number, line, None, reason, None, _cut(stripped))
    if len(fields) != len(columns):
        reason = f"expected {len(columns)} columns, found {len(fields)}"
        return None, Rejected(row_number, line, None, reason, None, _cut(stripped))
    return fields, None


def screen_csv(
    csv_input: CsvInput, clean_path: Path, columns: Sequence[str]
) -> tuple[CsvInput, list[Rejected]]:
    """Write a clean copy of the CSV (unreadable records replaced by empty rows, blank lines
    at the end dropped) and return it with the rejected records. The header has already been
    checked, and the scan has already refused lone carriage returns."""
    rejected: list[Rejected] = []
    pending_blank: list[Rejected] = []
    with open_input(csv_input) as source, clean_path.open("w", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        next(source, b"")  # the header, already checked
        writer.writerow(columns)
        for record in records(source):
            fields, problem = screen_record(record.raw, record.row_number, record.line, columns)
            if problem is not None and problem.reason == BLANK_LINE:
                pending_blank.append(problem)  # a problem only if data follows
                continue
            for blank in pending_blank:
                rejected.append(blank)
                writer.writerow([""] * len(columns))
            pending_blank = []
            if problem is not None:
                rejected.append(problem)
                fields = [""] * len(columns)
            writer.writerow(fields)
    clean = CsvInput(clean_path, gzipped=False, display_name=csv_input.display_name)
    return clean, rejected


def _lenient(raw: bytes) -> str:
    """A line decoded so that nothing is lost: bad bytes as Latin-1 characters."""
    return _cut(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _cut(text: str) -> str:
    """At most ``MAX_RAW_TEXT`` characters, NUL shown as U+FFFD (PostgreSQL text cannot hold
    it)."""
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= MAX_RAW_TEXT else text[:MAX_RAW_TEXT] + "..."
