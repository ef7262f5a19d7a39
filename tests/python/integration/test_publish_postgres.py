"""Publishing on PostgreSQL: the schema swap keeps grants, comments and indexes, waits for
running queries (which finish on the old tables), keeps and rolls back generations. Small
schemas, no dbt (the whole build is in test_published_build.py). Needs PostgreSQL (PG*)."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from warehouse_helpers import pg_params, refused_rollback, throwaway_pg_database

from retail_warehouse.build import TESTED_THROUGH_ENV, new_loads_test_env
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.monitoring import RUN_RESULTS_DDL
from retail_warehouse.publish import WarehouseBusyError
from retail_warehouse.publish.keys import FOREIGN_KEY, PRIMARY_KEY, Key
from retail_warehouse.publish.postgres import PostgresPublisher
from retail_warehouse.settings import Settings, from_env

pytestmark = [pytest.mark.postgres]

BI_ROLE = "bi_reader"


@pytest.fixture()
def database() -> Iterator[Settings]:
    """A fresh database (and the BI role); settings pointing at it."""
    with throwaway_pg_database("rw_pub") as name:
        admin = psycopg2.connect(**pg_params("postgres"))
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,))
                if cursor.fetchone() is None:
                    cursor.execute(f"create role {BI_ROLE} login")
        finally:
            admin.close()
        settings = from_env()
        yield dataclasses.replace(
            settings, postgres=dataclasses.replace(settings.postgres, dbname=name)
        )


def _execute(settings: Settings, statement: str, user: str | None = None) -> list[tuple[Any, ...]]:
    params = settings.postgres.connect_kwargs()
    if user:
        params["user"] = user
    connection = psycopg2.connect(**params)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def _shadow(settings: Settings, version: int) -> None:
    """What dbt leaves in a shadow schema: a table with its index, comment and grant, and the
    schema usage of the on-run-end hook."""
    _execute(
        settings,
        "create schema marts__shadow; "
        f"create table marts__shadow.t as select {version} as v; "
        "create unique index t_v on marts__shadow.t (v); "
        f"comment on table marts__shadow.t is 'version {version}'; "
        f"grant select on marts__shadow.t to {BI_ROLE}; "
        f"grant usage on schema marts__shadow to {BI_ROLE}",
    )


def _build(publisher: PostgresPublisher, settings: Settings, version: int, keep: int = 1) -> None:
    with publisher.hold():
        _shadow(settings, version)
        publisher.publish(["marts__shadow"], keep)


def _schemas(settings: Settings) -> list[str]:
    rows = _execute(settings, "select nspname from pg_namespace where nspname like 'marts%'")
    return sorted(str(row[0]) for row in rows)


def _usage(settings: Settings, schema: str) -> bool:
    rows = _execute(settings, f"select has_schema_privilege('{BI_ROLE}', '{schema}', 'usage')")
    return bool(rows[0][0])


def test_swap_keeps_grants_comments_and_indexes(database: Settings) -> None:
    publisher = PostgresPublisher(database)
    _build(publisher, database, 1)
    _build(publisher, database, 2)
    assert _schemas(database) == ["marts", "marts__previous_1"]
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(2,)]
    assert _execute(database, "select obj_description('marts.t'::regclass)") == [("version 2",)]
    assert _execute(database, "select indexname from pg_indexes where schemaname = 'marts'") == [
        ("t_v",)
    ]
    assert _usage(database, "marts")
    assert not _usage(database, "marts__previous_1"), "BI must not see old generations"
    assert _execute(database, "select v from marts__previous_1.t") == [(1,)]
    names = [generation.name for generation in publisher.generations()]
    assert names == ["published", "previous-1"]


def test_prepare_schemas_empties_the_shadow_and_copies_tables_with_their_keys(
    database: Settings,
) -> None:
    """Before dbt starts (no hook any more): a shadow left by a failed build is emptied, and
    a published table is copied with its rows, not-null and check constraints, column comments,
    index and primary and unique keys (as constraints), with autovacuum off until the publish
    (test_shadow_autovacuum.py); a table not published yet is not copied; a schema that is not
    a shadow of the prefix is refused, before anything is dropped."""
    _execute(
        database,
        "create schema marts; create schema marts__shadow; create schema ml__shadow; "
        "create table marts__shadow.left_over (x int); "
        "create table marts.facts (id int primary key, code text not null unique, "
        "amount numeric(18, 2) check (amount >= 0)); "
        "create index facts_amount on marts.facts (amount); "
        "comment on column marts.facts.code is 'the fact code'; "
        "insert into marts.facts values (1, 'a', 2.50), (2, 'b', 0)",
    )
    publisher = PostgresPublisher(database)
    with publisher.hold():
        copied = publisher.prepare_schemas(
            ["marts__shadow", "ml__shadow"],
            [("marts__shadow", "facts"), ("ml__shadow", "not_published_yet")],
        )
    assert copied == ["marts.facts"]
    tables = "select table_schema, table_name from information_schema.tables"
    assert sorted(_execute(database, f"{tables} where table_schema like '%shadow'")) == [
        ("marts__shadow", "facts")
    ]
    assert _execute(database, "select * from marts__shadow.facts order by id") == [
        (1, "a", Decimal("2.50")),
        (2, "b", Decimal("0.00")),
    ]
    constraints = (
        "select contype, pg_get_constraintdef(oid) from pg_constraint "
        "where conrelid = 'marts__shadow.facts'::regclass and contype in ('c', 'p', 'u') "
        "order by contype, conname"
    )
    assert _execute(database, constraints) == [
        ("c", "CHECK ((amount >= (0)::numeric))"),
        ("p", "PRIMARY KEY (id)"),
        ("u", "UNIQUE (code)"),
    ]
    assert _execute(
        database,
        "select attname from pg_attribute where attrelid = 'marts__shadow.facts'::regclass "
        "and attnum > 0 and attnotnull order by attnum",
    ) == [("id",), ("code",)]
    assert _execute(
        database, "select indexdef from pg_indexes where indexname = 'facts_amount'"
    ) == [
        ("CREATE INDEX facts_amount ON marts.facts USING btree (amount)",),
        ("CREATE INDEX facts_amount ON marts__shadow.facts USING btree (amount)",),
    ]
    assert _execute(database, "select col_description('marts__shadow.facts'::regclass, 2)") == [
        ("the fact code",)
    ]
    assert _execute(
        database, "select reloptions from pg_class where oid = 'marts__shadow.facts'::regclass"
    ) == [(["autovacuum_enabled=false"],)]
    with publisher.hold(), pytest.raises(RetailWarehouseError, match="not a shadow schema"):
        publisher.prepare_schemas(["marts"], [])
    assert _execute(database, "select count(*) from marts.facts") == [(2,)]


def test_publish_lets_autovacuum_back_on_the_copies(database: Settings) -> None:
    """``prepare_schemas`` copies the published incremental tables with autovacuum off
    (test_shadow_autovacuum.py); the publish turns it back on, in the swap's transaction, and
    leaves a table's other storage parameters as they were."""
    publisher = PostgresPublisher(database)
    with publisher.hold():
        _shadow(database, 1)
        _execute(
            database,
            "create table marts__shadow.copied (v int) "
            "with (autovacuum_enabled = false, fillfactor = 90)",
        )
        publisher.publish(["marts__shadow"], 1)
    options = "select relname, reloptions from pg_class where relnamespace = 'marts'::regnamespace"
    assert sorted(_execute(database, f"{options} and relkind = 'r'")) == [
        ("copied", ["fillfactor=90"]),
        ("t", None),
    ]


