"""TPC-H files as the loader sees them: column rules, finding a folder's files, and the
three file kinds turned into the same CSV."""

from __future__ import annotations

import concurrent.futures
import gzip
import re
from pathlib import Path

import duckdb
import pytest

from retail_warehouse.errors import LoadError
from retail_warehouse.sources import tpch

REGION = tpch.SYSTEMS["region"]
LINEITEM = next(layout for layout in tpch.TABLES if layout.name == "lineitem")


def _lineitem_row(**changes: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = dict(
        zip(
            LINEITEM.columns,
            [
                "1",
                "1552",
                "93",
                "1",
                "17",
                "24710.35",
                "0.04",
                "0.02",
                "N",
                "O",
                "1996-03-13",
                "1996-02-12",
                "1996-03-22",
                "DELIVER IN PERSON",
                "TRUCK",
                "egular courts",
            ],
            strict=True,
        )
    )
    row.update(changes)
    return row


def test_a_good_row_has_no_problem() -> None:
    assert tpch.row_checker(LINEITEM)(_lineitem_row()) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"l_orderkey": ""}, ("l_orderkey", "the value is empty")),
        ({"l_partkey": "12a"}, ("l_partkey", "'12a' is not a whole number")),
        (
            {"l_extendedprice": "1.234"},
            ("l_extendedprice", "'1.234' is not a decimal number with at most 2 decimals"),
        ),
        ({"l_returnflag": "RR"}, ("l_returnflag", "'RR' is not a one-letter flag")),
        ({"l_shipdate": "1996-02-30"}, ("l_shipdate", "'1996-02-30' is not a real date")),
        (
            {"l_shipdate": "13/03/1996"},
            ("l_shipdate", "'13/03/1996' is not a date of the form YYYY-MM-DD"),
        ),
        # the first problem in file order wins
        ({"l_tax": "x", "l_suppkey": "y"}, ("l_suppkey", "'y' is not a whole number")),
    ],
)
def test_row_problems_name_the_column(changes: dict[str, str], expected: tuple[str, str]) -> None:
    assert tpch.row_checker(LINEITEM)(_lineitem_row(**changes)) == expected


def test_free_text_may_be_empty() -> None:
    assert tpch.row_checker(LINEITEM)(_lineitem_row(l_comment=None)) is None


def test_systems_load_in_reference_order_into_their_own_tables() -> None:
    assert list(tpch.SYSTEMS) == [
        "region",
        "nation",
        "supplier",
        "customer",
        "part",
        "partsupp",
        "orders",
        "lineitem",
    ]
    assert REGION.raw_table.name == "tpch_region"
    assert [name for name, _ in REGION.raw_table.columns][-4:] == [
        "source_file",
        "source_row_number",
        "load_id",
        "loaded_at",
    ]


def test_table_files_names_the_missing_tables(tmp_path: Path) -> None:
    (tmp_path / "region.tbl").write_text("0|AFRICA|x|\n")
    with pytest.raises(LoadError, match="no file for nation, supplier"):
        tpch.table_files(tmp_path)


def test_table_files_refuses_two_files_for_one_table(tmp_path: Path) -> None:
    for layout in tpch.TABLES:
        (tmp_path / f"{layout.name}.tbl").write_text("x\n")
    (tmp_path / "region.csv").write_text("x\n")
    with pytest.raises(LoadError, match="region has 2 files"):
        tpch.table_files(tmp_path)


def test_scale_factor_folder() -> None:
    assert tpch.generated_folder(0.01, Path("data")) == Path("data/tpch/sf0.01")
    assert tpch.scale_factor_text(1.0) == "1"
    with pytest.raises(LoadError, match=r"a TPC-H scale factor is a number from 0\.01 to 1000"):
        tpch.scale_factor_text(0)


def _prepared_text(path: Path) -> tuple[str, int]:
    with tpch.preparer(LINEITEM)(path, None) as csv_input:
        return csv_input.path.read_text(), csv_input.header_lines


