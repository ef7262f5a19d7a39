"""The stage: a file bulk-read into a temporary table, checked in SQL against its source
system's rules, with the rows set aside in quarantine mode, on either engine.

The whole stage is checked in one query built from the system's rules (required columns,
longest value, value patterns, real date-times); for the first offending row (or, in
quarantine mode, every one) the system's ``row_problem`` says which column is wrong and why,
so the SQL and the message never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from retail_warehouse.engines import REJECTS_TABLE, STAGE_TABLE, Warehouse
from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput, open_input
from retail_warehouse.messages import problem_message
from retail_warehouse.sources import SourceSystem
from retail_warehouse.sources.quarantine import Rejected
from retail_warehouse.sources.scan import (
    ScannedCsv,
    field_count_message,
    rescan,
    scan_input,
    utf8_problem,
)


def _distinct_values(column: str) -> str:
    """SQL for the distinct values of a stage column, to match each value once, not per row.

    ``offset 0`` stops PostgreSQL from pushing the outer regular expression below the
    ``distinct`` (where it would run on every row, about a second per column for 1M rows).
    """
    return f"select distinct {column} as value from {STAGE_TABLE} offset 0"


def rechecked_values(warehouse: Warehouse, system: SourceSystem) -> dict[str, list[str]]:
    """Per rechecked column, the distinct stage values that match the column's pattern (if
    it has one) but that the system's ``value_problem`` refuses (raw column -> values):
    dates that do not exist, values out of range, unknown codes. Each distinct value is
    checked once, in Python, so the rule has one home; a column's ``recheck_patterns`` entry
    narrows the values sent to Python to those that could be refused."""
    found: dict[str, list[str]] = {}
    for column in system.rechecked_columns:
        name = system.columns[column]
        conditions = ["value <> ''"]
        params: list[str] = []
        for pattern in (system.patterns.get(column), system.recheck_patterns.get(column)):
            if pattern:
                conditions.append(warehouse.matches("value"))
                params.append(pattern)
        rows = warehouse.query(
            f"select value from ({_distinct_values(name)}) as distinct_values "
            f"where {' and '.join(conditions)}",
            params,
        )
        bad = sorted(value for (value,) in rows if system.value_problem(column, value))
        if bad:
            found[name] = bad
    return found


def first_bad_row_query(
    warehouse: Warehouse,
    system: SourceSystem,
    rechecked: dict[str, list[str]],
    limit: int | None = 1,
) -> tuple[str, list[Any]]:
    """SQL (and parameters) for the first stage rows that break a rule (all of them when
    ``limit`` is None), with their row numbers, in file order."""
    conditions: list[str] = []
    params: list[Any] = []
    for column in system.required:
        name = system.columns[column]
        conditions.append(f"{name} is null or trim({name}) = ''")  # blank, as staging sees it
    for name in system.columns.values():
        conditions.append(f"length({name}) > {system.max_field_length}")
    for column, pattern in system.patterns.items():
        name = system.columns[column]
        conditions.append(
            f"{name} in (select value from ({_distinct_values(name)}) as distinct_values "
            f"where value <> '' and not {warehouse.matches('value')})"
        )
        params.append(pattern)
    for name, values in rechecked.items():
        conditions.append(warehouse.in_list(name))
        params.append(list(values))
    where = " or ".join(f"({condition})" for condition in conditions)
    sql = (
        f"select {warehouse.row_number} as row_number, {', '.join(system.columns.values())} "
        f"from {STAGE_TABLE} where {where} order by 1"
    )
    if limit is not None:
        sql += f" limit {int(limit)}"
    return sql, params


def _problem(system: SourceSystem, values: Sequence[Any]) -> tuple[str | None, str]:
    """The column and reason of a row the SQL found."""
    row = dict(zip(system.header, values, strict=True))
    problem = system.row_problem(row)
    if problem:
        return problem
    blank = (name for name in system.required if (row.get(name) or "").strip(" ") == "")
    column = next(blank, None)
    return (
        (column, "the value is blank (only spaces)") if column else (None, "the row breaks a rule")
    )


def validate_stage(
    warehouse: Warehouse,
    system: SourceSystem,
    file_name: str,
    line_of_row: Callable[[int], int] = lambda row: row + 1,
    position: str = "line",
    loaded_keys_from: str | None = None,
) -> int:
    """Check every staged row; raise ``LoadError`` for the first bad one (at its physical
    line, or its row for ``position`` ``row``: a Parquet file), else return the count.
    ``loaded_keys_from`` (a raw table, for a load that appends) refuses a ``unique_key``
    that an earlier load already holds."""
    count = staged_rows(warehouse)
    if count == 0:
        raise LoadError(f"{file_name}: no data rows after the header")
    sql, params = first_bad_row_query(warehouse, system, rechecked_values(warehouse, system))
    rows = warehouse.query(sql, params)
    if rows:
        row_number, *values = rows[0]
        column, message = _problem(system, values)
        line = line_of_row(int(row_number))
        raise LoadError(problem_message(file_name, line, column, message, position))
    repeat = _repeated_key(warehouse, system)
    if repeat is not None:
        (first, second), value = repeat
        message = f"{value!r} is a key already on {position} {line_of_row(first)}"
        column = system.unique_key
        raise LoadError(problem_message(file_name, line_of_row(second), column, message, position))
    loaded = _loaded_key(warehouse, system, loaded_keys_from) if loaded_keys_from else None
    if loaded is not None:
        row, value, load_id = loaded
        message = (
            f"{value!r} is a key that load {load_id} already holds (staging tests keys as "
            "unique across loads): load the table with --replace to replace its rows"
        )
        column = system.unique_key
        raise LoadError(problem_message(file_name, line_of_row(row), column, message, position))
    return count


def _loaded_key(
    warehouse: Warehouse, system: SourceSystem, raw_table: str
) -> tuple[int, str, int] | None:
    """The first stage row whose ``unique_key`` (as a number) ``raw_table`` already holds:
    (its row, its value, the newest load holding it), or ``None``."""
    if system.unique_key is None:
        return None
    name = system.columns[system.unique_key]
    rows = warehouse.query(
        f"select staged.row_number, staged.value, loaded.load_id from ("
        f"select {warehouse.row_number} as row_number, {name} as value from {STAGE_TABLE}"
        f") as staged inner join ("
        f"select cast({name} as bigint) as key_number, max(load_id) as load_id "
        f"from {raw_table} group by 1"
        f") as loaded on cast(staged.value as bigint) = loaded.key_number "
        "order by 1 limit 1"
    )
    if not rows:
        return None
    return int(rows[0][0]), str(rows[0][1]), int(rows[0][2])


def _repeated_key(warehouse: Warehouse, system: SourceSystem) -> tuple[tuple[int, int], str] | None:
    """The first stage row (in file order) whose ``unique_key`` is, as a number, the key of
    an earlier row: (the earlier row, this row) and its value, or ``None``. Runs once every
    value has passed its pattern and bound (whole numbers)."""
    if system.unique_key is None:
        return None
    name = system.columns[system.unique_key]
    number = f"cast({name} as bigint)"
    rows = warehouse.query(
        f"select {warehouse.row_number} as row_number, {name} from {STAGE_TABLE} "
        f"where {number} in (select {number} from {STAGE_TABLE} group by 1 having count(*) > 1) "
        "order by 1",
    )
    seen: dict[int, int] = {}
    for row_number, value in rows:  # the first row, in file order, whose key came before
        if int(value) in seen:
            return (seen[int(value)], int(row_number)), str(value)
        seen[int(value)] = int(row_number)
    return None


def find_rejects(
    warehouse: Warehouse,
    system: SourceSystem,
    screened: Sequence[Rejected],
    line_of_row: Callable[[int], int],
) -> list[Rejected]:
    """Every stage row that breaks a rule (quarantine mode): the lines the screening already
    rejected, then the rows whose values are wrong, in file order."""
    by_row = {rejected.row_number: rejected for rejected in screened}
    sql, params = first_bad_row_query(
        warehouse, system, rechecked_values(warehouse, system), limit=None
    )
    for row_number, *values in warehouse.query(sql, params):
        if int(row_number) in by_row:
            continue
        column, reason = _problem(system, values)
        number = int(row_number)
        by_row[number] = Rejected(number, line_of_row(number), column, reason, tuple(values), None)
    return [by_row[row_number] for row_number in sorted(by_row)]


def create_stage(warehouse: Warehouse, system: SourceSystem, csv_input: CsvInput) -> None:
    """Bulk-read the CSV into the stage; an invalid UTF-8 message gets its column added."""
    try:
        warehouse.create_stage(
            csv_input,
            system.columns,
            lambda message: field_count_message(csv_input, len(system.columns), message),
        )
    except LoadError as error:
        if "not valid UTF-8" not in str(error):
            raise
        # The engine's line is not the physical line after a quoted value spanning lines:
        # the file itself says where the first byte that is not UTF-8 is, and in which column.
        with open_input(csv_input) as handle:
            message = utf8_problem(handle, csv_input.display_name, system.header)
        if message is None:
            raise
        raise LoadError(message) from error.__cause__


def stage_rejects(warehouse: Warehouse, rejects: Sequence[Rejected]) -> None:
    """Record the row numbers set aside in a temporary table (committed; connection-local)."""
    warehouse.execute(f"drop table if exists {REJECTS_TABLE}")
    warehouse.execute(f"create temp table {REJECTS_TABLE} (row_number bigint)")
    numbers = [rejected.row_number for rejected in rejects]
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start : start + 1000]
        placeholders = ", ".join("(?)" for _ in chunk)
        warehouse.execute(f"insert into {REJECTS_TABLE} values {placeholders}", chunk)
    warehouse.commit()


def stage_file(
    warehouse: Warehouse,
    system: SourceSystem,
    csv_input: CsvInput,
    folder: Path,
    progress: TextIO | None = None,
    loaded_keys_from: str | None = None,
) -> int:
    """A normal (not quarantine) load's reading: scan the file (``sources.scan``), bulk-read
    it into the stage and check every row; returns the row count or raises ``LoadError`` at
    the first problem, by physical line. ``folder`` holds a trimmed copy if one is needed."""
    scanned = scan_input(csv_input, system.header, progress)
    scanned.raise_first_problem(csv_input)
    create_stage(warehouse, system, scanned.trimmed(csv_input, folder))
    staged = staged_rows(warehouse)
    if staged != scanned.rows and not scanned.precise:
        scanned = rescan(csv_input, system.header)  # a quoted value spans lines
    check_row_count(warehouse, csv_input.display_name, staged, scanned.rows)
    return validate_stage(
        warehouse,
        system,
        csv_input.display_name,
        file_line(scanned, csv_input),
        csv_input.position,
        loaded_keys_from,
    )


def check_row_count(warehouse: Warehouse, file_name: str, staged: int, scanned: int) -> None:
    """Fail when the engine read another number of rows than the scan counted: a bulk reader
    that stopped early (PostgreSQL's ``COPY`` ends at a line ``\\.``) or split the file
    otherwise must never load part of a file as if it were all of it."""
    if staged != scanned:
        raise LoadError(
            f"{file_name}: {warehouse.target} read {staged:,} data rows but the file has "
            f"{scanned:,}; nothing was loaded (the engine split the file differently: "
            "please report it)"
        )


def file_line(scanned: ScannedCsv, csv_input: CsvInput) -> Callable[[int], int]:
    """The line of a staged row in the file the user gave: the scanned CSV's line, less the
    header line a headerless file (a TPC-H .tbl, turned into a CSV with a header) lacks; for
    a workbook, the row's own line, whatever line breaks the cells above it hold."""
    return lambda row: csv_input.place(row, scanned.line_of_row(row))


def staged_rows(warehouse: Warehouse) -> int:
    """The rows in the stage."""
    return int(warehouse.query(f"select count(*) from {STAGE_TABLE}")[0][0])