def test_generations_beyond_keep_are_dropped(database: Settings) -> None:
    publisher = PostgresPublisher(database)
    for version in (1, 2, 3, 4):
        _build(publisher, database, version, keep=2)
    assert _schemas(database) == ["marts", "marts__previous_1", "marts__previous_2"]
    assert _execute(database, "select v from marts__previous_2.t") == [(2,)]
    _build(publisher, database, 5, keep=0)
    assert _schemas(database) == ["marts"]


def test_rollback_restores_the_previous_generation(database: Settings) -> None:
    publisher = PostgresPublisher(database)
    for version in (1, 2, 3):
        _build(publisher, database, version, keep=2)
    outcome = publisher.rollback()
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(2,)]
    assert _schemas(database) == ["marts", "marts__previous_1", "marts__rolled_back"]
    assert _execute(database, "select v from marts__previous_1.t") == [(1,)]
    assert not _usage(database, "marts__rolled_back")
    assert outcome.published.location == "schemas marts"
    publisher.rollback()
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(1,)]
    assert _execute(database, "select v from marts__rolled_back.t") == [(2,)]
    with pytest.raises(RetailWarehouseError, match="no previous generation"):
        publisher.rollback()


def test_running_queries_finish_on_the_old_tables(database: Settings) -> None:
    publisher = PostgresPublisher(database)
    _build(publisher, database, 1)
    seen: dict[str, Any] = {}

    def long_query() -> None:
        seen["rows"] = _execute(database, "select v, pg_sleep(3) from marts.t", user=BI_ROLE)
        seen["done"] = time.monotonic()

    reader = threading.Thread(target=long_query)
    reader.start()
    time.sleep(1)  # the query is running and holds marts.t
    with publisher.hold():
        _shadow(database, 2)
        publisher.publish(["marts__shadow"], 1)
        published = time.monotonic()
    reader.join(timeout=30)
    assert seen["rows"] == [(1, "")], "the running query saw the new table"
    assert published >= seen["done"], "the swap did not wait for the running query"
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(2,)]


