"""Keep the results of every dbt build in the warehouse: ``<prefix>monitoring.dbt_run_results``.

dbt writes ``run_results.json`` at the end of every invocation and overwrites it with the
next one, so the test results of a build are gone once another command runs. After each
``retail-warehouse build`` (from the command line or from the orchestrator) this module reads
that file and appends one row per node (model, seed, data test, unit test) to the table, on
either target. ``mart_data_quality_daily`` reads it.

A run is recorded once: rows of the same run id are replaced, so recording twice is harmless.
Times are UTC without a time zone, like ``loaded_at`` in the raw tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from retail_warehouse.engines import Warehouse, open_warehouse
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.settings import Settings, schema_name

RUN_RESULTS_TABLE = "dbt_run_results"
"""The table in the monitoring schema."""

RUN_RESULTS_FILE = "run_results.json"

RUN_RESULTS_DDL = """
create table if not exists {schema}.dbt_run_results (
    run_id varchar,
    unique_id varchar,
    resource_type varchar,
    node_name varchar,
    target_name varchar,
    run_started_at timestamp,
    started_at timestamp,
    completed_at timestamp,
    status varchar,
    rows_affected bigint,
    failures bigint,
    execution_seconds double precision,
    message varchar,
    invocation_args varchar,
    dbt_version varchar
)
"""

_INSERT_CHUNK = 200
"""Rows per insert statement (one round trip each)."""


class RunResultsError(RetailWarehouseError):
    """``run_results.json`` cannot be read."""


@dataclass(frozen=True)
class NodeResult:
    """One node of one dbt invocation, as stored in ``dbt_run_results``."""

    run_id: str
    unique_id: str
    resource_type: str
    node_name: str
    target_name: str | None
    run_started_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    status: str
    rows_affected: int | None
    failures: int | None
    execution_seconds: float
    message: str | None
    invocation_args: str
    dbt_version: str


COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(NodeResult))


def monitoring_schema(settings: Settings) -> str:
    """The schema of the monitoring tables: prefix + ``monitoring``."""
    return schema_name(settings.schema_prefix, "monitoring")


def parse_timestamp(text: str | None) -> dt.datetime | None:
    """A dbt artifact time (ISO 8601, ``Z`` or an offset) as naive UTC; ``None`` stays."""
    if not text:
        return None
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _execute_timing(timing: Sequence[Mapping[str, Any]]) -> tuple[dt.datetime | None, ...]:
    """Start and end of a node: the first and last timing step dbt reports (compile, execute)."""
    starts = [parse_timestamp(step.get("started_at")) for step in timing]
    ends = [parse_timestamp(step.get("completed_at")) for step in timing]
    known_starts = [value for value in starts if value is not None]
    known_ends = [value for value in ends if value is not None]
    return (
        min(known_starts) if known_starts else None,
        max(known_ends) if known_ends else None,
    )


def node_name(unique_id: str) -> str:
    """The node's name in its unique id: ``<type>.<package>.<name>[.<hash or version>]``, and
    ``unit_test.<package>.<model>.<name>`` for unit tests."""
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) >= 4:
        return parts[3]
    return parts[2] if len(parts) >= 3 else unique_id


def node_results(artifact: Mapping[str, Any]) -> list[NodeResult]:
    """The rows of a parsed ``run_results.json``, in the order dbt reports them.

    The run started at ``invocation_started_at`` (dbt 1.9 on), else ``elapsed_time`` seconds
    before ``generated_at`` (dbt writes the file at the end). ``rows_affected`` is the
    adapter's count where it gives one (DuckDB reports none for ``create table as``);
    ``failures`` is the number of failing rows of a test.
    """
    metadata = artifact.get("metadata", {})
    run_id = metadata.get("invocation_id")
    generated_at = parse_timestamp(metadata.get("generated_at"))
    if not run_id or generated_at is None:
        raise RunResultsError("run_results.json has no invocation_id or generated_at")
    run_started_at = parse_timestamp(metadata.get("invocation_started_at")) or (
        generated_at - dt.timedelta(seconds=float(artifact.get("elapsed_time", 0)))
    )
    args = artifact.get("args", {})
    invocation_args = json.dumps(args, sort_keys=True, default=str)
    rows = []
    for result in artifact.get("results", []):
        unique_id = result["unique_id"]
        started_at, completed_at = _execute_timing(result.get("timing", []))
        response = result.get("adapter_response") or {}
        rows_affected = response.get("rows_affected")
        failures = result.get("failures")
        rows.append(
            NodeResult(
                run_id=run_id,
                unique_id=unique_id,
                resource_type=unique_id.split(".", 1)[0],
                node_name=node_name(unique_id),
                target_name=args.get("target"),
                run_started_at=run_started_at,
                started_at=started_at,
                completed_at=completed_at,
                status=str(result.get("status")),
                rows_affected=None if rows_affected is None else int(rows_affected),
                failures=None if failures is None else int(failures),
                execution_seconds=round(float(result.get("execution_time") or 0.0), 6),
                message=result.get("message"),
                invocation_args=invocation_args,
                dbt_version=str(metadata.get("dbt_version", "")),
            )
        )
    return rows


def read_run_results(path: Path) -> list[NodeResult]:
    """Parse a ``run_results.json`` file."""
    try:
        artifact = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunResultsError(f"{path}: cannot read dbt run results: {error}") from error
    return node_results(artifact)


def ensure_monitoring_tables(warehouse: Warehouse, schema: str) -> None:
    """Create the monitoring schema and ``dbt_run_results`` if they are missing."""
    warehouse.execute(f"create schema if not exists {schema}")
    warehouse.execute(RUN_RESULTS_DDL.format(schema=schema))


def store_node_results(warehouse: Warehouse, schema: str, rows: Sequence[NodeResult]) -> None:
    """Replace the rows of these runs with ``rows``, in one transaction."""
    run_ids = sorted({row.run_id for row in rows})
    warehouse.begin()
    try:
        for run_id in run_ids:
            warehouse.execute(
                f"delete from {schema}.{RUN_RESULTS_TABLE} where run_id = ?", [run_id]
            )
        placeholders = "(" + ", ".join("?" for _ in COLUMNS) + ")"
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            values = ", ".join(placeholders for _ in chunk)
            params = [value for row in chunk for value in astuple(row)]
            warehouse.execute(
                f"insert into {schema}.{RUN_RESULTS_TABLE} ({', '.join(COLUMNS)}) values {values}",
                params,
            )
        warehouse.commit()
    except BaseException:
        warehouse.rollback()
        raise


def prepare_monitoring(target: str, settings: Settings) -> None:
    """Create the monitoring table before a build, so the models that read it find it."""
    warehouse = open_warehouse(target, settings)
    try:
        ensure_monitoring_tables(warehouse, monitoring_schema(settings))
        warehouse.commit()
    finally:
        warehouse.close()


def record_run_results(target: str, settings: Settings, path: Path) -> int:
    """Store the nodes of ``path`` (a ``run_results.json``) in the warehouse of ``target``;
    returns the number of rows stored."""
    rows = read_run_results(path)
    warehouse = open_warehouse(target, settings)
    try:
        schema = monitoring_schema(settings)
        ensure_monitoring_tables(warehouse, schema)
        store_node_results(warehouse, schema, rows)
    finally:
        warehouse.close()
    return len(rows)
