"""Build the whole warehouse from the full Online Retail II file on DuckDB and
PostgreSQL, then check the figures and that both targets agree on every mart.

Needs ONLINE_RETAIL_SOURCE (the shared file) and a PostgreSQL server from the
PG* variables (`eval "$(scripts/postgres_start.sh)"`); skipped otherwise. The
build itself is the session fixture `built_warehouse` in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warehouse_helpers import BIN, query_rows, run_command

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

FULL_COMPARE_MAX_ROWS = 200_000
RAW_ROWS = 1_067_371
NUMERIC_TYPES = ("integer", "bigint", "decimal", "numeric", "smallint", "double", "real")


def _columns(connection: object, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(kind).lower())
        for name, kind in query_rows(
            connection,
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{schema}' and table_name = '{table}' "
            "order by ordinal_position",
        )
    ]


def _tables(connection: object, schema: str) -> list[str]:
    return [
        str(row[0])
        for row in query_rows(
            connection,
            "select table_name from information_schema.tables "
            f"where table_schema = '{schema}' order by table_name",
        )
    ]


def _normalise(value: object) -> object:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.0001"))
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _row_key(row: tuple[object, ...]) -> tuple[str, ...]:
    return tuple(repr(_normalise(value)) for value in row)


def _profile(connection: object, schema: str, table: str) -> dict[str, object]:
    """Row count plus, per column, non-null count and a total (sum for numbers,
    true count for booleans, min/max for dates, distinct count for text)."""
    parts = ["count(*)"]
    names = []
    for name, kind in _columns(connection, schema, table):
        names.append(name)
        parts.append(f"count({name})")
        if kind.startswith(NUMERIC_TYPES):
            parts.append(f"cast(sum({name}) as numeric(38, 4))")
        elif kind == "boolean":
            parts.append(f"sum(case when {name} then 1 else 0 end)")
        elif kind.startswith(("date", "timestamp")):
            parts.append(f"cast(min({name}) as varchar) || '/' || cast(max({name}) as varchar)")
        else:
            parts.append(f"count(distinct {name})")
    row = query_rows(connection, f"select {', '.join(parts)} from {schema}.{table}")[0]
    return {"columns": names, "values": [_normalise(value) for value in row]}


KPI_ALERT = "no_new_kpi_anomalies"
"""The one warning a plain build of the whole data gives: the KPI anomalies of its loads,
every load in a build with no published warehouse before it (docs/alerts.md)."""


def test_dbt_build_passed_on_both_targets(built_warehouse: dict[str, object]) -> None:
    outputs = built_warehouse["outputs"]
    for target in ("duckdb", "postgres"):
        output = str(outputs[target])  # type: ignore[index]
        assert "ERROR=0" in output
        assert " WARN=1 " in output
        assert re.findall(r"Warning in test (\w+)", output) == [KPI_ALERT]


def test_raw_rows_all_accounted_for(built_warehouse: dict[str, object]) -> None:
    for name in ("duck", "pg"):
        connection = built_warehouse[name]
        (raw_rows,) = query_rows(connection, "select count(*) from raw.invoice_lines")[0]
        assert raw_rows == RAW_ROWS
        rows = query_rows(
            connection,
            "select outcome, line_count from marts.mart_line_accounting order by rule_order",
        )
        accounted = dict(rows)
        assert sum(accounted.values()) == RAW_ROWS
        # Figures of the published dataset profile (shared/data/README.md).
        assert accounted["duplicate_line"] == 34_335
        assert accounted["included"] == 1_027_021


def test_known_figures(built_warehouse: dict[str, object]) -> None:
    duck = built_warehouse["duck"]
    (invoices, cancellations) = query_rows(
        duck,
        "select count(*), sum(case when is_cancellation then 1 else 0 end) from marts.fct_invoices",
    )[0]
    # 53,628 invoice numbers in raw; invoices whose every line is excluded
    # (stock adjustments, zero-price lines) are not in the facts.
    assert 45_000 < invoices < 53_628
    assert cancellations > 8_000
    # 5,942 customer numbers in raw; 3 appear only on excluded lines
    # (free goods at price 0), so they are not customers of the facts.
    (customers,) = query_rows(duck, "select count(*) from marts.dim_customers")[0]
    assert customers == 5_939
    (raw_customers,) = query_rows(
        duck,
        "select count(distinct customer_id) from staging.stg_online_retail__invoice_lines",
    )[0]
    assert raw_customers == 5_942
    (bad_debt,) = query_rows(
        duck,
        "select sum(line_amount) from marts.fct_invoice_lines where line_category = 'bad_debt'",
    )[0]
    assert bad_debt == Decimal("-147614.080")


def test_summary_command_prints_the_accounting(built_warehouse: dict[str, object]) -> None:
    summary = built_warehouse["outputs"]["summary_duckdb"]  # type: ignore[index]
    assert "1,067,371" in summary
    assert "duplicate_line" in summary


def test_duckdb_and_postgres_marts_agree(built_warehouse: dict[str, object]) -> None:
    duck, pg = built_warehouse["duck"], built_warehouse["pg"]
    duck_tables = _tables(duck, "marts")
    assert duck_tables, "no marts built"
    assert duck_tables == _tables(pg, "marts")
    for table in duck_tables:
        duck_profile = _profile(duck, "marts", table)
        pg_profile = _profile(pg, "marts", table)
        assert duck_profile == pg_profile, f"marts.{table} differs between DuckDB and PostgreSQL"


def test_small_marts_identical_row_by_row(built_warehouse: dict[str, object]) -> None:
    duck, pg = built_warehouse["duck"], built_warehouse["pg"]
    for table in _tables(duck, "marts"):
        (rows,) = query_rows(duck, f"select count(*) from marts.{table}")[0]
        if rows > FULL_COMPARE_MAX_ROWS:
            continue
        names = ", ".join(name for name, _ in _columns(duck, "marts", table))
        sql = f"select {names} from marts.{table}"
        # Sorted here, not in SQL: text collation may differ between engines.
        duck_rows = sorted(_row_key(row) for row in query_rows(duck, sql))
        pg_rows = sorted(_row_key(row) for row in query_rows(pg, sql))
        assert duck_rows == pg_rows, f"marts.{table} rows differ between DuckDB and PostgreSQL"


def _contracted_sql_models(manifest_path: Path) -> Iterator[dict[str, Any]]:
    """The manifest's nodes of the SQL models with an enforced contract."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for node in manifest["nodes"].values():
        enforced = node["config"].get("contract", {}).get("enforced")
        if node["resource_type"] == "model" and enforced and node["language"] == "sql":
            yield node


