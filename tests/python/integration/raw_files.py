"""Small raw files built from hand-made rows, shared by the loader and source tests.

The rows are invented in the shape of Online Retail II (a description with a comma, one with
double quotes, leading and trailing spaces, an empty Customer ID, a C-invoice, an empty
Description); nothing is taken from the dataset.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from retail_warehouse.sources.online_retail import XLSX_SHEETS

HEADER = ("Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price",
          "Customer ID", "Country")  # fmt: skip

Row = tuple[str, str, str, str, str, str, str, str]

SHEET_1: list[Row] = [
    ("100001", "10001", "RED TEA CUP, LARGE", "12", "2009-12-01 07:45:00",
     "6.95", "12001", "United Kingdom"),
    ("100001", "10002B", 'BLUE "STAR" LANTERN', "12", "2009-12-01 07:45:00", "6.75",
     "12001", "United Kingdom"),
    ("C100002", "10003", "GREEN PAPER FLAGS", "-12", "2009-12-01 10:33:00", "2.95",
     "12002", "Australia"),
    ("100003", "POST", " POSTAGE ", "1", "2009-12-01 09:06:00", "18.0", "", "United Kingdom"),
]  # fmt: skip
SHEET_2: list[Row] = [
    ("100004", "10004A", "WHITE CANDLE HOLDER", "6", "2010-12-01 08:26:00",
     "2.55", "12003", "France"),
    ("100005", "10005", "", "56", "2010-12-01 11:52:00", "0.0", "", "United Kingdom"),
]  # fmt: skip
ROWS = SHEET_1 + SHEET_2
EXPECTED_RAW = [tuple(value or None for value in row) for row in ROWS]

# --- building files --------------------------------------------------------------------------


def csv_text(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> str:
    """A CSV in the shared file's form: minimal quoting, LF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: Sequence[Sequence[str]] = ROWS) -> Path:
    path.write_text(csv_text(rows), encoding="utf-8", newline="")
    return path


def write_gzip(path: Path, rows: Sequence[Sequence[str]] = ROWS) -> Path:
    path.write_bytes(gzip.compress(csv_text(rows).encode("utf-8")))
    return path


def write_xlsx(
    path: Path,
    sheets: Sequence[Sequence[Row]] = (SHEET_1, SHEET_2),
    names: Sequence[str] = XLSX_SHEETS,
    header: Sequence[str] = HEADER,
) -> Path:
    """A workbook like UCI's: numbers as numbers, dates as date-times, blanks as blanks."""
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in zip(names, sheets, strict=True):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, header)
        for row_index, row in enumerate(rows, start=1):
            for column_index, (column, value) in enumerate(zip(HEADER, row, strict=True)):
                _write_cell(sheet, row_index, column_index, column, value, date_format)
    workbook.close()
    return path


def _write_cell(sheet: Any, row: int, col: int, column: str, value: str, date_format: Any) -> None:
    if value == "":
        return
    if column == "InvoiceDate":
        sheet.write_datetime(row, col, dt.datetime.fromisoformat(value), date_format)
    elif column in ("Quantity", "Customer ID") or (column != "Description" and value.isdigit()):
        sheet.write_number(row, col, int(value))
    elif column == "Price":
        sheet.write_number(row, col, float(value))
    else:
        sheet.write_string(row, col, value)


def write_zip(path: Path, member: Path, name: str = "online_retail_II.xlsx") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(member, name)
    return path


# --- workbooks of any cells (property tests) -------------------------------------------------

Cell = tuple[str, Any]
"""A workbook cell as a kind and a value: ``("text", "x")``, ``("number", 6.95)``,
``("datetime", datetime)``, ``("date", date)``, ``("bool", True)``, ``("blank", None)``,
``("formula", (formula, cached value))``, ``("error", "#N/A")`` (a formula whose cached value
is an error)."""


def write_cells_xlsx(
    path: Path,
    sheets: Sequence[Sequence[Sequence[Cell]]],
    names: Sequence[str] = XLSX_SHEETS,
    header: Sequence[str] = HEADER,
) -> Path:
    """A workbook whose data rows are the given cells, written as their kind says."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, rows in zip(names, sheets, strict=True):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, header)
        for row_index, row in enumerate(rows, start=1):
            for column_index, (kind, value) in enumerate(row):
                _write_typed_cell(sheet, row_index, column_index, kind, value, date_format)
    workbook.close()
    return path


def _write_typed_cell(sheet: Any, row: int, col: int, kind: str, value: Any, fmt: Any) -> None:
    if kind == "blank":
        return
    if kind == "text":
        sheet.write_string(row, col, value)
    elif kind == "number":
        sheet.write_number(row, col, value)
    elif kind in ("datetime", "date"):
        sheet.write_datetime(row, col, value, fmt)
    elif kind == "bool":
        sheet.write_boolean(row, col, value)
    elif kind == "formula":
        sheet.write_formula(row, col, value[0], None, value[1])
    elif kind == "error":
        sheet.write_formula(row, col, "=1/0", None, value)
    else:
        raise ValueError(kind)
