"""Incremental refresh, reruns, interruptions and source freshness, on DuckDB and PostgreSQL.

On a sample of the real file (every SAMPLE_EVERY-th invoice, by a hash of its number: whole
invoices and their cancellations, every month, the overlap of the two sheets included), loaded
in two steps as its two yearly sheets arrive (rows 1..525,461 of the file are the 2009-2010
sheet, the rest the 2010-2011 sheet), with a `dbt build` after each; the marts must equal those
of a one-step build of the same sample, lineage columns aside. Then: a second build without new
data changes nothing, and a build killed in the middle leaves every mart either as it was or as
the next full build makes it. The full file's own build is `built_warehouse` (conftest.py);
this module does not need it, so it runs on its own worker (docs/testing.md, "Test time").

Needs ONLINE_RETAIL_SOURCE and PostgreSQL (PG*); skipped otherwise.
"""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import signal
import subprocess
import time
import zlib
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
SAMPLE_EVERY = 20
"""Keep one invoice in this many (about 53,000 of the file's 1,067,371 lines)."""
TARGETS = ("duckdb", "postgres")
KILL_AFTER_SECONDS = {"duckdb": 4.0, "postgres": 8.0}
PARTIAL_PARSE = "partial_parse.msgpack"
DBT_WORK_SUFFIXES = ("__dbt_tmp", "__dbt_backup")
BUILD = ("build", "--exclude-resource-type", "unit_test")
"""The builds of this module: models, seeds and data tests. dbt's unit tests (hand-made rows,
the same whatever is loaded) run in `built_warehouse`'s builds."""
REFERENCE_BUILD = ("build", "--resource-type", "model", "--resource-type", "seed")
"""The one-step reference build: models and seeds only. Its marts must equal the two-step
build's, whose data tests run, so testing them again here would check nothing new."""


def _run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    return run_command(args, env, ok).stdout


def _split_sample(source: Path, folder: Path) -> tuple[Path, Path, Path]:
    """The sample (SAMPLE_EVERY) of the shared file as its two sheets, each a CSV with the
    header, and as one file (the two sheets in order, for the one-step build)."""
    opener = gzip.open if source.suffix == ".gz" else open
    paths = (
        folder / "sheet_2009_2010.csv",
        folder / "sheet_2010_2011.csv",
        folder / "both_sheets.csv",
    )
    with (
        opener(source, "rt", encoding="utf-8", newline="") as data,
        paths[0].open("w", encoding="utf-8", newline="") as one,
        paths[1].open("w", encoding="utf-8", newline="") as two,
        paths[2].open("w", encoding="utf-8", newline="") as whole,
    ):
        reader = csv.reader(data)
        sheets = [csv.writer(out, lineterminator="\n") for out in (one, two, whole)]
        header = next(reader)
        for sheet in sheets:
            sheet.writerow(header)
        for number, row in enumerate(reader, start=1):
            if zlib.crc32(row[0].lstrip("CA").encode()) % SAMPLE_EVERY == 0:
                sheets[0 if number <= FIRST_SHEET_ROWS else 1].writerow(row)
                sheets[2].writerow(row)
    return paths


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


def _environment(work: Path, name: str, database: str) -> dict[str, str]:
    """The variables of one warehouse (a DuckDB file and a PostgreSQL database)."""
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / f"{name}.duckdb"),
        PGDATABASE=database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
    )
    return env


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    """The sample as its two sheets and as one file (``_split_sample``)."""
    source = Path(os.environ.get("ONLINE_RETAIL_SOURCE", ""))
    if not source.is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    work = tmp_path_factory.mktemp("sample")
    try:
        yield _split_sample(source, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def one_step(
    sample: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Warehouse]]:
    """Both targets built from the whole sample at once: load, build."""
    with throwaway_pg_database("rw_one") as database:
        work = tmp_path_factory.mktemp("one_step")
        env = _environment(work, "one_step", database)
        warehouses = {target: Warehouse(target, env, work) for target in TARGETS}

        def build_at_once(target: str) -> None:
            warehouses[target].load(sample[2])
            warehouses[target].dbt(*REFERENCE_BUILD)

        try:
            both_targets(build_at_once, TARGETS)  # side by side: they share nothing
            yield warehouses
        finally:
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def stepwise(
    sample: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Warehouse]]:
    """Both targets built in two steps: sheet 2009-2010, build, sheet 2010-2011, build."""
    with throwaway_pg_database("rw_step") as database:
        work = tmp_path_factory.mktemp("stepwise")
        env = _environment(work, "stepwise", database)
        warehouses = {target: Warehouse(target, env, work) for target in TARGETS}

        def build_in_two_steps(target: str) -> None:
            warehouse = warehouses[target]
            warehouse.load(sample[0])
            warehouse.dbt(*BUILD)
            assert "repeat rows of earlier loads" in warehouse.load(sample[1])
            warehouse.dbt(*BUILD)

        try:
            both_targets(build_in_two_steps, TARGETS)  # side by side: they share nothing
            yield warehouses
        finally:
            shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("target", TARGETS)
def test_two_step_load_gives_the_same_marts_as_one_build(
    stepwise: dict[str, Warehouse], one_step: dict[str, Warehouse], target: str
) -> None:
    stepwise_sums = stepwise[target].checksums(skip_lineage=True)
    assert stepwise_sums, "no marts built"
    assert set(stepwise_sums) == set(one_step[target].checksums(skip_lineage=True))
    reference = one_step[target].query
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
        warehouse.dbt(*BUILD)
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
        # The killed build's own target folder, with the parse of the builds before (the
        # same project and environment): dbt starts running nodes at once, so the kill
        # lands among them rather than in parsing.
        kill_target = warehouse.work / f"target_kill_{target}"
        kill_target.mkdir()
        shutil.copy2(warehouse.work / f"target_{target}" / PARTIAL_PARSE, kill_target)
        process = subprocess.Popen(
            [
                str(BIN / "dbt"),
                *BUILD,
                "--target",
                target,
                "--target-path",
                str(kill_target),
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
        warehouse.dbt(*BUILD)
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
