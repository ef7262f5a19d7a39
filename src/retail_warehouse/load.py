"""Load a raw file of a source system into ``<prefix>raw`` on DuckDB or PostgreSQL.

How a load runs:

1. The source is fetched (URLs are downloaded once into the cache) and hashed (SHA-256).
2. If ``load_log`` already has a succeeded load of the same bytes whose rows are still in the
   raw table, nothing is done and nothing is recorded: a repeated load is a no-op.
   ``replace=True`` never skips.
3. A short transaction adds a 'started' row to ``load_log``, so a load that is killed from
   here on stays visible.
4. The file is turned into a CSV (the system's ``prepare``), scanned once in Python
   (``sources.scan``: line endings, NUL bytes, blank lines, physical line numbers,
   progress), bulk-read into a temporary stage table (DuckDB ``read_csv``, PostgreSQL
   ``COPY``) and validated in SQL (``stage``).
5. One transaction creates the raw tables if needed, deletes the old rows when replacing,
   inserts the rows and sets the log row to 'succeeded'. Any error rolls all of it back;
   then a separate short transaction sets the log row to 'failed' with the message, the
   only trace that a failed load leaves.

Load ids are ``1 + max(load_id)`` of ``load_log``, so failed attempts use up an id too.
The source columns are stored as text exactly as in the file; empty fields are NULL. What is
specific to a source system comes from its ``SourceSystem`` (default: Online Retail II).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import duckdb
import psycopg2

from retail_warehouse.build import hold_for_load
from retail_warehouse.engines import LOAD_LOG, REJECTS_TABLE, STAGE_TABLE, Warehouse, open_warehouse
from retail_warehouse.errors import LoadError, escape_unprintable
from retail_warehouse.interrupts import CommitGuard
from retail_warehouse.load_log import (
    Attempt,
    finish_load,
    record_failure,
    record_started,
    utc_now,
)
from retail_warehouse.messages import LoadResult, first_line
from retail_warehouse.settings import Settings, from_env
from retail_warehouse.sources import SourceSystem, online_retail
from retail_warehouse.sources.files import DEFAULT_CACHE_DIR, fetch, file_sha256, source_file_name
from retail_warehouse.sources.quarantine import Rejected, screen_csv
from retail_warehouse.sources.scan import rescan, scan_input
from retail_warehouse.stage import (
    check_row_count,
    create_stage,
    file_line,
    find_rejects,
    stage_file,
    stage_rejects,
    staged_rows,
)


@dataclass(frozen=True)
class _Options:
    replace: bool
    quarantine: bool
    guard: CommitGuard


@dataclass(frozen=True)
class _Outcome:
    status: str
    load_id: int
    rows_loaded: int
    rows_quarantined: int = 0
    rows_already_loaded: int = 0


# --- the public entry point ------------------------------------------------------------------


def load(
    source: str | Path | None = None,
    target: str = "duckdb",
    *,
    replace: bool = False,
    quarantine: bool = False,
    settings: Settings | None = None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    progress: TextIO | None = None,
    system: SourceSystem = online_retail.SYSTEM,
) -> LoadResult:
    """Load a raw file of ``system`` into ``<prefix>raw`` of ``target``.

    ``source`` is a path or URL (default: the system's environment variable, else its
    default download). ``replace`` deletes all raw rows in the same transaction before
    inserting. Raises ``LoadError`` with the file, line and column of the first problem; the
    warehouse is then exactly as before, except for a 'failed' row in ``load_log``. With
    ``quarantine`` the good rows load and the bad ones go to the quarantine table with their
    line and reason (problems of the file as a whole, such as a wrong header, still fail the
    load).
    """
    settings = settings or from_env()
    source_text = system.resolve_source(source)
    attempt = Attempt(source_text, source_file_name(source_text), utc_now())
    clock = time.perf_counter()
    # never beside a build (it would lose the load); Ctrl-C from the commit on is held
    with CommitGuard() as guard, hold_for_load(target, settings):
        warehouse = open_warehouse(target, settings)
        schema = settings.raw_schema
        options = _Options(replace, quarantine, guard)
        try:
            try:
                result = _run_load(warehouse, system, schema, attempt, options, cache_dir, progress)
            except LoadError as error:
                record_failure(warehouse, schema, attempt, str(error))
                raise
            except (duckdb.Error, psycopg2.Error) as error:
                message = f"{attempt.source_file}: {target} error: {first_line(str(error))}"
                record_failure(warehouse, schema, attempt, message)
                raise LoadError(message) from error
            except Exception as error:  # a bug or an input nobody foresaw: still a log row
                message = (
                    f"{attempt.source_file}: the load failed unexpectedly "
                    f"({type(error).__name__}: {first_line(str(error))})"
                )
                record_failure(warehouse, schema, attempt, message)
                raise LoadError(message) from error
        finally:
            close_quietly(warehouse)
    return LoadResult(
        status=result.status,
        target=target,
        source=attempt.source,
        source_file=attempt.source_file,
        file_sha256=attempt.file_sha256 or "",
        load_id=result.load_id,
        rows_loaded=result.rows_loaded,
        raw_table=f"{schema}.{system.raw_table.name}",
        seconds=time.perf_counter() - clock,
        replaced=replace and result.status == "succeeded",
        rows_quarantined=result.rows_quarantined,
        rows_already_loaded=result.rows_already_loaded,
        interrupted_after_commit=guard.received,
    )


def _run_load(
    warehouse: Warehouse,
    system: SourceSystem,
    schema: str,
    attempt: Attempt,
    options: _Options,
    cache_dir: Path,
    progress: TextIO | None,
) -> _Outcome:
    """Fetch, check, stage, validate and insert; returns what happened."""
    local = fetch(attempt.source, cache_dir, progress, system.check_download)
    attempt.source_file = escape_unprintable(local.name)
    attempt.file_sha256 = file_sha256(local)
    attempt.file_bytes = local.stat().st_size
    if not options.replace and (
        previous := find_loaded(warehouse, system, schema, attempt.file_sha256)
    ):
        return _Outcome("skipped", previous, 0)
    attempt.load_id = record_started(warehouse, schema, attempt)
    rejects: list[Rejected] = []
    with system.prepare(local, None) as csv_input, tempfile.TemporaryDirectory() as folder:
        if options.quarantine:
            scanned = scan_input(csv_input, system.header, progress)
            clean, screened = screen_csv(csv_input, Path(folder) / "screened.csv", system.header)
            create_stage(warehouse, system, clean)
            staged = staged_rows(warehouse)
            if staged != scanned.rows and not scanned.precise:
                scanned = rescan(csv_input, system.header)  # a quoted value spans lines
            check_row_count(warehouse, csv_input.display_name, staged, scanned.rows)
            rejects = find_rejects(warehouse, system, screened, file_line(scanned, csv_input))
            stage_rejects(warehouse, rejects)
            rows = staged - len(rejects)
        else:
            rows = stage_file(warehouse, system, csv_input, Path(folder), progress)
    warehouse.begin()
    try:
        return _insert_in_transaction(warehouse, system, schema, attempt, options, rows, rejects)
    except BaseException:
        warehouse.rollback()
        raise


def _insert_in_transaction(
    warehouse: Warehouse,
    system: SourceSystem,
    schema: str,
    attempt: Attempt,
    options: _Options,
    rows: int,
    rejects: Sequence[Rejected],
) -> _Outcome:
    """The one transaction that changes the warehouse."""
    warehouse.ensure_tables(schema, [system.raw_table, LOAD_LOG, system.quarantine_table])
    warehouse.lock_load_log(schema)
    assert attempt.file_sha256 is not None
    if not options.replace and (
        previous := find_loaded(warehouse, system, schema, attempt.file_sha256)
    ):
        warehouse.rollback()  # another loader got there first
        finish_load(warehouse, schema, attempt, "skipped", f"load {previous} has these bytes")
        return _Outcome("skipped", previous, 0)
    assert attempt.load_id is not None
    load_id = attempt.load_id
    if options.replace:
        warehouse.execute(f"delete from {schema}.{system.raw_table.name}")
        already_loaded = 0
    else:
        already_loaded = count_already_loaded(warehouse, system, schema, options.quarantine)
    insert_raw(
        warehouse,
        system,
        schema,
        attempt.source_file,
        load_id,
        attempt.started_at,
        options.quarantine,
    )
    insert_quarantine(warehouse, system, schema, attempt.source_file, load_id, rejects)
    message = "replaced all earlier rows" if options.replace else None
    finish_load(
        warehouse,
        schema,
        attempt,
        "succeeded",
        message,
        rows_loaded=rows,
        rows_quarantined=len(rejects),
        rows_already_loaded=already_loaded,
        in_transaction=True,
    )
    options.guard.hold()
    warehouse.commit()
    return _Outcome("succeeded", load_id, rows, len(rejects), already_loaded)


# --- the steps of a load ---------------------------------------------------------------------


def find_loaded(warehouse: Warehouse, system: SourceSystem, schema: str, sha256: str) -> int | None:
    """The latest succeeded load of these bytes whose rows are still in the raw table."""
    table = system.raw_table.name
    if not (
        warehouse.table_exists(schema, LOAD_LOG.name) and warehouse.table_exists(schema, table)
    ):
        return None
    rows = warehouse.query(
        f"select max(log.load_id) from {schema}.load_log as log "
        "where log.file_sha256 = ? and log.status = 'succeeded' and exists ("
        f"select 1 from {schema}.{table} as lines where lines.load_id = log.load_id)",
        [sha256],
    )
    return rows[0][0]


def insert_quarantine(
    warehouse: Warehouse,
    system: SourceSystem,
    schema: str,
    source_file: str,
    load_id: int,
    rejects: Sequence[Rejected],
) -> None:
    """Write the rejected rows to the system's quarantine table."""
    now = utc_now()
    names = [name for name, _ in system.quarantine_table.columns]
    sql = (
        f"insert into {schema}.{system.quarantine_table.name} ({', '.join(names)}) "
        f"values ({', '.join('?' for _ in names)})"
    )
    width = len(system.columns)
    for rejected in rejects:
        values = list(rejected.values) if rejected.values else [None] * width
        values = [value if value != "" else None for value in values]
        row = [load_id, source_file, rejected.line, rejected.column, rejected.reason]
        warehouse.execute(sql, [*row, *values, rejected.raw_text, now])