def test_tbl_csv_and_parquet_give_the_same_text(tmp_path: Path) -> None:
    line = (
        "1|1552|93|1|17|24710.35|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|"
        "DELIVER IN PERSON|TRUCK|egular, courts|"
    )
    tbl = tmp_path / "lineitem.tbl"
    tbl.write_text(line + "\n")
    csv = tmp_path / "lineitem.csv"
    fields = line.rstrip("|").split("|")
    fields[-1] = '"' + fields[-1] + '"'
    csv.write_text(",".join(LINEITEM.columns) + "\n" + ",".join(fields) + "\n")
    parquet = tmp_path / "lineitem.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            "copy (select 1::bigint as l_orderkey, 1552::bigint as l_partkey, "
            "93::bigint as l_suppkey, 1 as l_linenumber, 17.00::decimal(15,2) as l_quantity, "
            "24710.35::decimal(15,2) as l_extendedprice, 0.04::decimal(15,2) as l_discount, "
            "0.02::decimal(15,2) as l_tax, 'N' as l_returnflag, 'O' as l_linestatus, "
            "date '1996-03-13' as l_shipdate, date '1996-02-12' as l_commitdate, "
            "date '1996-03-22' as l_receiptdate, 'DELIVER IN PERSON' as l_shipinstruct, "
            f"'TRUCK' as l_shipmode, 'egular, courts' as l_comment) to '{parquet}'"
        ).fetchall()
    (tbl_text, tbl_header), (csv_text, csv_header), (parquet_text, _) = (
        _prepared_text(path) for path in (tbl, csv, parquet)
    )
    assert tbl_text == csv_text == parquet_text
    assert tbl_text.splitlines()[0] == ",".join(LINEITEM.columns)
    assert (tbl_header, csv_header) == (0, 1)


def test_a_tbl_line_with_missing_fields_names_its_line(tmp_path: Path) -> None:
    region = tmp_path / "region.tbl"
    region.write_text("0|AFRICA|x|\n1|AMERICA|\n")
    with (
        pytest.raises(LoadError, match=r"region\.tbl: "),
        tpch.preparer(tpch.TABLES[0])(region, None),
    ):
        pass


def test_a_csv_with_another_header_is_refused(tmp_path: Path) -> None:
    region = tmp_path / "region.csv"
    region.write_text("r_regionkey,name,r_comment\n0,AFRICA,x\n")
    with (
        pytest.raises(
            LoadError, match=r"region\.csv: line 1, column 2: expected .r_name., found .name."
        ),
        tpch.preparer(tpch.TABLES[0])(region, None),
    ):
        pass


@pytest.mark.parametrize(
    "first_line",
    [
        "root:x:0:0:root:/root:/bin/bash",  # hostile round: /etc/passwd linked as region.csv
        "SECRET_TOKEN=" + "s3cr3t" * 20 + ",another,field",
    ],
)
def test_a_csv_header_sharing_no_column_is_not_quoted(tmp_path: Path, first_line: str) -> None:
    secret = tmp_path / "elsewhere.txt"
    secret.write_text(first_line + "\nmore:x:1:1\n")
    region = tmp_path / "region.csv"
    region.symlink_to(secret)
    with (
        pytest.raises(LoadError) as raised,
        tpch.preparer(tpch.TABLES[0])(region, None),
    ):
        pass
    message = str(raised.value)
    assert message.startswith("region.csv: line 1, column 1: not the expected header")
    assert "root" not in message
    assert "s3cr3t" not in message
    assert "SECRET" not in message


def test_a_csv_header_in_another_case_is_accepted(tmp_path: Path) -> None:
    region = tmp_path / "region.csv"
    region.write_text(" R_REGIONKEY , R_Name,r_comment\n0,AFRICA,x\n")
    with tpch.preparer(tpch.TABLES[0])(region, None) as csv_input:
        assert csv_input.path.read_text().splitlines()[1] == "0,AFRICA,x"


