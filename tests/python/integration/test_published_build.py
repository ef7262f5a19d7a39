"""`retail-warehouse build` publishes only a build that passed, on DuckDB and PostgreSQL
(docs/publishing.md).

On a warehouse built from a sample of the real file (every tenth line: all months, few rows,
so each build is quick), per target, in order:

1. a build whose tests fail (a raw line from a country the seed does not know) publishes nothing:
   every mart and the load log are unchanged for readers; the output names the failed test,
   the offending value and where the shadow copy is; the BI role cannot see the shadow;
2. builds killed at random points (at the start, at random dbt nodes) leave the published
   warehouse whole (exactly as before);
3. the next good build publishes, while a BI reader (the read-only role on PostgreSQL, a
   read-only connection on DuckDB) queries in a loop: every answer has totals of fct_invoices
   and mart_sales_monthly that agree, and the reader sees the old and then the new generation;
4. `retail-warehouse rollback` restores the previous generation.

Needs ONLINE_RETAIL_SOURCE and PostgreSQL (PG*); skipped otherwise.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from warehouse_helpers import (
    BIN,
    REPO,
    both_targets,
    foreign_keys,
    missing_keys,
    pg_params,
    query_warehouse,
    run_command,
    schema_checksums,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

TARGETS = ("duckdb", "postgres")
SAMPLE_EVERY = 10
BI_ROLE = "bi_reader"
KILL_SEED = 19
KILLS = 2
LAST_KILL_SHARE = 0.93
"""Kill points lie among the first 93 % of the build's dbt nodes, however many it has."""
NODE_STARTED = re.compile(r"\b(\d+) of (\d+) START\b")
HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
# One statement, so a reader's two totals come from one moment; the monthly mart rounds
# each month to the penny, so they agree within half a penny per month.
TOTALS = (
    "select (select sum(product_amount) from marts.fct_invoices), "
    "(select sum(net_revenue) from marts.mart_sales_monthly), "
    "(select count(*) from marts.mart_sales_monthly)"
)


