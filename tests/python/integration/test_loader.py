"""The raw loader end to end, on DuckDB (a file in tmp_path) and PostgreSQL (a fresh database).

Every file is built from a few hand-made rows (raw_files.py); the shared dataset is only read by
the last test, when ONLINE_RETAIL_SOURCE points at it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import http.server
import io
import os
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from raw_files import (
    EXPECTED_RAW,
    HEADER,
    ROWS,
    SHEET_1,
    SHEET_2,
    csv_text,
    write_csv,
    write_gzip,
    write_xlsx,
    write_zip,
)
from warehouse_helpers import hold_duckdb, throwaway_pg_database

from retail_warehouse.cli import main
from retail_warehouse.errors import LoadError
from retail_warehouse.load import load
from retail_warehouse.messages import LoadResult
from retail_warehouse.settings import PostgresSettings, Settings, from_env
from retail_warehouse.sources.files import cache_path
from retail_warehouse.sources.online_retail import XLSX_SHEETS

RAW_SELECT = (
    "select invoice, stock_code, description, quantity, invoice_date, price, customer_id, "
    "country, source_row_number from {schema}.invoice_lines order by source_row_number"
)


# --- targets ---------------------------------------------------------------------------------


def _pg_settings(dbname: str) -> PostgresSettings:
    return dataclasses.replace(from_env().postgres, dbname=dbname)


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    with throwaway_pg_database("rw_test") as name:
        yield name


@dataclass
class Target:
    """One warehouse under test and helpers to load into it and look at it."""

    name: str
    settings: Settings
    cache_dir: Path

    @property
    def schema(self) -> str:
        return self.settings.raw_schema

    def load(self, source: Path | str, **options: Any) -> LoadResult:
        return load(
            str(source),
            self.name,
            settings=self.settings,
            cache_dir=self.cache_dir,
            progress=io.StringIO(),
            **options,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.format(schema=self.schema)
        if self.name == "duckdb":
            with duckdb.connect(str(self.settings.duckdb_path)) as connection:
                return connection.execute(sql).fetchall()
        connection = psycopg2.connect(**self.settings.postgres.connect_kwargs())
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()

    def raw_rows(self) -> list[tuple[Any, ...]]:
        return self.query(RAW_SELECT)

    def count(self) -> int:
        return int(self.query("select count(*) from {schema}.invoice_lines")[0][0])

    def log(self) -> list[tuple[Any, ...]]:
        return self.query(
            "select load_id, status, rows_loaded, message from {schema}.load_log order by load_id"
        )

    def table_exists(self, table: str) -> bool:
        rows = self.query(
            "select count(*) from information_schema.tables "
            f"where table_schema = '{{schema}}' and table_name = '{table}'"
        )
        return bool(rows[0][0])

    def with_prefix(self, prefix: str) -> Target:
        return Target(self.name, self.settings.with_prefix(prefix), self.cache_dir)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """Each test runs on both engines; PostgreSQL tests get their own schema prefix."""
    if request.param == "postgres":
        database = request.getfixturevalue("pg_database")
        settings = Settings(
            postgres=_pg_settings(database), schema_prefix=f"t{uuid.uuid4().hex[:8]}_"
        )
    else:
        settings = Settings(duckdb_path=tmp_path / "warehouse.duckdb")
    return Target(request.param, settings, tmp_path / "cache")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The same six rows as CSV, CSV.GZ, XLSX and the UCI-style ZIP."""
    folder = tmp_path / "files"
    folder.mkdir()
    workbook = write_xlsx(folder / "online_retail_II.xlsx")
    return {
        "csv": write_csv(folder / "online.csv"),
        "csv.gz": write_gzip(folder / "online.csv.gz"),
        "xlsx": workbook,
        "zip": write_zip(folder / "online+retail+ii.zip", workbook),
    }


# --- formats and rows ------------------------------------------------------------------------


def test_every_format_gives_identical_raw_rows(target: Target, files: dict[str, Path]) -> None:
    loaded = {}
    for index, (kind, path) in enumerate(files.items()):
        scoped = target.with_prefix(f"{target.settings.schema_prefix}f{index}_")
        result = scoped.load(path)
        assert result.status == "succeeded", kind
        assert result.rows_loaded == len(ROWS)
        loaded[kind] = scoped.raw_rows()
    expected = [(*row, number) for number, row in enumerate(EXPECTED_RAW, start=1)]
    for kind, rows in loaded.items():
        assert rows == expected, kind


