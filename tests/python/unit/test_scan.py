"""Unit tests for ``retail_warehouse.sources.scan``: records, line numbers and the rules both
engines share."""

from __future__ import annotations

import io
import re
import tracemalloc
from pathlib import Path

import pytest

from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput
from retail_warehouse.sources.files import CHUNK
from retail_warehouse.sources.scan import (
    BLANK_LINE,
    MAX_LINE_BYTES,
    NUL_BYTE,
    PROGRESS_EVERY_BYTES,
    first_line_problem,
    is_blank,
    lone_cr_line,
    nul_column,
    quote_problem,
    records,
    rescan,
    scan_csv,
    scan_input,
    wrong_field_count,
)

COLUMNS = ("A", "B", "C")


def _named(name: str) -> CsvInput:
    """A CSV input known by ``name`` (for messages only)."""
    return CsvInput(Path(name), False, name)


def test_records_join_lines_inside_quotes() -> None:
    lines = [b'1,"two\n', b'lines",x\n', b'2,"a ""quoted"" word",y\n', b"3,z,w\n"]
    found = [(record.row_number, record.line, record.raw) for record in records(iter(lines))]
    assert found == [
        (1, 2, b'1,"two\nlines",x\n'),
        (2, 4, b'2,"a ""quoted"" word",y\n'),
        (3, 5, b"3,z,w\n"),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(b"a,b\r\n", None), (b"a,b\n", None), (b"a\rb\n", 7), (b"a,b\r", 7), (b"a\nb\rc\n", 8)],
)
def test_lone_cr_line(raw: bytes, expected: int | None) -> None:
    assert lone_cr_line(raw, 7) == expected


def test_is_blank_and_nul_column() -> None:
    assert is_blank(b"\n") and is_blank(b"\r\n") and not is_blank(b" \n")
    assert nul_column(b"1,x\x00y,3\n", COLUMNS) == "B"
    assert nul_column(b"1,x\x00y\n", COLUMNS) is None  # cannot tell with a wrong field count


def test_scan_numbers_rows_by_physical_line() -> None:
    data = b'1,"two\nlines",x\n2,b,c\n\n3,d,e\n\n\n'
    scanned = scan_csv(iter(io.BytesIO(data)), "f.csv", COLUMNS, io.StringIO())
    assert scanned.rows == 4  # the blank middle line is a row set aside
    assert [scanned.line_of_row(row) for row in (1, 2, 3, 4)] == [2, 4, 5, 6]
    assert scanned.blank_rows == [3]
    assert scanned.trailing_blank_lines
    assert scanned.data_bytes == len(b'1,"two\nlines",x\n2,b,c\n\n3,d,e\n')
    with pytest.raises(LoadError, match=r"f.csv: line 5: the line is empty"):
        scanned.raise_first_problem(_named("f.csv"))


def test_a_blank_line_right_after_a_value_over_two_lines_is_named_by_its_line() -> None:
    """Issue 27 (found with the API's CSV batches, which now share this scan): the blank line
    was placed a line early, on the second line of the value before it."""
    data = b'1,"two\nlines",x\n\n3,d,e\n'
    scanned = scan_csv(iter(io.BytesIO(data)), "f.csv", COLUMNS, io.StringIO())
    assert scanned.blank_rows == [2]
    assert [scanned.line_of_row(row) for row in (1, 2, 3)] == [2, 4, 5]
    with pytest.raises(LoadError, match=r"f.csv: line 4: the line is empty"):
        scanned.raise_first_problem(_named("f.csv"))
    header = b"A,B,C\n"
    assert first_line_problem(header + data, COLUMNS) == (4, None, BLANK_LINE)
    assert first_line_problem(header + b"1,a\x00,b\n", COLUMNS) == (2, "B", NUL_BYTE)
    assert first_line_problem(header + b"1,a,b\n\n", COLUMNS) is None  # trailing blank lines


def test_scan_refuses_a_lone_carriage_return() -> None:
    with pytest.raises(LoadError, match=r"f.csv: line 3: a carriage return \(CR\) without"):
        scan_csv(iter(io.BytesIO(b"1,a,b\n2,c\rd,e\n")), "f.csv", COLUMNS)


