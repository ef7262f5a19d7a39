"""The bad-input corpus, quarantine mode and overlapping extracts, on DuckDB and PostgreSQL.

Every broken file is made here from a few hand-made rows. Each must fail with a message that
names the file, the line and (where there is one) the column, and leave the warehouse exactly
as it was: the same tables, the same raw rows, and only a 'failed' row added to the load log.
"""

from __future__ import annotations

import gzip
import re
import signal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from raw_files import HEADER, ROWS, csv_text, write_csv, write_xlsx

# The two-engine fixtures of the loader tests (target runs each test on DuckDB and PostgreSQL).
from test_loader import Target, pg_database, target  # noqa: F401
from tpch_files import ROWS as ROWS_TPCH
from tpch_files import tbl_text, with_value, write_folder

from retail_warehouse import cli, stage
from retail_warehouse import load as load_module
from retail_warehouse import load_feed as load_feed_module
from retail_warehouse.engines import STAGE_TABLE, Warehouse
from retail_warehouse.engines.duckdb import DuckDBWarehouse
from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput
from retail_warehouse.load_feed import load_feed
from retail_warehouse.sources import SourceSystem, tpch
from retail_warehouse.sources.loyalty_fixture import make_fixture


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
    elif kind in OUT_OF_RANGE:
        column, value = OUT_OF_RANGE[kind]
        rows = [list(row) for row in ROWS]
        rows[3][HEADER.index(column)] = value  # line 5
        path.write_text(csv_text(rows), encoding="utf-8")
    elif kind == "xlsx_out_of_range":
        rows = [list(row) for row in ROWS[:3]]
        rows[1][3] = "1000000000000"  # line 3
        path = write_xlsx(folder / "big.xlsx", [rows, ROWS[3:]])
    elif kind == "nul_byte":
        path.write_text("".join(lines[:3]) + lines[3].replace("GREEN", "GRE\x00EN") + lines[4])
    elif kind == "blank_line":
        path.write_text("".join(lines[:3]) + "\n" + "".join(lines[3:]), encoding="utf-8")
    elif kind == "blank_line_crlf":
        text = "".join(lines[:3]) + "\n" + "".join(lines[3:])
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    elif kind == "lone_cr":
        path.write_bytes("".join(lines).replace("\n", "\r").encode("utf-8"))
    elif kind == "lone_cr_in_data":
        text = "".join(lines[:4]) + lines[4].replace("\n", "\r") + "".join(lines[5:])
        path.write_bytes(text.encode("utf-8"))
    elif kind == "gzip_in_gzip":
        path = folder / "twice.csv.gz"
        path.write_bytes(gzip.compress(gzip.compress("".join(lines).encode("utf-8"))))
    elif kind == "end_of_data_marker":  # PostgreSQL's COPY ends the data at a line '\.'
        path.write_text("".join(lines[:3]) + "\\.\n" + "".join(lines[3:]), encoding="utf-8")
    elif kind == "end_of_data_marker_last":
        path.write_text("".join(lines) + "\\.\n", encoding="utf-8")
    elif kind in QUOTE_DAMAGE:
        bad = lines[3].replace("GREEN PAPER FLAGS", QUOTE_DAMAGE[kind])
        path.write_text("".join([*lines[:3], bad, *lines[4:]]), encoding="utf-8")
    elif kind in ("more_fields", "more_fields_gzip"):  # after a value spanning two lines
        rows = [list(row) for row in ROWS]
        rows[0][2] = "TWO\nLINES"  # row 1 is lines 2-3, so row 4 is line 6
        rows[3].append("x")
        text = csv_text(rows)
        if kind == "more_fields":
            path.write_text(text, encoding="utf-8")
        else:
            path = folder / "more_fields.csv.gz"
            path.write_bytes(gzip.compress(text.encode("utf-8")))
    elif kind == "empty_fields_at_end":  # DuckDB dropped them silently, PostgreSQL refused
        path.write_text("".join([*lines[:3], lines[3].rstrip("\n") + ',,""\n', *lines[4:]]))
    elif kind == "mixed_line_endings":  # DuckDB refused without a line
        text = "".join(line.replace("\n", "\r\n") for line in lines[:4]) + "".join(lines[4:])
        path.write_bytes(text.encode("utf-8"))
    elif kind == "fewer_fields":
        path.write_text("".join([*lines[:3], "1,2,3\n", *lines[4:]]), encoding="utf-8")
    elif kind == "html_page":
        path = folder / "export.csv"
        path.write_text("<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n")
    return path


