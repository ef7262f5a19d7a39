"""Turn an Excel workbook into a CSV in exactly the text form the source system exports.

A source that ships a workbook describes it with a ``SheetLayout`` (which sheets, in which
order, which columns, which columns always print as floats); ``workbook_to_csv`` writes all
its sheets, in order, to one CSV with one header.
"""

from __future__ import annotations

import csv
import datetime as dt
import posixpath
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from python_calamine import CalamineWorkbook

from retail_warehouse.errors import LoadError
from retail_warehouse.messages import excerpt, problem_message


class _RowWriter(Protocol):
    """What ``csv.writer`` returns, as far as this module uses it."""

    def writerow(self, row: Iterable[object], /) -> object:
        """Write one row."""


@dataclass(frozen=True)
class SheetLayout:
    """How a source system lays out its workbook."""

    sheets: tuple[str, ...]
    """The sheets, read in this order."""
    columns: tuple[str, ...]
    """The header of every sheet (and of the CSV written)."""
    float_columns: tuple[str, ...] = ()
    """Columns whose numbers are always written as floats (``18.0``), as the CSV export does."""


def normalise_cell(value: object, float_text: bool = False) -> str:
    """The text of a workbook cell exactly as the CSV export writes it.

    Whole floats become integer text (``489434.0`` -> ``"489434"``) unless ``float_text``,
    which gives the shortest float form (``6.95``, ``18.0``); date-times become
    ``YYYY-MM-DD HH:MM:SS`` (to the nearest second); empty cells become empty strings; text
    is kept as it is.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return _nearest_second(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d 00:00:00")
    if isinstance(value, int | float):
        return _number_text(value, float_text)
    return str(value)


def _nearest_second(value: dt.datetime) -> dt.datetime:
    """Round away the float noise of Excel serial dates (07:44:59.9999 is 07:45:00)."""
    return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)


def _number_text(value: float, float_text: bool) -> str:
    """Numbers: float repr when asked, integer text for whole numbers otherwise."""
    if float_text:
        return repr(float(value))
    if isinstance(value, int):
        return str(value)
    return str(int(value)) if value.is_integer() else repr(value)


def normalise_row(row: Sequence[object], layout: SheetLayout) -> list[str]:
    """The CSV fields of a workbook row (short rows are padded with empty fields)."""
    width = len(layout.columns)
    cells = list(row[:width]) + [""] * (width - len(row[:width]))
    return [
        normalise_cell(cell, column in layout.float_columns)
        for column, cell in zip(layout.columns, cells, strict=True)
    ]


def trim_trailing_empty(row: Sequence[object]) -> list[object]:
    """The row without its trailing empty cells."""
    cells = list(row)
    while cells and (cells[-1] is None or cells[-1] == ""):
        cells.pop()
    return cells


def workbook_to_csv(
    workbook_path: Path,
    csv_path: Path,
    display_name: str,
    layout: SheetLayout,
    check_header: Callable[[Sequence[str], str], None],
) -> int:
    """Write the layout's sheets, in order, to one CSV; returns the data rows written.

    ``check_header(found, name)`` raises ``LoadError`` when a sheet's header is wrong.
    """
    try:
        workbook = CalamineWorkbook.from_path(str(workbook_path))
    except Exception as error:  # calamine raises its own error types for unreadable files
        raise LoadError(f"{display_name}: cannot read the workbook ({error})") from error
    missing = [sheet for sheet in layout.sheets if sheet not in workbook.sheet_names]
    if missing:
        raise LoadError(
            f"{display_name}: sheet {missing[0]!r} not found "
            f"(the workbook has {', '.join(map(repr, workbook.sheet_names))})"
        )
    errors = formula_errors(workbook_path, layout.sheets)
    rows_written = 0
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(layout.columns)
        for sheet_name in layout.sheets:
            sheet_label = f"{display_name} (sheet {sheet_name!r})"
            sheet = workbook.get_sheet_by_name(sheet_name)
            rows = _with_errors(sheet.iter_rows(), sheet.start[0], errors.get(sheet_name, {}))
            header = next(rows, None)
            if header is None:
                raise LoadError(f"{sheet_label}: the sheet is empty")
            check_header(
                [normalise_cell(cell) for cell in trim_trailing_empty(header)], sheet_label
            )
            rows_written = _write_rows(
                rows, writer, layout, sheet_label, display_name, rows_written, sheet_name
            )
    return rows_written


def _write_rows(
    rows: Iterator[list[object] | _ErrorCell],
    writer: _RowWriter,
    layout: SheetLayout,
    sheet_label: str,
    display_name: str,
    rows_before: int,
    sheet_name: str,
) -> int:
    """Write a sheet's data rows; returns the running row count."""
    width = len(layout.columns)
    count = rows_before
    pending_empty = 0
    for row in rows:
        if isinstance(row, _ErrorCell):
            column = layout.columns[row.column] if row.column < width else str(row.column + 1)
            raise LoadError(
                problem_message(
                    display_name,
                    count + pending_empty + 2,
                    column,
                    f"the cell holds the formula error {excerpt(row.code)} (sheet "
                    f"{sheet_name!r}, cell {row.reference}): fix or clear it",
                )
            )
        cells = trim_trailing_empty(row)
        if not cells:
            pending_empty += 1  # empty rows count only if data follows them
            continue
        for _ in range(pending_empty):
            count += 1
            writer.writerow([""] * width)
        pending_empty = 0
        count += 1
        if len(cells) > width:
            raise LoadError(
                f"{display_name}: line {count + 1}, column {width + 1}: "
                f"unexpected value {cells[width]!r} after the last column "
                f"({sheet_label})"
            )
        fields = normalise_row(cells, layout)
        for column, field in zip(layout.columns, fields, strict=True):
            if _LONE_CR.search(field):
                raise LoadError(
                    problem_message(
                        display_name,
                        count + 1,
                        column,
                        "the cell holds a carriage return (CR) without a line feed: "
                        f"remove it (sheet {sheet_name!r})",
                    )
                )
        writer.writerow(fields)
    return count


