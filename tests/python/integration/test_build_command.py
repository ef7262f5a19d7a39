"""``retail-warehouse build``: a DuckDB file held by another process gives a plain message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from warehouse_helpers import BIN, REPO, hold_duckdb

from retail_warehouse.build import dbt_environment
from retail_warehouse.cli import main
from retail_warehouse.engines import check_duckdb_free


def test_build_refuses_a_held_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    with hold_duckdb(path):
        assert main(["build", "--target", "duckdb"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: the warehouse file")
    assert "in use by another process" in error
    assert "close it and retry" in error
    assert "Traceback" not in error
    check_duckdb_free(path)  # free again once the other process is gone


def test_missing_file_is_free(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    check_duckdb_free(path)  # no error: nobody holds a file that does not exist
    assert not path.exists()  # and checking did not create it (the build would find it empty)


def test_dbt_environment_points_at_the_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text("x: 1\n")
    monkeypatch.chdir(tmp_path)
    assert dbt_environment({})["DBT_PROFILES_DIR"] == str(tmp_path / "profiles")
    assert dbt_environment({"DBT_PROFILES_DIR": "/elsewhere"})["DBT_PROFILES_DIR"] == "/elsewhere"


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_dbt_refuses_a_bad_schema_prefix_var(target: str, tmp_path: Path) -> None:
    """``--vars '{schema_prefix: ...}'`` is checked like the loader's option, before dbt
    creates anything (issue 10)."""
    env = dbt_environment()
    env["DUCKDB_PATH"] = str(tmp_path / "warehouse.duckdb")
    result = subprocess.run(
        [
            str(BIN / "dbt"),
            "parse",
            "--target",
            target,
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--vars",
            "{schema_prefix: 'x; drop schema raw cascade; --'}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "schema prefix 'x; drop schema raw cascade; --' must be lower-case" in result.stdout
    assert not (tmp_path / "warehouse.duckdb").exists()
