"""Autovacuum against dbt on the copies a published PostgreSQL build makes (docs/decisions.md,
"The shadow copies are not autovacuumed during a build").

The deadlock, as a published build met it on ``fct_invoice_lines``: dbt's incremental model runs
in one transaction a delete and an insert, then its grants (``grant select``: an update of the
table's ``pg_class`` row, whose new version belongs to the open transaction; GRANT takes no
lock on the table) and its comments (``comment on table`` / ``column``:
ShareUpdateExclusiveLock on the table). Autovacuum's VACUUM or ANALYZE of the freshly copied
table holds ShareUpdateExclusiveLock and ends with an in-place update of that ``pg_class`` row
(relpages, reltuples), which in current minor releases (15.18 here) waits for the transaction
that updated the row. dbt waits for autovacuum's lock, autovacuum for dbt's transaction: a
cycle, so the deadlock checker fails one of them. Autovacuum's usual giving way (a backend
that waits behind autovacuum cancels it) applies only when autovacuum is merely in the way,
not in a cycle.

Autovacuum cannot be timed, so a stand-in plays it: a session that does to the table what
autovacuum does (ANALYZE: the same lock and the same in-place update), only to a table
autovacuum would process (``autovacuum_enabled`` not false), and at the moment that closes
the cycle. Needs PostgreSQL (PG*).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql
from psycopg2.extensions import connection as Connection
from raw_files import write_csv
from warehouse_helpers import BIN, REPO, pg_params, run_command, throwaway_pg_database

from retail_warehouse.build import carried_over, model_nodes, schemas_of, shadow_schemas
from retail_warehouse.publish.postgres import PostgresPublisher
from retail_warehouse.settings import from_env

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

BI_ROLE = "bi_reader"
COPIED = "marts__shadow.fct_invoice_lines"
SELECTION = ("build", "--select", "+fct_invoice_lines", "--resource-type", "model",
             "--resource-type", "seed")  # fmt: skip
"""The incremental fact and what it is built from; no tests (not what this module checks)."""
WAIT_SECONDS = 300.0


def _connect(database: str) -> Connection:
    connection = psycopg2.connect(**pg_params(database))
    connection.autocommit = True
    return connection


def _waiting_for(connection: Connection, relation: str) -> bool:
    """Whether another session waits for a lock on ``relation``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select 1 from pg_catalog.pg_locks where relation = to_regclass(%s) "
            "and not granted and pid <> pg_backend_pid()",
            (relation,),
        )
        return cursor.fetchone() is not None


class StandInAutovacuum(threading.Thread):
    """Waits for ``relation`` to exist; if autovacuum would process it, holds ANALYZE's lock on
    it until another session waits for that lock, then ANALYZEs it again (the in-place update
    that waits for the session's transaction when that transaction updated the table's
    ``pg_class`` row). ``outcome``: "skipped" (autovacuum is off on the table), "analyzed" or
    "timed out"."""

    def __init__(self, database: str, relation: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.relation = relation
        self.outcome = ""
        self.stop = threading.Event()

    def run(self) -> None:
        connection = _connect(self.database)
        try:
            self.outcome = self._play(connection)
        finally:
            connection.close()

    def _play(self, connection: Connection) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        with connection.cursor() as cursor:
            # the other session's check finds the cycle first, as dbt's did in the build
            cursor.execute("set deadlock_timeout = '1min'")
            while not self.stop.is_set():
                cursor.execute(
                    "select coalesce(c.reloptions, '{}') from pg_catalog.pg_class as c "
                    "where c.oid = to_regclass(%s)",
                    (self.relation,),
                )
                found = cursor.fetchone()
                if found is not None:
                    break
                if time.monotonic() > deadline:
                    return "timed out"
                time.sleep(0.02)
            else:
                return "timed out"
            # relation_needs_vacanalyze(): a table with autovacuum_enabled = false is left
            # alone (but for wraparound, which a new table is far from)
            if "autovacuum_enabled=false" in found[0]:
                return "skipped"
            table = sql.SQL(self.relation)
            cursor.execute("begin")
            cursor.execute(sql.SQL("analyze {}").format(table))
            while not _waiting_for(connection, self.relation):
                if self.stop.is_set() or time.monotonic() > deadline:
                    cursor.execute("rollback")
                    return "timed out"
                time.sleep(0.02)
            cursor.execute(sql.SQL("analyze {}").format(table))
            cursor.execute("commit")
        return "analyzed"


@pytest.fixture()
def database() -> Iterator[str]:
    with throwaway_pg_database("rw_av") as name:
        admin = _connect("postgres")
        try:
            with admin.cursor() as cursor:
                cursor.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,))
                if cursor.fetchone() is None:
                    cursor.execute(f"create role {BI_ROLE} login")
        finally:
            admin.close()
        yield name


