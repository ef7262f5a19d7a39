"""``retail-warehouse build``: a DuckDB file held by another process gives a plain message."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from warehouse_helpers import BIN, REPO, hold_duckdb

from retail_warehouse.build import dbt_environment
from retail_warehouse.cli import main
from retail_warehouse.engines import check_duckdb_free
from retail_warehouse.publish.duckdb import DuckdbLayout


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


def test_a_lock_conflict_inside_dbt_is_one_line(tmp_path: Path) -> None:
    """Another process takes the file dbt builds after the build's own checks passed: the
    build stops with one line naming the file and its holder, not dbt's 200-line traceback
    (issue 10)."""
    path = tmp_path / "warehouse.duckdb"
    env = dbt_environment()
    env["DUCKDB_PATH"] = str(path)
    logs = tmp_path / "logs"
    build = subprocess.Popen(
        [
            str(BIN / "retail-warehouse"),
            "build",
            "--target",
            "duckdb",
            "--",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(logs),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (logs / "dbt.log").exists():  # dbt has started: the shadow file is ready
        assert build.poll() is None, build.communicate()
        assert time.monotonic() < deadline, "dbt did not start"
        time.sleep(0.1)
    shadow = DuckdbLayout(path).shadow
    with hold_duckdb(shadow):  # before dbt opens it: parsing the project takes seconds
        stdout, stderr = build.communicate(timeout=600)
    assert build.returncode == 2, stdout[-3000:] + stderr
    assert stderr.startswith(
        f"error: dbt stopped: the warehouse file {shadow} is in use by another process (PID "
    ), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stdout + stderr
    assert not path.exists(), "nothing was published"


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