_LONE_CR = re.compile("\r(?!\n)")
"""A CR that no LF follows: the CSV rules refuse it (the engines read it differently), so
the cell is refused here, by its row and column."""


# --- formula errors ------------------------------------------------------------------------
# A cell whose formula ends in an error (#N/A, #DIV/0!, #REF!...) holds the error as its
# cached value; calamine reads it as an empty cell, which would load a missing customer or
# description as if the workbook had none. They are found in the sheets' XML and refused.

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_ERROR_MARKS = (b't="e"', b"t='e'")


@dataclass(frozen=True)
class _ErrorCell:
    """The first formula error of a row: its 0-based column, cell reference and code."""

    column: int
    reference: str
    code: str


def formula_errors(workbook_path: Path, sheets: Sequence[str]) -> dict[str, dict[int, _ErrorCell]]:
    """For each of ``sheets`` holding a cell with a formula error: 0-based row -> the first
    error cell of that row. The usual workbook has none and is only scanned for the marker."""
    found: dict[str, dict[int, _ErrorCell]] = {}
    try:
        with zipfile.ZipFile(workbook_path) as archive:
            for name, member in _sheet_members(archive).items():
                if name in sheets and _has_error_mark(archive, member):
                    found[name] = _error_cells(archive, member)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return found  # calamine has read the workbook; its reading stands
    return found


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML."""
    targets = {
        relation.get("Id"): relation.get("Target", "")
        for relation in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    }
    members = {}
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{_SHEET_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        members[sheet.get("name", "")] = posixpath.normpath(path)
    return members


def _has_error_mark(archive: zipfile.ZipFile, member: str) -> bool:
    with archive.open(member) as handle:
        tail = b""
        while chunk := handle.read(1 << 20):
            if any(mark in tail + chunk for mark in _ERROR_MARKS):
                return True
            tail = chunk[-8:]
    return False


_ERROR_CELL = re.compile(
    rb"<c\b(?=[^>]*\bt=[\"']e[\"'])[^>]*\br=[\"']([A-Z]+)([0-9]+)[\"'][^>]*>(.*?)</c>", re.DOTALL
)
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _error_cells(archive: zipfile.ZipFile, member: str) -> dict[int, _ErrorCell]:
    """Read with a regular expression, not an XML parser: calamine accepts sheets that a
    strict parser refuses (a control character in a formula's cached text)."""
    cells: dict[int, _ErrorCell] = {}
    for letters, digits, inner in _ERROR_CELL.findall(archive.read(member)):
        row = int(digits) - 1
        value = _VALUE.search(inner)
        code = value.group(1).decode("utf-8", "replace") if value and value.group(1) else "#ERROR"
        if row not in cells:
            cells[row] = _ErrorCell(
                _column_index(letters.decode()), (letters + digits).decode(), code
            )
    return cells


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _with_errors(
    rows: Iterator[list[object]], first_row: int, errors: Mapping[int, _ErrorCell]
) -> Iterator[list[object] | _ErrorCell]:
    """The sheet's rows, with the first error cell of a data row in place of the row (the
    header's own check reports a header with an error)."""
    for number, row in enumerate(rows, first_row):
        yield errors.get(number, row) if number > first_row else row