def test_quick_scan_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    line = b"1,abcdefghij,x\n"
    count = PROGRESS_EVERY_BYTES // len(line) + 10
    path.write_bytes(b"A,B,C\n" + line * count)
    progress = io.StringIO()
    scanned = scan_input(CsvInput(path, False, "big.csv"), COLUMNS, progress)
    assert (scanned.precise, scanned.rows, scanned.header_bytes) == (False, count, 6)
    assert scanned.line_of_row(5) == 6
    shown = progress.getvalue().splitlines()
    assert shown[-1] == f"reading big.csv: {count:,} rows, {6 + len(line) * count:,} bytes (100%)"


def test_a_line_longer_than_the_limit_fails_before_it_is_in_memory(tmp_path: Path) -> None:
    """Issue 27: a 400 MB loyalty line said "CSV Error on Line: 3" after a 1.66 GB peak. The
    scan refuses it at its line while reading in chunks, on the quick and the precise path."""
    path = tmp_path / "long.csv"
    with path.open("wb") as out:
        out.write(b"A,B,C\n1,a,b\n2,")
        for _ in range(MAX_LINE_BYTES // CHUNK + 1):
            out.write(b"x" * CHUNK)
        out.write(b",c\n3,d,e\n")
    csv_input = CsvInput(path, False, "long.csv")
    expected = f"long.csv: line 3: the line is longer than {MAX_LINE_BYTES:,} bytes"
    tracemalloc.start()
    try:
        with pytest.raises(LoadError, match=re.escape(expected)):
            scan_input(csv_input, COLUMNS, io.StringIO())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * CHUNK
    with pytest.raises(LoadError, match=re.escape(expected)):
        rescan(csv_input, COLUMNS, io.StringIO())


def test_a_quote_never_closed_fails_at_the_limit() -> None:
    lines = [b"1,a,b\n", b'2,"open,b\n'] + [b"more text\n"] * 20
    with pytest.raises(LoadError, match=r"f.csv: line 3: the line is longer than 100 bytes"):
        list(records(iter(lines), "f.csv", limit=100))
    assert len(list(records(iter(lines), "f.csv", limit=1000))) == 2


@pytest.mark.parametrize(
    ("before", "ending", "line"),
    [
        (0, b"\n", 3),  # the first data line after a short one
        (CHUNK - 1, b"\n", 3),  # the marker split across two chunks
        (CHUNK - 2, b"\r\n", 3),
        (10, b"", 3),  # the last line, without a line end
    ],
)
def test_an_end_of_data_line_fails_in_either_scan(
    tmp_path: Path, before: int, ending: bytes, line: int
) -> None:
    """PostgreSQL's COPY stops at a line holding only '\\.' (even in CSV format): the scan
    refuses it at its line, whichever chunk it falls in."""
    first = b"1,x," + b"y" * max(before - len(b"A,B,C\n1,x,\n"), 0) + b"\n"
    data = b"A,B,C\n" + first + b"\\." + ending + (b"2,y,z\n" if ending else b"")
    path = tmp_path / "eod.csv"
    path.write_bytes(data)
    scanned = scan_input(CsvInput(path, False, "eod.csv"), COLUMNS)
    with pytest.raises(LoadError, match=rf"eod.csv: line {line}: expected 3 columns, found 1"):
        scanned.raise_first_problem(_named("eod.csv"))


def test_a_quoted_end_of_data_line_is_data() -> None:
    lines = [b'1,"a\n', b"\\.\n", b'b",c\n']
    scanned = scan_csv(iter(lines), "q.csv", COLUMNS)
    scanned.raise_first_problem(_named("q.csv"))
    assert scanned.rows == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'1,x"y,z\n', (0, "B", "a '\"' inside a value that is not quoted")),
        (b'1,x"y"z,w\n', (0, "B", "a '\"' inside a value that is not quoted")),
        (b'1,"x"y,z\n', (0, "B", "text after the closing '\"'")),
        (b'1,"a\nb"c,z\n', (1, "B", "text after the closing '\"'")),
        (b'1,2,"open\n', (0, "C", "a quoted value is not closed")),
        (b'1,"a ""b"" c",""\n', None),
        (b'1,"two\nlines",x\r\n', None),
        (b'"",,"x"', None),
    ],
)
def test_quote_rule(raw: bytes, expected: tuple[int, str, str] | None) -> None:
    """Hostile round item 8: one rule for quotes on both engines (DuckDB kept x"y as it was,
    PostgreSQL opened a quoted value there)."""
    found = quote_problem(raw, COLUMNS)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert found[:2] == expected[:2] and found[2].startswith(expected[2])