def test_raw_text_kept_exactly(target: Target, files: dict[str, Path]) -> None:
    target.load(files["xlsx"])
    rows = {row[-1]: row for row in target.raw_rows()}
    assert rows[1][2] == "RED TEA CUP, LARGE"
    assert rows[2][2] == 'BLUE "STAR" LANTERN'
    assert rows[3][0] == "C100002" and rows[3][3] == "-12"
    assert rows[4][2] == " POSTAGE " and rows[4][5] == "18.0" and rows[4][6] is None
    assert rows[6][2] is None and rows[6][5] == "0.0"


def test_load_columns_and_log(target: Target, files: dict[str, Path]) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = target.load(files["csv.gz"])
    data = files["csv.gz"].read_bytes()
    assert result.load_id == 1
    assert result.file_sha256 == hashlib.sha256(data).hexdigest()
    files_and_ids = target.query(
        "select distinct source_file, load_id, loaded_at from {schema}.invoice_lines"
    )
    assert len(files_and_ids) == 1
    source_file, load_id, loaded_at = files_and_ids[0]
    assert (source_file, load_id) == ("online.csv.gz", 1)
    assert before - dt.timedelta(seconds=5) <= loaded_at <= before + dt.timedelta(minutes=5)
    log = target.query(
        "select load_id, source, source_file, file_sha256, file_bytes, rows_loaded, status, "
        "started_at, finished_at from {schema}.load_log"
    )
    assert log[0][:7] == (
        1,
        str(files["csv.gz"]),
        "online.csv.gz",
        hashlib.sha256(data).hexdigest(),
        len(data),
        len(ROWS),
        "succeeded",
    )
    assert log[0][7] == loaded_at
    assert log[0][8] >= log[0][7]


def test_csv_with_bom_and_crlf(target: Target, tmp_path: Path) -> None:
    text = "\ufeff" + csv_text(ROWS).replace("\n", "\r\n")
    path = tmp_path / "windows.csv"
    path.write_bytes(text.encode("utf-8"))
    target.load(path)
    assert [row[:8] for row in target.raw_rows()] == EXPECTED_RAW


# --- idempotence, append, replace ------------------------------------------------------------


def test_same_file_twice_is_a_no_op(target: Target, files: dict[str, Path]) -> None:
    first = target.load(files["csv"])
    log_before = target.log()
    second = target.load(files["csv"])
    assert second.status == "skipped"
    assert second.load_id == first.load_id
    assert second.rows_loaded == 0
    assert "already loaded: online.csv" in second.summary()
    assert target.count() == len(ROWS)
    assert target.log() == log_before


def test_same_bytes_under_another_name_are_skipped(
    target: Target, files: dict[str, Path], tmp_path: Path
) -> None:
    target.load(files["csv"])
    copy = tmp_path / "copy.csv"
    copy.write_bytes(files["csv"].read_bytes())
    assert target.load(copy).status == "skipped"


def test_second_file_appends_with_next_load_id(
    target: Target, files: dict[str, Path], tmp_path: Path
) -> None:
    target.load(files["csv"])
    second = target.load(write_csv(tmp_path / "more.csv", SHEET_2))
    assert second.load_id == 2
    assert target.count() == len(ROWS) + len(SHEET_2)
    by_load = target.query(
        "select load_id, source_file, count(*), min(source_row_number), "
        "max(source_row_number) from {schema}.invoice_lines group by 1, 2 order by 1"
    )
    assert by_load == [(1, "online.csv", 6, 1, 6), (2, "more.csv", 2, 1, 2)]


def test_replace_deletes_earlier_rows(
    target: Target, files: dict[str, Path], tmp_path: Path
) -> None:
    target.load(files["csv"])
    result = target.load(write_csv(tmp_path / "more.csv", SHEET_2), replace=True)
    assert result.replaced and result.load_id == 2
    assert target.count() == len(SHEET_2)
    assert target.log()[-1][:3] == (2, "succeeded", 2)
    # The first file's rows are gone, so loading it again is not skipped.
    assert target.load(files["csv"]).status == "succeeded"


