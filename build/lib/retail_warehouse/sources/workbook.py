"""Turn an Excel workbook into a CSV in exactly the text form the source system exports.

A source that ships a workbook describes it with a ``SheetLayout`` (which sheets, in which
order, which columns, which columns always print as floats); ``workbook_to_csv`` writes all
its sheets, in order, to one CSV with one header.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from python_calamine import CalamineWorkbook

from retail_warehouse.errors import LoadError


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
    rows_written = 0
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(layout.columns)
        for sheet_name in layout.sheets:
            sheet_label = f"{display_name} (sheet {sheet_name!r})"
            rows = workbook.get_sheet_by_name(sheet_name).iter_rows()
            header = next(rows, None)
            if header is None:
                raise LoadError(f"{sheet_label}: the sheet is empty")
            check_header(
                [normalise_cell(cell) for cell in trim_trailing_empty(header)], sheet_label
            )
            rows_written = _write_rows(
                rows, writer, layout, sheet_label, display_name, rows_written
            )
    return rows_written


def _write_rows(
    rows: Iterator[list[object]],
    writer: _RowWriter,
    layout: SheetLayout,
    sheet_label: str,
    display_name: str,
    rows_before: int,
) -> int:
    """Write a sheet's data rows; returns the running row count."""
    width = len(layout.columns)
    count = rows_before
    pending_empty = 0
    for row in rows:
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
        writer.writerow(normalise_row(cells, layout))
    return count
