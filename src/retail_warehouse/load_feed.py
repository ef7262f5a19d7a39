"""Load a feed: the files of one delivery (such as a loyalty programme's ``customers.csv`` and
``transactions.csv``), each of its own source system, in one transaction: either every file
that changed is loaded, or none. Each file is read and checked as ``retail_warehouse.load``
reads a single file (the same scan and stage checks), then waits in a temporary table.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import psycopg2

from retail_warehouse.build import hold_for_load
from retail_warehouse.engines import STAGE_TABLE, Warehouse, open_warehouse
from retail_warehouse.errors import LoadError, RetailWarehouseError, escape_unprintable
from retail_warehouse.interrupts import CommitGuard
from retail_warehouse.load import close_quietly, find_loaded, insert_raw
from retail_warehouse.load_log import (
    Attempt,
    finish_load,
    record_failure,
    record_started,
    utc_now,
)
from retail_warehouse.messages import LoadResult, first_line
from retail_warehouse.settings import Settings, from_env
from retail_warehouse.sources import SourceSystem
from retail_warehouse.sources.files import file_sha256
from retail_warehouse.stage import stage_file


def _parked_table(system: SourceSystem) -> str:
    """The temporary table a validated file waits in until the feed's transaction."""
    return f"rw_parked_{system.raw_table.name}"


def load_feed(
    files: Sequence[tuple[SourceSystem, Path]],
    target: str = "duckdb",
    *,
    replace: bool = False,
    settings: Settings | None = None,
) -> list[LoadResult]:
    """Load the files of a feed (such as a loyalty programme's customers.csv and
    transactions.csv) in one transaction: either every file that changed is loaded, or none.

    Each file is bulk-read and checked like a single file (its system's rules; the first bad
    value fails with the file, line and column), then waits in a temporary table; once all
    are checked, one transaction inserts them, each with its own load id and ``load_log``
    row (written 'started' before the file is read, as a single load does, so a killed feed
    stays visible). A file whose bytes are already loaded is skipped. On any error the
    warehouse is exactly as before, except for 'failed' rows in ``load_log``: the file at
    fault with its error, and the feed's other started files naming it.
    """
    settings = settings or from_env()
    # never beside a build (it would lose the load); Ctrl-C from the commit on is held
    with CommitGuard() as guard, hold_for_load(target, settings):
        warehouse = open_warehouse(target, settings)
        schema = settings.raw_schema
        clock = time.perf_counter()
        attempts = [
            (system, path, Attempt(str(path), escape_unprintable(path.name), utc_now()))
            for system, path in files
        ]
        current = attempts[0][2] if attempts else None
        skipped: dict[str, int] = {}
        newer: dict[str, int] = {}
        rows: dict[str, int] = {}
        loaded: dict[str, int] = {}
        try:
            try:
                for system, path, attempt in attempts:
                    current = attempt
                    attempt.file_sha256 = file_sha256(path)
                    attempt.file_bytes = path.stat().st_size
                    previous = (
                        None
                        if replace
                        else find_loaded(warehouse, system, schema, attempt.file_sha256)
                    )
                    if previous is not None:
                        skipped[system.name] = previous
                        newer[system.name] = _newer_load(warehouse, system, schema, previous)
                        continue
                    attempt.load_id = record_started(warehouse, schema, attempt)
                    with (
                        system.prepare(path, None) as csv_input,
                        tempfile.TemporaryDirectory() as folder,
                    ):
                        appends_to = (
                            f"{schema}.{system.raw_table.name}"
                            if system.unique_key is not None
                            and not replace
                            and warehouse.table_exists(schema, system.raw_table.name)
                            else None
                        )
                        rows[system.name] = stage_file(
                            warehouse, system, csv_input, Path(folder), loaded_keys_from=appends_to
                        )
                    _park_stage(warehouse, system)
                warehouse.begin()
                try:
                    for system, _, attempt in attempts:
                        if system.name in skipped:
                            continue
                        current = attempt
                        loaded[system.name] = _insert_parked(
                            warehouse, system, schema, attempt, rows[system.name], replace
                        )
                    guard.hold()
                    warehouse.commit()
                except BaseException:
                    warehouse.rollback()
                    raise
            except LoadError as error:
                _record_feed_failure(warehouse, schema, attempts, current, str(error))
                raise
            except (duckdb.Error, psycopg2.Error) as error:
                name = current.source_file if current is not None else "feed"
                message = f"{name}: {target} error: {first_line(str(error))}"
                _record_feed_failure(warehouse, schema, attempts, current, message)
                raise LoadError(message) from error
        finally:
            with contextlib.suppress(duckdb.Error, psycopg2.Error):
                warehouse.rollback()
                for system, _, _ in attempts:
                    warehouse.execute(f"drop table if exists {_parked_table(system)}")
                warehouse.commit()
            close_quietly(warehouse)
        seconds = time.perf_counter() - clock
    return [
        LoadResult(
            status="skipped" if system.name in skipped else "succeeded",
            target=target,
            source=attempt.source,
            source_file=attempt.source_file,
            file_sha256=attempt.file_sha256 or "",
            load_id=skipped.get(system.name) or loaded[system.name],
            rows_loaded=rows.get(system.name, 0),
            raw_table=f"{schema}.{system.raw_table.name}",
            seconds=seconds,
            replaced=replace and system.name not in skipped,
            interrupted_after_commit=guard.received,
            newer_load_id=newer.get(system.name, 0),
        )
        for system, _, attempt in attempts
    ]


