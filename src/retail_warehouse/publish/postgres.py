"""PostgreSQL: build shadow schemas, then swap them in by renames in one transaction.

``retail-warehouse build`` runs dbt with the schema suffix ``__shadow``
(``RW_BUILD_SCHEMA_SUFFIX``, read by ``macros/schema/layer_schema_name.sql``), so every model
is written to ``<prefix><layer>__shadow`` (staging, intermediate, marts, ml); ``raw`` (loaded
data and seeds) is the input and stays where it is. Before dbt starts, ``prepare_schemas``
empties the shadow schemas and copies the published incremental tables into them (and the
tables of models the run leaves out), so the incremental models continue from the published
state; dbt's hooks only grant. After every test passed, one transaction:

1. locks every relation of the published schemas (ACCESS EXCLUSIVE: it waits for the queries
   running on them, which finish on the old tables, and a query that starts meanwhile waits
   and then resolves its names to the new tables, so no query mixes two generations);
2. renames ``<layer>__previous_<n>`` to ``__previous_<n+1>``, ``<layer>`` to
   ``<layer>__previous_1`` and ``<layer>__shadow`` to ``<layer>``, moving the schema grants
   (USAGE for the BI role) from the old schema to the new one;
3. commits. Tables keep their grants, comments, indexes and statistics through a schema
   rename (they belong to the table, not to the schema's name).

Generations beyond the number to keep are dropped afterwards, each in its own transaction.
Each published schema carries a comment (JSON) naming its prefix, layer and publication time,
which is how ``rollback`` finds the generation's schemas.

Longer than 400 lines on purpose: publish, rollback and the list of generations rename the
same schemas with the same grants and comments; one file keeps those renames consistent.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.monitoring import RUN_RESULTS_TABLE
from retail_warehouse.publish import (
    BUSY_HINT,
    Generation,
    PublishOutcome,
    QueryFunction,
    WarehouseBusyError,
)
from retail_warehouse.publish.keys import (
    POSTGRES_KEYS,
    POSTGRES_TABLES,
    Key,
    add_key_statement,
    declare,
    missing_keys,
)
from retail_warehouse.settings import Settings

SHADOW_SUFFIX = "__shadow"
PREVIOUS_SUFFIX = "__previous_"
ROLLED_BACK_SUFFIX = "__rolled_back"
COMMENT_KEY = "retail_warehouse_generation"

LOCK_TIMEOUT = "5s"
"""How long the swap waits for running queries before it tries again (dashboards that start
a query meanwhile wait at most this long)."""

HISTORY_TABLES = (RUN_RESULTS_TABLE,)
"""Tables the package writes into a layer's schema itself (``monitoring.dbt_run_results``:
run history, not built by dbt). They belong to no generation: each publish and rollback
moves them into the schema it makes the published one."""

SWAP_ATTEMPTS = 6
"""Tries of the swap transaction (lock timeouts, deadlocks), 1, 2, 4, ... seconds apart."""


def _connect(settings: Settings) -> Connection:
    try:
        return psycopg2.connect(**settings.postgres.connect_kwargs())
    except psycopg2.Error as error:
        raise RetailWarehouseError(
            f"cannot connect to PostgreSQL at {settings.postgres.describe()}: "
            f"{str(error).strip().splitlines()[0]}"
        ) from error


def _schema_names(cursor: Cursor) -> dict[str, str | None]:
    """Every schema of the database with its comment."""
    cursor.execute(
        "select nspname, obj_description(oid, 'pg_namespace') from pg_catalog.pg_namespace"
    )
    return {str(name): comment for name, comment in cursor.fetchall()}


def _previous_numbers(schemas: dict[str, str | None], published: str) -> list[int]:
    """The numbers n of ``<published>__previous_<n>`` that exist, ascending."""
    pattern = re.compile(re.escape(published + PREVIOUS_SUFFIX) + r"([0-9]+)$")
    return sorted(int(found.group(1)) for name in schemas if (found := pattern.match(name)))


def _rename(cursor: Cursor, old: str, new: str) -> None:
    cursor.execute(
        sql.SQL("alter schema {} rename to {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _lock_relations(cursor: Cursor, schemas: Sequence[str]) -> None:
    """ACCESS EXCLUSIVE locks on every table, view and materialized view of ``schemas``."""
    cursor.execute(
        "select n.nspname, c.relname from pg_catalog.pg_class as c "
        "inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid "
        "where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f') "
        "order by n.nspname, c.relname",
        (list(schemas),),
    )
    relations = [sql.Identifier(schema, name) for schema, name in cursor.fetchall()]
    if relations:
        cursor.execute(
            sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(", ").join(relations))
        )


def _enable_autovacuum(cursor: Cursor, schema: str) -> None:
    """Let autovacuum back on the tables of ``schema`` that ``copy_published_table`` copied
    with it turned off: during the build its VACUUM of a copy deadlocked with the model's
    grant and comments (docs/decisions.md)."""
    cursor.execute(
        "select c.relname from pg_catalog.pg_class as c "
        "inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid "
        "where n.nspname = %s and c.relkind = 'r' "
        "and 'autovacuum_enabled=false' = any(c.reloptions) order by c.relname",
        (schema,),
    )
    for (name,) in cursor.fetchall():
        cursor.execute(
            sql.SQL("alter table {} reset (autovacuum_enabled)").format(
                sql.Identifier(schema, name)
            )
        )


def copy_published_table(cursor: Cursor, published: str, shadow: str, name: str) -> bool:
    """Copy the table ``published.name`` to ``shadow.name`` with its columns, not-null and
    check constraints, defaults and column comments (``like ... including all``; the table's
    own comment is dbt's, ``persist_docs``), its rows, then its
    indexes and its primary and unique keys as constraints (not as bare unique indexes), so
    the copy keeps the keys the published table had; foreign keys are declared at publish
    (``publish.keys``). Autovacuum stays off on the copy until the publish turns it back on
    (``_enable_autovacuum``): its VACUUM of a fresh copy deadlocked with the model's grant and
    comment (docs/decisions.md). False, and nothing done, when there is no such table."""
    cursor.execute(
        "select 1 from pg_catalog.pg_tables where schemaname = %s and tablename = %s",
        (published, name),
    )
    if cursor.fetchone() is None:
        return False
    source, copy = sql.Identifier(published, name), sql.Identifier(shadow, name)
    cursor.execute(
        "select i.indexdef, quote_ident(i.schemaname) from pg_catalog.pg_indexes as i "
        "where i.schemaname = %s and i.tablename = %s and not exists ("
        "select 1 from pg_catalog.pg_constraint as c where c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
        "order by i.indexname",
        (published, name),
    )
    indexes = [
        definition.replace(f" ON {quoted}.", f" ON {sql.Identifier(shadow).as_string(cursor)}.", 1)
        for definition, quoted in cursor.fetchall()
    ]
    cursor.execute(
        "select quote_ident(c.conname), pg_get_constraintdef(c.oid) "
        "from pg_catalog.pg_constraint as c where c.conrelid = %s::regclass "
        "and c.contype in ('p', 'u') order by c.conname",
        (source.as_string(cursor),),
    )
    keys = cursor.fetchall()
    cursor.execute(
        sql.SQL(
            "create table {} (like {} including all excluding indexes) "
            "with (autovacuum_enabled = false)"
        ).format(copy, source)
    )
    cursor.execute(sql.SQL("insert into {} select * from {}").format(copy, source))
    for definition in indexes:
        cursor.execute(definition)
    for constraint, definition in keys:
        cursor.execute(
            sql.SQL("alter table {} add constraint {} {}").format(
                copy, sql.SQL(constraint), sql.SQL(definition)
            )
        )
    return True


def _keep_history(cursor: Cursor, published: str, incoming: str) -> None:
    """Move the ``HISTORY_TABLES`` of ``published`` to ``incoming``, the schema about to be
    published in its place. A copy already in ``incoming`` (one a publish before this rule
    took along with its generation) gives the runs the published table lacks, then goes."""
    for table in HISTORY_TABLES:
        cursor.execute(
            "select to_regclass(%s), to_regclass(%s)",
            (f'"{published}"."{table}"', f'"{incoming}"."{table}"'),
        )
        current, copy = cursor.fetchone() or (None, None)
        if current is None:
            continue
        kept, moved = sql.Identifier(published, table), sql.Identifier(incoming, table)
        if copy is not None:
            cursor.execute(
                sql.SQL(
                    "insert into {} select * from {} as copy where not exists "
                    "(select 1 from {} as kept where kept.run_id = copy.run_id)"
                ).format(kept, moved, kept)
            )
            cursor.execute(sql.SQL("drop table {}").format(moved))
        cursor.execute(
            sql.SQL("alter table {} set schema {}").format(kept, sql.Identifier(incoming))
        )


def _grants(cursor: Cursor, schema: str) -> list[tuple[str | None, str]]:
    """(grantee, privilege) of a schema's ACL, the owner left out; grantee None is PUBLIC."""
    cursor.execute(
        "select case when acl.grantee = 0 then null else pg_get_userbyid(acl.grantee) end, "
        "acl.privilege_type "
        "from pg_catalog.pg_namespace as n, aclexplode(n.nspacl) as acl "
        "where n.nspname = %s and acl.grantee <> n.nspowner",
        (schema,),
    )
    return [(grantee, str(privilege)) for grantee, privilege in cursor.fetchall()]


def _grantee(grantee: str | None) -> sql.Composable:
    return sql.SQL("public") if grantee is None else sql.Identifier(grantee)


def revoke_schema_grants(cursor: Cursor, schema: str) -> None:
    """Take every privilege on ``schema`` from everyone but its owner: a retired or failed
    generation stays for its owner to inspect, out of sight of BI tools."""
    for grantee, privilege in _grants(cursor, schema):
        cursor.execute(
            sql.SQL("revoke {} on schema {} from {}").format(
                sql.SQL(privilege), sql.Identifier(schema), _grantee(grantee)
            )
        )


def move_schema_grants(cursor: Cursor, old: str, new: str) -> None:
    """Give ``new`` the schema privileges ``old`` grants (USAGE for the BI role, and any a
    DBA added), then take them from ``old``."""
    for grantee, privilege in _grants(cursor, old):
        cursor.execute(
            sql.SQL("grant {} on schema {} to {}").format(
                sql.SQL(privilege), sql.Identifier(new), _grantee(grantee)
            )
        )
    revoke_schema_grants(cursor, old)


def generation_comment(prefix: str, layer: str, published_at: str) -> str:
    """The schema comment that marks a published generation."""
    return json.dumps(
        {COMMENT_KEY: {"prefix": prefix, "layer": layer, "published_at": published_at}},
        sort_keys=True,
    )


def read_generation_comment(comment: str | None) -> dict[str, str] | None:
    """The prefix, layer and publication time of a generation comment, else ``None``."""
    if not comment:
        return None
    try:
        parsed = json.loads(comment)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get(COMMENT_KEY), dict):
        return None
    found: dict[str, str] = parsed[COMMENT_KEY]
    return found