def _constrained_columns(manifest_path: Path) -> set[tuple[str, str, str]]:
    """(schema, table, column) of every column a contracted SQL model declares not null,
    by a ``not_null`` constraint or as part of its primary key (docs/decisions.md,
    "Constraints instead of repeated tests")."""
    found = set()
    for node in _contracted_sql_models(manifest_path):
        keys = {
            column
            for constraint in node.get("constraints", [])
            if constraint["type"] == "primary_key"
            for column in constraint["columns"]
        }
        for name, column in node["columns"].items():
            types = {constraint["type"] for constraint in column.get("constraints", [])}
            if name in keys or types & {"not_null", "primary_key"}:
                found.add((node["schema"], node["alias"], name))
    return found


def test_constrained_columns_refuse_nulls_in_both_catalogues(
    built_warehouse: dict[str, object],
) -> None:
    """The engines enforce the not-null constraints that replaced the not_null tests."""
    work = Path(str(built_warehouse["duckdb_path"])).parent
    for target, name in (("duckdb", "duck"), ("postgres", "pg")):
        expected = _constrained_columns(work / f"target_{target}" / "manifest.json")
        assert len(expected) > 300, f"{target}: {len(expected)} constrained columns"
        nullable = {
            (str(schema), str(table), str(column))
            for schema, table, column, is_nullable in query_rows(
                built_warehouse[name],
                "select table_schema, table_name, column_name, is_nullable "
                "from information_schema.columns",
            )
            if is_nullable == "YES"
        }
        assert not expected & nullable, f"{target}: nullable despite a constraint"