def _newer_load(warehouse: Warehouse, system: SourceSystem, schema: str, previous: int) -> int:
    """The newest load of the system's raw table when its models read only that one and it
    is not ``previous`` (the load that already has a re-sent file's bytes); else 0."""
    if not system.newest_load_only:
        return 0
    rows = warehouse.query(f"select max(load_id) from {schema}.{system.raw_table.name}")
    newest = rows[0][0] if rows else None
    return int(newest) if newest is not None and newest != previous else 0


def _record_feed_failure(
    warehouse: Warehouse,
    schema: str,
    attempts: Sequence[tuple[SourceSystem, Path, Attempt]],
    current: Attempt | None,
    message: str,
) -> None:
    """Mark the file at fault 'failed' with ``message``, and the feed's other started files
    'failed' too (none of them is loaded), naming the file at fault."""
    if current is None:
        return
    record_failure(warehouse, schema, current, message)
    for _, _, attempt in attempts:
        if attempt is not current and attempt.load_id is not None:
            record_failure(
                warehouse,
                schema,
                attempt,
                f"not loaded: {current.source_file} of the same feed failed",
            )


def _park_stage(warehouse: Warehouse, system: SourceSystem) -> None:
    """Copy the checked stage, with its row numbers, to the system's parked table (temporary,
    committed, outside any transaction: DuckDB's row ids are final only then)."""
    parked = _parked_table(system)
    columns = ", ".join(system.columns.values())
    warehouse.execute(f"drop table if exists {parked}")
    warehouse.execute(
        f"create temp table {parked} as select {columns}, "
        f"{warehouse.row_number} as stage_row_number from {STAGE_TABLE}"
    )
    warehouse.commit()


def _insert_parked(
    warehouse: Warehouse,
    system: SourceSystem,
    schema: str,
    attempt: Attempt,
    rows: int,
    replace: bool,
) -> int:
    """Inside the feed's transaction: the parked rows into the raw table, and the file's
    'started' row in ``load_log`` set to 'succeeded'; returns the load id."""
    warehouse.ensure_tables(schema, [system.raw_table])
    assert attempt.load_id is not None
    load_id = attempt.load_id
    if replace:
        warehouse.execute(f"delete from {schema}.{system.raw_table.name}")
    insert_raw(
        warehouse,
        system,
        schema,
        attempt.source_file,
        load_id,
        attempt.started_at,
        stage=_parked_table(system),
        row_number="stage_row_number",
    )
    message = "replaced all earlier rows" if replace else None
    finish_load(
        warehouse, schema, attempt, "succeeded", message, rows_loaded=rows, in_transaction=True
    )
    return load_id


def record_refused_feed(source: str, target: str, settings: Settings, message: str) -> None:
    """A 'failed' row in ``load_log`` for a feed refused before any of its files was read
    (a folder with two files for one name, a link out of the folder, a FIFO): every refused
    load leaves that one trace, as a refused single file does (docs/sources.md). Best effort
    and only while no build holds the warehouse; the refusal itself is raised by the caller."""
    attempt = Attempt(escape_unprintable(source), escape_unprintable(Path(source).name), utc_now())
    with contextlib.suppress(LoadError, RetailWarehouseError), hold_for_load(target, settings):
        warehouse = open_warehouse(target, settings)
        try:
            record_failure(warehouse, settings.raw_schema, attempt, message)
        finally:
            warehouse.close()