ORDERS = next(layout for layout in tpch.TABLES if layout.name == "orders")
ORDER_LINE = "{key}|370|O|172799.49|1996-01-02|5-LOW|Clerk#000000951|0|nstructions sleep|"


def _prepare_orders(tmp_path: Path, lines: list[str], suffix: str = ".tbl") -> str:
    path = tmp_path / f"orders{suffix}"
    path.write_text("".join(line + "\n" for line in lines))
    with tpch.preparer(ORDERS)(path, None) as csv_input:
        return csv_input.path.read_text()


@pytest.mark.parametrize(
    ("line_5", "expected"),
    [
        # issue 27: the extra field was dropped and the rest shifted, silently
        (
            "5|370|O|172799.49|1996-01-02|5-LOW|Clerk#000000951|0|EXTRA|nstructions|",
            r"orders\.tbl: line 5: expected 9 columns, found 10$",
        ),
        (
            "5|370|O|172799.49|1996-01-02|5-LOW|Clerk#000000951|0|",
            "line 5: expected 9 columns, found 8$",
        ),
        (ORDER_LINE.format(key=5) + "|", "line 5: expected 9 columns, found 10$"),
        (ORDER_LINE.format(key=5).rstrip("|"), r"line 5: the line does not end with '\|'"),
        ("", "line 5: expected 9 columns, found 0$"),
    ],
)
def test_a_tbl_line_with_another_number_of_fields_is_refused(
    tmp_path: Path, line_5: str, expected: str
) -> None:
    lines = [ORDER_LINE.format(key=key) for key in range(1, 8)]
    lines[4] = line_5
    with pytest.raises(LoadError, match=expected):
        _prepare_orders(tmp_path, lines)


def test_blank_lines_at_the_end_of_a_tbl_are_ignored(tmp_path: Path) -> None:
    text = _prepare_orders(tmp_path, [ORDER_LINE.format(key=1), "", ""])
    assert text.splitlines()[1].startswith("1,370,O,")
    assert len(text.splitlines()) == 2


@pytest.mark.parametrize(
    ("extra", "expected"),
    [(",EXTRA", "expected 9 columns, found 10"), (None, "expected 9 columns, found 8")],
)
def test_a_csv_line_with_another_number_of_fields_is_refused(
    tmp_path: Path, extra: str | None, expected: str
) -> None:
    good = ORDER_LINE.format(key=1).rstrip("|").replace("|", ",")
    bad = good + extra if extra else good.rsplit(",", 1)[0]
    with pytest.raises(LoadError, match=rf"orders\.csv: line 3: {expected}$"):
        _prepare_orders(tmp_path, [",".join(ORDERS.columns), good, bad], ".csv")


@pytest.mark.parametrize(
    ("header_end", "line_3_end", "expected"),
    [
        # hostile round 3: DuckDB dropped the empty fields silently, on both engines
        ("", ",,", "line 3: expected 9 columns, found 11$"),
        ("", ',""', "line 3: expected 9 columns, found 10$"),
        # and refused mixed line endings with "CSV Parser state machine reached an invalid state"
        ("\r", "", "line 2: the line ends with LF where the header ends with CRLF"),
    ],
)
def test_a_tpch_csv_follows_the_scan_rules_before_duckdb_reads_it(
    tmp_path: Path, header_end: str, line_3_end: str, expected: str
) -> None:
    good = ORDER_LINE.format(key=1).rstrip("|").replace("|", ",")
    lines = [",".join(ORDERS.columns) + header_end, good, good + line_3_end]
    with pytest.raises(LoadError, match=rf"^orders\.csv: {expected}"):
        _prepare_orders(tmp_path, lines, ".csv")


