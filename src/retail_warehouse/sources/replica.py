"""A larger Online Retail II made from the real file: ``copies`` shifted copies of it.

Copy 0 is the file as it is; copy ``k`` repeats every line with its invoice number raised by
``k x INVOICE_OFFSET`` (the letter of a cancellation or adjustment kept) and its customer
number raised by ``k x CUSTOMER_OFFSET`` (a line without a customer stays without one). All
other values are kept as written, dates included, so every copy passes the loader's checks
and the cleaning rules exactly as the original: each copy adds the same lines to the same
months, with invoices and customers of its own (duplicates within a copy stay duplicates,
never across copies). ``make bench-scale`` loads ten copies (10,673,710 lines) as "Online
Retail II x10" (docs/benchmark.md). This module is the one home of that rule.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput, open_input
from retail_warehouse.sources.files import GZIP_MAGIC

INVOICE_OFFSET = 10_000_000
"""Copy k adds k times this to the invoice number (the real ones are below it)."""
CUSTOMER_OFFSET = 100_000
"""Copy k adds k times this to the customer number (the real ones are below it)."""

_INVOICE = re.compile(r"^([A-Za-z]?)([0-9]+)$")


def replica_invoice(invoice: str, copy: int) -> str:
    """The invoice number of ``invoice`` in copy ``copy`` (copy 0 is the original)."""
    found = _INVOICE.match(invoice.strip())
    if found is None or int(found.group(2)) >= INVOICE_OFFSET:
        raise LoadError(
            f"invoice {invoice!r} cannot be shifted: expected a letter and digits "
            f"below {INVOICE_OFFSET:,}"
        )
    return f"{found.group(1)}{int(found.group(2)) + copy * INVOICE_OFFSET}"


def replica_customer(customer: str, copy: int) -> str:
    """The customer number of ``customer`` in copy ``copy``; an empty one stays empty."""
    if not customer.strip():
        return customer
    number = int(float(customer))
    if number >= CUSTOMER_OFFSET or number != float(customer):
        raise LoadError(
            f"customer {customer!r} cannot be shifted: expected a whole number "
            f"below {CUSTOMER_OFFSET:,}"
        )
    return str(number + copy * CUSTOMER_OFFSET)


def write_replica(source: Path, target: Path, copies: int) -> int:
    """Write ``copies`` shifted copies of the Online Retail II CSV ``source`` (plain or
    gzipped) to the CSV ``target``, header once; return the data lines written."""
    if copies < 1:
        raise ValueError(f"copies must be at least 1, not {copies}")
    with source.open("rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    written = 0
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        for copy in range(copies):
            with open_input(CsvInput(source, gzipped, source.name)) as raw:
                reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
                header = next(reader)
                try:
                    invoice_at = header.index("Invoice")
                    customer_at = header.index("Customer ID")
                except ValueError as error:
                    raise LoadError(f"{source.name}: line 1: {error}") from None
                if copy == 0:
                    writer.writerow(header)
                for line, row in enumerate(reader, start=2):
                    try:
                        row[invoice_at] = replica_invoice(row[invoice_at], copy)
                        row[customer_at] = replica_customer(row[customer_at], copy)
                    except (LoadError, IndexError, ValueError) as error:
                        raise LoadError(f"{source.name}: line {line}: {error}") from None
                    writer.writerow(row)
                    written += 1
    partial.rename(target)
    return written