def test_replace_with_the_same_file_reloads(target: Target, files: dict[str, Path]) -> None:
    target.load(files["csv"])
    result = target.load(files["csv"], replace=True)
    assert result.status == "succeeded" and result.load_id == 2
    assert target.query("select distinct load_id from {schema}.invoice_lines") == [(2,)]


# --- failures --------------------------------------------------------------------------------


def test_failing_file_changes_nothing_but_the_log(
    target: Target, files: dict[str, Path], tmp_path: Path
) -> None:
    target.load(files["csv"])
    rows = [list(row) for row in SHEET_2 + SHEET_1]
    rows[2][3] = "abc"  # data row 3 = line 4
    bad = tmp_path / "bad.csv"
    write_csv(bad, rows)
    with pytest.raises(LoadError) as raised:
        target.load(bad)
    message = str(raised.value)
    assert message == "bad.csv: line 4, column Quantity: 'abc' is not an integer"
    assert target.count() == len(ROWS)
    log = target.log()
    assert [entry[1] for entry in log] == ["succeeded", "failed"]
    assert log[1][0] == 2 and log[1][3] == message
    # The next good load takes the next id.
    assert target.load(write_csv(tmp_path / "more.csv", SHEET_2)).load_id == 3


def test_failed_first_load_leaves_only_the_log(target: Target, tmp_path: Path) -> None:
    rows = [list(row) for row in ROWS]
    rows[0][7] = ""
    with pytest.raises(LoadError, match="line 2, column Country: the value is empty"):
        target.load(write_csv(tmp_path / "bad.csv", rows))
    assert not target.table_exists("invoice_lines")
    assert [entry[1] for entry in target.log()] == ["failed"]


@pytest.mark.parametrize(
    ("row_index", "column", "value", "expected"),
    [
        (1, 4, "2010-02-30 10:00:00", "line 3, column InvoiceDate: '2010-02-30 10:00:00' is not"),
        (1, 4, "1/12/2010 10:00", "line 3, column InvoiceDate: '1/12/2010 10:00' is not a date"),
        (2, 5, "1.2345", "line 4, column Price: '1.2345' has more than 3 decimals"),
        (2, 5, "abc", "line 4, column Price: 'abc' is not a decimal number"),
        (3, 6, "12a", "line 5, column Customer ID: '12a' is not a customer number"),
        (4, 0, "", "line 6, column Invoice: the value is empty"),
        (5, 1, "", "line 7, column StockCode: the value is empty"),
    ],
)  # fmt: skip
def test_invalid_values_are_reported_with_line_and_column(
    target: Target, tmp_path: Path, row_index: int, column: int, value: str, expected: str
) -> None:
    rows = [list(row) for row in ROWS]
    rows[row_index][column] = value
    with pytest.raises(LoadError, match=expected):
        target.load(write_csv(tmp_path / "bad.csv", rows))


def test_first_offending_line_is_reported(target: Target, tmp_path: Path) -> None:
    rows = [list(row) for row in ROWS]
    rows[4][3] = "x"  # line 6, Quantity
    rows[2][5] = "y"  # line 4, Price
    rows[2][4] = "2009-13-01 10:00:00"  # line 4, InvoiceDate comes before Price
    with pytest.raises(LoadError, match=re.escape("bad.csv: line 4, column InvoiceDate")):
        target.load(write_csv(tmp_path / "bad.csv", rows))


def _bad_file(tmp_path: Path, kind: str) -> Path:
    good = csv_text(ROWS)
    lines = good.splitlines(keepends=True)
    path = tmp_path / f"{kind}.csv"
    if kind == "fewer_columns":
        lines[2] = lines[2].replace(",United Kingdom", "")
    elif kind == "more_columns":
        lines[2] = lines[2].rstrip("\n") + ",extra\n"
    elif kind == "utf8":
        path.write_bytes("".join(lines[:2]).encode() + b"1,2,\xff\xfe,1,x,1,1,UK\n")
        return path
    elif kind == "truncated":
        path = tmp_path / "truncated.csv.gz"
        data = gzip.compress(("".join(lines) * 2000).encode())
        path.write_bytes(data[: len(data) // 2])
        return path
    elif kind == "renamed_header":
        lines[0] = lines[0].replace("Quantity", "Qty")
    elif kind == "empty":
        lines = []
    elif kind == "header_only":
        lines = lines[:1]
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("fewer_columns", "fewer_columns.csv: line 3: expected 8 columns, found"),
        ("more_columns", "more_columns.csv: line 3: expected 8 columns, found"),
        ("utf8", "utf8.csv: line 3, column Description: the text is not valid UTF-8"),
        ("truncated", "truncated.csv.gz: .*the gzip data is truncated or corrupt"),
        ("renamed_header", "renamed_header.csv: line 1, column 4: expected 'Quantity', found"),
        ("empty", "empty.csv: the file is empty"),
        ("header_only", "header_only.csv: no data rows after the header"),
    ],
)  # fmt: skip
def test_unreadable_files_raise_load_error(
    target: Target, tmp_path: Path, kind: str, expected: str
) -> None:
    with pytest.raises(LoadError, match=expected):
        target.load(_bad_file(tmp_path, kind))
    assert [entry[1] for entry in target.log()] == ["failed"]


