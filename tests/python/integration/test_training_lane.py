"""The two lanes of `retail-warehouse build` (docs/ml.md, "Two lanes"), on DuckDB and
PostgreSQL.

A sample of the real file (every SAMPLE_EVERY-th invoice) arrives in three loads: up to
2011-10-31, November 2011 (30 days: more than ml_retrain_after_days, 28), and 1 to 9
December 2011 (9 days). Per target, in order:

1. the first build trains (there is no registry yet);
2. after November, the refresh finds, before dbt starts, that the new load takes the data
   30 days past the models (the raw dates), and trains in its one dbt run: the published
   registry is fitted through 2011-11-30;
3. after December, the refresh scores with those models without training: the training
   lane's tables are published exactly as they were (on PostgreSQL they are carried into
   the emptied shadow schemas), and the predictions and clusters are as of 2011-12-09;
4. a build with nothing new builds nothing (the published warehouse is up to date);
5. after `retail-warehouse rollback` the raw tables still hold the December load (on
   DuckDB the load went into the published file before the build copied it, so the
   rolled-back generation has it too; on PostgreSQL raw is not rolled back), which the
   rolled-back marts lack: the build builds it.

Needs ONLINE_RETAIL_SOURCE and PostgreSQL (PG*); skipped otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from warehouse_helpers import (
    BIN,
    REPO,
    both_targets,
    query_warehouse,
    run_command,
    table_checksum,
    throwaway_pg_database,
    write_invoice_sample,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

TARGETS = ("duckdb", "postgres")
SAMPLE_EVERY = 80
LOADS = (("to_october", "2011-11-01"), ("november", "2011-12-01"), ("december", "9999-12-31"))
"""Each load: the invoices dated before its end (and on or after the previous one's)."""
TRAINING_LANE = (
    "ml_model_registry",
    "ml_model_evaluation",
    "ml_repeat_drivers",
    "ml_model_gains",
)


@dataclass
class Warehouse:
    """One target's warehouse and the output of each build."""

    target: str
    env: dict[str, str]
    work: Path
    builds: list[str] = field(default_factory=list)
    nodes: list[list[set[str]]] = field(default_factory=list)
    """Per build, the unique ids each dbt run of it built."""
    lane_checksums: list[dict[str, tuple[int, str]]] = field(default_factory=list)

    @property
    def target_path(self) -> Path:
        return self.work / f"target_{self.target}"

    def build(self) -> None:
        for kept in self.target_path.glob("run_results_*.json"):
            kept.unlink()
        output = run_command(
            [
                str(BIN / "retail-warehouse"),
                "build",
                "--target",
                self.target,
                "--",
                "--target-path",
                str(self.target_path),
                "--log-path",
                str(self.work / f"logs_{self.target}"),
            ],
            self.env,
        ).stdout
        self.builds.append(output)
        self.nodes.append(
            [
                {str(result["unique_id"]) for result in json.loads(kept.read_text())["results"]}
                for kept in sorted(self.target_path.glob("run_results_*.json"))
            ]
        )
        self.lane_checksums.append(
            {name: table_checksum(self.query, name, schema="ml") for name in TRAINING_LANE}
        )

    def rollback(self) -> None:
        run_command([str(BIN / "retail-warehouse"), "rollback", "--target", self.target], self.env)

    def load(self, path: Path) -> None:
        run_command(
            [str(BIN / "retail-warehouse"), "load", "--target", self.target, "--source", str(path)],
            self.env,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return query_warehouse(self.target, self.env, sql)


def _split(sample: Path, folder: Path) -> list[Path]:
    """The sample as the three loads of LOADS, each a CSV with the header."""
    with sample.open(encoding="utf-8", newline="") as data:
        reader = csv.reader(data)
        header = next(reader)
        rows = list(reader)
    paths = []
    start = ""
    for name, end in LOADS:
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(row for row in rows if start <= row[4][:10] < end)
        paths.append(path)
        start = end
    return paths


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Warehouse]]:
    """Both targets after the three loads, each followed by `retail-warehouse build`."""
    source = Path(os.environ.get("ONLINE_RETAIL_SOURCE", ""))
    if not source.is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    work = tmp_path_factory.mktemp("lanes")
    write_invoice_sample(source, work / "sample.csv", SAMPLE_EVERY)
    loads = _split(work / "sample.csv", work)
    with throwaway_pg_database("rw_lanes") as database:
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
            for path in loads:
                built[target].load(path)
                built[target].build()
            built[target].build()  # nothing new
            built[target].rollback()
            built[target].build()  # after the rollback

        try:
            both_targets(load_and_build, TARGETS)  # side by side: they share nothing
            yield built
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _lane_ids() -> set[str]:
    return {f"model.retail_warehouse.{name}" for name in TRAINING_LANE}


@pytest.mark.parametrize("target", TARGETS)
def test_the_first_build_trains(warehouses: dict[str, Warehouse], target: str) -> None:
    warehouse = warehouses[target]
    assert "models trained: no model registry yet" in warehouse.builds[0]
    assert len(warehouse.nodes[0]) == 1  # one dbt run of the whole project
    assert _lane_ids() <= warehouse.nodes[0][0]


@pytest.mark.parametrize("target", TARGETS)
def test_a_refresh_past_ml_retrain_after_days_trains_in_one_run(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    assert "models trained: 30 days of data since the models were trained" in warehouse.builds[1]
    (run,) = warehouse.nodes[1]  # no second dbt run for the training lane
    assert "model.retail_warehouse.fct_invoices" in run
    assert _lane_ids() <= run
    assert "model.retail_warehouse.ml_customer_predictions" in run
    assert warehouse.lane_checksums[1] != warehouse.lane_checksums[0]


@pytest.mark.parametrize("target", TARGETS)
def test_a_refresh_before_it_scores_today_with_the_models_it_has(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    assert "models: scored with the registry's" in warehouse.builds[2]
    assert len(warehouse.nodes[2]) == 1
    assert not _lane_ids() & warehouse.nodes[2][0]
    assert warehouse.lane_checksums[2] == warehouse.lane_checksums[1]
    (status,) = warehouse.query(
        "select trained_through_date, newest_invoice_date, days_of_data_since_training,"
        " is_training_due from ml.ml_model_training_status"
    )
    ((through,),) = warehouse.query("select min(as_of_date) from ml.ml_model_registry")
    ((newest,),) = warehouse.query("select max(invoice_date) from marts.fct_invoices")
    assert dt.date(2011, 11, 20) <= through <= dt.date(2011, 11, 30)  # the November load's
    assert newest >= dt.date(2011, 12, 1)  # the December load's
    assert status == (through, newest, (newest - through).days, False)
    for table in ("ml_customer_predictions", "ml_customer_clusters"):
        assert warehouse.query(f"select distinct as_of_date from ml.{table}") == [(newest,)]


@pytest.mark.parametrize("target", TARGETS)
def test_a_build_with_nothing_new_builds_nothing(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    assert warehouse.builds[3].startswith("nothing to build: the published warehouse holds every")
    assert warehouse.nodes[3] == []  # dbt did not run


@pytest.mark.parametrize("target", TARGETS)
def test_after_a_rollback_a_build_builds_what_the_published_marts_lack(
    warehouses: dict[str, Warehouse], target: str
) -> None:
    warehouse = warehouses[target]
    assert "published:" in warehouse.builds[4]
    assert len(warehouse.nodes[4]) == 1  # a refresh: the restored models are not due
    ((newest,),) = warehouse.query("select max(invoice_date) from marts.fct_invoices")
    assert newest >= dt.date(2011, 12, 1)  # the December load is back in the marts