def _not_rejected(warehouse: Warehouse, skip_rejects: bool) -> str:
    """SQL that leaves out the stage rows set aside in quarantine mode (nothing otherwise)."""
    if not skip_rejects:
        return ""
    return f"{warehouse.row_number} not in (select row_number from {REJECTS_TABLE})"


def count_already_loaded(
    warehouse: Warehouse, system: SourceSystem, schema: str, skip_rejects: bool
) -> int:
    """Stage rows whose values are all already in the raw table (an overlapping extract).
    Compared on text with nulls as '', so both engines can hash-join."""
    table = system.raw_table.name
    if not warehouse.table_exists(schema, table):
        return 0
    matches = " and ".join(
        f"coalesce(lines.{name}, '') = coalesce(stage.{name}, '')"
        for name in system.columns.values()
    )
    rejects = _not_rejected(warehouse, skip_rejects)
    sql = (
        f"select count(*) from {STAGE_TABLE} as stage where exists ("
        f"select 1 from {schema}.{table} as lines where {matches})"
        + (f" and {rejects}" if rejects else "")
    )
    return int(warehouse.query(sql)[0][0])


def insert_raw(
    warehouse: Warehouse,
    system: SourceSystem,
    schema: str,
    source_file: str,
    load_id: int,
    loaded_at: dt.datetime,
    skip_rejects: bool = False,
    *,
    stage: str = STAGE_TABLE,
    row_number: str | None = None,
) -> None:
    """Copy the stage (or another table of checked rows, with its ``row_number`` column)
    into the raw table: text as read, empty fields as NULL (without the rows set aside in
    quarantine mode)."""
    columns = list(system.columns.values())
    values = ", ".join(f"nullif({name}, '')" for name in columns)
    rejects = _not_rejected(warehouse, skip_rejects)
    warehouse.execute(
        f"insert into {schema}.{system.raw_table.name} ({', '.join(columns)}, source_file, "
        "source_row_number, load_id, loaded_at) "
        f"select {values}, ?, {row_number or warehouse.row_number}, ?, ? from {stage}"
        + (f" where {rejects}" if rejects else ""),
        [source_file, load_id, loaded_at],
    )


def close_quietly(warehouse: Warehouse) -> None:
    """Drop the stage and close; errors here must not hide the load's own outcome."""
    try:
        with contextlib.suppress(duckdb.Error, psycopg2.Error):
            warehouse.drop_stage()
    finally:
        warehouse.close()