def is_generation(schemas: dict[str, str | None], name: str, prefix: str, layer: str) -> bool:
    """Whether the schema ``name`` is a generation of ``prefix`` + ``layer`` that a build
    published (its comment says so). The first publish keeps what was there before it as
    ``<layer>__previous_1`` too (the ``monitoring`` schema the build creates before dbt, a
    ``dbt build`` made in place): no build published those, so no rollback restores them."""
    if name not in schemas:
        return False
    marker = read_generation_comment(schemas[name])
    return marker is not None and marker.get("prefix") == prefix and marker.get("layer") == layer


def layers_of(shadow_schemas: Sequence[str], prefix: str) -> list[str]:
    """The layers of the shadow schemas dbt built (``<prefix><layer>__shadow``)."""
    layers = []
    for schema in shadow_schemas:
        if not (schema.startswith(prefix) and schema.endswith(SHADOW_SUFFIX)):
            raise RetailWarehouseError(
                f"schema {schema} is not a shadow schema of prefix {prefix!r}: "
                "was the build run with another schema prefix?"
            )
        layers.append(schema[len(prefix) : -len(SHADOW_SUFFIX)])
    return sorted(set(layers))


def _with_retries(connection: Connection, step: Any) -> Any:
    """Run ``step(cursor)`` in one transaction, again after a lock timeout or a deadlock."""
    for attempt in range(SWAP_ATTEMPTS):
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
                return step(cursor)
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected) as error:
            if attempt == SWAP_ATTEMPTS - 1:
                raise RetailWarehouseError(
                    f"could not lock the published tables after {SWAP_ATTEMPTS} tries "
                    f"(long-running queries hold them): {str(error).strip().splitlines()[0]}; "
                    "nothing was changed, run the command again"
                ) from error
            time.sleep(2**attempt)
    raise AssertionError("unreachable")


