"""A CSV file ready for a bulk loader, the one type the loader's engines and sources share.

A leaf module (it imports nothing of the package), so ``engines/`` can take a ``CsvInput``
without importing ``sources/``, which imports ``engines/`` for the raw tables: the two
packages then depend one way only. Finding and recognising a source file is
``sources/files.py``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class CsvInput:
    """A CSV file ready for a bulk loader, with its header already checked."""

    path: Path
    gzipped: bool
    display_name: str
    header_lines: int = 1
    """Lines before the first data row in the file the user gave (1 for a CSV header, 0 for
    a headerless TPC-H .tbl), so messages name the line of that file."""
    row_per_line: bool = False
    """True when each data row is one line of the file the user gave, whatever line breaks
    its values hold (a workbook written out as a CSV: data row ``n`` is the sheet's row
    ``n + 1``, not the line the CSV record starts on)."""
    position: str = "line"
    """The word messages use for a place in the file the user gave: ``line`` (line 1 is
    the header of a CSV), or ``row`` for a Parquet file, which has no lines and no header
    line (row 1 is its first row)."""

    def place(self, row: int, line: int) -> int:
        """Where data row ``row``, which starts on ``line`` of this CSV, is in the file the
        user gave (a line, or a row for ``position`` ``row``)."""
        if self.row_per_line:
            return row + self.header_lines
        return line + self.header_lines - 1


def open_input(csv_input: CsvInput) -> BinaryIO:
    """The CSV's bytes, decompressed on the fly when it is gzipped."""
    if csv_input.gzipped:
        return gzip.open(csv_input.path, "rb")  # type: ignore[return-value]
    return csv_input.path.open("rb")
