"""Loading a month at a time: TPC-H order-date slices and Online Retail II extracts by date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from retail_warehouse import cli
from retail_warehouse.errors import LoadError
from retail_warehouse.sources import tpch
from retail_warehouse.sources.online_retail_slices import csv_field, split_by_invoice_date
from retail_warehouse.sources.tpch import TABLES
from retail_warehouse.sources.tpch_slices import order_date_filter, order_slice, slice_name

LAYOUTS = {layout.name: layout for layout in TABLES}
SF_RULE = (
    "a TPC-H scale factor is a number from 0.01 to 1000 with at most 2 decimals, written "
    "with digits and a point (0.01, 1, 10)"
)
CUT = dt.date(1998, 7, 1)


def _tpch_folder(folder: Path) -> Path:
    """Eight CSV files: three orders (June, July, August 1998) with one line each, a line of
    an order in no file, and one-line reference tables."""
    folder.mkdir()
    for layout in TABLES:
        rows = {
            "orders": [
                "1,7,O,10.00,1998-06-30,1-URGENT,Clerk#1,0,a",
                "2,7,O,10.00,1998-07-01,1-URGENT,Clerk#1,0,b",
                "3,7,O,10.00,1998-08-02,1-URGENT,Clerk#1,0,c",
            ],
            "lineitem": [
                f"{order},1,1,1,1,10.00,0.00,0.00,N,O,1998-09-01,1998-09-01,1998-09-02,NONE,AIR,x"
                for order in (1, 2, 3, 9)
            ],
        }.get(layout.name, [",".join("1" for _ in layout.columns)])
        text = ",".join(layout.columns) + "\n" + "\n".join(rows) + "\n"
        (folder / f"{layout.name}.csv").write_text(text, encoding="utf-8")
    return folder


def _keys(path: Path, column: str) -> list[str]:
    with duckdb.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                f"select {column} from read_parquet('{path}') order by 1"
            ).fetchall()
        ]


def test_order_slices_split_orders_and_lines_and_link_the_rest(tmp_path: Path) -> None:
    folder = _tpch_folder(tmp_path / "tpch")
    before = order_slice(folder, None, CUT, cache_dir=tmp_path / "cache")
    after = order_slice(folder, CUT, None, cache_dir=tmp_path / "cache")
    assert _keys(before / "orders.parquet", "o_orderkey") == ["1"]
    assert _keys(before / "lineitem.parquet", "l_orderkey") == ["1"]
    assert _keys(after / "orders.parquet", "o_orderkey") == ["2", "3"]
    # the line of an order in no file goes with the open-ended last slice
    assert _keys(after / "lineitem.parquet", "l_orderkey") == ["2", "3", "9"]
    for name in ("region", "customer", "partsupp"):
        assert (after / f"{name}.csv").read_bytes() == (folder / f"{name}.csv").read_bytes()
    assert order_slice(folder, CUT, None, cache_dir=tmp_path / "cache") == after  # reused


def test_a_bounded_slice_keeps_only_its_range(tmp_path: Path) -> None:
    folder = _tpch_folder(tmp_path / "tpch")
    july = order_slice(folder, CUT, dt.date(1998, 8, 1), cache_dir=tmp_path / "cache")
    assert _keys(july / "orders.parquet", "o_orderkey") == ["2"]
    assert _keys(july / "lineitem.parquet", "l_orderkey") == ["2"]


def test_slice_names_and_filters() -> None:
    assert slice_name(None, CUT) == "orders_start_to_1998-07-01"
    assert order_date_filter(CUT, None) == "o_orderdate >= '1998-07-01'"
    with pytest.raises(LoadError, match="empty range"):
        slice_name(CUT, CUT)
    with pytest.raises(LoadError, match="needs"):
        slice_name(None, None)


def test_a_folder_without_tpch_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="no file for"):
        order_slice(tmp_path / "empty", None, CUT, cache_dir=tmp_path)


def test_a_slice_without_orders_is_refused_naming_the_dates(tmp_path: Path) -> None:
    """Hostile round, item 10: --orders-from 2030-01-01 failed as "orders.parquet: no data
    rows", a file the user never gave; nothing of the slice is kept."""
    folder = _tpch_folder(tmp_path / "tpch")
    with pytest.raises(LoadError) as raised:
        order_slice(folder, dt.date(2030, 1, 1), None, cache_dir=tmp_path / "cache")
    assert str(raised.value) == (
        "orders.csv: no order is dated on or after 2030-01-01 (its orders are dated "
        "1998-06-30 to 1998-08-02): nothing to load"
    )
    assert not any(path.is_file() for path in (tmp_path / "cache").rglob("*"))