def test_a_failed_shadow_is_hidden_from_bi(database: Settings) -> None:
    publisher = PostgresPublisher(database)
    _shadow(database, 1)
    assert _usage(database, "marts__shadow")
    publisher.discard_shadow_access(["marts__shadow"])
    assert not _usage(database, "marts__shadow")
    assert _execute(database, "select v from marts__shadow.t") == [(1,)], "the owner still can"


KEYS = [
    Key("marts__shadow", "t", PRIMARY_KEY, ("v",)),
    Key("marts__shadow", "u", PRIMARY_KEY, ("id",)),
    Key("marts__shadow", "u", FOREIGN_KEY, ("v",), ("marts__shadow", "t"), ("v",)),
    Key("marts__shadow", "absent", PRIMARY_KEY, ("v",)),  # a view or disabled model
    Key("raw", "t", PRIMARY_KEY, ("v",)),  # not in a shadow schema: left alone
]


def _constraints(settings: Settings, schema: str) -> list[tuple[Any, ...]]:
    return _execute(
        settings,
        "select conrelid::regclass::text, contype, condeferrable, condeferred, convalidated"
        f" from pg_constraint where connamespace = '{schema}'::regnamespace order by 1, 2",
    )


def test_publish_declares_the_keys_the_shadow_lacks(database: Settings) -> None:
    """Primary and foreign keys by alter table (no copy), before the swap; a key dbt's contract
    made already is left as it is, and a second publish adds nothing."""
    publisher = PostgresPublisher(database)
    _execute(database, "create schema raw; create table raw.t as select 1 as v")
    for version in (1, 2):
        with publisher.hold():
            _shadow(database, version)
            _execute(
                database,
                "create table marts__shadow.u (id integer primary key, v integer); "
                f"insert into marts__shadow.u values (1, {version})",
            )
            publisher.publish(["marts__shadow"], 1, KEYS)
        assert _constraints(database, "marts") == [
            ("marts.t", "p", False, False, True),
            ("marts.u", "f", True, True, True),
            ("marts.u", "p", False, False, True),
        ]
    assert _constraints(database, "raw") == []
    # deferred: a referenced row deleted and inserted again in one transaction (dbt's
    # delete+insert) is fine
    _execute(database, "delete from marts.t; insert into marts.t values (2)")


