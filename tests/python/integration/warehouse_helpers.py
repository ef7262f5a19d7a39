"""Helpers shared by the integration tests: queries on either engine, a throwaway PostgreSQL
database, a process that holds a DuckDB file, and running the command line."""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import dataclasses
import gzip
import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import psycopg2
import pytest

from retail_warehouse.engines import throwaway_database
from retail_warehouse.settings import from_env

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
TARGETS = ("duckdb", "postgres")

T = TypeVar("T")


def both_targets(work: Callable[[str], T], targets: Sequence[str] = TARGETS) -> list[T]:
    """``work(target)`` for each target at the same time, one thread each (the work is
    mostly child processes: dbt, the loader, the database server); the results in the
    order of ``targets``. A failure in either is raised here, after both have ended, so
    neither is left running into the next test."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(targets)) as pool:
        futures = [pool.submit(work, target) for target in targets]
    return [future.result() for future in futures]


def pg_params(dbname: str) -> dict[str, Any]:
    """psycopg2 connection settings from the PG* variables (the package's own reading of
    them), for one database."""
    return dataclasses.replace(from_env().postgres, dbname=dbname).connect_kwargs()


def query_columns(
    connection: object, sql: str, params: Sequence[object] = ()
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a query on a DuckDB or psycopg2 connection (placeholders in
    the engine's own style)."""
    if isinstance(connection, duckdb.DuckDBPyConnection):
        result = connection.execute(sql, list(params))
        return [column[0] for column in result.description], result.fetchall()
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(sql, tuple(params))
        return [column[0] for column in cursor.description], cursor.fetchall()


def query_rows(
    connection: object, sql: str, params: Sequence[object] = ()
) -> list[tuple[Any, ...]]:
    """The rows of a query on a DuckDB or psycopg2 connection."""
    return query_columns(connection, sql, params)[1]


def query_warehouse(
    target: str, env: Mapping[str, str], sql: str, user: str | None = None
) -> list[tuple[Any, ...]]:
    """A reader's query on the warehouse of ``env`` (``DUCKDB_PATH``, ``PGDATABASE``): a
    read-only connection on DuckDB; on PostgreSQL the owner, or ``user`` (its password
    ``RW_BI_PASSWORD``, else its name, as scripts/postgres_start.sh creates the BI role)."""
    if target == "duckdb":
        with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
            return connection.execute(sql).fetchall()
    params = pg_params(env["PGDATABASE"])
    if user:
        params.update(user=user, password=os.environ.get("RW_BI_PASSWORD", user))
    connection = psycopg2.connect(**params)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