def test_a_tbl_with_mixed_line_endings_is_refused_at_its_line(tmp_path: Path) -> None:
    """Hostile round 3: DuckDB refused it with "The CSV Parser state machine reached an
    invalid state", no line."""
    lines = [ORDER_LINE.format(key=key) for key in range(1, 5)]
    lines[2] += "\r"
    with pytest.raises(
        LoadError, match=r"^orders\.tbl: line 3: the line ends with CRLF where the first line"
    ):
        _prepare_orders(tmp_path, lines)


def test_a_csv_field_count_names_the_line_after_a_value_on_two_lines(tmp_path: Path) -> None:
    good = ORDER_LINE.format(key=1).rstrip("|").replace("|", ",")
    two_lines = good.rsplit(",", 1)[0] + ',"two\nlines"'
    lines = [",".join(ORDERS.columns), two_lines, good, good + ",EXTRA"]  # the last is line 5
    with pytest.raises(LoadError, match=r"orders\.csv: line 5: expected 9 columns, found 10$"):
        _prepare_orders(tmp_path, lines, ".csv")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # issue 27: these loaded, and the first broke the build with a failing cast
        ({"l_extendedprice": "9" * 150}, r"is out of range \(at most 10,000,000 either way"),
        ({"l_shipdate": "0001-01-01"}, "is outside the plausible dates 1992-01-01 to 1998-12-31"),
        ({"l_receiptdate": "9999-12-31"}, "is outside the plausible dates"),
        ({"l_quantity": "-5"}, r"'-5' is out of range \(1 to 1,000,000"),
        ({"l_quantity": "0"}, r"'0' is out of range \(1 to"),
        ({"l_quantity": "2.50"}, "'2.50' is not a whole number of units"),
        ({"l_extendedprice": "-1.00"}, "is negative"),
        ({"l_discount": "1.50"}, r"out of range \(a rate from 0 to 1\)"),
        ({"l_partkey": "2147483648"}, "at most 2,147,483,647"),
        ({"l_orderkey": "1" + "0" * 12}, "at most 999,999,999,999"),
    ],
)
def test_values_outside_their_bounds_name_the_column(
    changes: dict[str, str], expected: str
) -> None:
    problem = tpch.row_checker(LINEITEM)(_lineitem_row(**changes))
    assert problem is not None
    assert problem[0] == next(iter(changes))
    assert re.search(expected, problem[1]), problem[1]


def test_values_at_their_bounds_are_accepted() -> None:
    row = _lineitem_row(
        l_orderkey="999999999999",
        l_partkey="2147483647",
        l_quantity="17.00",
        l_extendedprice="10000000.00",
        l_discount="1",
        l_tax="0.00",
        l_shipdate="1992-01-01",
        l_receiptdate="1998-12-31",
    )
    assert tpch.row_checker(LINEITEM)(row) is None
    customer = next(layout for layout in tpch.TABLES if layout.name == "customer")
    assert tpch.value_problem(customer, "c_acctbal", "-999.99") is None


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("l_orderkey", "1000000000000"),
        ("l_partkey", "2147483648"),
        ("l_partkey", "0000000000001"),
        ("l_extendedprice", "-0.01"),
        ("l_extendedprice", "10000000.01"),
        ("l_extendedprice", "9" * 150),
    ],
)
def test_every_refusable_value_is_sent_to_the_recheck(column: str, value: str) -> None:
    """The SQL pre-filter (``recheck_patterns``) lets through every value the Python rule
    could refuse, so the two never disagree."""
    assert re.search(tpch.recheck_patterns(LINEITEM)[column], value)


def test_the_recheck_skips_values_far_inside_their_bounds() -> None:
    patterns = tpch.recheck_patterns(LINEITEM)
    assert not re.search(patterns["l_extendedprice"], "9999999.99")
    assert not re.search(patterns["l_partkey"], "999999999")
    assert set(patterns) == {"l_orderkey", "l_partkey", "l_suppkey", "l_linenumber",
                             "l_extendedprice"}  # fmt: skip