OUT_OF_RANGE = {
    "quantity_too_large": ("Quantity", "1000000000000"),
    "customer_id_too_long": ("Customer ID", "12345678901"),
    "price_too_large": ("Price", "100000000000000000000"),
    "negative_price_too_large": ("Price", "-2000000.5"),
    "date_1900": ("InvoiceDate", "1900-01-01 00:00:00"),
    "date_2030": ("InvoiceDate", "2030-06-01 12:00:00"),
    "unknown_country": ("Country", "Narnia"),
    # Loader and staging trim alike (SQL trim(): spaces only), hostile round items 4 and 5.
    "country_with_tab": ("Country", "United Kingdom\t"),
    "country_with_nbsp": ("Country", "\u00a0France"),
    "blank_invoice": ("Invoice", "   "),
    "blank_stock_code": ("StockCode", " "),
}
"""Values that fit the raw text rules but not the warehouse (issue 10): each on line 5."""


QUOTE_DAMAGE = {
    "stray_quote": 'GREEN "PAPER FLAGS',
    "quotes_inside_value": 'GREEN "PAPER" FLAGS',
    "text_after_quote": '"GREEN PAPER" FLAGS',
    "unclosed_quote": '"GREEN PAPER FLAGS',
}
"""Quotes the engines read differently (a quote inside a value that is not quoted, text after
a closing quote, a quote never closed): each in the Description of line 4."""


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
    # Values the build could not take: out of the plausible ranges of dbt_project.yml.
    ("quantity_too_large", r"large.csv: line 5, column Quantity: '1000000000000' is out of range"),
    ("customer_id_too_long", r"long.csv: line 5, column Customer ID: '12345678901' is out of"),
    ("price_too_large", r"price_too_large.csv: line 5, column Price: '1000000000000000000.*out of"),
    ("negative_price_too_large", r"large.csv: line 5, column Price: '-2000000.5' is out of range"),
    ("date_1900", r"date_1900.csv: line 5, column InvoiceDate: '1900-01-01 00:00:00' is outside"
                  r" the plausible dates 2009-01-01 to 2012-12-31"),
    ("date_2030", r"date_2030.csv: line 5, column InvoiceDate: '2030-06-01 12:00:00' is outside"),
    ("unknown_country", r"unknown_country.csv: line 5, column Country: 'Narnia' is not a known"
                        r" country: add it to seeds/country_codes.csv"),
    ("country_with_tab", r"tab.csv: line 5, column Country: 'United Kingdom\\t' has a tab, no-"),
    ("country_with_nbsp", r"nbsp.csv: line 5, column Country: '\\xa0France' has a tab, no-"),
    ("blank_invoice", r"blank_invoice.csv: line 5, column Invoice: the value is blank"),
    ("blank_stock_code", r"stock_code.csv: line 5, column StockCode: the value is blank"),
    ("xlsx_out_of_range", r"big.xlsx: line 3, column Quantity: '1000000000000' is out of range"),
    # One rule for both engines, by physical line.
    ("nul_byte", r"nul_byte.csv: line 4, column Description: the text holds a NUL byte"),
    ("blank_line", r"blank_line.csv: line 4: the line is empty"),
    ("blank_line_crlf", r"blank_line_crlf.csv: line 4: the line is empty"),
    ("lone_cr", r"lone_cr.csv: line 1: a carriage return \(CR\) without a line feed"),
    ("lone_cr_in_data", r"lone_cr_in_data.csv: line 5: a carriage return \(CR\) without a line"),
    ("end_of_data_marker", r"end_of_data_marker.csv: line 4: expected 8 columns, found 1"),
    ("end_of_data_marker_last", r"end_of_data_marker_last.csv: line 8: expected 8 columns, found"),
    # One wording and the real count on both engines (PostgreSQL says only "more"/"fewer",
    # DuckDB counts records, not lines).
    ("more_fields", r"more_fields.csv: line 6: expected 8 columns, found 9$"),
    ("more_fields_gzip", r"more_fields.csv.gz: line 6: expected 8 columns, found 9$"),
    ("empty_fields_at_end", r"empty_fields_at_end.csv: line 4: expected 8 columns, found 10$"),
    ("mixed_line_endings", r"endings.csv: line 5: the line ends with LF where the header ends"),
    ("fewer_fields", r"fewer_fields.csv: line 4: expected 8 columns, found 3$"),
    ("stray_quote", r"stray_quote.csv: line 4, column Description: a '\"' inside a value that"),
    ("quotes_inside_value", r"value.csv: line 4, column Description: a '\"' inside a value that"),
    ("text_after_quote", r"quote.csv: line 4, column Description: text after the closing '\"'"),
    ("unclosed_quote", r"unclosed_quote.csv: line 4, column Description: a quoted value is not"),
    ("gzip_in_gzip", r"twice.csv.gz: holds another gzip file inside \(compressed twice\)"),
    ("html_page", r"export.csv: line 1: this is an HTML or XML page, not a CSV export"),
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