def test_csv_field_skips_commas_inside_quotes() -> None:
    line = b'536365,85123A,"HEART, WHITE",6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n'
    assert csv_field(line, 2) == b'"HEART, WHITE"'
    assert csv_field(line, 4) == b"2010-12-01 08:26:00"
    assert csv_field(line, 7) == b"United Kingdom"
    assert csv_field(line, 9) == b""


def test_split_by_invoice_date_keeps_header_order_and_sample(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    lines = [
        "1,A,x,1,2011-11-08 23:59:00,1.0,1,UK\n",
        '2,B,"y, z",1,2011-11-09 00:00:00,1.0,1,UK\n',
        "3,C,x,1,2010-01-01 10:00:00,1.0,1,UK\n",
        "4,D,x,1,2011-12-01 10:00:00,1.0,1,UK\n",
    ]
    source.write_text(header + "".join(lines), encoding="utf-8")
    before, after = split_by_invoice_date(source, dt.date(2011, 11, 9), tmp_path)
    assert before.read_text(encoding="utf-8") == header + lines[0] + lines[2]
    assert after.read_text(encoding="utf-8") == header + lines[1] + lines[3]
    sampled_before, _ = split_by_invoice_date(
        source, dt.date(2011, 11, 9), tmp_path, keep=lambda line: not line.startswith(b"3,")
    )
    assert sampled_before.read_text(encoding="utf-8") == header + lines[0]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # issue 27: these generated SF 0.01 (or left data/tpch/sfnan.partial) before refusing
        (
            ["--orders-from", "1998-01-01", "--orders-before", "1992-01-01"],
            "the order dates from 1998-01-01 before 1992-01-01 are an empty range",
        ),
        (["--scale-factor", "nan"], f"--scale-factor 'nan': {SF_RULE}"),
        (["--scale-factor", "inf"], f"--scale-factor 'inf': {SF_RULE}"),
        (["--scale-factor", "-1"], f"--scale-factor '-1': {SF_RULE}"),
        (["--scale-factor", "0"], f"--scale-factor '0': {SF_RULE}"),
        # hostile round, item 10: 1e-9 generated an empty supplier table into the cache,
        # 1e6 started generating, 1_0 was read as 10
        (["--scale-factor", "1e-9"], f"--scale-factor '1e-9': {SF_RULE}"),
        (["--scale-factor", "0.001"], f"--scale-factor '0.001': {SF_RULE}"),
        (["--scale-factor", "1000.01"], f"--scale-factor '1000.01': {SF_RULE}"),
        (["--scale-factor", "1000000"], f"--scale-factor '1000000': {SF_RULE}"),
        (["--scale-factor", "1_0"], f"--scale-factor '1_0': {SF_RULE}"),
        (["--scale-factor", " 1"], f"--scale-factor ' 1': {SF_RULE}"),
        (["--scale-factor", ""], f"--scale-factor '': {SF_RULE}"),
        (
            ["--scale-factor", "1", "--source", "tpch_folder"],
            "--scale-factor generates TPC-H data and --source names a folder of it: "
            "give one of them",
        ),
    ],
)
def test_tpch_arguments_are_checked_before_any_work(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    expected: str,
) -> None:
    def no_work(*args: object, **kwargs: object) -> Path:
        raise AssertionError("generated or sliced before the arguments were checked")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setattr(cli.tpch, "generate", no_work)
    monkeypatch.setattr(cli, "order_slice", no_work)
    assert cli.main(["load", "--source-system", "tpch", *options]) == 2
    assert capsys.readouterr().err == f"error: {expected}\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["0.01", "1", "10", "1000", "2.5", "0.10"])
def test_scale_factors_in_the_documented_range_are_accepted(text: str) -> None:
    assert tpch.parse_scale_factor(text) == float(text)
    assert tpch.generated_folder(float(text), Path("data")).name == f"sf{float(text):g}"


def test_a_generated_scale_factor_outside_the_range_is_refused() -> None:
    for value in (1e-9, 0.001, 0.015, 1001.0, float("nan")):
        with pytest.raises(LoadError, match=r"a TPC-H scale factor is a number from 0\.01"):
            tpch.generated_folder(value, Path("data"))


@pytest.mark.parametrize("text", ["19950101", "1995-W01-1", "1995-1-1", "1995-01-01T00:00"])
def test_order_dates_must_be_written_yyyy_mm_dd(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["load", "--source-system", "tpch", "--orders-from", text]) == 2
    assert f"'{text}' is not a date of the form YYYY-MM-DD" in capsys.readouterr().err


def test_scale_factor_is_refused_for_other_systems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    assert cli.main(["load", "--source", "x.csv", "--scale-factor", "1"]) == 2
    assert capsys.readouterr().err == "error: --scale-factor is for --source-system tpch\n"
