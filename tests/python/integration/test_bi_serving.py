"""BI serving on PostgreSQL: descriptions as comments, the read-only BI role,
indexes and fresh statistics (docs/bi.md).

Uses the session fixture `built_warehouse` (conftest.py), which loads and
builds both targets once; skipped without ONLINE_RETAIL_SOURCE or PostgreSQL,
and skipped when the BI role does not exist on the server (it is created by
scripts/postgres_start.sh, or by the DBA on a real server).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pytest
from warehouse_helpers import (
    catalogued_keys,
    declared_keys,
    foreign_keys,
    missing_keys,
    query_rows,
)

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[3]
BI_ROLE = "bi_reader"  # the default of var bi_role
LOYALTY_FEED_MARTS = "mart_loyalty_feed_"  # empty until a loyalty feed is loaded
PYTHON_MODELS = sorted(path.stem for path in (REPO / "python_models").rglob("*.py"))
# (table, indexed columns in order): the ones dashboards filter and join on.
EXPECTED_INDEXES = {
    ("fct_invoices", ("invoice_id",)),
    ("fct_invoices", ("invoice_date",)),
    ("fct_invoices", ("customer_id",)),
    ("fct_invoice_lines", ("invoice_id",)),
    ("fct_invoice_lines", ("product_id",)),
    ("fct_invoice_lines", ("invoice_date",)),
    ("fct_invoice_lines", ("customer_id",)),
    ("dim_customers", ("customer_id",)),
    ("dim_products", ("product_id",)),
    ("dim_dates", ("date_day",)),
    ("dim_countries", ("country_code",)),
    ("mart_sales_daily", ("date_day",)),
    ("mart_sales_monthly", ("month_start_date",)),
    ("mart_country_monthly", ("month_start_date", "country_code")),
    ("mart_customer_segment_history", ("customer_id",)),
}
# Declared keys (docs/bi.md): every table BI tools read declares its primary key, except
# the single-row marts (no key to join on) and the tables of a row per order line or per
# customer and month (their key's index measured too costly on DuckDB at scale). Every
# relationships test between two of them is a declared foreign key, except from the fact-grain
# tables (a row per order or finer: each publish would check the key with a join over every
# order), where the referenced model is built from the referencing one, and across schemas
# (DuckDB refuses it, and both targets declare the same keys).
KEY_SCHEMAS = ("marts", "ml", "monitoring")
WITHOUT_PRIMARY_KEY = {"fct_invoice_lines", "mart_customer_segment_history"}
WITHOUT_FOREIGN_KEYS = WITHOUT_PRIMARY_KEY | {
    "fct_invoices",
    "fct_customer_orders",
    "mart_loyalty_ledger",
}
SINGLE_ROW = "(a single row)"
REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]""")
# Statements the BI role must not be able to run; each is rolled back.
FORBIDDEN = {
    "insert": "insert into marts.dim_countries (country_code) values ('QQ')",
    "update": "update marts.fct_invoices set units = units where invoice_id = 'none'",
    "delete": "delete from marts.mart_sales_daily",
    "truncate": "truncate marts.mart_sales_monthly",
    "create table in marts": "create table marts.bi_probe (x integer)",
    "create view in marts": "create view marts.bi_probe as select 1 as x",
    "drop table": "drop table marts.dim_dates",
    "alter table": "alter table marts.dim_dates add column bi_probe integer",
    "create schema": "create schema bi_probe",
    "comment": "comment on table marts.dim_dates is 'changed'",
    # PostgreSQL grants TEMP to PUBLIC by default; the build revokes it
    "create temporary table": "create temporary table bi_probe (x integer)",
}


def _relations(pg: object, schema: str, kinds: tuple[str, ...] = ("r", "v")) -> list[str]:
    return [
        name
        for (name,) in query_rows(
            pg,
            "select c.relname from pg_class as c"
            " inner join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relkind = any(%s) order by 1",
            (schema, list(kinds)),
        )
    ]


@pytest.fixture(scope="module")
def pg(built_warehouse: dict[str, object]) -> object:
    return built_warehouse["pg"]