@pytest.mark.parametrize("before", [0, CHUNK - 3, CHUNK + 5])
def test_a_stray_quote_fails_in_either_scan(tmp_path: Path, before: int) -> None:
    first = b"1,x," + b"y" * before + b"\n"
    path = tmp_path / "q.csv"
    path.write_bytes(b"A,B,C\n" + first + b'2,a"b,c\n3,d,e\n')
    scanned = scan_input(CsvInput(path, False, "q.csv"), COLUMNS)
    with pytest.raises(LoadError, match=r"q.csv: line 3, column B: a '\"' inside a value"):
        scanned.raise_first_problem(_named("q.csv"))


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b'A,B,C\n1,"two\nlines",x\n2,y,z,EXTRA\n', (4, 4)),  # after a value on two lines
        (b"A,B,C\n1,2,3\n\n4\n", (4, 1)),  # a blank line is not a record
        (b"A,B,C\r\n1,2,3\r\n", None),
    ],
)
def test_wrong_field_count_names_the_physical_line(
    tmp_path: Path, data: bytes, found: tuple[int, int] | None
) -> None:
    path = tmp_path / "counted.csv"
    path.write_bytes(data)
    assert wrong_field_count(CsvInput(path, False, "counted.csv"), len(COLUMNS)) == found


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # DuckDB dropped empty fields at the end of a line silently; PostgreSQL refused them
        (b"A,B,C\n1,2,3\n4,5,6,\n", "line 3: expected 3 columns, found 4"),
        (b'A,B,C\n1,2,3\n4,5,6,""\n7,8,9\n', "line 3: expected 3 columns, found 4"),
        (b"A,B,C\n1,2," + b"3" * (CHUNK + 10) + b",,\n", "line 2: expected 3 columns, found 5"),
        (b"A,B,C\n1,2,3\n4,5,6,,", "line 3: expected 3 columns, found 5"),
        # both engines refused mixed line endings, DuckDB without a line
        (b"A,B,C\r\n1,2,3\r\n4,5,6\n7,8,9\r\n", "line 3: the line ends with LF where the"),
        (b"A,B,C\n1,2,3\n4,5,6\r\n", "line 3: the line ends with CRLF where the header ends"),
        (
            b"A,B,C\r\n" + b"1,2,3\r\n" * (CHUNK // 7) + b"4,5,6\n",
            f"line {CHUNK // 7 + 2}: the line ends",
        ),
    ],
)
def test_empty_fields_at_the_end_and_mixed_line_endings_fail_in_either_scan(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    scanned = scan_input(CsvInput(path, False, "odd.csv"), COLUMNS)
    with pytest.raises(LoadError, match=rf"^odd.csv: {re.escape(expected)}"):
        scanned.raise_first_problem(_named("odd.csv"))


@pytest.mark.parametrize(
    "data",
    [
        b"A,B,C\n1,2,\n3,,\n",  # empty last columns are fields, not extra ones
        b'A,B,C\r\n1,"two\nlines",""\r\n',  # a line break inside quotes may be either
        b"A,B,C\r\n1,2,3\r\n\n\n",  # blank lines at the end are ignored, whatever they end with
    ],
)
def test_legal_ends_of_lines_pass_the_scan(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fine.csv"
    path.write_bytes(data)
    scan_input(CsvInput(path, False, "fine.csv"), COLUMNS).raise_first_problem(_named("fine.csv"))