@contextlib.contextmanager
def throwaway_pg_database(prefix: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL of the PG* variables, dropped afterwards; skips the
    test when no server is configured or reachable."""
    if not os.environ.get("PGHOST"):
        pytest.skip("PGHOST is not set: start PostgreSQL with scripts/postgres_start.sh")
    try:
        psycopg2.connect(**pg_params("postgres")).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    with throwaway_database(from_env().postgres, prefix) as name:
        yield name


def refused_rollback(target: str, env: dict[str, str]) -> str:
    """``retail-warehouse rollback --target target`` run as a user would, expected to refuse:
    exit status 2, nothing on stdout, one line on stderr, which is returned."""
    rollback = subprocess.run(
        [str(BIN / "retail-warehouse"), "rollback", "--target", target],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert rollback.returncode == 2, rollback.stdout + rollback.stderr
    assert rollback.stdout == ""
    (line,) = rollback.stderr.splitlines()
    return line


@contextlib.contextmanager
def hold_duckdb(path: Path) -> Iterator[None]:
    """Another process that opens the DuckDB file for writing and keeps it open until the
    block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def run_command(
    args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository; fail the test with its output if it exits badly."""
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in ok:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        )
    return result


def write_invoice_sample(
    source: Path, destination: Path, every: int, by_customer: bool = False
) -> int:
    """A CSV of every ``every``-th invoice of the Online Retail II file (by a hash of the
    invoice number without its letter, so whole invoices and their cancellations, over the
    whole period); with ``by_customer``, every ``every``-th customer's lines instead (by a
    hash of the customer number; invoices without a customer by their number). Returns its
    lines."""
    lines = 0
    with (
        gzip.open(source, "rt", encoding="utf-8", newline="") as data,
        destination.open("w", encoding="utf-8", newline="") as out,
    ):
        reader = csv.reader(data)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for row in reader:
            key = (by_customer and row[6]) or row[0].lstrip("CA")
            if zlib.crc32(key.encode()) % every == 0:
                writer.writerow(row)
                lines += 1
    return lines


Query = Callable[[str], list[tuple[Any, ...]]]

LINEAGE = frozenset({"invoice_line_id", "load_id", "source_row_number", "last_load_id"})
"""Columns that say which load a row came from; equal marts may differ only there."""


def table_names(query: Query, schema: str = "marts") -> list[str]:
    """The tables and views of a schema, by name."""
    rows = query(
        "select table_name from information_schema.tables "
        f"where table_schema = '{schema}' order by table_name"
    )
    return [str(row[0]) for row in rows]


def table_checksum(
    query: Query, table: str, skip_lineage: bool = False, schema: str = "marts"
) -> tuple[int, str]:
    """Row count and an order-independent md5 of the rows' text (the same engine compares
    with itself, so its own text forms of numbers and dates are fine)."""
    rows = query(
        "select column_name from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
    )
    columns = [str(row[0]) for row in rows if not (skip_lineage and row[0] in LINEAGE)]
    row_text = " || '|' || ".join(f"coalesce(cast({c} as varchar), '~')" for c in columns)
    sql = (
        f"select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text), '')) "
        f"from (select {row_text} as row_text from {schema}.{table}) as rows_as_text"
    )
    count, digest = query(sql)[0]
    return int(count), str(digest)


def schema_checksums(
    query: Query, skip_lineage: bool = False, schema: str = "marts"
) -> dict[str, tuple[int, str]]:
    """``table_checksum`` of every table of a schema."""
    return {
        table: table_checksum(query, table, skip_lineage, schema)
        for table in table_names(query, schema)
    }


Key = tuple[str, str, tuple[str, ...], str | None, tuple[str, ...]]
"""(schema.table, PRIMARY KEY or FOREIGN KEY, columns, referenced schema.table, its columns)."""


def declared_keys(manifest: dict[str, Any], schema_suffix: str = "") -> set[Key]:
    """The primary and foreign keys the models' YAML declares, read from a dbt manifest as
    src/retail_warehouse/publish/keys.py reads them: primary keys are dbt constraints
    (`constraints:` of the model or column), foreign keys the column's `config: meta:
    foreign_key: {to: <model>, to_columns: [...]}`. Schema names lose `schema_suffix` (a
    published build's manifest names the shadow schemas)."""
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    keys: set[Key] = set()

    def published(node: dict[str, Any]) -> str:
        schema = node["schema"]
        return f"{schema.removesuffix(schema_suffix) if schema_suffix else schema}.{node['alias']}"

    for node in models.values():
        table = published(node)
        constraints = [(c, tuple(c["columns"])) for c in node["constraints"]]
        constraints += [
            (c, (name,)) for name, column in node["columns"].items() for c in column["constraints"]
        ]
        for constraint, columns in constraints:
            if constraint["type"] == "primary_key":
                keys.add((table, "PRIMARY KEY", columns, None, ()))
        for name, column in node["columns"].items():
            foreign_key = column["config"].get("meta", {}).get("foreign_key")
            if foreign_key:
                referenced = published(models[foreign_key["to"]])
                keys.add(
                    (table, "FOREIGN KEY", (name,), referenced, tuple(foreign_key["to_columns"]))
                )
    return keys


def promised_keys(
    manifest: dict[str, Any], target: str, *, published: bool, schema_suffix: str = ""
) -> set[Key]:
    """The declared keys the catalogue must hold (docs/bi.md, "Declared relationships"):
    after `retail-warehouse build` every one on PostgreSQL and the primary keys on DuckDB (it
    cannot add a foreign key to an existing table); after a plain `dbt build` the primary keys
    of the models with an enforced contract (dbt creates them with the table), on both."""
    contracted = {
        f"{node['schema'].removesuffix(schema_suffix) if schema_suffix else node['schema']}"
        f".{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    }
    return {
        key
        for key in declared_keys(manifest, schema_suffix)
        if (key[1] == "PRIMARY KEY" and (published or key[0] in contracted))
        or (key[1] == "FOREIGN KEY" and published and target == "postgres")
    }


def catalogued_keys(query: Query, target: str) -> set[Key]:
    """The primary and foreign keys in the catalogue of a DuckDB or PostgreSQL warehouse."""
    if target == "duckdb":
        rows = query(
            "select schema_name || '.' || table_name, constraint_type, constraint_column_names,"
            " case when referenced_table is not null"
            " then schema_name || '.' || referenced_table end, referenced_column_names"
            " from duckdb_constraints()"
            " where constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')"
        )
    else:
        rows = query(
            "select c.conrelid::regclass::text,"
            " case c.contype when 'p' then 'PRIMARY KEY' else 'FOREIGN KEY' end,"
            " array(select a.attname from unnest(c.conkey) with ordinality as k (attnum, n)"
            "  inner join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum"
            "  order by k.n),"
            " c.confrelid::regclass::text,"
            " array(select a.attname from unnest(c.confkey) with ordinality as k (attnum, n)"
            "  inner join pg_attribute as a on a.attrelid = c.confrelid and a.attnum = k.attnum"
            "  order by k.n)"
            " from pg_constraint as c where c.contype in ('p', 'f')"
        )
    return {
        (
            str(table),
            str(kind),
            tuple(columns),
            None if kind == "PRIMARY KEY" else str(referenced),
            tuple(referenced_columns or ()),
        )
        for table, kind, columns, referenced, referenced_columns in rows
    }


def missing_keys(
    query: Query,
    target: str,
    manifest: dict[str, Any],
    schema_suffix: str = "",
    *,
    published: bool,
) -> list[Key]:
    """Promised keys (`promised_keys`) of the tables that exist which the catalogue lacks,
    sorted. Fails the test when no promised key applies (nothing would be checked), or no
    foreign key after a published build on PostgreSQL."""
    tables = {
        f"{schema}.{table}"
        for schema, table in query(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE'"
        )
    }
    promised = promised_keys(manifest, target, published=published, schema_suffix=schema_suffix)
    promised = {key for key in promised if key[0] in tables}
    assert any(key[1] == "PRIMARY KEY" for key in promised), "no promised primary key applies"
    if published and target == "postgres":
        assert any(key[1] == "FOREIGN KEY" for key in promised), "no foreign key applies"
    return sorted(promised - catalogued_keys(query, target), key=str)


def foreign_keys(query: Query, target: str) -> list[Key]:
    """The foreign keys in the catalogue. None on DuckDB, nor after a plain `dbt build`: a
    foreign key dbt made with a table would stop the next build replacing the table it
    references, or deleting a row of it (docs/bi.md)."""
    return sorted(key for key in catalogued_keys(query, target) if key[1] == "FOREIGN KEY")