@dataclass
class Warehouse:
    """One target's warehouse and what the tests learned about it so far."""

    target: str
    env: dict[str, str]
    work: Path
    published: dict[str, tuple[int, str]] = field(default_factory=dict)
    previous: dict[str, tuple[int, str]] = field(default_factory=dict)
    load_log: list[tuple[Any, ...]] = field(default_factory=list)

    def command(self, *args: str) -> list[str]:
        return [str(BIN / "retail-warehouse"), *args, "--target", self.target]

    def build_command(self) -> list[str]:
        return [
            *self.command("build"),
            "--",
            "--target-path",
            str(self.work / f"target_{self.target}"),
            "--log-path",
            str(self.work / f"logs_{self.target}"),
        ]

    def build(self, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        return run_command(self.build_command(), self.env, ok)

    def load(self, path: Path) -> str:
        return run_command([*self.command("load"), "--source", str(path)], self.env).stdout

    def query(self, sql: str, user: str | None = None) -> list[tuple[Any, ...]]:
        """A reader's query: a read-only connection on DuckDB, the BI role (or the owner)
        on PostgreSQL."""
        return query_warehouse(self.target, self.env, sql, user)

    def change(self, sql: str) -> None:
        """A change to the published warehouse outside a build (a manual repair)."""
        if self.target == "duckdb":
            with duckdb.connect(self.env["DUCKDB_PATH"]) as connection:
                connection.execute(sql)
        else:
            self.query(sql)

    def checksums(self, skip_lineage: bool = False) -> dict[str, tuple[int, str]]:
        return schema_checksums(self.query, skip_lineage)

    def read_load_log(self) -> list[tuple[Any, ...]]:
        return self.query("select * from raw.load_log order by load_id")

    def totals_agree(self, row: tuple[Any, ...]) -> bool:
        facts, monthly, months = (Decimal(str(value)) for value in row)
        return abs(facts - monthly) <= Decimal("0.005") * months


def _sample(source: Path, folder: Path) -> Path:
    """Every SAMPLE_EVERY-th line of the real file, with its header."""
    opener = gzip.open if source.suffix == ".gz" else open
    sample = folder / "sample.csv"
    with opener(source, "rb") as data, sample.open("wb") as out:
        out.write(data.readline())
        for number, line in enumerate(data):
            if number % SAMPLE_EVERY == 0:
                out.write(line)
    return sample


def _extract(folder: Path, name: str, country: str) -> Path:
    """A small extract of invoices after the data's end."""
    path = folder / name
    path.write_text(
        HEADER + "590101,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-12-09 09:00:00,2.95,"
        f"17850,{country}\n"
        "590102,22423,REGENCY CAKESTAND 3 TIER,2,2011-12-09 10:30:00,12.75,12680,France\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Warehouse]]:
    """Both targets loaded with the sample and built with `retail-warehouse build` once."""
    source = Path(os.environ.get("ONLINE_RETAIL_SOURCE", ""))
    if not source.is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    if not os.environ.get("PGHOST"):
        pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
    try:
        admin = psycopg2.connect(**pg_params("postgres"))
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    admin.autocommit = True
    database = f"rw_wap_{uuid.uuid4().hex[:8]}"
    admin.cursor().execute(f"create database {database}")
    work = tmp_path_factory.mktemp("published")
    sample = _sample(source, work)
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        PGDATABASE=database,
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
        RW_KEEP_GENERATIONS="1",
    )
    built = {target: Warehouse(target, env, work) for target in TARGETS}

    def load_and_build(target: str) -> None:
        built[target].load(sample)
        built[target].build()

    try:
        both_targets(load_and_build, TARGETS)  # side by side: they share nothing
        yield built
    finally:
        admin.cursor().execute(f"drop database if exists {database} with (force)")
        admin.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("target", TARGETS)
def test_failed_build_publishes_nothing(warehouses: dict[str, Warehouse], target: str) -> None:
    warehouse = warehouses[target]
    before = warehouse.checksums()
    assert "fct_invoices" in before and "mart_sales_monthly" in before
    # The loader refuses an unknown country, so the bad value gets into raw the way a
    # manual fix or another tool would put it there: after a good load.
    warehouse.load(_extract(warehouse.work, "bad_country.csv", "United Kingdom"))
    warehouse.change(
        "update raw.invoice_lines set country = 'Atlantis' "
        "where source_file = 'bad_country.csv' and country = 'United Kingdom'"
    )
    load_log = warehouse.read_load_log()

    result = warehouse.build(ok=(1,))

    assert warehouse.checksums() == before, "a failed build changed what readers see"
    assert warehouse.read_load_log() == load_log
    report = result.stdout
    assert "build failed: nothing was published" in report
    assert "failed tests (" in report
    assert "=Atlantis" in report, "the report does not name the offending value"
    assert "shadow copy kept for inspection:" in report
    if target == "duckdb":
        shadow = warehouse.work / "warehouse.generations" / "shadow" / "warehouse.duckdb"
        assert str(shadow) in report
        with duckdb.connect(str(shadow), read_only=True) as connection:
            found = connection.execute(
                "select count(*) from staging.stg_online_retail__invoice_lines "
                "where country = 'Atlantis'"
            ).fetchone()
        assert found == (1,), "the shadow copy does not hold the failed build"
    else:
        assert "intermediate__shadow" in report
        usage = warehouse.query(
            f"select has_schema_privilege('{BI_ROLE}', 'marts__shadow', 'usage')"
        )
        assert usage == [(False,)], "the BI role can read the failed shadow"

    # The repair: take the bad load out of raw. The incremental models never saw it (the
    # shadow was not published), so the next build needs nothing else.
    warehouse.change(
        "delete from raw.invoice_lines where load_id = "
        "(select max(load_id) from raw.load_log where source_file = 'bad_country.csv')"
    )
    warehouse.published = before
    warehouse.load_log = warehouse.read_load_log()


@pytest.mark.parametrize("target", TARGETS)
def test_killed_builds_leave_the_published_warehouse_whole(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    assert warehouse.published, "runs after test_failed_build_publishes_nothing"
    warehouse.load(_extract(warehouse.work, "new_invoices.csv", "United Kingdom"))
    chooser = random.Random(f"{KILL_SEED}-{target}")
    # Kill points: right after the start (the shadow copy), then at random dbt nodes (the
    # k-th node started, as a share of the nodes dbt says it runs), whatever the machine's
    # speed and the project's size. A kill after dbt's last node could land after the
    # publish, which is whole too, but would leave nothing to test below.
    points = [0.0, *sorted(chooser.uniform(0.0, LAST_KILL_SHARE) for _ in range(KILLS))]
    for share in points:
        point = 0
        process = subprocess.Popen(
            warehouse.build_command(),
            cwd=REPO,
            env={**warehouse.env, "PYTHONUNBUFFERED": "1"},  # each line as dbt writes it
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        if share:
            for line in process.stdout:
                started = NODE_STARTED.search(line)
                if started:
                    point = max(1, int(share * int(started.group(2))))
                    if int(started.group(1)) >= point:
                        break
            assert process.poll() is None, f"{target}: the build ended before node {point}"
        else:
            time.sleep(0.5)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        process.stdout.close()
        assert warehouse.checksums() == warehouse.published, (
            f"{target}: the warehouse changed after a build killed at node {point}"
        )


@pytest.mark.parametrize("target", TARGETS)
def test_reader_sees_one_generation_while_the_next_build_publishes(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    seen: list[tuple[Any, ...]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(warehouse.query(TOTALS, user=BI_ROLE)[0])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        result = warehouse.build()
    finally:
        time.sleep(0.5)
        stop.set()
        reader.join(timeout=60)

    assert "published:" in result.stdout
    # a published build tests the line-level rows of the loads BI does not have yet only
    assert "row tests of the line-level relations read the loads after" in result.stdout
    mixed = [row for row in seen if not warehouse.totals_agree(row)]
    assert not mixed, f"{target}: a reader saw totals of two generations: {mixed[:3]}"
    generations = {row[0] for row in seen}
    assert len(generations) == 2, f"the reader did not see the publish: {generations}"
    assert seen[0][0] != seen[-1][0]
    new = warehouse.checksums()
    assert new["fct_invoices"] != warehouse.published["fct_invoices"], "no new generation"
    # the published generation has every key the publish declares (PostgreSQL: all of them,
    # on the shadow schemas the manifest names; DuckDB: the primary keys, no foreign key)
    manifest = json.loads((warehouse.work / f"target_{target}" / "manifest.json").read_text())
    assert (
        missing_keys(warehouse.query, target, manifest, schema_suffix="__shadow", published=True)
        == []
    )
    if target == "duckdb":
        assert foreign_keys(warehouse.query, target) == []
    warehouse.load_log = warehouse.read_load_log()
    warehouse.previous, warehouse.published = warehouse.published, new


@pytest.mark.parametrize("target", TARGETS)
def test_rollback_restores_the_previous_generation(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    previous = warehouse.previous
    assert previous, "runs after the publishing test"
    output = run_command(warehouse.command("rollback"), warehouse.env).stdout
    assert output.startswith("rolled back: BI now reads")
    assert warehouse.checksums() == previous
    # Every load was made before the last publish, so the restored generation has them all
    # (on DuckDB the file holds raw too; a load made after the last publish would be undone
    # and named: test_publish_duckdb.py). On PostgreSQL raw is not part of a generation.
    assert "loads undone" not in output
    assert warehouse.read_load_log() == warehouse.load_log
    assert warehouse.query(TOTALS, user=BI_ROLE), "the BI role reads the restored generation"
