"""What runs beside what, on both targets (docs/operations.md, "What runs beside what"): a
load beside a build or rollback is refused with exit status 2 and one line, and leaves no
trace; loads run beside each other; a build is refused while a load runs; on DuckDB no other
writer gets the published file while a build holds it, even after the shadow copy.

The loads are real ``retail-warehouse load`` processes; the builds are ``run_build`` with dbt
replaced by a runner that starts the load while the build holds the warehouse, so each case
is deterministic (no timing). Small invented files; PostgreSQL needs PG*.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg2
import pytest
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, pg_params, throwaway_pg_database

from retail_warehouse.build import hold_for_load, publisher_for, run_build
from retail_warehouse.dbt_process import DbtRun
from retail_warehouse.errors import WarehouseBusyError
from retail_warehouse.load import load
from retail_warehouse.settings import Settings, from_env

BUSY_LOAD = "a build or rollback of"
BUSY_BUILD = "a load into"

EXTRA_ROWS = [
    ("900001", "10001", "RED TEA CUP", "12", "2011-12-09 07:45:00", "6.95", "12001",
     "United Kingdom"),
]  # fmt: skip


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """A warehouse of either target with one load of invented rows in it."""
    target: str = request.param
    settings = dataclasses.replace(from_env(), duckdb_path=tmp_path / "warehouse.duckdb")
    if target == "duckdb":
        load(write_csv(tmp_path / "first.csv"), target, settings=settings)
        yield target, settings
        return
    with throwaway_pg_database("rw_conc") as name:
        settings = dataclasses.replace(
            settings, postgres=dataclasses.replace(settings.postgres, dbname=name)
        )
        load(write_csv(tmp_path / "first.csv"), target, settings=settings)
        yield target, settings


def _load_process(
    target: str, settings: Settings, source: Path
) -> subprocess.CompletedProcess[str]:
    """``retail-warehouse load`` of ``source`` into the warehouse, as a user would run it."""
    env = {
        **os.environ,
        "DUCKDB_PATH": str(settings.duckdb_path),
        "PGDATABASE": settings.postgres.dbname,
    }
    return subprocess.run(
        [str(BIN / "retail-warehouse"), "load", "--target", target, "--source", str(source)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _load_log(target: str, settings: Settings) -> list[tuple[int, str, str]]:
    sql = "select load_id, source_file, status from raw.load_log order by load_id"
    if target == "duckdb":
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
            return [tuple(row) for row in connection.execute(sql).fetchall()]
    connection = psycopg2.connect(**pg_params(settings.postgres.dbname))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def test_a_load_during_a_build_is_refused_and_loads_after_it(
    warehouse: tuple[str, Settings], tmp_path: Path
) -> None:
    """The defect: a load 15 s into a build exited 0 and the build published a file without
    it. Now the load is refused (exit 2, one line), leaves no trace, and loads afterwards."""
    target, settings = warehouse
    extra = write_csv(tmp_path / "extra.csv", EXTRA_ROWS)
    during: list[subprocess.CompletedProcess[str]] = []

    def dbt_with_a_load_beside_it(args: list[str], env: dict[str, str]) -> DbtRun:
        del args, env
        during.append(_load_process(target, settings, extra))
        return DbtRun(1, tmp_path / "target")  # dbt "failed": nothing to publish

    before = _load_log(target, settings)
    result = run_build(target, settings, runner=dbt_with_a_load_beside_it, echo=lambda _: None)
    assert not result.published
    (refused,) = during
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert BUSY_LOAD in refused.stderr and "extra.csv" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert _load_log(target, settings) == before, "a refused load leaves no trace"

    after = _load_process(target, settings, extra)
    assert after.returncode == 0, after.stderr
    assert [row[1:] for row in _load_log(target, settings)[len(before) :]] == [
        ("extra.csv", "succeeded")
    ]


def test_no_writer_gets_the_published_duckdb_file_during_a_build(tmp_path: Path) -> None:
    """After the shadow copy the build still holds the published file: the copy used to open
    and close it, which released DuckDB's lock, so any other process could write it."""
    settings = dataclasses.replace(from_env(), duckdb_path=tmp_path / "warehouse.duckdb")
    load(write_csv(tmp_path / "first.csv"), "duckdb", settings=settings)
    attempts: list[subprocess.CompletedProcess[str]] = []
    writer = (
        "import duckdb, sys\n"
        "duckdb.connect(sys.argv[1]).execute('create table raw.sneaked_in as select 1 as x')\n"
    )

    def dbt_with_a_writer_beside_it(args: list[str], env: dict[str, str]) -> DbtRun:
        del args, env
        attempts.append(
            subprocess.run(
                [str(BIN / "python"), "-c", writer, str(settings.duckdb_path)],
                capture_output=True,
                text=True,
                check=False,
            )
        )
        return DbtRun(1, tmp_path / "target")

    run_build("duckdb", settings, runner=dbt_with_a_writer_beside_it, echo=lambda _: None)
    (attempt,) = attempts
    assert attempt.returncode != 0 and "lock" in attempt.stderr.lower()


def test_loads_run_together_and_a_build_waits_for_none_of_them(
    warehouse: tuple[str, Settings],
) -> None:
    target, settings = warehouse
    publisher = publisher_for(target, settings)
    with hold_for_load(target, settings), hold_for_load(target, settings):
        with pytest.raises(WarehouseBusyError, match=BUSY_BUILD) as refused, publisher.hold():
            pass
        assert str(refused.value).endswith("wait for it to finish, then run the command again")
    with publisher.hold():
        pass  # free again once the loads are done


def test_a_load_during_a_rollback_is_refused(
    warehouse: tuple[str, Settings], tmp_path: Path
) -> None:
    target, settings = warehouse
    extra = write_csv(tmp_path / "extra.csv", EXTRA_ROWS)
    with publisher_for(target, settings).hold():  # what rollback holds while it swaps
        refused = _load_process(target, settings, extra)
    assert refused.returncode == 2 and BUSY_LOAD in refused.stderr
    first, second = publisher_for(target, settings), publisher_for(target, settings)
    with pytest.raises(WarehouseBusyError, match=BUSY_LOAD), first.hold(), second.hold():
        pass  # build x build, build x rollback: one at a time
