"""Property tests of the TPC-H readers (issue 27): generated orders files, as .tbl or .csv
with hostile values and lines of the wrong length, or as .parquet with typed and mistyped
columns (text where numbers belong, nulls, huge decimals, dates out of range, a column too
many, too few or misnamed), either load exactly as written or are refused with a LoadError
naming the file, the first bad line (a Parquet row n is "line n + 1", as in its CSV) and
(for a value) its column, and leave the raw tables as they were. DuckDB target; the oracle
is the table's own rules (``tpch.row_checker``), so the SQL checks, the line numbers and the
messages are what is tested."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tpch_files import LAYOUTS, ROWS, csv_file_text, tbl_text, write_folder, write_parquet

from retail_warehouse.errors import LoadError
from retail_warehouse.load_feed import load_feed
from retail_warehouse.settings import Settings
from retail_warehouse.sources import tpch

pytestmark = pytest.mark.integration

ORDERS = LAYOUTS["orders"]
HOSTILE = st.sampled_from(
    ["", "x", "-1", "-0.01", "9" * 30, "1.234", "0001-01-01", "9999-12-31", "1996-02-30",
     "2147483648", "1000000000000", "10000000.01", "y" * 201, "O", "1996-01-02"]
)  # fmt: skip
TEXT = st.text(st.sampled_from("abc XYZ019-.,\"'#"), max_size=12)
VALID = {
    "o_orderkey": st.integers(1, 10**6).map(str),
    "o_custkey": st.sampled_from(["1", "2"]),
    "o_orderstatus": st.sampled_from("OFP"),
    "o_totalprice": st.decimals(0, 600000, places=2).map(str),
    "o_orderdate": st.dates(tpch.bounds().first_date, tpch.bounds().last_date).map(str),
    "o_shippriority": st.integers(0, 9).map(str),
}


ROW = st.tuples(*(VALID.get(column, TEXT) for column in ORDERS.columns)).map(list)
Spoil = tuple[int, str, str] | None
# One value replaced by a hostile one (or by any text), or none.
SPOIL = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 5), st.sampled_from(ORDERS.columns), st.one_of(HOSTILE, TEXT)),
)
# A line with a field too many (an extra value after the given field) or too few.
RESHAPE = st.one_of(st.none(), st.tuples(st.integers(0, 5), st.sampled_from(["extra", "missing"])))


LOADED_ORDER_KEYS = frozenset(int(row[0]) for row in ROWS["orders"])
"""The order keys of the good folder each test loads first: a generated file that repeats
one is refused (staging tests keys as unique across loads)."""


def _expected_problem(
    rows: list[list[str]],
    reshape: tuple[int, str] | None,
    first_line: int,
    loaded: frozenset[int] = frozenset(),
) -> tuple[int, str | None, str] | None:
    """(line, column or None, words) of the first problem the loader must report, or None."""
    if reshape is not None and reshape[0] < len(rows):
        index, kind = reshape
        count = len(ORDERS.columns) + (1 if kind == "extra" else -1)
        return first_line + index, None, f"expected {len(ORDERS.columns)} columns, found {count}"
    check = tpch.row_checker(ORDERS)
    for index, row in enumerate(rows):
        problem = check(dict(zip(ORDERS.columns, row, strict=True)))
        if problem is not None:
            return first_line + index, problem[0], problem[1]
    repeat = _repeated_key(rows)
    if repeat is not None:  # a key twice fails staging's unique test: refused at load
        first, second = repeat
        return first_line + second, "o_orderkey", f"is a key already on line {first_line + first}"
    again = _loaded_key(rows, loaded)
    if again is not None:
        return first_line + again, "o_orderkey", "is a key that load"
    return None


def _loaded_key(rows: list[list[object]], loaded: frozenset[int]) -> int | None:
    """The index of the first row whose order key an earlier load holds, or None."""
    return next((index for index, row in enumerate(rows) if int(str(row[0])) in loaded), None)


def _repeated_key(rows: list[list[object]]) -> tuple[int, int] | None:
    """(earlier, this) indexes of the first row whose order key (as a number) an earlier
    row has, or None."""
    seen: dict[int, int] = {}
    for index, row in enumerate(rows):
        key = int(str(row[0]))
        if key in seen:
            return seen[key], index
        seen[key] = index
    return None


def _raw(path: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return sorted(
            connection.execute(
                f"select load_id, source_row_number, {', '.join(ORDERS.columns)} "
                "from raw.tpch_orders"
            ).fetchall()
        )


def _write(
    folder: Path, rows: list[list[str]], reshape: tuple[int, str] | None, suffix: str
) -> None:
    write_folder(folder, suffix=suffix)
    lines = [list(row) for row in rows]
    if reshape is not None and reshape[0] < len(lines):
        index, kind = reshape
        lines[index] = [*lines[index], "extra"] if kind == "extra" else lines[index][:-1]
    if suffix == ".tbl":
        text = tbl_text(lines)
    else:
        header, *_ = csv_file_text("orders", []).splitlines(keepends=True)
        text = header + "".join(csv_file_text("orders", [line]).split("\n", 1)[1] for line in lines)
    (folder / f"orders{suffix}").write_text(text, encoding="utf-8")


def _check(
    rows: list[list[str]], spoil: Spoil, reshape: tuple[int, str] | None, suffix: str
) -> None:
    if spoil is not None and spoil[0] < len(rows):
        rows[spoil[0]][ORDERS.columns.index(spoil[1])] = spoil[2]
    with tempfile.TemporaryDirectory() as work:
        settings_ = Settings(duckdb_path=Path(work) / "warehouse.duckdb")
        good = write_folder(Path(work) / "good", suffix=suffix)
        load_feed(tpch.load_order(tpch.table_files(good)), "duckdb", settings=settings_)
        before = _raw(settings_.duckdb_path)
        folder = Path(work) / "generated"
        _write(folder, rows, reshape, suffix)
        expected = _expected_problem(rows, reshape, 1 if suffix == ".tbl" else 2, LOADED_ORDER_KEYS)
        files = tpch.load_order(tpch.table_files(folder))
        event("loads" if expected is None else "refused" if expected[1] else "wrong field count")
        if expected is None:
            load_feed(files, "duckdb", settings=settings_)
            loaded = [row[2:] for row in _raw(settings_.duckdb_path) if row[0] != before[0][0]]
            assert loaded == [tuple(value or None for value in row) for row in rows]
            return
        line, column, words = expected
        with pytest.raises(LoadError) as refused:
            load_feed(files, "duckdb", settings=settings_)
        where = f"line {line}, column {column}" if column else f"line {line}"
        assert str(refused.value).startswith(f"orders{suffix}: {where}: ")
        assert words in str(refused.value)
        assert _raw(settings_.duckdb_path) == before


PROPERTY = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(rows=st.lists(ROW, min_size=1, max_size=6), spoil=SPOIL, reshape=RESHAPE)
def test_generated_tbl_files_load_exactly_or_are_refused_at_their_line(
    rows: list[list[str]], spoil: Spoil, reshape: tuple[int, str] | None
) -> None:
    _check(rows, spoil, reshape, ".tbl")


@PROPERTY
@given(rows=st.lists(ROW, min_size=1, max_size=6), spoil=SPOIL, reshape=RESHAPE)
def test_generated_csv_files_load_exactly_or_are_refused_at_their_line(
    rows: list[list[str]], spoil: Spoil, reshape: tuple[int, str] | None
) -> None:
    _check(rows, spoil, reshape, ".csv")


def test_the_good_rows_are_valid() -> None:
    assert _expected_problem([list(row) for row in ROWS["orders"]], None, 1) is None
    assert re.match(r"^\d+$", ROWS["orders"][0][0])


# --- Parquet: typed and mistyped columns ----------------------------------------------------

_DATES = st.one_of(
    st.dates(tpch.bounds().first_date, tpch.bounds().last_date),
    st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1969, 12, 31)]),
)
Typed = dict[str, tuple[st.SearchStrategy[object], st.SearchStrategy[object]]]
# Each column's Parquet types: (values a TPC-H file holds, values it should not).
PARQUET_TYPES: dict[str, Typed] = {
    "o_orderkey": {
        "BIGINT": (st.integers(1, 10**6), st.integers(-(2**63), 2**63 - 1)),
        "INTEGER": (st.integers(1, 10**6), st.integers(-(2**31), 0)),
        "VARCHAR": (VALID["o_orderkey"], HOSTILE),
        "DOUBLE": (st.nothing(), st.floats(allow_nan=False)),
    },
    "o_custkey": {
        "INTEGER": (st.sampled_from([1, 2]), st.sampled_from([-1, 0, 2**31 - 1])),
        "VARCHAR": (VALID["o_custkey"], st.one_of(HOSTILE, TEXT)),
    },
    "o_totalprice": {
        "DECIMAL(15,2)": (st.decimals(0, 10**6, places=2), st.decimals(-(10**6), 0, places=2)),
        "DECIMAL(38,2)": (st.decimals(0, 10**6, places=2), st.decimals(10**20, 10**35, places=2)),
        "DECIMAL(18,4)": (st.nothing(), st.decimals(0, 10**6, places=4)),
        "DOUBLE": (st.nothing(), st.floats(0, 10**20, allow_nan=False)),
        "VARCHAR": (VALID["o_totalprice"], st.one_of(HOSTILE, TEXT)),
    },
    "o_orderdate": {
        "DATE": (
            st.dates(tpch.bounds().first_date, tpch.bounds().last_date),
            st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1969, 12, 31)]),
        ),
        "TIMESTAMP": (st.nothing(), st.datetimes(dt.datetime(1992, 1, 1), dt.datetime(1999, 1, 1))),
        "VARCHAR": (VALID["o_orderdate"], HOSTILE),
    },
    "o_shippriority": {
        "INTEGER": (st.integers(0, 9), st.integers(-5, 2**31 - 1)),
        "VARCHAR": (VALID["o_shippriority"], HOSTILE),
    },
}


@st.composite
def parquet_orders(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[list[object]]]:
    """(columns with their types, rows) of an orders Parquet file: a type per column, its
    values what TPC-H holds except, in one column, values it should not or nulls; now and
    then a column too many, too few or misnamed."""
    spoiled = draw(st.one_of(st.none(), st.sampled_from(ORDERS.columns)))
    columns: list[tuple[str, str]] = []
    values: list[st.SearchStrategy[object]] = []
    for column in ORDERS.columns:
        kinds = PARQUET_TYPES.get(column, {"VARCHAR": (VALID.get(column, TEXT), TEXT)})
        kind = draw(st.sampled_from(sorted(kinds)))
        columns.append((column, kind))
        valid, hostile = kinds[kind]
        values.append(
            st.one_of(valid, hostile, st.none()) if column == spoiled or valid.is_empty else valid
        )
    event("no column spoiled" if spoiled is None else f"{spoiled} spoiled")
    rows = draw(st.lists(st.tuples(*values).map(list), min_size=1, max_size=6))
    shape = draw(st.sampled_from(["same"] * 7 + ["extra", "missing", "renamed"]))
    if shape == "extra":
        columns.append(("o_extra", "VARCHAR"))
        rows = [[*row, "x"] for row in rows]
    elif shape == "missing":
        columns, rows = columns[:-1], [row[:-1] for row in rows]
    elif shape == "renamed":
        columns[1] = ("customer", columns[1][1])
    return columns, rows


@settings(PROPERTY, max_examples=30)
@given(orders=parquet_orders())
def test_generated_parquet_files_load_exactly_or_are_refused_at_their_row(
    orders: tuple[list[tuple[str, str]], list[list[object]]],
) -> None:
    columns, rows = orders
    with tempfile.TemporaryDirectory() as work:
        settings_ = Settings(duckdb_path=Path(work) / "warehouse.duckdb")
        good = write_folder(Path(work) / "good")
        load_feed(tpch.load_order(tpch.table_files(good)), "duckdb", settings=settings_)
        before = _raw(settings_.duckdb_path)
        folder = write_folder(Path(work) / "generated")
        (folder / "orders.tbl").unlink()
        path = write_parquet(folder / "orders.parquet", columns, rows)
        files = tpch.load_order(tpch.table_files(folder))
        if [name for name, _ in columns] != list(ORDERS.columns):
            event("wrong columns")
            with pytest.raises(LoadError, match=r"^orders\.parquet: the columns are .*; expected"):
                load_feed(files, "duckdb", settings=settings_)
            assert _raw(settings_.duckdb_path) == before
            return
        with duckdb.connect() as connection:
            texts = [
                list(row)
                for row in connection.execute(
                    "select "
                    + ", ".join(f"cast({name} as varchar)" for name in ORDERS.columns)
                    + f" from read_parquet('{path}')"
                ).fetchall()
            ]
        check = tpch.row_checker(ORDERS)
        problems = [
            (index, found)
            for index, row in enumerate(texts)
            if (found := check(dict(zip(ORDERS.columns, row, strict=True)))) is not None
        ]
        repeat = None if problems else _repeated_key(texts)
        if repeat is not None:
            event("a key twice")
            with pytest.raises(LoadError) as refused:
                load_feed(files, "duckdb", settings=settings_)
            message = str(refused.value)
            assert message.startswith(f"orders.parquet: row {repeat[1] + 1}, column o_orderkey: ")
            assert f"is a key already on row {repeat[0] + 1}" in message, message
            assert _raw(settings_.duckdb_path) == before
            return
        again = None if problems or repeat is not None else _loaded_key(texts, LOADED_ORDER_KEYS)
        if again is not None:
            event("a key already loaded")
            with pytest.raises(LoadError) as refused:
                load_feed(files, "duckdb", settings=settings_)
            message = str(refused.value)
            assert message.startswith(f"orders.parquet: row {again + 1}, column o_orderkey: ")
            assert "is a key that load" in message, message
            assert _raw(settings_.duckdb_path) == before
            return
        if not problems:
            event("loads")
            load_feed(files, "duckdb", settings=settings_)
            loaded = [row[2:] for row in _raw(settings_.duckdb_path) if row[0] != before[0][0]]
            assert sorted(loaded, key=str) == sorted(
                (tuple(value or None for value in row) for row in texts), key=str
            )
            return
        event("refused")
        index, (column, words) = problems[0]
        with pytest.raises(LoadError) as refused:
            load_feed(files, "duckdb", settings=settings_)
        message = str(refused.value)
        assert message.startswith(f"orders.parquet: row {index + 1}, column {column}: "), message
        assert words in message, message
        assert _raw(settings_.duckdb_path) == before
