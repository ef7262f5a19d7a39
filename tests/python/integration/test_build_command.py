"""``retail-warehouse build``: a DuckDB file held by another process gives a plain message; a
killed build stops its dbt and publishes nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg2
import pytest
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, hold_duckdb, pg_params, throwaway_pg_database

from retail_warehouse.cli import main
from retail_warehouse.dbt_process import dbt_environment
from retail_warehouse.engines import check_duckdb_free
from retail_warehouse.load import load
from retail_warehouse.publish.duckdb import DuckdbLayout
from retail_warehouse.settings import Settings, from_env


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


def _group_members(group: int) -> list[int]:
    """The processes of a process group (a /proc scan; a zombie counts: it is gone)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members


def _children(pid: int) -> list[int]:
    """The child processes of ``pid`` (a /proc scan)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _published_state(target: str, settings: Settings) -> object:
    """What BI reads: the DuckDB file's bytes; on PostgreSQL every schema with its comment
    and the raw tables' rows, less ``monitoring``, whose run-history table the build creates
    before dbt starts (it belongs to no generation: docs/publishing.md)."""
    if target == "duckdb":
        return settings.duckdb_path.read_bytes()
    connection = psycopg2.connect(**pg_params(settings.postgres.dbname))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select nspname, obj_description(oid, 'pg_namespace') from pg_namespace "
                "where nspname not like 'pg\\_%' and nspname not in "
                "('information_schema', 'monitoring') order by 1"
            )
            schemas = cursor.fetchall()
            cursor.execute("select count(*) from raw.invoice_lines")
            rows = cursor.fetchall()
            cursor.execute("select load_id, status from raw.load_log order by 1")
            return schemas, rows, cursor.fetchall()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("target", "signum"),
    [
        ("duckdb", signal.SIGTERM),
        pytest.param("postgres", signal.SIGINT, marks=pytest.mark.postgres),
    ],
)
def test_a_killed_build_stops_dbt_and_publishes_nothing(
    target: str, signum: int, tmp_path: Path
) -> None:
    """Issue 27: ``kill`` of a running ``retail-warehouse build`` ended the build at once and
    left its dbt running (writing the shadow, holding the DuckDB shadow file or PostgreSQL
    locks). Now SIGTERM, and SIGINT as Ctrl-C or ``kill -INT`` sends it, stop dbt's whole
    process group, discard the shadow and exit with one line and 128 + the signal's number;
    the published warehouse is as it was. Invented rows; the build is killed once dbt runs
    its first node."""
    with contextlib.ExitStack() as stack:
        settings = dataclasses.replace(from_env(), duckdb_path=tmp_path / "warehouse.duckdb")
        if target == "postgres":
            database = stack.enter_context(throwaway_pg_database("rw_kill"))
            settings = dataclasses.replace(
                settings, postgres=dataclasses.replace(settings.postgres, dbname=database)
            )
        load(write_csv(tmp_path / "first.csv"), target, settings=settings)
        before = _published_state(target, settings)
        env = dbt_environment()
        env.update(DUCKDB_PATH=str(settings.duckdb_path), PGDATABASE=settings.postgres.dbname)
        build = subprocess.Popen(
            [
                *(str(BIN / "retail-warehouse"), "build", "--target", target, "--"),
                *("--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # as a shell's job: the signal goes to the build only
        )
        dbt: list[int] = []
        stack.callback(_kill_groups, [build.pid], dbt)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(build.stdout or []), daemon=True)
        reader.start()
        deadline = time.monotonic() + 600
        while not any(" START " in line for line in lines):  # dbt builds its first node
            assert build.poll() is None, "".join(lines)[-3000:]
            assert time.monotonic() < deadline, "dbt did not start a node"
            time.sleep(0.2)
        dbt[:] = _children(build.pid)
        assert dbt, "the build has no child process"
        os.kill(build.pid, signum)
        _, stderr = build.communicate(timeout=120)
        assert build.returncode == 128 + signum, stderr
        name = "Ctrl-C (SIGINT)" if signum == signal.SIGINT else signal.Signals(signum).name
        assert stderr.splitlines() == [
            f"error: build interrupted by {name}: dbt was stopped and the shadow copy "
            "discarded; nothing was published"
        ], stderr
        for child in dbt:
            assert _group_members(child) == [], "dbt (or what it started) is still running"
            assert not Path(f"/proc/{child}/cmdline").exists() or _is_zombie(child)
        assert _published_state(target, settings) == before
        if target == "duckdb":
            assert not DuckdbLayout(settings.duckdb_path).shadow.exists()
            check_duckdb_free(settings.duckdb_path)
        else:
            connection = psycopg2.connect(**pg_params(settings.postgres.dbname))
            try:
                with connection.cursor() as cursor:
                    cursor.execute("select nspname from pg_namespace where nspname like '%shadow'")
                    assert cursor.fetchall() == [], "the shadow schemas were not dropped"
            finally:
                connection.close()


def _is_zombie(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return text[text.rindex(")") + 2 :].split()[0] == "Z"


def _kill_groups(groups: list[int], more: list[int]) -> None:
    """Whatever the test started and left (the old build left dbt running)."""
    for group in [*groups, *more]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