def _drop_old_generations(
    connection: Connection, prefix: str, layers: Sequence[str], keep: int
) -> list[str]:
    """Drop ``<layer>__previous_<n>`` for n > keep; returns notes on those that could not
    be dropped now (a long query still reads them; the next publish tries again)."""
    notes = []
    with connection, connection.cursor() as cursor:
        schemas = _schema_names(cursor)
    for layer in layers:
        published = prefix + layer
        for number in _previous_numbers(schemas, published):
            if number <= keep:
                continue
            name = f"{published}{PREVIOUS_SUFFIX}{number}"
            try:
                with connection, connection.cursor() as cursor:
                    cursor.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
                    cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
            except psycopg2.errors.LockNotAvailable:
                notes.append(f"{name} is still being read; the next publish drops it")
    return notes


def declare_keys(connection: Connection, keys: Sequence[Key], schemas: Sequence[str]) -> list[Key]:
    """Add the ``keys`` of tables in ``schemas`` the catalogue lacks, in one transaction
    (``alter table ... add primary key / foreign key``: nothing is copied; each foreign key is
    checked with one join); return them. Foreign keys are ``deferrable initially deferred``, so
    a plain ``dbt build`` on the published schemas can still delete and insert a referenced
    table's changed rows in one transaction (docs/bi.md)."""
    keys = [key for key in keys if key.schema in schemas]
    if not keys:
        return []
    with connection, connection.cursor() as cursor:

        def execute(statement: str) -> list[tuple[Any, ...]]:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []

        cursor.execute(POSTGRES_TABLES, (list(schemas),))
        tables = cursor.fetchall()
        cursor.execute(POSTGRES_KEYS, (list(schemas),))
        missing = missing_keys(keys, tables, cursor.fetchall())
        for key in missing:
            where = f"PostgreSQL schema {key.schema}"
            declare(execute, key, add_key_statement(key, deferrable=True), where)
    return missing