def test_a_key_the_rows_break_stops_the_publish(database: Settings) -> None:
    publisher = PostgresPublisher(database)
    _build(publisher, database, 1)
    with publisher.hold():
        _shadow(database, 2)
        _execute(database, "create table marts__shadow.u as select 1 as id, 3 as v")
        with pytest.raises(RetailWarehouseError) as raised:
            publisher.publish(["marts__shadow"], 1, KEYS)
    message = str(raised.value)
    assert message.startswith(
        "cannot declare the foreign key marts__shadow.u (v) -> marts__shadow.t (v) in "
        "PostgreSQL schema marts__shadow: "
    )
    assert message.endswith("; nothing was published")
    assert _execute(database, "select v from marts.t") == [(1,)]
    assert _constraints(database, "marts__shadow") == [], "declared all or nothing"
    assert not _usage(database, "marts__shadow"), "BI must not see a shadow left unpublished"


def test_one_build_per_prefix_at_a_time(database: Settings) -> None:
    first = PostgresPublisher(database)
    second = PostgresPublisher(database)
    other_prefix = PostgresPublisher(dataclasses.replace(database, schema_prefix="dev_"))
    with first.hold():
        with (
            pytest.raises(WarehouseBusyError, match="a build or rollback of"),
            second.hold(),
        ):
            pass
        with other_prefix.hold():
            pass
    with second.hold():
        pass


def test_rollbacks_after_a_killed_build(database: Settings) -> None:
    """A build killed after dbt ended (its on-run-end hook let BI into the shadow) and before
    the publish: two rollbacks restore 2, then 1, a third refuses, and none lets BI read the
    killed build's shadow, which no one published."""
    publisher = PostgresPublisher(database)
    for version in (1, 2, 3):
        _build(publisher, database, version, keep=2)
    _shadow(database, 4)  # the build was killed here, before discard_shadow_access or publish
    publisher.rollback()
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(2,)]
    assert _schemas(database) == [
        "marts",
        "marts__previous_1",
        "marts__rolled_back",
        "marts__shadow",
    ]
    assert not _usage(database, "marts__shadow"), "BI reads a shadow no one published"
    publisher.rollback()
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(1,)]
    assert _execute(database, "select v from marts__rolled_back.t") == [(2,)]
    assert _execute(database, "select v from marts__shadow.t") == [(4,)], "kept for its owner"
    with pytest.raises(RetailWarehouseError, match="no previous generation"):
        publisher.rollback()
    names = [generation.name for generation in publisher.generations()]
    assert names == ["published", "rolled-back", "shadow"]
    with publisher.hold():
        _execute(database, "drop schema marts__shadow cascade")  # what the next build's hook does
        _shadow(database, 5)
        publisher.publish(["marts__shadow"], 2)
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(5,)]
    assert _execute(database, "select v from marts__previous_1.t") == [(1,)]


