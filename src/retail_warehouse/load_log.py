"""The load log: one row per load attempt in ``<prefix>raw.load_log``, written first as
'started' (so a killed load stays visible), then set to 'succeeded', 'skipped' or 'failed'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import psycopg2

from retail_warehouse.engines import LOAD_LOG, Warehouse
from retail_warehouse.errors import escape_unprintable


@dataclass
class Attempt:
    """What is known about a load so far, for its load_log row."""

    source: str
    source_file: str
    started_at: dt.datetime
    file_sha256: str | None = None
    file_bytes: int | None = None
    load_id: int | None = None
    """Set once the 'started' row is written."""


def utc_now() -> dt.datetime:
    """The current UTC time as a naive timestamp (the warehouse's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def next_load_id(warehouse: Warehouse, schema: str) -> int:
    """``1 + max(load_id)`` of ``load_log`` (1 for the first load)."""
    rows = warehouse.query(f"select coalesce(max(load_id), 0) + 1 from {schema}.load_log")
    return int(rows[0][0])


def record_load(
    warehouse: Warehouse,
    schema: str,
    load_id: int,
    attempt: Attempt,
    rows_loaded: int | None,
    status: str,
    message: str | None,
    rows_quarantined: int = 0,
    rows_already_loaded: int = 0,
) -> None:
    """Insert one row into ``load_log``."""
    values = [
        load_id,
        escape_unprintable(attempt.source),  # one line each, no control sequences
        escape_unprintable(attempt.source_file),
        attempt.file_sha256,
        attempt.file_bytes,
        rows_loaded,
        attempt.started_at,
        utc_now(),
        status,
        None if message is None else escape_unprintable(message),
        rows_quarantined,
        rows_already_loaded,
    ]
    names = [name for name, _ in LOAD_LOG.columns]
    warehouse.execute(
        f"insert into {schema}.{LOAD_LOG.name} ({', '.join(names)}) "
        f"values ({', '.join('?' for _ in names)})",
        values,
    )


def record_started(warehouse: Warehouse, schema: str, attempt: Attempt) -> int:
    """In its own short transaction, add a 'started' row to ``load_log`` and return its load
    id: a load killed from here on stays visible as 'started'."""
    warehouse.begin()
    try:
        warehouse.ensure_tables(schema, [LOAD_LOG])
        warehouse.lock_load_log(schema)
        load_id = next_load_id(warehouse, schema)
        record_load(warehouse, schema, load_id, attempt, None, "started", None)
        warehouse.commit()
    except BaseException:
        warehouse.rollback()
        raise
    return load_id


def finish_load(
    warehouse: Warehouse,
    schema: str,
    attempt: Attempt,
    status: str,
    message: str | None,
    rows_loaded: int = 0,
    rows_quarantined: int = 0,
    rows_already_loaded: int = 0,
    in_transaction: bool = False,
) -> None:
    """Set the final status of the load's 'started' row (in the caller's transaction when
    ``in_transaction``, else in its own)."""
    if not in_transaction:
        warehouse.begin()
    warehouse.execute(
        f"update {schema}.{LOAD_LOG.name} set status = ?, message = ?, rows_loaded = ?, "
        "rows_quarantined = ?, rows_already_loaded = ?, finished_at = ? where load_id = ?",
        [
            status,
            message,
            rows_loaded,
            rows_quarantined,
            rows_already_loaded,
            utc_now(),
            attempt.load_id,
        ],
    )
    if not in_transaction:
        warehouse.commit()


def record_failure(warehouse: Warehouse, schema: str, attempt: Attempt, message: str) -> None:
    """In its own short transaction, mark the load 'failed' in ``load_log`` (adding the row
    when the load failed before its 'started' row was written; best effort)."""
    try:
        warehouse.rollback()
        if attempt.load_id is not None:
            finish_load(warehouse, schema, attempt, "failed", message)
            return
        warehouse.begin()
        warehouse.ensure_tables(schema, [LOAD_LOG])
        warehouse.lock_load_log(schema)
        record_load(
            warehouse, schema, next_load_id(warehouse, schema), attempt, 0, "failed", message
        )
        warehouse.commit()
    except (duckdb.Error, psycopg2.Error):
        warehouse.rollback()