class PostgresPublisher:
    """``Publisher`` for the PostgreSQL warehouse (one schema prefix)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.schema_prefix

    def _lock_key(self) -> str:
        return f"retail_warehouse build {self.settings.postgres.dbname} {self.prefix}"

    @contextlib.contextmanager
    def _advisory_lock(self, shared: bool) -> Iterator[None]:
        """A session advisory lock on this prefix's key, held by one connection (released
        by the server if the process dies): exclusive for a build or rollback, shared for a
        load, so loads run together and neither kind runs beside the other."""
        connection = _connect(self.settings)
        connection.autocommit = True
        suffix = "_shared" if shared else ""
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"select pg_try_advisory_lock{suffix}(hashtext(%s))", (self._lock_key(),)
                )
                (locked,) = cursor.fetchone() or (False,)
                if not locked:
                    raise WarehouseBusyError(self._busy_message(cursor, shared))
            try:
                yield
            finally:
                # the server also lets go when the session ends, but a closed connection's
                # backend may still be exiting when the next build asks
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"select pg_advisory_unlock{suffix}(hashtext(%s))", (self._lock_key(),)
                    )
        finally:
            connection.close()

    def _busy_message(self, cursor: Cursor, shared: bool) -> str:
        """Who holds the lock: loads (a shared request succeeds where an exclusive one
        failed), else a build or rollback."""
        where = f"the schemas with prefix {self.prefix!r} on {self.settings.postgres.describe()}"
        if not shared:
            cursor.execute("select pg_try_advisory_lock_shared(hashtext(%s))", (self._lock_key(),))
            (probe,) = cursor.fetchone() or (False,)
            if probe:
                cursor.execute(
                    "select pg_advisory_unlock_shared(hashtext(%s))", (self._lock_key(),)
                )
                return f"a load into {where} is running; {BUSY_HINT}"
        return f"a build or rollback of {where} is running; {BUSY_HINT}"

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """The build lock: no other build, rollback or load runs meanwhile."""
        return self._advisory_lock(shared=False)

    def hold_for_load(self) -> contextlib.AbstractContextManager[None]:
        """The lock a load holds: shared with other loads, refused while a build or rollback
        runs (``WarehouseBusyError``): raw is the build's input, and a load the build did
        not see would be marked as processed by the tables it publishes."""
        return self._advisory_lock(shared=True)

    def prepare_shadow(self) -> dict[str, str]:
        """dbt writes the shadow schemas (``prepare_schemas`` readies them once the build
        knows the project's models)."""
        return {"RW_BUILD_SCHEMA_SUFFIX": SHADOW_SUFFIX}

    def prepare_schemas(
        self, shadow_schemas: Sequence[str], carried: Sequence[tuple[str, str]]
    ) -> list[str]:
        """Before dbt starts, in one transaction: drop and create the ``shadow_schemas``, so
        nothing of an earlier failed build can be published by mistake, then copy in the
        published tables of ``carried`` ((shadow schema, table) of the incremental models and
        of the models the run leaves out; each schema one of ``shadow_schemas``) with
        ``copy_published_table``, so the incremental models continue from what BI reads and
        the warehouse keeps the tables the run does not build. Returns the published tables
        copied (those that exist)."""
        copied = []
        connection = _connect(self.settings)
        try:
            with connection, connection.cursor() as cursor:
                for schema in shadow_schemas:
                    self._check_shadow(schema)
                    cursor.execute(
                        sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
                    )
                    cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
                for schema, name in carried:
                    self._check_shadow(schema)
                    published = schema.removesuffix(SHADOW_SUFFIX)
                    if copy_published_table(cursor, published, schema, name):
                        copied.append(f"{published}.{name}")
        finally:
            connection.close()
        return copied

    def _check_shadow(self, schema: str) -> None:
        """Refuse to empty or fill a schema that is not one of this prefix's shadows."""
        layers_of([schema], self.prefix)

    def shadow_settings(self, settings: Settings) -> Settings:
        """The same database: the shadow schemas are in it, and the monitoring schema is
        not part of a generation."""
        return settings

    def shadow_location(self, shadow_schemas: Sequence[str]) -> str:
        """The shadow schemas."""
        names = ", ".join(shadow_schemas) or f"{self.prefix}<layer>{SHADOW_SUFFIX}"
        return (
            f"PostgreSQL schemas {names} on {self.settings.postgres.describe()} "
            "(readable by their owner only; the next build replaces them)"
        )

    @contextlib.contextmanager
    def query_shadow(self) -> Iterator[QueryFunction]:
        """Read-only queries (rolled back) on the database of the shadow schemas."""
        connection = _connect(self.settings)
        connection.set_session(readonly=True)

        def query(statement: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(statement)
                    columns = [column.name for column in cursor.description or []]
                    return columns, cursor.fetchall()
            finally:
                connection.rollback()

        try:
            yield query
        finally:
            connection.close()

    def query_published(self) -> contextlib.AbstractContextManager[QueryFunction | None]:
        """Read-only queries on the database: the published schemas are in it too (a query
        names their tables; none there when nothing is published yet)."""
        return self.query_shadow()

    def discard_shadow_access(self, shadow_schemas: Sequence[str]) -> None:
        """Take the BI role's USAGE (granted by the on-run-end hook) off the shadow schemas."""
        connection = _connect(self.settings)
        try:
            with connection, connection.cursor() as cursor:
                existing = _schema_names(cursor)
                for schema in shadow_schemas:
                    if schema in existing:
                        revoke_schema_grants(cursor, schema)
        finally:
            connection.close()

    def discard_shadow(self, shadow_schemas: Sequence[str]) -> None:
        """Drop the shadow schemas (``<prefix><layer>__shadow``); one that a query still holds
        (the server may not have ended a stopped dbt's query yet) is hidden from BI instead,
        and the next build's ``prepare_schemas`` drops it."""
        for schema in shadow_schemas:
            if not (schema.startswith(self.prefix) and schema.endswith(SHADOW_SUFFIX)):
                continue
            connection = _connect(self.settings)
            try:
                with connection, connection.cursor() as cursor:
                    cursor.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
                    cursor.execute(
                        sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema))
                    )
            except psycopg2.errors.LockNotAvailable:
                self.discard_shadow_access([schema])
            finally:
                connection.close()

    def publish(
        self, shadow_schemas: Sequence[str], keep: int, keys: Sequence[Key] = ()
    ) -> PublishOutcome:
        """Declare the ``keys`` the shadow schemas lack, then swap them in, in one
        transaction; keep ``keep`` previous generations. When a key cannot be declared nothing
        is published, and the shadow is hidden from BI as after a failed build."""
        started = time.perf_counter()
        layers = layers_of(shadow_schemas, self.prefix)
        connection = _connect(self.settings)
        try:
            declare_keys(connection, keys, shadow_schemas)
        except RetailWarehouseError:
            self.discard_shadow_access(shadow_schemas)
            raise
        finally:
            connection.close()
        published_at = datetime.now(tz=UTC).isoformat(timespec="seconds")

        def swap(cursor: Cursor) -> None:
            schemas = _schema_names(cursor)
            missing = [f"{self.prefix}{layer}{SHADOW_SUFFIX}" for layer in layers]
            missing = [name for name in missing if name not in schemas]
            if missing:
                raise RetailWarehouseError(f"shadow schemas missing: {', '.join(missing)}")
            current = [self.prefix + layer for layer in layers if self.prefix + layer in schemas]
            _lock_relations(cursor, current)
            for layer in layers:
                published = self.prefix + layer
                shadow = published + SHADOW_SUFFIX
                for number in reversed(_previous_numbers(schemas, published)):
                    _rename(
                        cursor,
                        f"{published}{PREVIOUS_SUFFIX}{number}",
                        f"{published}{PREVIOUS_SUFFIX}{number + 1}",
                    )
                if published in schemas:
                    _keep_history(cursor, published, shadow)
                    move_schema_grants(cursor, published, shadow)
                    _rename(cursor, published, f"{published}{PREVIOUS_SUFFIX}1")
                _enable_autovacuum(cursor, shadow)
                cursor.execute(
                    sql.SQL("comment on schema {} is {}").format(
                        sql.Identifier(shadow),
                        sql.Literal(generation_comment(self.prefix, layer, published_at)),
                    )
                )
                _rename(cursor, shadow, published)

        connection = _connect(self.settings)
        try:
            _with_retries(connection, swap)
            notes = _drop_old_generations(connection, self.prefix, layers, keep)
        finally:
            connection.close()
        return PublishOutcome(
            seconds=time.perf_counter() - started,
            published=self._generation("published", layers, published_at),
            kept=tuple(self._previous()),
            notes=tuple(notes),
        )

    def _generation(self, name: str, layers: Sequence[str], published_at: str | None) -> Generation:
        suffix = {"published": ""}.get(name, f"__{name.replace('-', '_')}")
        schemas = ", ".join(f"{self.prefix}{layer}{suffix}" for layer in layers)
        return Generation(name, f"schemas {schemas}", published_at)

    def _published_layers(self, schemas: dict[str, str | None]) -> dict[str, str]:
        """Layer -> publication time of the published generation of this prefix."""
        layers = {}
        for name, comment in schemas.items():
            marker = read_generation_comment(comment)
            if (
                marker is not None
                and marker.get("prefix") == self.prefix
                and name == self.prefix + marker.get("layer", "")
            ):
                layers[marker["layer"]] = marker.get("published_at", "")
        return layers

    def _previous(self) -> Iterator[Generation]:
        connection = _connect(self.settings)
        try:
            with connection, connection.cursor() as cursor:
                schemas = _schema_names(cursor)
        finally:
            connection.close()
        yield from self._previous_in(schemas)

    def _previous_in(self, schemas: dict[str, str | None]) -> Iterator[Generation]:
        layers = sorted(self._published_layers(schemas))
        numbers = sorted(
            {n for layer in layers for n in _previous_numbers(schemas, self.prefix + layer)}
        )
        for number in numbers:
            present = [
                layer
                for layer in layers
                if is_generation(
                    schemas, f"{self.prefix}{layer}{PREVIOUS_SUFFIX}{number}", self.prefix, layer
                )
            ]
            if not present:
                continue
            marker = read_generation_comment(
                schemas.get(f"{self.prefix}{present[0]}{PREVIOUS_SUFFIX}{number}")
            )
            yield self._generation(
                f"previous-{number}", present, (marker or {}).get("published_at")
            )

    def rollback(self) -> PublishOutcome:
        """Publish ``<layer>__previous_1`` again in one transaction; the published schemas
        become ``<layer>__rolled_back`` (replacing older ones), older generations move up,
        and a shadow left by a killed build is made readable by its owner only."""
        started = time.perf_counter()
        restored_layers: list[str] = []

        def swap(cursor: Cursor) -> None:
            schemas = _schema_names(cursor)
            layers = sorted(self._published_layers(schemas))
            layers = [
                layer
                for layer in layers
                if is_generation(
                    schemas, f"{self.prefix}{layer}{PREVIOUS_SUFFIX}1", self.prefix, layer
                )
            ]
            if not layers:
                raise RetailWarehouseError(
                    f"no previous generation of the schemas with prefix {self.prefix!r} is "
                    "kept: nothing to roll back to (none before the first build; "
                    "RW_KEEP_GENERATIONS, default 1, sets how many a build keeps)"
                )
            _lock_relations(cursor, [self.prefix + layer for layer in layers])
            for layer in layers:
                published = self.prefix + layer
                if published + SHADOW_SUFFIX in schemas:
                    # no build runs (the rollback holds the build lock): a shadow is what a
                    # build killed after dbt's on-run-end (which let BI in) and before the
                    # publish left; BI must not read it once it is not being published
                    revoke_schema_grants(cursor, published + SHADOW_SUFFIX)
                rolled_back = published + ROLLED_BACK_SUFFIX
                if rolled_back in schemas:
                    cursor.execute(
                        sql.SQL("drop schema {} cascade").format(sql.Identifier(rolled_back))
                    )
                restored = f"{published}{PREVIOUS_SUFFIX}1"
                _keep_history(cursor, published, restored)
                move_schema_grants(cursor, published, restored)
                _rename(cursor, published, rolled_back)
                _rename(cursor, restored, published)
                for number in _previous_numbers(schemas, published):
                    if number > 1:
                        _rename(
                            cursor,
                            f"{published}{PREVIOUS_SUFFIX}{number}",
                            f"{published}{PREVIOUS_SUFFIX}{number - 1}",
                        )
            restored_layers.extend(layers)

        with self.hold():
            connection = _connect(self.settings)
            try:
                _with_retries(connection, swap)
                with connection, connection.cursor() as cursor:
                    schemas = _schema_names(cursor)
            finally:
                connection.close()
        marker = read_generation_comment(schemas.get(self.prefix + restored_layers[0]))
        return PublishOutcome(
            seconds=time.perf_counter() - started,
            published=self._generation(
                "published", restored_layers, (marker or {}).get("published_at")
            ),
            kept=tuple(self._previous_in(schemas)),
        )

    def generations(self) -> Iterator[Generation]:
        """Published, previous (newest first), rolled back and shadow schemas of this prefix."""
        connection = _connect(self.settings)
        try:
            with connection, connection.cursor() as cursor:
                schemas = _schema_names(cursor)
        finally:
            connection.close()
        published = self._published_layers(schemas)
        layers = sorted(published)
        if layers:
            yield self._generation("published", layers, published[layers[0]])
        yield from self._previous_in(schemas)
        for name, suffix in (("rolled-back", ROLLED_BACK_SUFFIX), ("shadow", SHADOW_SUFFIX)):
            present = [layer for layer in layers if f"{self.prefix}{layer}{suffix}" in schemas]
            if present:
                yield self._generation(name, present, None)