def test_the_run_history_stays_published_through_publish_and_rollback(database: Settings) -> None:
    """monitoring.dbt_run_results is written by the build, not by dbt, and belongs to no
    generation: publishing or rolling back the monitoring layer (its marts) keeps it in the
    published schema with every row; a copy an older publish moved to a previous generation
    is merged back by the rollback."""
    publisher = PostgresPublisher(database)

    def build(version: int) -> None:
        with publisher.hold():
            _execute(
                database,
                "create schema if not exists monitoring; "
                f"{RUN_RESULTS_DDL.format(schema='monitoring')}; "
                f"insert into monitoring.dbt_run_results (run_id) values ('run {version}'); "
                "create schema monitoring__shadow; "
                f"create table monitoring__shadow.mart_data_quality_daily as select {version} as v",
            )
            publisher.publish(["monitoring__shadow"], 2)

    for version in (1, 2, 3):
        build(version)
    history = "select run_id from monitoring.dbt_run_results order by run_id"
    assert _execute(database, history) == [("run 1",), ("run 2",), ("run 3",)]
    assert _execute(database, "select v from monitoring.mart_data_quality_daily") == [(3,)]

    _execute(
        database,
        f"{RUN_RESULTS_DDL.format(schema='monitoring__previous_1')}; "
        "insert into monitoring__previous_1.dbt_run_results (run_id) values ('run 0'), ('run 2')",
    )
    publisher.rollback()
    assert _execute(database, "select v from monitoring.mart_data_quality_daily") == [(2,)]
    assert _execute(database, history) == [("run 0",), ("run 1",), ("run 2",), ("run 3",)]
    tables = (
        "select table_schema from information_schema.tables where table_name = 'dbt_run_results'"
    )
    assert _execute(database, tables) == [("monitoring",)]


def test_a_build_tests_the_loads_after_the_published_ones(database: Settings) -> None:
    """The environment variable a published build gives dbt: the newest load of the published
    fct_invoice_lines, not of a shadow left by an earlier build; '' before the first
    publish."""
    publisher = PostgresPublisher(database)
    echoed: list[str] = []
    with publisher.hold():
        first = new_loads_test_env(["-x"], publisher, database, {}, echoed.append)
    assert first == {TESTED_THROUGH_ENV: ""}
    _execute(
        database,
        "create schema marts; create schema marts__shadow; "
        "create table marts.fct_invoice_lines as select 4 as load_id union all select 7; "
        "create table marts__shadow.fct_invoice_lines as select 9 as load_id",
    )
    with publisher.hold():
        publisher.prepare_shadow()
        env = new_loads_test_env(["-x"], publisher, database, {}, echoed.append)
    assert env == {TESTED_THROUGH_ENV: "7"}
    assert echoed == ["row tests of the line-level relations read the loads after 7"]
    other = dataclasses.replace(database, schema_prefix="dev_")  # another prefix: none
    with PostgresPublisher(other).hold():
        env = new_loads_test_env([], PostgresPublisher(other), other, {}, print)
    assert env == {TESTED_THROUGH_ENV: ""}


def test_a_rollback_after_the_first_build_refuses(database: Settings) -> None:
    """Issue 27: right after the first published build there is no earlier generation, but
    the schemas that were there before it (``monitoring``, which the build itself creates
    for its run history before dbt starts; a ``dbt build`` made in place) became
    ``<layer>__previous_1``, and ``retail-warehouse rollback`` "rolled back" to them: exit 0,
    the monitoring layer swapped for the empty one, the rest left published. Only what a
    build published is a generation: the rollback refuses, exit 2 and one line, as on DuckDB
    (test_publish_duckdb.py), and changes nothing."""
    publisher = PostgresPublisher(database)
    _execute(database, "create schema monitoring")  # prepare_monitoring, before dbt
    with publisher.hold():
        _shadow(database, 1)
        _execute(
            database, "create schema monitoring__shadow; create table monitoring__shadow.m (x int)"
        )
        publisher.publish(["marts__shadow", "monitoring__shadow"], 1)
    before = _execute(
        database,
        "select nspname, obj_description(oid, 'pg_namespace') from pg_namespace "
        "where nspname like 'm%' order by 1",
    )
    line = refused_rollback("postgres", {**os.environ, "PGDATABASE": database.postgres.dbname})
    assert line.startswith("error: no previous generation of the schemas with prefix ''"), line
    assert before == _execute(
        database,
        "select nspname, obj_description(oid, 'pg_namespace') from pg_namespace "
        "where nspname like 'm%' order by 1",
    )
    assert _execute(database, "select v from marts.t", user=BI_ROLE) == [(1,)]
    assert [generation.name for generation in publisher.generations()] == ["published"]
