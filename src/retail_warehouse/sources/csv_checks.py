"""Checks of a CSV file as a whole, for any source system: the header is the one expected,
there is a line after it, and the file is text (not a page, not gzip twice, no lone CR).

Line numbers are those of the file: line 1 is the header.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Sequence

from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput, open_input
from retail_warehouse.messages import excerpt, read_error_cause
from retail_warehouse.sources.files import GZIP_MAGIC
from retail_warehouse.sources.scan import lone_cr_message

OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
"""Delimiters of exports that are not comma-separated, named for the message."""


def parse_header_line(line: str) -> list[str]:
    """Split the first line of a CSV file into field names (BOM and line end removed)."""
    line = line.removeprefix("\ufeff").rstrip("\r\n")
    if not line:
        return []
    return next(csv.reader([line]))


def header_problem(found: Sequence[str], expected: Sequence[str]) -> tuple[int, str] | None:
    """Compare a header with ``expected``.

    Returns ``None`` when it matches, else ``(column_number, message)`` for the first column
    that differs, with a hint about missing, extra or reordered columns.
    """
    expected = tuple(expected)
    if tuple(found) == expected:
        return None
    hint = _header_hint(found, expected)
    if not set(found) & set(expected) and not hint.startswith(" (the file is separated"):
        # Not this system's header at all (another file, or not a CSV): quote none of it.
        fields = f"{len(found)} field{'' if len(found) == 1 else 's'}"
        return 1, (
            f"not the expected header: none of its {fields} is a column of this file "
            f"({','.join(expected)}); is it the right file?"
        )
    index = next(
        i
        for i in range(max(len(found), len(expected)))
        if i >= len(found) or i >= len(expected) or found[i] != expected[i]
    )
    if index >= len(found):
        message = f"expected {expected[index]!r}, found no column"
    elif index >= len(expected):
        message = f"unexpected extra column {excerpt(found[index])}"
    else:
        message = f"expected {expected[index]!r}, found {excerpt(found[index])}"
    return index + 1, message + hint


def _header_hint(found: Sequence[str], expected: Sequence[str]) -> str:
    """Which expected columns are missing and which found ones are unknown."""
    if len(found) == 1:
        for delimiter, name in OTHER_DELIMITERS.items():
            if delimiter in found[0]:
                return f" (the file is separated by {name}, not commas: export it as CSV)"
    missing = [name for name in expected if name not in found]
    extra = [name for name in found if name not in expected]
    notes = []
    if missing:
        notes.append("missing " + ", ".join(repr(name) for name in missing))
    if extra:
        shown = [excerpt(name) for name in extra[:3]] + (["..."] if len(extra) > 3 else [])
        notes.append("unexpected " + ", ".join(shown))
    if not notes:
        notes.append("the columns are in another order")
    return " (" + "; ".join(notes) + ")"


def check_header(found: Sequence[str], file_name: str, expected: Sequence[str]) -> None:
    """Raise ``LoadError`` naming the file, line 1 and the column if the header is wrong."""
    problem = header_problem(found, expected)
    if problem is not None:
        column_number, message = problem
        raise LoadError(f"{file_name}: line 1, column {column_number}: {message}")


def check_csv_file(csv_input: CsvInput, expected: Sequence[str]) -> None:
    """Check that a CSV file has the ``expected`` header and at least one line after it."""
    name = csv_input.display_name
    try:
        with open_input(csv_input) as handle:
            first = handle.readline(1 << 16)
            second = handle.readline(1 << 16)
    except (OSError, EOFError, zlib.error) as error:
        gzipped = csv_input.gzipped
        what = "the gzip data is truncated or corrupt" if gzipped else "cannot read the file"
        raise LoadError(f"{name}: {what} ({read_error_cause(error)})") from error
    if not first:
        raise LoadError(f"{name}: the file is empty")
    if csv_input.gzipped and first.startswith(GZIP_MAGIC):
        raise LoadError(
            f"{name}: holds another gzip file inside (compressed twice): decompress it once "
            "(gunzip) and load the result"
        )
    if b"\r" in first.rstrip(b"\r\n") or first.endswith(b"\r"):
        raise LoadError(lone_cr_message(name, 1))
    try:
        header_text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError(f"{name}: line 1: the header is not valid UTF-8 text") from None
    if header_text.lstrip("\ufeff \t").startswith("<"):
        raise LoadError(
            f"{name}: line 1: this is an HTML or XML page, not a CSV export (an error page "
            "saved under the file's name?)"
        )
    check_header(parse_header_line(header_text), name, expected)
    if not second:
        raise LoadError(f"{name}: no data rows after the header")