@pytest.fixture(scope="module")
def bi(built_warehouse: dict[str, object], pg: object) -> Iterator[object]:
    """A connection as the BI role to the warehouse the session built."""
    if not query_rows(pg, "select 1 from pg_roles where rolname = %s", (BI_ROLE,)):
        pytest.skip(f"role {BI_ROLE} does not exist: run scripts/postgres_start.sh")
    env = built_warehouse["env"]
    connection = psycopg2.connect(
        host=env.get("PGHOST", "localhost"),
        port=int(env.get("PGPORT", "5432")),
        dbname=env["PGDATABASE"],
        user=BI_ROLE,
        password=os.environ.get("RW_BI_PASSWORD", "bi_reader"),
        connect_timeout=5,
    )
    try:
        yield connection
    finally:
        connection.close()


def _marts(built_warehouse: dict[str, object]) -> list[str]:
    """The models the PostgreSQL build put in the marts schema, from its manifest:
    not a glob of models/marts/, which also holds the monitoring schema's models
    and marts disabled for the source (using_* vars)."""
    return sorted(
        node["name"]
        for node in _manifest(built_warehouse)["nodes"].values()
        if node["resource_type"] == "model" and node["schema"].endswith("marts")
    )


def _manifest(built_warehouse: dict[str, object]) -> dict[str, Any]:
    target = Path(str(built_warehouse["duckdb_path"])).parent / "target_postgres"
    return json.loads((target / "manifest.json").read_text())


def test_every_mart_is_built(pg: object, built_warehouse: dict[str, object]) -> None:
    marts = _marts(built_warehouse)
    assert len(marts) >= 20
    assert set(marts) <= set(_relations(pg, "marts"))


def test_marts_and_ml_carry_descriptions_as_comments(pg: object) -> None:
    """persist_docs: the model description on the table, one on every column
    (which also catches a column the model has but its YAML does not list)."""
    missing = []
    for schema in ("marts", "ml"):
        for table in _relations(pg, schema):
            ((table_comment,),) = query_rows(
                pg, "select obj_description(%s::regclass, 'pg_class')", (f"{schema}.{table}",)
            )
            if not (table_comment or "").startswith("One row per"):
                missing.append(f"{schema}.{table}: table comment {table_comment!r}")
            bare = query_rows(
                pg,
                "select attname from pg_attribute"
                " where attrelid = %s::regclass and attnum > 0 and not attisdropped"
                " and coalesce(col_description(attrelid, attnum), '') = ''",
                (f"{schema}.{table}",),
            )
            missing += [f"{schema}.{table}.{column}: no column comment" for (column,) in bare]
    assert not missing, "\n".join(missing)


def test_bi_role_may_use_marts_and_ml_only(pg: object, bi: object) -> None:
    schemas = {name for (name,) in query_rows(pg, "select nspname from pg_namespace")}
    for schema in ("marts", "ml"):
        if schema in schemas:
            assert query_rows(
                pg, "select has_schema_privilege(%s, %s, 'USAGE')", (BI_ROLE, schema)
            ) == [(True,)], schema
            assert query_rows(
                pg, "select has_schema_privilege(%s, %s, 'CREATE')", (BI_ROLE, schema)
            ) == [(False,)], schema
    for schema in ("raw", "staging", "intermediate"):
        assert query_rows(
            pg, "select has_schema_privilege(%s, %s, 'USAGE')", (BI_ROLE, schema)
        ) == [(False,)], schema