def test_constraints_hold_finds_a_null_a_repeated_key_and_broken_checks(
    built_warehouse: dict[str, object], tmp_path: Path
) -> None:
    """``constraints_hold`` (Spark's check of the constraints) fails on a table that breaks
    them: a copy of the warehouse whose monthly mart lost its constraints, then a row twice,
    a null month end and a negative gross sales, which breaks two checks (``gross_sales >= 0``
    and ``net_revenue = gross_sales - cancelled_amount``): four rules."""
    copy = tmp_path / "broken.duckdb"
    shutil.copy(str(built_warehouse["duckdb_path"]), copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("create table marts.unchecked as select * from marts.mart_sales_monthly")
        connection.execute("drop table marts.mart_sales_monthly")
        connection.execute("alter table marts.unchecked rename to mart_sales_monthly")
        connection.execute(
            "insert into marts.mart_sales_monthly "
            "select * from marts.mart_sales_monthly order by month_start_date limit 1"
        )
        connection.execute(
            "update marts.mart_sales_monthly set month_end_date = null, gross_sales = -1 "
            "where month_start_date = (select max(month_start_date) from marts.mart_sales_monthly)"
        )
    env = {**built_warehouse["env"], "DUCKDB_PATH": str(copy)}  # type: ignore[dict-item]
    selected = "mart_sales_monthly,test_name:constraints_hold"
    command = [str(BIN / "dbt"), "test", "--select", selected]
    command += ["--vars", "{constraints_tested: true}", "--target-path", str(tmp_path / "target")]
    result = run_command([*command, "--log-path", str(tmp_path / "logs")], env, ok=(1,))
    assert "FAIL 4 constraints_hold_mart_sales_monthly" in result.stdout, result.stdout[-3000:]


def _declared_checks(manifest_path: Path) -> Counter[tuple[str, str]]:
    """(schema, table): how many check constraints its contracted SQL model declares."""
    declared: Counter[tuple[str, str]] = Counter()
    for node in _contracted_sql_models(manifest_path):
        constraints = [
            *node.get("constraints", []),
            *(one for column in node["columns"].values() for one in column.get("constraints", [])),
        ]
        checks = sum(constraint["type"] == "check" for constraint in constraints)
        if checks:
            declared[(node["schema"], node["alias"])] = checks
    return declared


CHECKS_IN_CATALOGUE = {
    "duck": "select schema_name, table_name, count(*) from duckdb_constraints() "
    "where constraint_type = 'CHECK' group by schema_name, table_name",
    "pg": "select namespace.nspname, class.relname, count(*) from pg_constraint as constraint_ "
    "join pg_class as class on class.oid = constraint_.conrelid "
    "join pg_namespace as namespace on namespace.oid = class.relnamespace "
    "where constraint_.contype = 'c' group by namespace.nspname, class.relname",
}


def test_every_check_constraint_is_in_both_catalogues(built_warehouse: dict[str, object]) -> None:
    """The engines hold every check constraint the models declare (the rules that replaced the
    accepted_range, accepted_values and expression_is_true tests), so they are enforced."""
    work = Path(str(built_warehouse["duckdb_path"])).parent
    for target, name in (("duckdb", "duck"), ("postgres", "pg")):
        declared = _declared_checks(work / f"target_{target}" / "manifest.json")
        assert sum(declared.values()) > 200, f"{target}: {sum(declared.values())} checks"
        held = {
            (str(schema), str(table)): int(count)
            for schema, table, count in query_rows(built_warehouse[name], CHECKS_IN_CATALOGUE[name])
        }
        missing = {table: count for table, count in declared.items() if held.get(table) != count}
        assert not missing, f"{target}: checks declared but not held (declared counts): {missing}"