def test_two_loads_generating_one_scale_factor_at_once_generate_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes (here threads, each with its own lock file handle) asking for the same
    scale factor: the second waits and reuses the first one's folder. They used to share one
    ``.partial`` folder, each deleting the other's files."""
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "tpchgen-cli"
    fake.write_text(
        f'#!/bin/sh\necho "$5" >> {calls}\nsleep 0.05\ntouch "$7/$5.parquet"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setattr(tpch, "tpchgen_executable", lambda: str(fake))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        folders = list(pool.map(lambda _: tpch.generate(0.5, tmp_path / "data"), range(2)))
    assert folders[0] == folders[1] == tmp_path / "data" / "tpch" / "sf0.5"
    assert sorted(calls.read_text(encoding="utf-8").split()) == sorted(
        layout.name for layout in tpch.TABLES
    ), "each table generated once"


def _orders_gz(lines: int = 3000) -> bytes:
    return gzip.compress(
        "".join(ORDER_LINE.format(key=key) + "\n" for key in range(1, lines)).encode()
    )


@pytest.mark.parametrize(
    ("file_name", "data", "problem"),
    [
        # hostile round, item 16: the raw "IO Error: Unexpected end of GZIP stream: <path>"
        ("orders.tbl.gz", _orders_gz()[:3000], "the gzip data is truncated or corrupt"),
        ("orders.tbl.gz", _orders_gz()[:5], "the gzip data is truncated or corrupt"),
        # ... "not valid UTF-8 (byte 0x8b)"
        ("orders.tbl.gz", gzip.compress(_orders_gz()), "holds another gzip file inside"),
        ("orders.csv.gz", gzip.compress(gzip.compress(b"x\n")), "holds another gzip file inside"),
        ("orders.tbl.gz", b"1|370|O|\n", "not gzip data, though its name ends in .gz"),
        # ... DuckDB's "No magic bytes found at end of file '<path>'"
        ("orders.parquet", b"PAR1" + b"x" * 100, "not a readable Parquet file"),
        ("orders.parquet", b"PAR1" + b"x" * 100 + b"PAR1", "not a readable Parquet file"),
        ("orders.parquet", b"", "not a readable Parquet file"),
    ],
    ids=[
        "truncated",
        "gzip-header-only",
        "tbl-twice",
        "csv-twice",
        "plain-as-gz",
        "parquet-no-end",
        "parquet-garbage",
        "parquet-empty",
    ],
)
def test_a_damaged_file_is_refused_in_one_line_naming_it(
    tmp_path: Path, file_name: str, data: bytes, problem: str
) -> None:
    folder = tmp_path / "deep" / "folder"
    folder.mkdir(parents=True)
    path = folder / file_name
    path.write_bytes(data)
    with pytest.raises(LoadError) as raised, tpch.preparer(ORDERS)(path, None):
        pass
    message = str(raised.value)
    assert message.startswith(f"{file_name}: {problem}")
    assert "deep" not in message and "Error" not in message and "\n" not in message


def test_a_gzipped_tbl_loads(tmp_path: Path) -> None:
    path = tmp_path / "orders.tbl.gz"
    path.write_bytes(_orders_gz(4))
    with tpch.preparer(ORDERS)(path, None) as csv_input:
        assert len(csv_input.path.read_text().splitlines()) == 4


@pytest.mark.parametrize("name", ["NARNIA", "Germany", "GERMANY\t"])
def test_a_nation_outside_the_seed_is_refused(name: str) -> None:
    """hostile5: a nation.tbl name missing from seeds/tpch_nation_codes.csv loaded, then
    failed staging's relationships test and so the build."""
    nation = next(layout for layout in tpch.TABLES if layout.name == "nation")
    row = dict(zip(nation.columns, ["7", name, "3", "c"], strict=True))
    problem = tpch.row_checker(nation)(row)
    assert problem is not None
    assert problem[0] == "n_name"
    assert "is not a known nation: add it to seeds/tpch_nation_codes.csv" in problem[1]
    assert "n_name" in nation.rechecked_columns
    assert tpch.SYSTEMS["nation"].value_problem("n_name", name) == problem[1]


def test_a_seeded_nation_is_accepted_with_spaces_around() -> None:
    nation = next(layout for layout in tpch.TABLES if layout.name == "nation")
    row = dict(zip(nation.columns, ["7", " GERMANY ", "3", "c"], strict=True))
    assert tpch.row_checker(nation)(row) is None


_TINY_TPCH = {
    "region": ["0|AFRICA|x|", "1|AMERICA|y|"],
    "nation": ["0|ALGERIA|0|c|", "1|ARGENTINA|1|c|"],
    "supplier": ["1|Supplier#1|addr|0|10-111-111-1111|100.00|c|"],
    "customer": ["1|Customer#1|addr|1|11-111-111-1111|711.56|BUILDING|c|"],
    "part": ["1|goldenrod|Manufacturer#1|Brand#13|PROMO BURNISHED COPPER|7|JUMBO PKG|901.00|c|"],
    "partsupp": ["1|1|3325|771.64|c|"],
    "orders": ["1|1|O|173665.47|1996-01-02|5-LOW|Clerk#000000951|0|c|"],
    "lineitem": [
        "1|1|1|1|17|17954.55|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON"
        "|TRUCK|c|"
    ],
}


@pytest.mark.parametrize(
    ("table", "extra", "expected"),
    [
        (
            "customer",
            "01|Customer#1b|a|1|11-111|1.00|BUILDING|c|",
            "customer.tbl: line 2, column c_custkey: '01' is a key already on line 1",
        ),
        (
            "orders",
            "1|1|O|1.00|1996-01-02|5-LOW|Clerk#000000951|0|c|",
            "orders.tbl: line 2, column o_orderkey: '1' is a key already on line 1",
        ),
    ],
)
def test_a_key_twice_in_a_table_is_refused_at_its_second_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    extra: str,
    expected: str,
) -> None:
    """hostile5: a customer (or order) key twice in its file loaded, then failed staging's
    unique test, and so every build; it is refused at load, on both engines the same way
    (the key compared as the number staging casts it to)."""
    from retail_warehouse import cli

    folder = tmp_path / "tpch"
    folder.mkdir()
    for name, lines in _TINY_TPCH.items():
        rows = [*lines, extra] if name == table else lines
        (folder / f"{name}.tbl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(warehouse))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    assert cli.main(["load", "--source-system", "tpch", "--source", str(folder)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {expected}"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'raw' and table_name like 'tpch_%'"
        ).fetchall()
        for (name,) in tables:
            assert connection.execute(f"select count(*) from raw.{name}").fetchone() == (0,)


def test_a_key_an_earlier_load_holds_is_refused_unless_replacing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """hostile5: customer.tbl sent again with one balance changed (other bytes, the same
    customers) loaded beside the first copy, and staging's unique test failed every build.
    It is refused at its line; --replace replaces the rows."""
    from retail_warehouse import cli

    folder = tmp_path / "tpch"
    folder.mkdir()
    for name, lines in _TINY_TPCH.items():
        (folder / f"{name}.tbl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(warehouse))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    load = ["load", "--source-system", "tpch", "--source", str(folder)]
    assert cli.main(load) == 0
    customers = folder / "customer.tbl"
    customers.write_text(customers.read_text().replace("711.56", "722.00"), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(load) == 2
    assert capsys.readouterr().err.strip() == (
        "error: customer.tbl: line 1, column c_custkey: '1' is a key that load 4 already "
        "holds (staging tests keys as unique across loads): load the table with --replace "
        "to replace its rows"
    )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from raw.tpch_customer").fetchone() == (1,)
    assert cli.main([*load, "--replace"]) == 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select c_acctbal from raw.tpch_customer").fetchall() == [
            ("722.00",)
        ]
