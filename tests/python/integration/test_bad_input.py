"""The bad-input corpus, quarantine mode and overlapping extracts, on DuckDB and PostgreSQL.

Every broken file is made here from a few hand-made rows. Each must fail with a message that
names the file, the line and (where there is one) the column, and leave the warehouse exactly
as it was: the same tables, the same raw rows, and only a 'failed' row added to the load log.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from raw_files import HEADER, ROWS, csv_text, write_csv, write_xlsx

# The two-engine fixtures of the loader tests (target runs each test on DuckDB and PostgreSQL).
from test_loader import Target, pg_database, target  # noqa: F401

from retail_warehouse.errors import LoadError


def _lines() -> list[str]:
    return csv_text(ROWS).splitlines(keepends=True)


def _corpus_file(folder: Path, kind: str) -> Path:
    """A broken file of the given kind."""
    lines = _lines()
    path = folder / f"{kind}.csv"
    if kind == "missing_column":
        header = [name for name in HEADER if name != "Price"]
        rows = [[value for index, value in enumerate(row) if index != 5] for row in ROWS]
        path.write_text(csv_text(rows, header), encoding="utf-8")
    elif kind == "extra_column":
        rows = [[*row, "x"] for row in ROWS]
        path.write_text(csv_text(rows, [*HEADER, "Discount"]), encoding="utf-8")
    elif kind == "renamed_column":
        path.write_text(csv_text(ROWS, [*HEADER[:6], "CustomerID", HEADER[7]]), encoding="utf-8")
    elif kind == "semicolons":
        path.write_text("".join(line.replace(",", ";") for line in lines), encoding="utf-8")
    elif kind == "text_in_quantity":
        rows = [list(row) for row in ROWS]
        rows[2][3] = "twelve"
        path.write_text(csv_text(rows), encoding="utf-8")
    elif kind == "text_in_price":
        rows = [list(row) for row in ROWS]
        rows[3][5] = "£6.95"
        path.write_text(csv_text(rows), encoding="utf-8")
    elif kind == "unparseable_date":
        rows = [list(row) for row in ROWS]
        rows[1][4] = "31/12/2010 10:00"
        path.write_text(csv_text(rows), encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "header_only":
        path.write_text(lines[0], encoding="utf-8")
    elif kind == "truncated_gzip":
        path = folder / "truncated.csv.gz"
        data = gzip.compress(("".join(lines) * 3000).encode("utf-8"))
        path.write_bytes(data[: len(data) // 2])
    elif kind == "latin1":
        rows = [list(row) for row in ROWS]
        rows[2][2] = "TEA SET £5 OFF"
        path.write_bytes(csv_text(rows).encode("latin-1"))
    elif kind == "not_a_table":
        path = folder / "picture.csv"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    elif kind == "very_long_line":
        rows = [list(row) for row in ROWS]
        rows[4][2] = "X" * 3_000_000
        path.write_text(csv_text(rows), encoding="utf-8")
    elif kind == "xlsx_missing_sheet":
        path = write_xlsx(folder / "one_sheet.xlsx", [ROWS[:3]], ["Year 2009-2010"])
    return path


CORPUS = [
    ("missing_column", r"missing_column.csv: line 1, column 6: expected 'Price'"),
    ("extra_column", r"extra_column.csv: line 1, column 9: unexpected extra column 'Discount'"),
    ("renamed_column", r"renamed_column.csv: line 1, column 7: expected 'Customer ID'"),
    ("semicolons", r"semicolons.csv: line 1, column 1: .*separated by semicolons"),
    ("text_in_quantity", r"text_in_quantity.csv: line 4, column Quantity: 'twelve' is not"),
    ("text_in_price", r"text_in_price.csv: line 5, column Price: '£6.95' is not a decimal number"),
    ("unparseable_date", r"unparseable_date.csv: line 3, column InvoiceDate: '31/12/2010 10:00'"),
    ("empty", r"empty.csv: the file is empty"),
    ("header_only", r"header_only.csv: no data rows after the header"),
    ("truncated_gzip", r"truncated.csv.gz: .*truncated or corrupt"),
    ("latin1", r"latin1.csv: line 4, column Description: the text is not valid UTF-8"),
    ("not_a_table", r"picture.csv: line 1: the header is not valid UTF-8"),
    ("very_long_line", r"very_long_line.csv: line 6, column Description: the value is 3,000,000"),
    ("xlsx_missing_sheet", r"one_sheet.xlsx: sheet 'Year 2010-2011' not found"),
]  # fmt: skip


def _state(warehouse: Target) -> tuple[object, ...]:
    """What a failed load must not change: the raw tables and every raw row."""
    tables = warehouse.query(
        "select table_name from information_schema.tables "
        "where table_schema = '{schema}' order by table_name"
    )
    quarantined = (
        warehouse.query("select count(*) from {schema}.quarantine_lines")
        if warehouse.table_exists("quarantine_lines")
        else None
    )
    return (tables, warehouse.raw_rows(), quarantined)


@pytest.mark.parametrize(("kind", "expected"), CORPUS)
def test_bad_file_fails_clearly_and_changes_nothing(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    kind: str,
    expected: str,
) -> None:
    target.load(write_csv(tmp_path / "good.csv"))
    before = _state(target)
    log_before = target.log()
    with pytest.raises(LoadError, match=expected):
        target.load(_corpus_file(tmp_path, kind))
    assert _state(target) == before
    log_after = target.log()
    assert log_after[: len(log_before)] == log_before
    assert [entry[1] for entry in log_after[len(log_before) :]] == ["failed"]
    assert re.search(expected, str(log_after[-1][3]))


def test_quarantine_loads_good_rows_and_sets_bad_ones_aside(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    lines = _lines()
    bad_value = lines[2].replace(",12,", ",lots,", 1)
    too_many = lines[3].rstrip("\n") + ",extra\n"
    path = tmp_path / "messy.csv"
    latin1 = lines[5].replace("France", "France £").encode("latin-1")
    path.write_bytes(
        "".join([lines[0], lines[1], bad_value, too_many, lines[4]]).encode("utf-8")
        + latin1
        + "".join(lines[6:]).encode("utf-8")
    )
    result = target.load(path, quarantine=True)
    assert result.rows_quarantined == 3
    assert result.rows_loaded == len(ROWS) - 3
    assert "quarantined 3 rows" in result.summary()
    assert [row[-1] for row in target.raw_rows()] == [1, 4, *range(6, len(ROWS) + 1)]
    quarantined = target.query(
        "select line_number, column_name, reason, source_file from {schema}.quarantine_lines "
        "order by line_number"
    )
    assert [(row[0], row[1]) for row in quarantined] == [
        (3, "Quantity"),
        (4, None),
        (6, "Country"),
    ]
    assert "is not an integer" in quarantined[0][2]
    assert "expected 8 columns, found 9" in quarantined[1][2]
    assert "not valid UTF-8" in quarantined[2][2]
    assert {row[3] for row in quarantined} == {"messy.csv"}
    log = target.query(
        "select status, rows_loaded, rows_quarantined from {schema}.load_log order by load_id"
    )
    assert log == [("succeeded", len(ROWS) - 3, 3)]


def test_quarantine_still_fails_on_a_wrong_header(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    with pytest.raises(LoadError, match="line 1, column 6"):
        target.load(_corpus_file(tmp_path, "missing_column"), quarantine=True)


def test_overlapping_extract_is_recognised(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    first = target.load(write_csv(tmp_path / "first.csv", ROWS[:4]))
    second = target.load(write_csv(tmp_path / "second.csv", ROWS[2:]))
    assert first.rows_already_loaded == 0
    assert second.rows_already_loaded == 2
    assert "2 rows repeat rows of earlier loads" in second.summary()
    assert target.count() == 4 + len(ROWS) - 2
    log = target.query("select rows_already_loaded from {schema}.load_log order by load_id")
    assert log == [(0,), (2,)]
