"""The Online Retail II replica of `make bench-scale`: shifted copies with invoices and
customers of their own, everything else as written."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from retail_warehouse.errors import LoadError
from retail_warehouse.sources.replica import (
    CUSTOMER_OFFSET,
    INVOICE_OFFSET,
    replica_customer,
    replica_invoice,
    write_replica,
)

HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
ROWS = (
    '489434,85048,"15CM GLASS BALL, 20 LIGHTS",12,2009-12-01 07:45:00,6.95,13085,'
    "United Kingdom\n"
    "C489449,22087,PAPER BUNTING,-12,2009-12-01 10:33:00,2.95,16321,Australia\n"
    "A506401,B,Adjust bad debt,1,2010-04-29 13:36:00,-53594.36,,United Kingdom\n"
)


def test_copy_zero_is_the_original() -> None:
    assert replica_invoice("C489449", 0) == "C489449"
    assert replica_customer("13085", 0) == "13085"


def test_later_copies_shift_invoices_and_customers() -> None:
    assert replica_invoice("489434", 3) == str(489434 + 3 * INVOICE_OFFSET)
    assert replica_invoice("C489449", 1) == f"C{489449 + INVOICE_OFFSET}"
    assert replica_customer("13085", 9) == str(13085 + 9 * CUSTOMER_OFFSET)
    assert replica_customer("13085.0", 2) == str(13085 + 2 * CUSTOMER_OFFSET)
    assert replica_customer("", 5) == ""


@pytest.mark.parametrize("invoice", ["X12-3", "12A", str(INVOICE_OFFSET)])
def test_invoices_that_cannot_be_shifted_are_refused(invoice: str) -> None:
    with pytest.raises(LoadError, match="cannot be shifted"):
        replica_invoice(invoice, 1)


@pytest.mark.parametrize("customer", ["12.5", str(CUSTOMER_OFFSET), "x"])
def test_customers_that_cannot_be_shifted_are_refused(customer: str) -> None:
    with pytest.raises((LoadError, ValueError)):
        replica_customer(customer, 1)


def test_write_replica_copies_the_file(tmp_path: Path) -> None:
    source = tmp_path / "online_retail.csv.gz"
    with gzip.open(source, "wt", encoding="utf-8", newline="") as handle:
        handle.write(HEADER + ROWS)
    target = tmp_path / "out" / "replica.csv"
    assert write_replica(source, target, 3) == 9
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    original = list(csv.reader([HEADER, *ROWS.splitlines(keepends=True)]))
    assert rows[:4] == original
    invoices = [row[0] for row in rows[1:]]
    assert len(set(invoices)) == 9
    assert rows[7][0] == f"{489434 + 2 * INVOICE_OFFSET}"
    assert rows[7][6] == f"{13085 + 2 * CUSTOMER_OFFSET}"
    assert rows[9][6] == ""
    # Everything but the invoice and customer is as written, in every copy.
    for copy in range(3):
        for line in range(3):
            row, first = rows[1 + copy * 3 + line], original[1 + line]
            assert row[1:6] + row[7:] == first[1:6] + first[7:]


def test_a_bad_line_names_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(HEADER + ROWS + "12-34,X,Y,1,2010-01-01 10:00:00,1.0,1,France\n")
    with pytest.raises(LoadError, match=r"bad\.csv: line 5"):
        write_replica(source, tmp_path / "replica.csv", 2)
    assert not (tmp_path / "replica.csv").exists()
