"""Online Retail II by invoice date: one CSV export as the extracts a shop would have sent
month by month, for the incremental benchmark and tests (load all but the last month, build,
load the last month, build again).

``split_by_invoice_date`` writes the lines dated before a day and the lines from that day on
as two CSV files with the export's header, bytes unchanged, so the loader reads them with the
same checks as the whole file; a line keeps its file order within its extract.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from pathlib import Path

INVOICE_DATE_FIELD = 4
"""Zero-based position of InvoiceDate in the export (Invoice, StockCode, Description,
Quantity, InvoiceDate, ...)."""


def csv_field(line: bytes, position: int) -> bytes:
    """The raw bytes of field ``position`` of a CSV line (commas inside double quotes, as in
    descriptions, do not split)."""
    field, quoted, start = 0, False, 0
    for index, byte in enumerate(line):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x2C and not quoted:
            if field == position:
                return line[start:index]
            field += 1
            start = index + 1
    return line[start:].rstrip(b"\r\n") if field == position else b""


def split_by_invoice_date(
    source: Path,
    cut: dt.date,
    folder: Path,
    keep: Callable[[bytes], bool] | None = None,
) -> tuple[Path, Path]:
    """Write the lines of the CSV export ``source`` (``.csv`` or ``.csv.gz``) dated before
    ``cut`` to ``folder/before_<cut>.csv`` and the others to ``folder/from_<cut>.csv``, each
    with the header; ``keep`` (a test of the raw line) leaves lines out, e.g. to sample.
    Returns the two paths."""
    opener = gzip.open if source.suffix == ".gz" else open
    before, after = folder / f"before_{cut}.csv", folder / f"from_{cut}.csv"
    cut_text = cut.isoformat().encode()
    with opener(source, "rb") as data, before.open("wb") as one, after.open("wb") as two:  # type: ignore[operator]
        header = data.readline()
        one.write(header)
        two.write(header)
        for line in data:
            if keep is not None and not keep(line):
                continue
            date = csv_field(line, INVOICE_DATE_FIELD)[:10]
            (two if date >= cut_text else one).write(line)
    return before, after
