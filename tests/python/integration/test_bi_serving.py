"""BI serving on PostgreSQL: descriptions as comments, the read-only BI role,
indexes and fresh statistics (docs/bi.md).

Uses the session fixture `built_warehouse` (conftest.py), which loads and
builds both targets once; skipped without ONLINE_RETAIL_SOURCE or PostgreSQL,
and skipped when the BI role does not exist on the server (it is created by
scripts/postgres_start.sh, or by the DBA on a real server).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from warehouse_helpers import query_rows

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
# Declared keys (dbt model constraints, enforced on both engines), so BI tools
# that read the catalogue (Metabase, Power BI) find the joins themselves:
# (table, kind, columns, referenced table or None, referenced columns).
EXPECTED_KEYS = {
    ("dim_countries", "PRIMARY KEY", ("country_code",), None, ()),
    ("dim_customers", "PRIMARY KEY", ("customer_id",), None, ()),
    ("dim_products", "PRIMARY KEY", ("product_id",), None, ()),
    ("dim_dates", "PRIMARY KEY", ("date_day",), None, ()),
    ("mart_customer_360", "PRIMARY KEY", ("customer_id",), None, ()),
    ("mart_customer_360", "FOREIGN KEY", ("country_code",), "dim_countries", ("country_code",)),
    ("mart_country_monthly", "PRIMARY KEY", ("country_code", "month_start_date"), None, ()),
    ("mart_country_monthly", "FOREIGN KEY", ("country_code",), "dim_countries", ("country_code",)),
    ("mart_country_monthly", "FOREIGN KEY", ("month_start_date",), "dim_dates", ("date_day",)),
}
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
    target = Path(str(built_warehouse["duckdb_path"])).parent / "target_postgres"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"].values()
    return sorted(
        node["name"]
        for node in nodes
        if node["resource_type"] == "model" and node["schema"].endswith("marts")
    )


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


def test_keys_are_declared_on_postgres(pg: object) -> None:
    rows = query_rows(
        pg,
        "select c.conrelid::regclass::text, c.contype,"
        " array(select a.attname from unnest(c.conkey) with ordinality as k (attnum, n)"
        "       inner join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum"
        "       order by k.n),"
        " c.confrelid::regclass::text,"
        " array(select a.attname from unnest(c.confkey) with ordinality as k (attnum, n)"
        "       inner join pg_attribute as a on a.attrelid = c.confrelid and a.attnum = k.attnum"
        "       order by k.n)"
        " from pg_constraint as c"
        " where c.connamespace = 'marts'::regnamespace and c.contype in ('p', 'f')",
    )
    kinds = {"p": "PRIMARY KEY", "f": "FOREIGN KEY"}
    keys = {
        (
            table.removeprefix("marts."),
            kinds[kind],
            tuple(columns),
            None if kind == "p" else target.removeprefix("marts."),
            tuple(target_columns or ()),
        )
        for table, kind, columns, target, target_columns in rows
    }
    assert keys >= EXPECTED_KEYS, f"missing: {sorted(EXPECTED_KEYS - keys, key=str)}"


def test_keys_are_declared_on_duckdb(built_warehouse: dict[str, object]) -> None:
    duck = built_warehouse["duck"]
    rows = duck.execute(  # type: ignore[attr-defined]
        "select table_name, constraint_type, constraint_column_names, referenced_table,"
        " referenced_column_names from duckdb_constraints()"
        " where schema_name = 'marts' and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')"
    ).fetchall()
    keys = {
        (table, kind, tuple(columns), target, tuple(target_columns or ()))
        for table, kind, columns, target, target_columns in rows
    }
    assert keys >= EXPECTED_KEYS, f"missing: {sorted(EXPECTED_KEYS - keys, key=str)}"


def test_duckdb_gets_no_indexes(built_warehouse: dict[str, object]) -> None:
    """The index and grant configs render empty on DuckDB (no ART indexes)."""
    duck = built_warehouse["duck"]
    indexes = duck.execute(  # type: ignore[attr-defined]
        "select table_name from duckdb_indexes() where schema_name = 'marts'"
    ).fetchall()
    assert indexes == []