def test_not_utf8_after_a_value_spanning_lines_names_the_physical_line(
    target: Target, tmp_path: Path
) -> None:
    """Issue 27 (found by test_reader_properties): after a quoted value with a line break,
    the engine's line was taken for the file's, so the message had the wrong line and no
    column. The file says where the byte is: line 5 (row 3), column StockCode."""
    rows = [list(row) for row in ROWS]
    rows[0][2] = "TWO\nLINES"
    text = csv_text(rows).encode("utf-8")
    lines = text.split(b"\n")
    lines[4] = lines[4].replace(b"10003", b"1000\xe9", 1)
    path = tmp_path / "latin.csv"
    path.write_bytes(b"\n".join(lines))
    expected = "latin.csv: line 5, column StockCode: the text is not valid UTF-8 (byte 0xe9"
    with pytest.raises(LoadError, match=re.escape(expected)):
        target.load(path)


def test_missing_file(target: Target, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=re.escape("nope.csv: no such file")):
        target.load(tmp_path / "nope.csv")


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda _: Path("/proc/self/environ"), id="proc_environ"),
        pytest.param(lambda _: Path("/dev/zero"), id="dev_zero"),
        pytest.param(_fifo, id="fifo"),
    ],
)
def test_non_regular_files_are_refused_unread(
    target: Target, tmp_path: Path, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 27: a pipe, a device or a /proc file is refused before it is read, so no byte of
    it (the process environment) reaches the message or load_log."""
    monkeypatch.setenv("RW_TEST_SECRET", "hunter2-do-not-leak")
    source = make(tmp_path)
    with pytest.raises(LoadError, match=re.escape(f"{source}: not a regular file")) as raised:
        target.load(source)
    assert "hunter2" not in str(raised.value)
    assert [(status, "hunter2" in message) for _, status, _, message in target.log()] == [
        ("failed", False)
    ]


def test_a_file_that_is_no_export_is_not_quoted(target: Target, tmp_path: Path) -> None:
    """Issue 27: the first line of a file that is not an export at all (/etc/shadow, a key)
    is never quoted; a wrong column name is quoted short and printable only."""
    secret = "root:$6$SALTSALT$" + "h4sh" * 20 + ":19000:0:99999:7:::"
    shadow = tmp_path / "shadow"
    shadow.write_text(secret + "\ndaemon:*:19000:0:99999:7:::\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"shadow: line 1, column 1: not the expected header"):
        target.load(shadow)
    long_name = "Qty" + "\x07" + "z" * 300
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(csv_text(ROWS, [*HEADER[:3], long_name, *HEADER[4:]]), encoding="utf-8")
    with pytest.raises(LoadError, match=re.escape("found 'Qty?" + "z" * 36 + "'...")):
        target.load(renamed)
    messages = [entry[3] for entry in target.log()]
    assert len(messages) == 2
    assert not any("SALT" in message or "h4sh" in message for message in messages)
    assert all("z" * 37 not in message and "\x07" not in message for message in messages)


def test_workbook_without_the_second_sheet(target: Target, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "one.xlsx", [SHEET_1], ["Year 2009-2010"])
    with pytest.raises(LoadError, match=re.escape("one.xlsx: sheet 'Year 2010-2011' not found")):
        target.load(path)


def test_workbook_with_a_bad_header(target: Target, tmp_path: Path) -> None:
    header = [*HEADER[:6], "CustomerID", HEADER[7]]
    path = write_xlsx(tmp_path / "hdr.xlsx", [SHEET_1, SHEET_2], XLSX_SHEETS, header)
    with pytest.raises(LoadError, match=r"hdr.xlsx \(sheet 'Year 2009-2010'\): line 1, column 7"):
        target.load(path)


def test_workbook_error_line_counts_across_sheets(target: Target, tmp_path: Path) -> None:
    second = [list(row) for row in SHEET_2]
    second[1][7] = ""  # combined data row 6 = line 7
    path = write_xlsx(tmp_path / "wb.xlsx", [SHEET_1, [tuple(row) for row in second]])
    with pytest.raises(LoadError, match=re.escape("wb.xlsx: line 7, column Country")):
        target.load(path)


def test_zip_without_a_data_file(target: Target, tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    with pytest.raises(LoadError, match=re.escape("empty.zip: expected online_retail_II.xlsx")):
        target.load(path)


def test_error_inside_zip_names_both_files(target: Target, tmp_path: Path) -> None:
    rows = [list(row) for row in ROWS]
    rows[0][3] = "many"
    inner = write_csv(tmp_path / "inner.csv", rows)
    path = write_zip(tmp_path / "outer.zip", inner, "inner.csv")
    with pytest.raises(
        LoadError, match=re.escape("inner.csv in outer.zip: line 2, column Quantity")
    ):
        target.load(path)


# --- DuckDB only -----------------------------------------------------------------------------


@pytest.fixture
def duck(tmp_path: Path) -> Target:
    return Target("duckdb", Settings(duckdb_path=tmp_path / "warehouse.duckdb"), tmp_path / "c")


def test_locked_duckdb_file_is_reported(duck: Target, files: dict[str, Path]) -> None:
    with (
        hold_duckdb(duck.settings.duckdb_path),
        pytest.raises(LoadError, match=r"in use by another process.*close it and retry"),
    ):
        duck.load(files["csv"])
    assert duck.load(files["csv"]).status == "succeeded"


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A local web server for a folder: (base URL, folder, paths requested)."""
    folder = tmp_path / "served"
    folder.mkdir()
    requests: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder, requests
    finally:
        server.shutdown()
        server.server_close()


def test_download_then_cache_hit(
    duck: Target, files: dict[str, Path], http_folder: tuple[str, Path, list[str]]
) -> None:
    base, folder, requests = http_folder
    (folder / "online.csv.gz").write_bytes(files["csv.gz"].read_bytes())
    url = f"{base}/online.csv.gz"
    progress = io.StringIO()
    first = load(url, "duckdb", settings=duck.settings, cache_dir=duck.cache_dir, progress=progress)
    assert first.status == "succeeded" and first.source_file == "online.csv.gz"
    assert requests == ["/online.csv.gz"]
    assert cache_path(url, duck.cache_dir).read_bytes() == files["csv.gz"].read_bytes()
    assert not [path for path in duck.cache_dir.rglob("*") if path.name.endswith(".part")]
    assert "downloading online.csv.gz" in progress.getvalue()
    assert "(100%)" in progress.getvalue()
    other = duck.settings.with_prefix("again_")
    second = load(url, "duckdb", settings=other, cache_dir=duck.cache_dir, progress=progress)
    assert second.status == "succeeded"
    assert requests == ["/online.csv.gz"]  # served from the cache
    assert duck.query("select source from {schema}.load_log")[0][0] == url


def test_download_error(duck: Target, http_folder: tuple[str, Path, list[str]]) -> None:
    base, _, _ = http_folder
    with pytest.raises(LoadError, match=r"cannot download .*missing\.zip: HTTP 404"):
        duck.load(f"{base}/missing.zip")
    assert not cache_path(f"{base}/missing.zip", duck.cache_dir).exists()


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run the command line in tmp_path with a DuckDB file there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "cli.duckdb"))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    return tmp_path / "cli.duckdb"


