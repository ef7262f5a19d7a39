"""Incremental models equal a full refresh, on DuckDB and PostgreSQL, for both sources.

Each case loads all but the last month of a small sample, builds the incremental models and
everything they read, loads the last month, builds them incrementally, and compares every
incremental model row by row (count and order-independent md5 of all columns, lineage
included) with the same models rebuilt by ``--full-refresh`` on the same data.

- Online Retail II: every 40th invoice of the shared file (about 27,000 lines), split at
  2011-11-09. The second extract also brings late lines: a new invoice dated March 2010 for
  a customer of the first extract (their order numbers, dimension row and every RFM snapshot
  from March 2010 on change) and one of a new customer whose first purchase is in March 2010
  (a new cohort member): recomputing only the new month's snapshots, or only the customers
  of the new month, fails the comparison; so does recomputing only the touched months of
  ``mart_location_monthly`` (April 2010's growth rate compares with March). The loyalty
  ledger's seeded rule sets make recomputing only its customers with new invoices fail too:
  the last month moves tiers (``top_tiers_only``) and carries open balances past their
  expiry (``expiry_12_months``).
- TPC-H SF 0.01 (60,175 order lines), loaded as the orders before 1998-07-01 and then the
  rest (``load --orders-before / --orders-from``); the month-grained line marts
  (``mart_employee_monthly``, ``mart_location_monthly``) must be among the models compared.

Needs ONLINE_RETAIL_SOURCE for the first and PostgreSQL (PG*) for the postgres cases.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warehouse_helpers import (
    BIN,
    REPO,
    foreign_keys,
    missing_keys,
    query_warehouse,
    run_command,
    table_checksum,
    throwaway_pg_database,
)

from retail_warehouse.sources.online_retail_slices import csv_field, split_by_invoice_date

pytestmark = [pytest.mark.integration]

ONLINE_RETAIL_CUT = dt.date(2011, 11, 9)
TPCH_CUT = dt.date(1998, 7, 1)
SAMPLE_EVERY = 40
INCREMENTAL = "config.materialized:incremental"
# Late lines of the second extract: an existing customer's new invoice for an old month,
# and a new customer whose first purchase is in that month.
LATE_LINES = (
    b"599901,85123A,WHITE HANGING HEART T-LIGHT HOLDER,12,2010-03-15 10:00:00,2.55,{customer},"
    b"United Kingdom\n"
    b"599902,22423,REGENCY CAKESTAND 3 TIER,4,2010-03-16 11:00:00,10.95,99999,France\n"
)


def _sampled(line: bytes) -> bool:
    """Every SAMPLE_EVERY-th invoice by a checksum of its number (whole invoices)."""
    return zlib.crc32(csv_field(line, 0).lstrip(b"CA")) % SAMPLE_EVERY == 0


def online_retail_extracts(work: Path) -> tuple[Path, Path]:
    """The sample as two extracts, the second with the late lines appended."""
    source = Path(os.environ.get("ONLINE_RETAIL_SOURCE", ""))
    if not source.is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    before, after = split_by_invoice_date(source, ONLINE_RETAIL_CUT, work, keep=_sampled)
    customer = next(
        field
        for line in before.read_bytes().splitlines()[1:]
        if (field := csv_field(line, 6)) and csv_field(line, 0).isdigit()
    )
    with after.open("ab") as extract:
        extract.write(LATE_LINES.replace(b"{customer}", customer))
    return before, after


class Warehouse:
    """One target and source: its commands and a query on its tables."""

    def __init__(self, target: str, source: str, env: dict[str, str], work: Path) -> None:
        self.target, self.source, self.env, self.work = target, source, env, work

    def dbt(self, *args: str) -> str:
        command = [str(BIN / "dbt"), *args, "--target", self.target]
        command += ["--target-path", str(self.work / "target"), "--log-path", str(self.work)]
        return run_command(command, self.env).stdout

    def load(self, *args: str) -> str:
        command = [str(BIN / "retail-warehouse"), "load", "--target", self.target, *args]
        return run_command(command, self.env).stdout

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return query_warehouse(self.target, self.env, sql)

    def incremental_models(self) -> list[tuple[str, str]]:
        """(schema, table) of every incremental model, from the manifest of the last build."""
        manifest = json.loads((self.work / "target" / "manifest.json").read_text("utf-8"))
        return sorted(
            (node["schema"], node["alias"])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
        )

    def missing_keys(self) -> list[tuple[Any, ...]]:
        """Keys a plain dbt build promises (the last build's manifest: the contracted primary
        keys) of existing tables the catalogue lacks, and any foreign key it has (none)."""
        manifest = json.loads((self.work / "target" / "manifest.json").read_text("utf-8"))
        missing = missing_keys(self.query, self.target, manifest, published=False)
        return missing + foreign_keys(self.query, self.target)

    def checksums(self, models: list[tuple[str, str]]) -> dict[str, tuple[int, str]]:
        return {
            f"{schema}.{table}": table_checksum(self.query, table, schema=schema)
            for schema, table in models
        }


@pytest.fixture(params=["duckdb", "postgres"])
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def warehouse(target: str, tmp_path: Path) -> Iterator[Warehouse]:
    """An empty warehouse of the target (a DuckDB file, a throwaway PostgreSQL database)."""
    env = dict(os.environ)
    env.update(
        DUCKDB_PATH=str(tmp_path / "incremental.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
    )
    if target == "duckdb":
        yield Warehouse(target, "", env, tmp_path)
        return
    with throwaway_pg_database("rw_incr") as database:
        env["PGDATABASE"] = database
        yield Warehouse(target, "", env, tmp_path)


def assert_incremental_equals_full_refresh(
    warehouse: Warehouse, first_load: list[str], last_load: list[str], required: tuple[str, ...]
) -> None:
    """Load, build, load the last month, build incrementally; then compare every
    incremental model, the required ones among them, with its --full-refresh rebuild."""
    build = ("build", "--select", f"+{INCREMENTAL}", "--resource-type", "model", "seed")
    warehouse.load(*first_load)
    warehouse.dbt(*build)
    models = warehouse.incremental_models()
    missing = sorted(set(required) - {table for _, table in models})
    assert not missing, f"not incremental, so not compared: {missing}"
    before = warehouse.checksums(models)
    warehouse.load(*last_load)
    # The second build deletes and inserts rows of incremental tables that BI's foreign keys
    # reference (dim_customers, fct_invoices): a plain dbt build declares no foreign key, so
    # nothing refuses it (docs/bi.md).
    warehouse.dbt(*build)
    assert warehouse.missing_keys() == [], "keys missing after the incremental build"
    incremental = warehouse.checksums(models)
    changed = [name for name in incremental if incremental[name] != before[name]]
    assert changed, "the last month changed no incremental model"
    # the incremental models and the views between them (PostgreSQL drops a table's dependent
    # views with it when --full-refresh replaces it)
    warehouse.dbt("run", "--select", f"+{INCREMENTAL}", "--full-refresh")
    assert warehouse.missing_keys() == [], "keys missing after --full-refresh"
    full_refresh = warehouse.checksums(models)
    differing = [name for name in models_names(models) if incremental[name] != full_refresh[name]]
    assert not differing, (
        f"{warehouse.target}/{warehouse.source}: incremental != full refresh for {differing}"
    )
    # Two dimensions rebuilt on their own: no foreign key references them, so DuckDB can
    # replace them, and their primary keys come back with the tables.
    warehouse.dbt("run", "--select", "dim_countries", "dim_dates")
    assert warehouse.missing_keys() == [], "keys missing after rebuilding two dimensions"
    assert warehouse.checksums(models) == full_refresh


def models_names(models: list[tuple[str, str]]) -> list[str]:
    return [f"{schema}.{table}" for schema, table in models]


def test_online_retail_incremental_equals_full_refresh(warehouse: Warehouse) -> None:
    warehouse.source = "online_retail"
    before, after = online_retail_extracts(warehouse.work)
    assert_incremental_equals_full_refresh(
        warehouse,
        ["--source", str(before)],
        ["--source", str(after)],
        (
            "fct_customer_orders",
            "int_loyalty_ledger_simulated",
            "mart_customer_segment_history",
            "mart_location_monthly",
            "mart_returns_monthly",
            "mart_revenue_bridge",
        ),
    )


def test_tpch_incremental_equals_full_refresh(warehouse: Warehouse) -> None:
    warehouse.source = "tpch"
    warehouse.env.update(RW_SALES_SOURCE="tpch")
    sliced = ["--source-system", "tpch", "--scale-factor", "0.01"]
    assert_incremental_equals_full_refresh(
        warehouse,
        [*sliced, "--orders-before", TPCH_CUT.isoformat()],
        [*sliced, "--orders-from", TPCH_CUT.isoformat()],
        (
            "fct_customer_orders",
            "int_loyalty_ledger_simulated",
            "mart_employee_monthly",
            "mart_location_monthly",
            "mart_returns_monthly",
            "mart_revenue_bridge",
        ),
    )
