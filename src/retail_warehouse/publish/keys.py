"""The primary and foreign keys BI tools read from the catalogue (docs/bi.md, "Declared
relationships"), declared by ``retail-warehouse build`` on the shadow copy before it is
published: from dbt's manifest, with ``alter table`` only (no table is copied).

Where the YAML declares them:

- primary keys: dbt constraints (``constraints:`` of the model, or of the column for a key of one
  column, ``type: primary_key``). dbt creates them with each contracted table, on DuckDB and
  PostgreSQL, in a plain ``dbt build`` too; the publish step adds those the catalogue lacks (the
  Python models, which cannot have contracts).
- foreign keys: ``config: meta: foreign_key: {to: <model>, to_columns: [...]}`` of the column.
  Not dbt constraints: dbt would create them with the table, and a table a foreign key references
  can then neither be replaced (DuckDB refuses) nor lose a row to an incremental delete+insert
  (both engines), which is what the next build does (docs/decisions.md, "Keys are declared when a
  build is published"). PostgreSQL gets them at publish, ``deferrable initially deferred``;
  DuckDB cannot add a foreign key to an existing table, so it has none: its relationships are
  the ``relationships`` tests and the meta in dbt docs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_warehouse.errors import RetailWarehouseError

PRIMARY_KEY = "primary key"
FOREIGN_KEY = "foreign key"

Execute = Callable[[str], list[tuple[Any, ...]]]
"""Runs one statement on the shadow; returns its rows (empty for DDL)."""


@dataclass(frozen=True)
class Key:
    """One declared key of a table (schema and table as dbt named them in the manifest)."""

    schema: str
    table: str
    kind: str
    """``PRIMARY_KEY`` or ``FOREIGN_KEY``."""
    columns: tuple[str, ...]
    referenced: tuple[str, str] | None = None
    """(schema, table) a foreign key references."""
    referenced_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        """``schema.table (columns)``, and ``-> schema.table (columns)`` for a foreign key."""
        text = f"the {self.kind} {self.schema}.{self.table} ({', '.join(self.columns)})"
        if self.referenced is not None:
            text += f" -> {'.'.join(self.referenced)} ({', '.join(self.referenced_columns)})"
        return text


def declared_keys(manifest_path: Path) -> list[Key]:
    """The keys the models' YAML declares, read from dbt's ``manifest.json``: primary keys
    first (a foreign key needs the key it references); empty when dbt wrote no manifest."""
    if not manifest_path.is_file():
        return []
    with manifest_path.open(encoding="utf-8") as handle:
        manifest = json.load(handle)
    return keys_of_models(
        node for node in manifest.get("nodes", {}).values() if node.get("resource_type") == "model"
    )


def keys_of_models(nodes: Iterable[Mapping[str, Any]]) -> list[Key]:
    """The keys of manifest model nodes (see ``declared_keys``). Raises
    ``RetailWarehouseError`` naming the YAML file, model and column of a ``foreign_key`` meta
    that is not ``{to: <model>, to_columns: [...]}`` of a model of the project."""
    models = {str(node["name"]): node for node in nodes}
    primary: list[Key] = []
    foreign: list[Key] = []
    for node in models.values():
        schema, table = str(node["schema"]), str(node["alias"])
        constraints = [
            (constraint, tuple(constraint.get("columns") or ()))
            for constraint in node.get("constraints") or ()
        ]
        for name, column in (node.get("columns") or {}).items():
            constraints += [(constraint, (name,)) for constraint in column.get("constraints") or ()]
            meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
            if "foreign_key" in meta:
                foreign.append(_foreign_key(node, name, meta["foreign_key"], models))
        primary += [
            Key(schema, table, PRIMARY_KEY, columns)
            for constraint, columns in constraints
            if constraint.get("type") == "primary_key"
        ]
    return primary + foreign


def _foreign_key(
    node: Mapping[str, Any], column: str, declared: Any, models: Mapping[str, Mapping[str, Any]]
) -> Key:
    where = f"{node.get('patch_path') or node['name']}: model {node['name']}, column {column}"
    where = where.split("://", 1)[-1]  # dbt writes patch_path as "<project>://<file>"
    if not isinstance(declared, Mapping):
        raise RetailWarehouseError(
            f"{where}: meta foreign_key must be {{to: <model>, to_columns: [<column>]}}"
        )
    to, to_columns = declared.get("to"), declared.get("to_columns")
    if not isinstance(to, str) or to not in models:
        raise RetailWarehouseError(f"{where}: meta foreign_key to {to!r} names no model")
    if (
        not isinstance(to_columns, list)
        or len(to_columns) != 1
        or to_columns[0] not in (models[to].get("columns") or {})
    ):
        raise RetailWarehouseError(
            f"{where}: meta foreign_key to_columns {to_columns!r} must name one column of {to}"
        )
    referenced = models[to]
    return Key(
        str(node["schema"]),
        str(node["alias"]),
        FOREIGN_KEY,
        (column,),
        (str(referenced["schema"]), str(referenced["alias"])),
        (str(to_columns[0]),),
    )


def _quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


def _column_list(columns: Sequence[str]) -> str:
    return ", ".join(_quoted(column) for column in columns)


def add_key_statement(key: Key, *, deferrable: bool = False) -> str:
    """``alter table ... add primary key / foreign key`` for one key."""
    statement = f"alter table {_quoted(key.schema, key.table)} add {key.kind} "
    statement += f"({_column_list(key.columns)})"
    if key.referenced is not None:
        statement += (
            f" references {_quoted(*key.referenced)} ({_column_list(key.referenced_columns)})"
        )
        if deferrable:
            statement += " deferrable initially deferred"
    return statement


POSTGRES_TABLES = (
    "select schemaname, tablename from pg_catalog.pg_tables where schemaname = any(%s)"
)
POSTGRES_KEYS = (
    "select n.nspname, t.relname,"
    " case c.contype when 'p' then 'primary key' else 'foreign key' end,"
    " array(select a.attname::text from unnest(c.conkey) with ordinality as k (attnum, position)"
    "  inner join pg_catalog.pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum"
    "  order by k.position),"
    " rn.nspname, rt.relname,"
    " array(select a.attname::text from unnest(c.confkey) with ordinality as k (attnum, position)"
    "  inner join pg_catalog.pg_attribute as a on a.attrelid = c.confrelid"
    "  and a.attnum = k.attnum order by k.position)"
    " from pg_catalog.pg_constraint as c"
    " inner join pg_catalog.pg_class as t on t.oid = c.conrelid"
    " inner join pg_catalog.pg_namespace as n on n.oid = t.relnamespace"
    " left join pg_catalog.pg_class as rt on rt.oid = c.confrelid"
    " left join pg_catalog.pg_namespace as rn on rn.oid = rt.relnamespace"
    " where c.contype in ('p', 'f') and n.nspname = any(%s)"
)
DUCKDB_TABLES = (
    "select schema_name, table_name from duckdb_tables()"
    " where database_name = current_database() and not temporary"
)
DUCKDB_PRIMARY_KEYS = (
    "select schema_name, table_name, 'primary key', constraint_column_names, null, null, []"
    " from duckdb_constraints()"
    " where database_name = current_database() and constraint_type = 'PRIMARY KEY'"
)


def missing_keys(
    keys: Sequence[Key],
    tables: Iterable[tuple[Any, ...]],
    catalogued: Iterable[tuple[Any, ...]],
    kinds: Sequence[str] = (PRIMARY_KEY, FOREIGN_KEY),
) -> list[Key]:
    """The ``keys`` of the ``kinds`` to declare: on existing tables (``tables``: (schema,
    table) rows), referencing an existing table, and not in the catalogue (``catalogued``:
    rows of schema, table, kind, columns, referenced schema, table, columns). A table with a
    primary key gets no other (dbt's contract made it from the same YAML)."""
    existing = {(str(schema), str(table)) for schema, table in tables}
    found = set()
    keyed = set()
    for schema, table, kind, columns, to_schema, to_table, to_columns in catalogued:
        referenced = None if to_table is None else (str(to_schema), str(to_table))
        found.add(
            (
                str(schema),
                str(table),
                str(kind),
                tuple(columns),
                referenced,
                tuple(to_columns or ()),
            )
        )
        if kind == PRIMARY_KEY:
            keyed.add((str(schema), str(table)))
    missing = []
    for key in keys:
        identity = (
            key.schema,
            key.table,
            key.kind,
            key.columns,
            key.referenced,
            key.referenced_columns,
        )
        if (
            key.kind in kinds
            and (key.schema, key.table) in existing
            and (key.referenced is None or key.referenced in existing)
            and identity not in found
            and not (key.kind == PRIMARY_KEY and (key.schema, key.table) in keyed)
        ):
            missing.append(key)
    return missing


def declare(execute: Execute, key: Key, statement: str, where: str) -> None:
    """Run one ``alter table``; a failure (a row breaking the key) becomes a one-line
    ``RetailWarehouseError`` naming the key."""
    try:
        execute(statement)
    except Exception as error:  # the driver's own error class
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RetailWarehouseError(
            f"cannot declare {key.describe()} in {where}: {first}; nothing was published"
        ) from error
