"""Incremental refresh, reruns, interruptions and source freshness, on DuckDB and PostgreSQL.

The full file is loaded in two steps, as its two yearly sheets arrive (rows 1..525,461 are the
2009-2010 sheet, the rest the 2010-2011 sheet), with a `dbt build` after each; the marts must
equal those of the one-step build (`built_warehouse`), lineage columns aside. Then: a second
build without new data changes nothing, and a build killed in the middle leaves every mart
either as it was or as the next full build makes it.

Needs ONLINE_RETAIL_SOURCE and PostgreSQL (PG*); skipped otherwise.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from warehouse_helpers import (
    BIN,
    REPO,
    both_targets,
    pg_params,
    run_command,
    schema_checksums,
    table_checksum,
    throwaway_pg_database,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

FIRST_SHEET_ROWS = 525_461
TARGETS = ("duckdb", "postgres")
KILL_AFTER_SECONDS = {"duckdb": 4.0, "postgres": 8.0}
DBT_WORK_SUFFIXES = ("__dbt_tmp", "__dbt_backup")


def _run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    return run_command(args, env, ok).stdout


def _split_source(source: Path, folder: Path) -> tuple[Path, Path]:
    """The shared file as its two sheets, each a CSV with the header."""
    opener = gzip.open if source.suffix == ".gz" else open
    first, second = folder / "sheet_2009_2010.csv", folder / "sheet_2010_2011.csv"
    with opener(source, "rb") as data, first.open("wb") as one, second.open("wb") as two:
        header = data.readline()
        one.write(header)
        two.write(header)
        for number, line in enumerate(data, start=1):
            (one if number <= FIRST_SHEET_ROWS else two).write(line)
    return first, second


class Warehouse:
    """One target's stepwise-built warehouse, with the commands and queries the tests need."""

    def __init__(self, target: str, env: dict[str, str], work: Path) -> None:
        self.target = target
        self.env = env
        self.work = work

    def dbt(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        return _run(
            [
                str(BIN / "dbt"),
                *args,
                "--target",
                self.target,
                "--target-path",
                str(self.work / f"target_{self.target}"),
                "--log-path",
                str(self.work / f"logs_{self.target}"),
            ],
            self.env,
            ok,
        )

    def load(self, path: Path) -> str:
        return _run(
            [str(BIN / "retail-warehouse"), "load", "--target", self.target, "--source", str(path)],
            self.env,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.target == "duckdb":
            with duckdb.connect(self.env["DUCKDB_PATH"]) as connection:
                return connection.execute(sql).fetchall()
        connection = psycopg2.connect(**pg_params(self.env["PGDATABASE"]))
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.commit()
            connection.close()

    def checksums(self, skip_lineage: bool = False) -> dict[str, tuple[int, str]]:
        return schema_checksums(self.query, skip_lineage)


@pytest.fixture(scope="module")
def stepwise(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Warehouse]]:
    """Both targets built in two steps: sheet 2009-2010, build, sheet 2010-2011, build."""
    source = Path(os.environ.get("ONLINE_RETAIL_SOURCE", ""))
    if not source.is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    with throwaway_pg_database("rw_step") as database:
        yield from _build_stepwise(source, database, tmp_path_factory.mktemp("stepwise"))


def _build_stepwise(source: Path, database: str, work: Path) -> Iterator[dict[str, Warehouse]]:
    """The body of ``stepwise``, inside its throwaway database."""
    first, second = _split_source(source, work)
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "stepwise.duckdb"),
        PGDATABASE=database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
    )
    warehouses = {target: Warehouse(target, env, work) for target in TARGETS}

    def build_in_two_steps(target: str) -> None:
        warehouse = warehouses[target]
        warehouse.load(first)
        warehouse.dbt("build")
        assert "repeat rows of earlier loads" in warehouse.load(second)
        warehouse.dbt("build")

    try:
        both_targets(build_in_two_steps, TARGETS)  # side by side: they share nothing
        yield warehouses
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _reference_query(built_warehouse: dict[str, Any], target: str) -> Any:
    connection = built_warehouse["duck" if target == "duckdb" else "pg"]
    if target == "duckdb":
        return lambda sql: connection.execute(sql).fetchall()

    def query(sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    return query


@pytest.mark.parametrize("target", TARGETS)
def test_two_step_load_gives_the_same_marts_as_one_full_build(
    stepwise: dict[str, Warehouse], built_warehouse: dict[str, Any], target: str
) -> None:
    warehouse = stepwise[target]
    reference = _reference_query(built_warehouse, target)
    stepwise_sums = warehouse.checksums(skip_lineage=True)
    assert stepwise_sums, "no marts built"
    for table, checksum in stepwise_sums.items():
        assert checksum == table_checksum(reference, table, skip_lineage=True), (
            f"{target}: marts.{table} differs between the two-step and the one-step build"
        )


Checksums = dict[str, tuple[int, str]]

# The steps below run on both targets at once (`both_targets`), each step in a module fixture
# that the first of its two tests asks for; each test then checks its own target's result.
# Each step's fixture asks for the step before it, so every step starts from what the steps
# before it left, as when each test ran its own step in turn.


@pytest.fixture(scope="module")
def second_build(stepwise: dict[str, Warehouse]) -> dict[str, tuple[Checksums, Checksums]]:
    """Each target's marts before and after another `dbt build` without new data."""

    def rebuild(target: str) -> tuple[Checksums, Checksums]:
        warehouse = stepwise[target]
        before = warehouse.checksums()
        warehouse.dbt("build")
        return before, warehouse.checksums()

    return dict(zip(TARGETS, both_targets(rebuild, TARGETS), strict=True))


@pytest.mark.parametrize("target", TARGETS)
def test_second_build_without_new_data_changes_nothing(
    second_build: dict[str, tuple[Checksums, Checksums]], target: str
) -> None:
    before, after = second_build[target]
    assert after == before


def _new_month_file(folder: Path) -> Path:
    """A small extract of invoices after the data's end (new invoice numbers)."""
    path = folder / "extract_2011_12_late.csv"
    path.write_text(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "590001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-12-12 09:00:00,2.95,17850,"
        "United Kingdom\n"
        "590001,POST,POSTAGE,1,2011-12-12 09:00:00,18.0,17850,United Kingdom\n"
        "590002,22423,REGENCY CAKESTAND 3 TIER,2,2011-12-12 10:30:00,12.75,19999,France\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def killed_build(
    stepwise: dict[str, Warehouse], second_build: object
) -> dict[str, tuple[Checksums, Checksums, Checksums]]:
    """Each target's marts before a new extract, after a build of it killed part-way, and
    after the next whole build (after the second-build tests' builds)."""
    extract = _new_month_file(stepwise[TARGETS[0]].work)  # one file, loaded into each target

    def kill_and_rebuild(target: str) -> tuple[Checksums, Checksums, Checksums]:
        warehouse = stepwise[target]
        old = warehouse.checksums()
        warehouse.load(extract)
        process = subprocess.Popen(
            [
                str(BIN / "dbt"),
                "build",
                "--target",
                target,
                "--target-path",
                str(warehouse.work / f"target_kill_{target}"),
                "--log-path",
                str(warehouse.work / f"logs_kill_{target}"),
            ],
            cwd=REPO,
            env=warehouse.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(KILL_AFTER_SECONDS[target])
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        interrupted = warehouse.checksums()
        warehouse.dbt("build")
        return old, interrupted, warehouse.checksums()

    return dict(zip(TARGETS, both_targets(kill_and_rebuild, TARGETS), strict=True))


@pytest.mark.parametrize("target", TARGETS)
def test_killed_build_leaves_every_mart_old_or_new(
    killed_build: dict[str, tuple[Checksums, Checksums, Checksums]], target: str
) -> None:
    old, interrupted, new = killed_build[target]
    assert set(new) == set(old), "a killed build left extra relations in marts"
    for table, checksum in interrupted.items():
        if table.endswith(DBT_WORK_SUFFIXES):
            continue  # dbt's own work table, not a mart; the next build removes it
        assert table in old, f"{target}: marts.{table} left behind by the killed build"
        assert checksum in (old[table], new[table]), (
            f"{target}: marts.{table} is neither the old nor the new version after the kill"
        )
    assert new["fct_invoices"] != old["fct_invoices"], "the new extract did not arrive"


@pytest.fixture(scope="module")
def freshness(stepwise: dict[str, Warehouse], killed_build: object) -> dict[str, tuple[str, str]]:
    """Each target's `dbt source freshness` output as loaded, and with every raw line's
    loaded_at 100 days older (put back afterwards)."""

    def check(target: str) -> tuple[str, str]:
        warehouse = stepwise[target]
        fresh = warehouse.dbt("source", "freshness")
        shift = "interval '100 days'"
        warehouse.query(f"update raw.invoice_lines set loaded_at = loaded_at - {shift}")
        try:
            return fresh, warehouse.dbt("source", "freshness", ok=(1,))
        finally:
            warehouse.query(f"update raw.invoice_lines set loaded_at = loaded_at + {shift}")

    return dict(zip(TARGETS, both_targets(check, TARGETS), strict=True))


@pytest.mark.parametrize("target", TARGETS)
def test_source_freshness(freshness: dict[str, tuple[str, str]], target: str) -> None:
    fresh, stale = freshness[target]
    assert "PASS freshness of online_retail.invoice_lines" in fresh
    assert "ERROR STALE freshness of online_retail.invoice_lines" in stale
