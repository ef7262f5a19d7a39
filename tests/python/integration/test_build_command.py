"""``retail-warehouse build``: a DuckDB file held by another process gives a plain message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retail_warehouse.build import check_duckdb_free, dbt_environment
from retail_warehouse.cli import main


def _hold(path: Path) -> subprocess.Popen[str]:
    """Another process that opens the DuckDB file for writing and keeps it open."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def test_build_refuses_a_held_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    holder = _hold(path)
    try:
        assert main(["build", "--target", "duckdb"]) == 2
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    error = capsys.readouterr().err
    assert error.startswith("error: the warehouse file")
    assert "in use by another process" in error
    assert "close it and retry" in error
    assert "Traceback" not in error
    check_duckdb_free(path)  # free again once the other process is gone


def test_missing_file_is_free(tmp_path: Path) -> None:
    check_duckdb_free(tmp_path / "new.duckdb")


def test_dbt_environment_points_at_the_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text("x: 1\n")
    monkeypatch.chdir(tmp_path)
    assert dbt_environment({})["DBT_PROFILES_DIR"] == str(tmp_path / "profiles")
    assert dbt_environment({"DBT_PROFILES_DIR": "/elsewhere"})["DBT_PROFILES_DIR"] == "/elsewhere"
