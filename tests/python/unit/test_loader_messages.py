"""Unit tests for how engine errors and results are put into words."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from retail_warehouse.errors import LoadError
from retail_warehouse.messages import (
    LoadResult,
    describe_duckdb_connect_error,
    describe_duckdb_error,
    describe_postgres_error,
    excerpt,
    find_duckdb_lock_conflict,
)
from retail_warehouse.sources import tpch
from retail_warehouse.sources.files import source_file_name
from retail_warehouse.sources.online_retail import RAW_COLUMNS

SOURCE_BY_RAW = {raw: source for source, raw in RAW_COLUMNS.items()}

DUCKDB_COLUMNS = (
    "Invalid Input Error: CSV Error on Line: 3\n"
    "Original Line: 2,a,b,1,2010-01-01 10:00:00,1.0,UK\n"
    "Expected Number of Columns: 8 Found: 7\n"
    "Possible fixes:\n* Disable the parser's strict mode"
)
DUCKDB_QUOTE = (
    "Invalid Input Error: CSV Error on Line: 800001\n"
    'Original Line: 560922,"ab"x,21592\n'
    "Value with unterminated quote found.\n"
)
DUCKDB_UNICODE = (
    "Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 2,a,b??\n"
    "Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 encoded.\n"
)
DUCKDB_GZIP = "IO Error: Unexpected end of GZIP stream: trunc.csv.gz"
DUCKDB_LOCK = (
    'IO Error: Could not set lock on file "/tmp/w.duckdb": Conflicting lock is held in '
    "/usr/bin/python3 (PID 4804). See also https://duckdb.org/docs/current/connect/concurrency"
)


def test_duckdb_column_count() -> None:
    assert describe_duckdb_error("online.csv", DUCKDB_COLUMNS) == (
        "online.csv: line 3: expected 8 columns, found 7"
    )


def test_duckdb_quote() -> None:
    message = describe_duckdb_error("online.csv", DUCKDB_QUOTE)
    assert message.startswith("online.csv: line 800001: a quoted field is not closed")


def test_duckdb_unicode() -> None:
    assert describe_duckdb_error("online.csv", DUCKDB_UNICODE) == (
        "online.csv: line 3: the text is not valid UTF-8"
    )


def test_duckdb_gzip_without_line() -> None:
    assert describe_duckdb_error("trunc.csv.gz", DUCKDB_GZIP) == (
        "trunc.csv.gz: the gzip data is truncated or corrupt"
    )


def test_duckdb_unknown_error_keeps_first_line() -> None:
    assert describe_duckdb_error("a.csv", "\nSomething odd\nmore") == "a.csv: Something odd"


def test_duckdb_lock_says_what_to_do() -> None:
    message = describe_duckdb_connect_error(Path("/tmp/w.duckdb"), DUCKDB_LOCK)
    assert "/tmp/w.duckdb is in use by another process" in message
    assert "dbt build" in message
    assert "close it and retry" in message


def test_duckdb_lock_names_its_holder() -> None:
    message = describe_duckdb_connect_error(Path("/tmp/w.duckdb"), DUCKDB_LOCK)
    assert "in use by another process (PID 4804, python3; e.g. a running dbt build" in message


def test_lock_conflict_found_in_dbt_output() -> None:
    output = f"08:01:30  Encountered an error:\n{DUCKDB_LOCK}\n"
    assert find_duckdb_lock_conflict(output) == describe_duckdb_connect_error(
        Path("/tmp/w.duckdb"), DUCKDB_LOCK
    )
    assert find_duckdb_lock_conflict("IO Error: disk full") is None


def test_duckdb_other_connect_error() -> None:
    message = describe_duckdb_connect_error(Path("w.duckdb"), "IO Error: disk full\nmore")
    assert message == "cannot open the warehouse file w.duckdb: IO Error: disk full"


def test_postgres_missing_column() -> None:
    message = describe_postgres_error(
        "online.csv",
        'missing data for column "country"',
        'COPY rw_stage_invoice_lines, line 3: "2,a,b,1,2010-01-01 10:00:00,1.0,UK"',
        SOURCE_BY_RAW,
    )
    assert message == "online.csv: line 3: expected 8 columns, found fewer"


def test_postgres_extra_column() -> None:
    message = describe_postgres_error(
        "online.csv",
        "extra data after last expected column",
        'COPY t, line 9: "..."',
        SOURCE_BY_RAW,
    )
    assert message == "online.csv: line 9: expected 8 columns, found more"


def test_postgres_column_in_context() -> None:
    message = describe_postgres_error(
        "online.csv", "value too long", 'COPY t, line 4, column customer_id: "x"', SOURCE_BY_RAW
    )
    assert message == "online.csv: line 4, column Customer ID: value too long"


def test_postgres_invalid_utf8() -> None:
    message = describe_postgres_error(
        "online.csv",
        'invalid byte sequence for encoding "UTF8": 0xff',
        "COPY t, line 3",
        SOURCE_BY_RAW,
    )
    assert message.startswith("online.csv: line 3: the text is not valid UTF-8")


def test_postgres_read_error_wins() -> None:
    message = describe_postgres_error(
        "x.csv.gz",
        "COPY from stdin failed",
        "COPY t, line 20",
        SOURCE_BY_RAW,
        EOFError("ended early"),
    )
    assert message == "x.csv.gz: line 20: the gzip data is truncated or corrupt (ended early)"


def test_postgres_without_context() -> None:
    assert describe_postgres_error("a.csv", "boom", None, SOURCE_BY_RAW) == "a.csv: boom"


def _result(**changes: object) -> LoadResult:
    values: dict[str, object] = {
        "status": "succeeded",
        "target": "duckdb",
        "source": "/data/online_retail_II.csv.gz",
        "source_file": "online_retail_II.csv.gz",
        "file_sha256": "b56cfe1f5d98d90a9bb76fa9ae512d560f897336dd02d39426cc83773905a4f3",
        "load_id": 1,
        "rows_loaded": 1_067_371,
        "raw_table": "raw.invoice_lines",
        "seconds": 2.14,
    }
    values.update(changes)
    return LoadResult(**values)  # type: ignore[arg-type]


def test_summary_of_a_load() -> None:
    assert _result().summary() == (
        "loaded 1,067,371 rows from online_retail_II.csv.gz into duckdb raw.invoice_lines "
        "(load 1, 2.1 s)"
    )


def test_summary_of_a_replace() -> None:
    assert (
        "(load 2, replacing all earlier rows, 2.1 s)" in _result(load_id=2, replaced=True).summary()
    )


def test_summary_of_a_skip() -> None:
    assert _result(status="skipped", rows_loaded=0).summary() == (
        "already loaded: online_retail_II.csv.gz (sha256 b56cfe1f…, load 1); nothing to do"
    )


def test_summary_of_a_skipped_earlier_export() -> None:
    """A whole-export system (the loyalty feed) whose models read a newer load."""
    assert _result(status="skipped", rows_loaded=0, newer_load_id=3).summary() == (
        "already loaded: online_retail_II.csv.gz (sha256 b56cfe1f…, load 1), an earlier "
        "export than load 3, which the models read; nothing loaded "
        "(--replace loads it as the current export)"
    )


def test_source_file_name() -> None:
    assert source_file_name("/data/online_retail_II.csv.gz") == "online_retail_II.csv.gz"
    assert source_file_name("https://h/static/public/502/online+retail+ii.zip") == (
        "online+retail+ii.zip"
    )


def test_excerpt_is_short_and_printable() -> None:
    assert excerpt("Qty") == "'Qty'"
    assert excerpt("a\x00b\x1b[31m" + "z" * 100) == "'a?b?[31m" + "z" * 32 + "'..."


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "region.tbl",
            b"0|AFRICA|x|\n1|AMERICA|y|\n2|ASIA|z|\n3|EUROPE|caf\xe9|\n",
            "region.tbl: line 4, column r_comment: the text is not valid UTF-8 (byte 0xe9",
        ),
        (
            "region.csv.gz",
            gzip.compress(b"r_regionkey,r_name,r_comment\n0,AFRICA,x\n1,AM\xc9RICA,y\n"),
            "region.csv.gz: line 3, column r_name: the text is not valid UTF-8 (byte 0xc9",
        ),
        (
            "region.tbl",
            b"0|AFRICA|x|\n1|AMERICA|" + b"y" * 2_500_000 + b"|\n",
            "region.tbl: line 2: the line is longer than 2,000,000 bytes",
        ),
    ],
)
def test_tpch_text_problems_name_line_column_and_cause(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    """Issue 27: a .tbl with a Latin-1 byte said only "CSV Error on Line: 4"."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoadError) as raised, tpch.SYSTEMS["region"].prepare(path, None):
        pass
    assert str(raised.value).startswith(expected)


def test_a_gzip_with_bytes_after_its_data_quotes_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """hostile5: a .csv.gz followed by other bytes was refused as "(Not a gzipped file
    (b'QZ'))": two bytes of the file in the message and load_log."""
    from retail_warehouse import cli

    header = ",".join(RAW_COLUMNS)
    line = "489434,85048,RED LAMP,12,2010-12-01 07:45:00,6.95,13085,United Kingdom"
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(f"{header}\n{line}\n".encode()) + b"QZXW trailing text")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    assert cli.main(["load", "--source", str(path)]) == 2
    error = capsys.readouterr().err
    assert "export.csv.gz: the gzip data is truncated or corrupt" in error
    assert "b'" not in error and "QZ" not in error