# --- the same file read the same way on both engines (issue 10) -------------------------------


def test_trailing_blank_lines_are_ignored(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    path = tmp_path / "trailing.csv"
    path.write_bytes((csv_text(ROWS) + "\n\r\n\n").encode("utf-8"))
    assert target.load(path).rows_loaded == len(ROWS)
    assert [row[-1] for row in target.raw_rows()] == list(range(1, len(ROWS) + 1))


def test_quoted_line_break_keeps_physical_line_numbers(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    rows = [list(row) for row in ROWS]
    rows[0][2] = "TWO\nLINES"  # row 1 spans lines 2 and 3
    rows[3][3] = "lots"  # row 4 starts on line 6
    with pytest.raises(LoadError, match=r"multi.csv: line 6, column Quantity: 'lots'"):
        target.load(write_csv(tmp_path / "multi.csv", rows))
    rows[3][3] = "1"
    assert target.load(write_csv(tmp_path / "multi.csv", rows)).rows_loaded == len(ROWS)
    assert target.raw_rows()[0][2] == "TWO\nLINES"


def test_quarantine_keeps_a_quoted_line_break(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    rows = [list(row) for row in ROWS]
    rows[1][2] = 'BLUE "STAR"\nLANTERN'
    result = target.load(write_csv(tmp_path / "multi.csv", rows), quarantine=True)
    assert (result.rows_loaded, result.rows_quarantined) == (len(ROWS), 0)
    assert target.raw_rows()[1][2] == 'BLUE "STAR"\nLANTERN'


def test_quarantine_sets_aside_what_the_build_cannot_take(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    lines = _lines()
    rows = [list(row) for row in ROWS]
    rows[0][2] = "TWO\nLINES"  # lines 2-3: later lines shift by one
    rows[1][3] = "1000000000000"  # line 4
    rows[4][7] = "Narnia"  # line 7
    text = csv_text(rows)
    body = text.splitlines(keepends=True)
    nul = lines[6].replace("100005", "1000\x0005")  # line 9
    path = tmp_path / "messy.csv"
    path.write_text("".join([*body[:5], "\n", *body[5:], nul, "\n\n"]), encoding="utf-8")
    result = target.load(path, quarantine=True)
    quarantined = target.query(
        "select line_number, column_name, reason from {schema}.quarantine_lines "
        "order by line_number"
    )
    assert [(line, column) for line, column, _ in quarantined] == [
        (4, "Quantity"),
        (6, None),
        (8, "Country"),
        (10, "Invoice"),
    ]
    assert "out of range" in quarantined[0][2]
    assert "the line is empty" in quarantined[1][2]
    assert "not a known country" in quarantined[2][2]
    assert "NUL byte" in quarantined[3][2]
    assert (result.rows_loaded, result.rows_quarantined) == (len(ROWS) - 2, 4)


@pytest.mark.parametrize("quarantine", [False, True])
def test_an_engine_that_reads_fewer_rows_than_the_file_has_fails(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    quarantine: bool,
) -> None:
    """The last guard against a bulk reader that stops early: the scan's row count and the
    stage's must agree (here the scan is told not to look for PostgreSQL's end-of-data line,
    and the engine is made to lose the last row)."""
    lines = _lines()
    path = tmp_path / "short.csv"
    path.write_text("".join(lines), encoding="utf-8")
    real = stage.create_stage

    def losing(warehouse: Warehouse, system: SourceSystem, csv_input: CsvInput) -> None:
        real(warehouse, system, csv_input)
        last = len(lines) - 1
        warehouse.execute(f"delete from {STAGE_TABLE} where {warehouse.row_number} = {last}")
        warehouse.commit()

    monkeypatch.setattr("retail_warehouse.stage.create_stage", losing)
    monkeypatch.setattr("retail_warehouse.load.create_stage", losing)
    with pytest.raises(LoadError, match=r"short.csv: \w+ read 5 data rows but the file has 6"):
        target.load(path, quarantine=quarantine)
    assert [entry[1] for entry in target.log()] == ["failed"]


# --- the load log and the source (issue 10) ---------------------------------------------------


def test_an_interrupted_load_stays_visible_as_started(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("retail_warehouse.load.insert_raw", killed)
    with pytest.raises(KeyboardInterrupt):
        target.load(write_csv(tmp_path / "good.csv"))
    assert [(entry[0], entry[1]) for entry in target.log()] == [(1, "started")]
    assert not target.table_exists("invoice_lines") or target.count() == 0


@pytest.mark.parametrize("system", ["online_retail", "loyalty"])
def test_ctrl_c_after_the_commit_finishes_the_load(
    system: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 27: SIGINT right after a DuckDB load's commit printed "error: interrupted", exit
    130, though the rows were in. From the commit on, the load finishes, exits 0 and says the
    interrupt came after the commit (a single file and a feed alike)."""
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("RW_SCHEMA_PREFIX", "")
    module = {"online_retail": load_module, "loyalty": load_feed_module}[system]
    real_finish, real_commit = module.finish_load, DuckDBWarehouse.commit
    armed: list[bool] = []

    def finishing(*args: Any, **kwargs: Any) -> None:
        real_finish(*args, **kwargs)
        armed.append(bool(kwargs.get("in_transaction")))  # the load's own transaction

    def committing(self: DuckDBWarehouse) -> None:
        real_commit(self)
        if armed and armed[-1]:
            armed.clear()
            signal.raise_signal(signal.SIGINT)  # Ctrl-C just after the commit returned

    monkeypatch.setattr(module, "finish_load", finishing)
    monkeypatch.setattr(DuckDBWarehouse, "commit", committing)
    if system == "loyalty":
        source = make_fixture(random_customers=2, seed=3).write(tmp_path / "feed")
    else:
        source = write_csv(tmp_path / "good.csv")
    status = cli.main(["load", "--source-system", system, "--source", str(source)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "interrupted" not in err
    assert err == "interrupt received after the load committed: the load is complete\n"
    assert out.startswith("loaded ")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        statuses = connection.execute("select status from raw.load_log").fetchall()
    assert {row[0] for row in statuses} == {"succeeded"}


def test_an_unexpected_error_is_a_message_and_a_log_row(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("something nobody foresaw")

    monkeypatch.setattr("retail_warehouse.load.insert_raw", broken)
    with pytest.raises(LoadError, match=r"good.csv: the load failed unexpectedly \(ValueError"):
        target.load(write_csv(tmp_path / "good.csv"))
    assert [entry[1] for entry in target.log()] == ["failed"]


def test_a_folder_as_source_says_so(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
) -> None:
    with pytest.raises(LoadError, match=r"is a folder, not a file"):
        target.load(tmp_path)
    assert [entry[1] for entry in target.log()] == ["failed"]


# --- TPC-H values (issue 27) --------------------------------------------------------------------


def _tpch_rows(target: Target) -> list[tuple[object, ...]]:  # noqa: F811
    """Every raw TPC-H row of every table, without the load time."""
    found = []
    for layout in tpch.TABLES:
        if target.table_exists(f"tpch_{layout.name}"):
            columns = ", ".join([*layout.columns, "source_file", "source_row_number", "load_id"])
            found.append(target.query(f"select {columns} from {{schema}}.tpch_{layout.name}"))
    return sorted(map(repr, found))


@pytest.mark.parametrize(
    ("table", "column", "value", "expected"),
    [
        # issue 27: a 150-digit price loaded and broke the build's cast to numeric(18, 2)
        ("lineitem", "l_extendedprice", "9" * 150, "is out of range"),
        ("lineitem", "l_shipdate", "0001-01-01", "is outside the plausible dates"),
        ("orders", "o_orderdate", "9999-12-31", "is outside the plausible dates"),
        ("lineitem", "l_quantity", "-5", "is out of range"),
        ("partsupp", "ps_supplycost", "-1.00", "is negative"),
        ("customer", "c_custkey", "99999999999", "is out of range"),
    ],
)
def test_a_tpch_value_out_of_bounds_fails_with_line_and_column(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    table: str,
    column: str,
    value: str,
    expected: str,
) -> None:
    good = write_folder(tmp_path / "good")
    load_feed(tpch.load_order(tpch.table_files(good)), target.name, settings=target.settings)
    before = _tpch_rows(target)
    bad = write_folder(tmp_path / "bad", with_value(table, 1, column, value))
    (bad / "region.tbl").write_text(tbl_text([["0", "AFRICA", "another comment"]]))
    bad_files = tpch.load_order(tpch.table_files(bad))
    # --replace: the same keys again replace the good load's rows, so the value's bound is
    # what refuses the load (without it, the first key load 1 holds would)
    with pytest.raises(LoadError, match=rf"^{table}\.tbl: line 2, column {column}: .*{expected}"):
        load_feed(bad_files, target.name, replace=True, settings=target.settings)
    assert _tpch_rows(target) == before


def _tpch_parquet(
    tmp_path: Path, rows: dict[str, list[list[str]]], rewrite: dict[str, str] | None = None
) -> Path:
    """A folder of TPC-H Parquet files (text columns): ``rows`` per table, the invented rows
    otherwise; ``rewrite`` replaces a table by a query over it before it is written."""
    rewrite = rewrite or {}
    folder = tmp_path / "parquet"
    folder.mkdir()
    connection = duckdb.connect()
    for layout in tpch.TABLES:
        columns = ", ".join(f"{column} varchar" for column in layout.columns)
        connection.execute(f"create table {layout.name} ({columns})")
        marks = ", ".join("?" for _ in layout.columns)
        table_rows = rows.get(layout.name, ROWS_TPCH[layout.name])
        connection.executemany(f"insert into {layout.name} values ({marks})", table_rows)
        if layout.name in rewrite:
            connection.execute(f"create or replace table {layout.name} as {rewrite[layout.name]}")
        connection.execute(f"copy {layout.name} to '{folder / layout.name}.parquet'")
    connection.close()
    return folder


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zz", r"row 2, column n_nationkey: 'zz' is not a whole number$"),
        ("1\x00", r"row 2, column n_nationkey: the text holds a NUL byte"),
        ("1\r", r"row 2: a value holds a carriage return \(CR\) without a line feed$"),
    ],
)
def test_a_parquet_file_is_reported_by_row(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    value: str,
    expected: str,
) -> None:
    """Round 2, item 2: Parquet has no header line, yet its first row was "line 2"."""
    rows = with_value("nation", 1, "n_nationkey", value)
    rows["nation"][0][3] = "two\nlines"  # a line break in row 1 shifts no row
    folder = _tpch_parquet(tmp_path, rows)
    with pytest.raises(LoadError, match=rf"^nation\.parquet: {expected}"):
        load_feed(tpch.load_order(tpch.table_files(folder)), target.name, settings=target.settings)


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("{'a': r_name}", "STRUCT(a VARCHAR)"),
        ("[r_name]", "VARCHAR[]"),
        ("map([r_name], [1])", "MAP(VARCHAR, INTEGER)"),
        ("[{'a': r_name}]", "STRUCT(a VARCHAR)[]"),
    ],
)
def test_a_parquet_column_of_several_values_is_refused(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    expression: str,
    kind: str,
) -> None:
    """hostile7: a Parquet column of a struct, list or map was cast to text and loaded
    (region names "{'a': AFRICA}", "[AFRICA]"): a free-text column has no pattern to refuse
    it, so it reached the marts. Refused with the file, the column and its type."""
    region = f"select r_regionkey, {expression} as r_name, r_comment from region"
    folder = _tpch_parquet(tmp_path, {}, {"region": region})
    expected = rf"^region\.parquet: column r_name is of type '{re.escape(kind)}', which holds"
    with pytest.raises(LoadError, match=expected):
        load_feed(tpch.load_order(tpch.table_files(folder)), target.name, settings=target.settings)


@pytest.mark.parametrize("name", ["evil\nname.csv", "red\x1b[31mname.csv"])
def test_a_file_name_with_control_characters_is_escaped(
    target: Target,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    name: str,
) -> None:
    """Hostile round item 14: a source named 'evil<newline>name.csv' printed a two-line
    message and was stored with the newline in load_log; ESC[31m reached the terminal raw.
    Names are shown and stored with anything not printable escaped, as headers are."""
    shown = name.replace("\n", "\\n").replace("\x1b", "\\x1b")
    rows = [list(row) for row in ROWS]
    rows[1][3] = "lots"  # line 3
    bad = write_csv(tmp_path / name, rows)
    with pytest.raises(LoadError) as raised:
        target.load(bad)
    assert str(raised.value) == f"{shown}: line 3, column Quantity: 'lots' is not an integer"
    good = write_csv(tmp_path / ("good " + name))
    result = target.load(good)
    assert result.source_file == "good " + shown
    assert "\n" not in result.summary() and "\x1b" not in result.summary()
    stored = target.query("select source_file, source, message from {schema}.load_log")
    assert [row[0] for row in stored] == [shown, "good " + shown]
    assert all("\n" not in text and "\x1b" not in text for row in stored for text in row if text)
    assert {
        row[0] for row in target.query("select distinct source_file from {schema}.invoice_lines")
    } == {"good " + shown}