def test_grant_then_comment_deadlocks_with_a_vacuum_of_the_table(database: str) -> None:
    """The cycle on its own (what dbt's incremental transaction and autovacuum do, by hand)."""
    setup = _connect(database)
    builder = psycopg2.connect(**pg_params(database))
    stand_in = _connect(database)
    try:
        with setup.cursor() as cursor:
            cursor.execute("create table t as select g as id from generate_series(1, 1000) as g")
        with stand_in.cursor() as vacuum, builder.cursor() as build:
            vacuum.execute("set deadlock_timeout = '1min'")
            vacuum.execute("begin")
            vacuum.execute("analyze t")  # autovacuum: ShareUpdateExclusiveLock on t
            build.execute("delete from t where id = 1")
            build.execute(f"grant select on t to {BI_ROLE}")  # updates t's pg_class row
            errors: list[Exception] = []

            def comment() -> None:
                try:
                    build.execute("comment on table t is 'one row per id'")
                except psycopg2.Error as error:
                    errors.append(error)

            commenting = threading.Thread(target=comment)
            commenting.start()
            while not _waiting_for(setup, "t"):
                time.sleep(0.02)
            vacuum.execute("analyze t")  # the in-place update of t's row waits for build
            commenting.join(timeout=60)
            vacuum.execute("commit")
        assert len(errors) == 1 and isinstance(errors[0], psycopg2.errors.DeadlockDetected)
        assert "ShareUpdateExclusiveLock" in str(errors[0])
    finally:
        builder.close()
        stand_in.close()
        setup.close()


def _prepare_shadow(database: str, env: dict[str, str], target: Path) -> None:
    """What ``retail-warehouse build`` does before dbt (build.prepare_shadow_schemas): parse,
    then empty the shadow schemas and copy the published incremental tables in."""
    run_command([str(BIN / "dbt"), "parse", "--quiet", "--target", "postgres",
                 "--target-path", str(target)], env)  # fmt: skip
    nodes = model_nodes(target / "manifest.json")
    settings = from_env()
    settings = dataclasses.replace(
        settings, schema_prefix="", postgres=dataclasses.replace(settings.postgres, dbname=database)
    )
    PostgresPublisher(settings).prepare_schemas(
        shadow_schemas(schemas_of(nodes), env), carried_over(nodes, set(nodes), False, "__shadow")
    )


def test_a_published_build_copies_tables_autovacuum_leaves_alone(
    database: str, tmp_path: Path
) -> None:
    """A build into the shadow schemas after a build in place: the copy of the published
    ``fct_invoice_lines`` is not vacuumed while dbt writes it (before: the build failed with
    ``deadlock detected``). That a publish lets autovacuum back on: test_publish_postgres.py."""
    env = dict(os.environ)
    env.update(PGDATABASE=database, DBT_PROFILES_DIR=str(REPO / "profiles"), RW_SCHEMA_PREFIX="")
    env.pop("RW_BUILD_SCHEMA_SUFFIX", None)
    load = [str(BIN / "retail-warehouse"), "load", "--target", "postgres", "--source"]
    run_command([*load, str(write_csv(tmp_path / "lines.csv"))], env)
    dbt = [str(BIN / "dbt"), *SELECTION, "--target", "postgres", "--target-path",
           str(tmp_path / "target")]  # fmt: skip
    run_command(dbt, env)  # in place: marts.fct_invoice_lines is what the next build copies

    shadow_env = {**env, "RW_BUILD_SCHEMA_SUFFIX": "__shadow"}
    stand_in = StandInAutovacuum(database, COPIED)
    stand_in.start()
    try:
        _prepare_shadow(database, shadow_env, tmp_path / "target")
        result = run_command(dbt, shadow_env, ok=(0, 1, 2))
    finally:
        stand_in.stop.set()
        stand_in.join(timeout=60)
    assert "deadlock detected" not in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]
    assert stand_in.outcome == "skipped"