def test_bi_role_reads_the_monitoring_marts_only(pg: object, bi: object) -> None:
    """The README points BI tools at monitoring.mart_data_quality_daily: the role may enter
    the schema (USAGE) and read its marts, but not the run history the build writes there
    itself (dbt_run_results, the owner's), and gets no CREATE."""
    privilege = "select has_schema_privilege(%s, 'monitoring', %s)"
    assert query_rows(pg, privilege, (BI_ROLE, "USAGE")) == [(True,)]
    assert query_rows(pg, privilege, (BI_ROLE, "CREATE")) == [(False,)]
    for mart in ("mart_data_quality_daily", "mart_load_quality"):
        query_rows(bi, f"select count(*) from monitoring.{mart}")
        bi.rollback()  # type: ignore[attr-defined]
    if "dbt_run_results" in _relations(pg, "monitoring"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query_rows(bi, "select 1 from monitoring.dbt_run_results limit 1")
        bi.rollback()  # type: ignore[attr-defined]


def test_bi_role_has_no_temporary_tables(pg: object, bi: object) -> None:
    """Neither the role nor PUBLIC holds TEMP on the warehouse database."""
    ((database,),) = query_rows(pg, "select current_database()")
    assert query_rows(
        pg, "select has_database_privilege(%s, %s, 'TEMPORARY')", (BI_ROLE, database)
    ) == [(False,)]
    assert query_rows(
        pg, "select has_database_privilege('public', %s, 'TEMPORARY')", (database,)
    ) == [(False,)]


def test_bi_role_reads_every_mart_and_ml_table(
    pg: object, bi: object, built_warehouse: dict[str, object]
) -> None:
    tables = [f"marts.{name}" for name in _marts(built_warehouse)]
    tables += [f"ml.{name}" for name in _relations(pg, "ml")]
    for table in tables:
        (count,) = query_rows(bi, f"select count(*) from {table}")[0]
        bi.rollback()  # type: ignore[attr-defined]
        # The loyalty feed's marts are built empty until a business loads its feed
        # (`--source-system loyalty`); the role must still be able to read them.
        assert count > 0 or table.startswith(f"marts.{LOYALTY_FEED_MARTS}"), table
    if PYTHON_MODELS:
        assert set(PYTHON_MODELS) <= set(_relations(pg, "ml"))


def test_bi_role_cannot_read_other_layers(pg: object, bi: object) -> None:
    relations = [
        f"{schema}.{name}"
        for schema in ("raw", "staging", "intermediate")
        for name in _relations(pg, schema)
    ]
    assert any(name.startswith("raw.") for name in relations)
    assert any(name.startswith("staging.") for name in relations)
    assert any(name.startswith("intermediate.") for name in relations)
    readable = []
    for relation in relations:
        try:
            query_rows(bi, f"select 1 from {relation} limit 1")
            readable.append(relation)
        except psycopg2.errors.InsufficientPrivilege:
            pass
        finally:
            bi.rollback()  # type: ignore[attr-defined]
    assert not readable, f"the BI role can read {readable}"


@pytest.mark.parametrize("statement", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_bi_role_cannot_change_anything(bi: object, statement: str) -> None:
    try:
        with (
            pytest.raises(psycopg2.errors.InsufficientPrivilege),
            bi.cursor() as cursor,  # type: ignore[attr-defined]
        ):
            cursor.execute(statement)
    finally:
        bi.rollback()  # type: ignore[attr-defined]


def test_dashboard_columns_are_indexed(pg: object) -> None:
    rows = query_rows(
        pg,
        "select t.relname, array_agg(a.attname order by k.ordinality)"
        " from pg_index as i"
        " inner join pg_class as t on t.oid = i.indrelid"
        " inner join pg_namespace as n on n.oid = t.relnamespace"
        " cross join lateral unnest(i.indkey) with ordinality as k (attnum, ordinality)"
        " inner join pg_attribute as a on a.attrelid = t.oid and a.attnum = k.attnum"
        " where n.nspname = 'marts'"
        " group by i.indexrelid, t.relname",
    )
    indexes = {(table, tuple(columns)) for table, columns in rows}
    assert indexes >= EXPECTED_INDEXES, f"missing: {sorted(EXPECTED_INDEXES - indexes)}"


def test_built_tables_were_analyzed(pg: object) -> None:
    never = query_rows(
        pg,
        "select schemaname || '.' || relname from pg_stat_user_tables"
        " where schemaname in ('marts', 'ml') and last_analyze is null order by 1",
    )
    assert _relations(pg, "marts", ("r",))
    assert not never, f"not analyzed after the build: {never}"


def _key_tables(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tables BI tools read (marts, ml, monitoring; views cannot carry keys), by
    schema.table."""
    return {
        f"{node['schema']}.{node['alias']}": node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["schema"] in KEY_SCHEMAS
        and node["config"]["materialized"] != "view"
    }


def test_every_table_bi_reads_declares_a_primary_key(
    built_warehouse: dict[str, object],
) -> None:
    manifest = _manifest(built_warehouse)
    tables = _key_tables(manifest)
    keyed = {key[0] for key in declared_keys(manifest) if key[1] == "PRIMARY KEY"}
    exempt = {
        table
        for table, node in tables.items()
        if node["name"] in WITHOUT_PRIMARY_KEY or SINGLE_ROW in str(node["description"])
    }
    assert len(tables) >= 40
    assert sorted(set(tables) - keyed - exempt) == []
    assert sorted(keyed & exempt) == [], "an exempt table declares a key: drop the exemption"


def _depends_on(manifest: dict[str, Any], child: str, parent: str) -> bool:
    """Whether model `child` is built from model `parent`, directly or not."""
    upstream, seen, todo = manifest["parent_map"], set(), [child]
    while todo:
        for node in upstream.get(todo.pop(), []):
            if node == parent:
                return True
            if node not in seen:
                seen.add(node)
                todo.append(node)
    return False


def test_relationships_tests_are_declared_foreign_keys(
    built_warehouse: dict[str, object],
) -> None:
    """A relationships test to a table's primary key is a declared foreign key, unless it
    would be a cycle (the referenced model is built from the referencing one) or it crosses
    schemas (DuckDB refuses it)."""
    manifest = _manifest(built_warehouse)
    tables = _key_tables(manifest)
    table_of = {node["unique_id"]: table for table, node in tables.items()}
    by_name = {node["name"]: table for table, node in tables.items()}
    declared = declared_keys(manifest)
    primary = {key[0]: key[2] for key in declared if key[1] == "PRIMARY KEY"}
    expected = set()
    for test in manifest["nodes"].values():
        metadata = test.get("test_metadata") or {}
        if metadata.get("name") != "relationships" or test["config"].get("where"):
            continue
        arguments = metadata["kwargs"]
        table = table_of.get(test.get("attached_node"))
        referenced = by_name.get(REF.search(arguments["to"]).group(1))  # type: ignore[union-attr]
        if (
            table is None
            or tables[table]["name"] in WITHOUT_FOREIGN_KEYS
            or referenced is None
            or primary.get(referenced) != (arguments["field"],)
            or table.split(".")[0] != referenced.split(".")[0]
            or _depends_on(manifest, tables[referenced]["unique_id"], test["attached_node"])
        ):
            continue
        columns = ((arguments["column_name"],), (arguments["field"],))
        expected.add((table, "FOREIGN KEY", columns[0], referenced, columns[1]))
    assert len(expected) >= 12
    assert sorted(expected - declared, key=str) == []


def test_a_plain_dbt_build_has_the_contracted_primary_keys_and_no_foreign_keys(
    pg: object, built_warehouse: dict[str, object]
) -> None:
    """`dbt build` creates each contracted table with its primary key, on DuckDB and
    PostgreSQL, and no foreign key: one would stop the next build replacing the table it
    references or deleting a row of it. The foreign keys are declared when
    `retail-warehouse build` publishes (test_published_build.py checks those)."""
    manifest = _manifest(built_warehouse)
    duck = built_warehouse["duck"]
    for target, connection in (("postgres", pg), ("duckdb", duck)):
        query = functools.partial(query_rows, connection)
        assert missing_keys(query, target, manifest, published=False) == [], target
        assert foreign_keys(query, target) == [], target
    # the same primary keys on both
    on_postgres = catalogued_keys(lambda sql: query_rows(pg, sql), "postgres")
    on_duckdb = catalogued_keys(lambda sql: query_rows(duck, sql), "duckdb")
    declared = declared_keys(manifest)
    assert on_postgres & declared == on_duckdb & declared


def test_duckdb_gets_no_indexes(built_warehouse: dict[str, object]) -> None:
    """The index and grant configs render empty on DuckDB (no ART indexes)."""
    duck = built_warehouse["duck"]
    indexes = duck.execute(  # type: ignore[attr-defined]
        "select table_name from duckdb_indexes() where schema_name = 'marts'"
    ).fetchall()
    assert indexes == []