def test_cli_load(
    cli_env: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", "--source", str(files["zip"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("loaded 6 rows from online+retail+ii.zip into duckdb raw.invoice_lines")
    assert main(["load", "--source", str(files["zip"])]) == 0
    assert capsys.readouterr().out.startswith("already loaded: online+retail+ii.zip (sha256 ")
    assert (
        main(["load", "--source", str(files["csv"]), "--schema-prefix", "dev_", "--replace"]) == 0
    )
    assert "into duckdb dev_raw.invoice_lines (load 1, replacing" in capsys.readouterr().out


def test_cli_load_error(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [list(row) for row in ROWS]
    rows[2][3] = "abc"
    bad = write_csv(tmp_path / "bad.csv", rows)
    assert main(["load", "--source", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: bad.csv: line 4, column Quantity: 'abc' is not an integer\n"


def test_cli_source_from_environment(
    cli_env: Path,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ONLINE_RETAIL_SOURCE", str(files["csv.gz"]))
    assert main(["load"]) == 0
    assert "from online.csv.gz" in capsys.readouterr().out


def test_cli_bad_prefix_and_usage(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "--source", "x.csv", "--schema-prefix", "Bad-"]) == 2
    assert "error: schema prefix 'Bad-'" in capsys.readouterr().err
    assert main(["load", "--target", "oracle"]) == 2
    assert main([]) == 2


def test_cli_summary_before_and_after_build(
    cli_env: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summary"]) == 2
    assert "run dbt build first" in capsys.readouterr().err
    assert main(["load", "--source", str(files["csv"])]) == 0
    assert main(["summary"]) == 2
    assert "intermediate.int_invoice_lines_cleaned" in capsys.readouterr().err
    with duckdb.connect(str(cli_env)) as connection:  # stand-ins for the dbt models
        connection.execute("create schema intermediate")
        connection.execute(
            "create table intermediate.int_invoice_lines_cleaned as "
            "select * from raw.invoice_lines where source_row_number <= 3"
        )
        connection.execute(
            "create table intermediate.int_invoice_lines_excluded as "
            "select *, case when source_row_number = 4 then 'postage' else 'zero_price' end "
            "as exclusion_reason from raw.invoice_lines where source_row_number > 3"
        )
    capsys.readouterr()
    assert main(["summary"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "duckdb:"
    assert lines[1].split() == ["rows", "loaded", "raw.invoice_lines", "6"]
    assert lines[2].split() == ["rows", "included", "intermediate.int_invoice_lines_cleaned", "3"]
    assert lines[3].split() == ["rows", "excluded", "zero_price", "2"]
    assert lines[4].split() == ["rows", "excluded", "postage", "1"]
    assert lines[5].split() == ["total", "included", "+", "excluded", "6"]
    assert len({len(line) for line in lines[1:]}) == 1
    with duckdb.connect(str(cli_env)) as connection:
        connection.execute("delete from intermediate.int_invoice_lines_excluded")
    assert main(["summary"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.postgres
def test_cli_postgres(
    pg_database: str,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PGDATABASE", pg_database)
    prefix = f"cli{uuid.uuid4().hex[:6]}_"
    args = ["load", "--target", "postgres", "--schema-prefix", prefix, "--source"]
    assert main([*args, str(files["xlsx"])]) == 0
    assert f"into postgres {prefix}raw.invoice_lines (load 1," in capsys.readouterr().out
    assert main(["summary", "--target", "postgres", "--schema-prefix", prefix]) == 2
    assert "run dbt build first" in capsys.readouterr().err


# --- the real file ---------------------------------------------------------------------------


@pytest.mark.integration
def test_full_shared_file(tmp_path: Path) -> None:
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    if not source or not Path(source).is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    settings = Settings(duckdb_path=tmp_path / "full.duckdb")
    result = load(source, "duckdb", settings=settings, cache_dir=tmp_path / "cache")
    assert result.rows_loaded == 1_067_371
    full = Target("duckdb", settings, tmp_path / "cache")
    assert full.count() == 1_067_371
    edges = full.query(
        RAW_SELECT.replace("order by", "where source_row_number in (1, 525462, 1067371) order by")
    )
    assert edges == [
        ("489434", "85048", "15CM CHRISTMAS GLASS BALL 20 LIGHTS", "12", "2009-12-01 07:45:00",
         "6.95", "13085", "United Kingdom", 1),
        ("536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "6", "2010-12-01 08:26:00",
         "2.55", "17850", "United Kingdom", 525_462),
        ("581587", "POST", "POSTAGE", "1", "2011-12-09 12:50:00", "18.0", "12680", "France",
         1_067_371),
    ]  # fmt: skip
    nulls = full.query(
        "select count(*) - count(customer_id), count(*) - count(description) "
        "from {schema}.invoice_lines"
    )
    assert nulls == [(243_007, 4_382)]
