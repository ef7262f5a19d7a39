"""A small invented TPC-H folder (two rows per table) for loader tests, written as .tbl or
.csv, with any value of any line changed."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from retail_warehouse.sources import tpch

ROWS: dict[str, list[list[str]]] = {
    "region": [["0", "AFRICA", "lar deposits"], ["1", "AMERICA", "hs use ironic"]],
    "nation": [["0", "ALGERIA", "0", "haggle"], ["1", "ARGENTINA", "1", "al foxes"]],
    "supplier": [
        ["1", "Supplier#000000001", "N kD4on9O", "0", "27-918-335-1736", "5755.94", "each"],
        ["2", "Supplier#000000002", "89eJ5ksX3Imx", "1", "15-679-861-2259", "-4032.68", "sl"],
    ],
    "customer": [
        ["1", "Customer#000000001", "IVhzIApeRb", "0", "25-989-741-2988", "711.56", "BUILDING", ""],
        ["2", "Customer#000000002", "XSTf4,NCw", "1", "23-768-687-3665", "-121.65", "AUTO", ""],
    ],
    "part": [
        ["1", "goldenrod lavender", "Manufacturer#1", "Brand#13", "PROMO TIN", "7", "JUMBO PKG",
         "901.00", "ly. slyly ironi"],
        ["2", "blush thistle blue", "Manufacturer#1", "Brand#13", "LARGE STEEL", "1", "LG CASE",
         "902.00", "lar accounts amo"],
    ],
    "partsupp": [["1", "1", "3325", "771.64", "final"], ["2", "2", "8076", "993.49", "ven ins"]],
    "orders": [
        ["1", "1", "O", "173665.47", "1996-01-02", "5-LOW", "Clerk#000000951", "0", "nstruct"],
        ["2", "2", "F", "46929.18", "1996-12-01", "1-URGENT", "Clerk#000000880", "0", "foxes"],
    ],
    "lineitem": [
        ["1", "1", "1", "1", "17", "21168.23", "0.04", "0.02", "N", "O", "1996-03-13",
         "1996-02-12", "1996-03-22", "DELIVER IN PERSON", "TRUCK", "egular courts"],
        ["2", "2", "2", "1", "38", "44694.46", "0.00", "0.05", "N", "O", "1997-01-28",
         "1997-01-14", "1997-02-02", "TAKE BACK RETURN", "RAIL", "ven requests"],
    ],
}  # fmt: skip
"""Two valid rows of each table, in file column order."""

LAYOUTS = {layout.name: layout for layout in tpch.TABLES}


def tbl_text(rows: Sequence[Sequence[str]]) -> str:
    """Rows as a .tbl file: each field ends with a pipe."""
    return "".join("".join(f"{value}|" for value in row) + "\n" for row in rows)


def csv_file_text(table: str, rows: Sequence[Sequence[str]]) -> str:
    """Rows as a TPC-H .csv file with its header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LAYOUTS[table].columns)
    writer.writerows(rows)
    return out.getvalue()


def write_folder(
    folder: Path,
    rows: Mapping[str, Sequence[Sequence[str]]] | None = None,
    suffix: str = ".tbl",
) -> Path:
    """A TPC-H folder of the eight tables (``ROWS`` unless ``rows`` gives a table's)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, default in ROWS.items():
        table_rows = (rows or {}).get(table, default)
        text = tbl_text(table_rows) if suffix == ".tbl" else csv_file_text(table, table_rows)
        (folder / f"{table}{suffix}").write_text(text, encoding="utf-8")
    return folder


def with_value(table: str, row: int, column: str, value: str) -> dict[str, list[list[str]]]:
    """``ROWS`` with one value changed (``row`` counts from 0)."""
    changed = [list(line) for line in ROWS[table]]
    changed[row][LAYOUTS[table].columns.index(column)] = value
    return {table: changed}


def write_parquet(
    path: Path, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[object]]
) -> Path:
    """A Parquet file of ``rows`` with the given (name, DuckDB type) columns, written by
    DuckDB from Python values (None as null)."""
    with duckdb.connect() as connection:
        connection.execute(
            "create table t (" + ", ".join(f'"{name}" {kind}' for name, kind in columns) + ")"
        )
        if rows:
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f"insert into t values ({marks})", [list(row) for row in rows])
        connection.execute(f"copy t to '{path}' (format parquet)")
    return path
