"""``load --source ""`` (an unset shell variable) is refused, not read as "the default source"
(hostile round 27, item 16: it downloaded the whole file from UCI)."""

from __future__ import annotations

from typing import Any

import pytest

from retail_warehouse import cli


def _never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("an empty --source reached the loader")


@pytest.mark.parametrize("system", ["online_retail", "loyalty", "tpch"])
@pytest.mark.parametrize("source", ["", "  "])
def test_an_empty_source_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], system: str, source: str
) -> None:
    monkeypatch.setattr(cli, "load", _never)
    monkeypatch.setattr(cli, "load_feed", _never)
    monkeypatch.setattr(cli.loyalty, "feed_files", _never)
    monkeypatch.setattr(cli.tpch, "generate", _never)
    assert cli.main(["load", "--source-system", system, "--source", source]) == 2
    error = capsys.readouterr().err
    assert error.strip() == "error: --source is empty: give a file, folder or URL, or leave it out"


@pytest.mark.parametrize("kind", ["csv", "folder"])
def test_serve_refuses_a_duckdb_path_that_is_not_a_warehouse(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """hostile5: `DUCKDB_PATH=export.csv retail-warehouse serve` started and answered 503
    "Cannot launch in-memory database" forever; load and build refuse such a path at once."""
    import uvicorn

    path = tmp_path / "export.csv"
    if kind == "csv":
        path.write_text("Invoice,StockCode\n1,2\n", encoding="utf-8")
    else:
        path.mkdir()
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    monkeypatch.setattr(uvicorn, "run", _never)
    assert cli.main(["serve", "--target", "duckdb", "--port", "18397"]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and (
        "not a DuckDB database file" in error or "not a regular file" in error
    )
    assert "Invoice" not in error


def test_a_build_outside_the_project_stops_before_the_shadow_copy(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """hostile5: `retail-warehouse build` from a folder without dbt_project.yml copied the
    warehouse into a shadow, then dbt stopped with "No dbt_project.yml found"."""
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUCKDB_PATH", str(warehouse))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    assert cli.main(["build", "--target", "duckdb"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path} has no dbt_project.yml: run the build from the dbt project's "
        "folder (cd to it first)"
    )
    assert not (tmp_path / "warehouse.generations" / "shadow").exists()


@pytest.mark.parametrize("suffix", ["/", "/.", "//"])
def test_report_output_ending_like_a_folder_is_refused(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """hostile5, finding 17: `report --output some/dir/` (a folder that does not exist)
    wrote a file named `dir`; a name ending like a folder is refused before any work."""
    monkeypatch.setattr(cli, "write_report", _never)
    output = f"{tmp_path}/adir_report{suffix}"
    assert cli.main(["report", "--target", "duckdb", "--output", output]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "names a folder" in error
    assert f"{tmp_path}/adir_report/dashboard.html" in error
    assert not (tmp_path / "adir_report").exists()


ONE_LINE_CSV = (
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    "600004,22001,MUG,1,2011-06-04 10:00:00,1.25,12004,United Kingdom\n"
)


@pytest.mark.parametrize(
    "command",
    [
        ["load", "--source", "{csv}"],
        ["summary"],
        ["report", "--output", "{tmp}/report.html"],
        ["rollback"],
        ["generations"],
        ["build"],
        ["train"],
        ["serve", "--port", "18399"],
    ],
    ids=lambda command: command[0],
)
def test_a_duckdb_path_in_a_missing_folder_is_refused(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    """hostile5, finding 11: `DUCKDB_PATH=/nonexistent/dir/w.duckdb retail-warehouse load`
    created the folders and a new warehouse, so a typo sent a load to a new, empty warehouse.
    Every command that opens the warehouse refuses the missing folder in one line naming
    DUCKDB_PATH, exit 2, and creates nothing."""
    import subprocess

    import uvicorn

    source = tmp_path / "one.csv"
    source.write_text(ONE_LINE_CSV, encoding="utf-8")
    missing = tmp_path / "nonexistent" / "dir"
    monkeypatch.setenv("DUCKDB_PATH", str(missing / "w.duckdb"))
    monkeypatch.delenv("RW_SCHEMA_PREFIX", raising=False)
    monkeypatch.setattr(uvicorn, "run", _never)
    monkeypatch.setattr(subprocess, "Popen", _never)  # dbt never starts
    args = [part.format(csv=source, tmp=tmp_path) for part in command]
    assert cli.main([*args, "--target", "duckdb"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"error: DUCKDB_PATH {missing / 'w.duckdb'}: the folder {missing} ")
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("port", ["99999", "1_0", "0", "\uff13\uff10\uff10\uff10"])
def test_orchestrate_refuses_a_port_that_is_not_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    """hostile6: `orchestrate --port 99999` (argparse's int, which also takes 1_0 and
    full-width digits) parsed the dbt project, then dagster dev failed with a traceback."""
    from retail_warehouse.orchestration import serve

    monkeypatch.setattr(serve, "serve", _never)
    assert cli.main(["orchestrate", "--port", port]) == 2
    assert "--port must be a port number (digits 0-9 only), 1 to 65535" in capsys.readouterr().err


def test_orchestrate_refuses_a_port_in_use_before_any_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from retail_warehouse.orchestration import serve

    monkeypatch.setattr(serve, "serve", _never)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["orchestrate", "--port", str(port)]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")


@pytest.mark.parametrize("key", ["s3cr3t\n", " s3cr3t", "s3cr3t ", " ", "s3\x1bcr3t"])
def test_serve_refuses_a_key_no_header_can_carry(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    """hostile6: `RW_API_KEY=' ' retail-warehouse serve` (or a key read from a file with its
    line break) served, and every request was 401: HTTP strips a header's spaces."""
    import uvicorn

    monkeypatch.setenv("RW_API_KEY", key)
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setattr(uvicorn, "run", _never)
    assert cli.main(["serve", "--target", "duckdb", "--port", "18399"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "RW_API_KEY begins or ends with a space" in error
    assert "s3" not in error
