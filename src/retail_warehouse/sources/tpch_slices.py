"""TPC-H by order date: the orders of a date range and their lines, as a folder of eight
files that the loader reads like any other TPC-H folder (the same checks and load log).

TPC-H is generated as one snapshot; an ERP delivers it month by month. ``order_slice``
writes the orders whose ``o_orderdate`` lies in ``[start, end)`` and the lines of those
orders, and links the six other tables unchanged, so loading the slices of a folder one after
the other gives the same raw rows as loading the folder once: the reference tables of the
second slice have the bytes already loaded and are skipped, and every line is in exactly one
slice (a line whose order is in no slice, which the build excludes as ``unknown_order``,
goes with the open-ended last slice). The incremental benchmark loads all but the last month,
builds, then loads the last month (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import duckdb

from retail_warehouse.engines.duckdb import scratch_connection
from retail_warehouse.errors import LoadError
from retail_warehouse.sources.files import DEFAULT_CACHE_DIR
from retail_warehouse.sources.tpch import (
    TABLES,
    _reader,
    _sql_text,
    check_container,
    table_files,
)

SLICED_TABLES = ("orders", "lineitem")
"""The tables a slice filters; the others are the same in every slice."""


def slice_name(start: dt.date | None, end: dt.date | None) -> str:
    """The folder name of a slice: ``orders_1998-07-01_to_end`` and the like."""
    if start is not None and end is not None and start >= end:
        raise LoadError(f"the order dates from {start} before {end} are an empty range")
    if start is None and end is None:
        raise LoadError("a TPC-H slice needs a first order date, an end date, or both")
    return f"orders_{start or 'start'}_to_{end or 'end'}"


def slice_folder(folder: Path, start: dt.date | None, end: dt.date | None, cache_dir: Path) -> Path:
    """Where the slice of ``folder`` is written: the data cache, one folder per source folder
    (by its resolved path) and range."""
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    return cache_dir / "tpch" / "slices" / f"{folder.name}_{digest}" / slice_name(start, end)


def order_date_filter(start: dt.date | None, end: dt.date | None) -> str:
    """SQL condition on the text ``o_orderdate`` (YYYY-MM-DD sorts as the date does)."""
    conditions = []
    if start is not None:
        conditions.append(f"o_orderdate >= '{start.isoformat()}'")
    if end is not None:
        conditions.append(f"o_orderdate < '{end.isoformat()}'")
    return " and ".join(conditions)


def order_slice(
    folder: Path,
    start: dt.date | None,
    end: dt.date | None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
) -> Path:
    """Write (once) and return the folder of the orders dated in ``[start, end)`` of the TPC-H
    folder ``folder``, with their lines and the six other tables. ``None`` leaves that side
    open. Raises ``LoadError`` for a folder that is not a TPC-H folder or a file DuckDB cannot
    read (naming the file)."""
    files = table_files(folder)
    for name in SLICED_TABLES:
        check_container(files[name], files[name].name)
    target = slice_folder(folder, start, end, cache_dir)
    if all((target / f"{name}.parquet").is_file() for name in SLICED_TABLES):
        return target
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    layouts = {layout.name: layout for layout in TABLES}
    for name, path in files.items():
        if name not in SLICED_TABLES:
            _link(path, partial / path.name)
    connection = scratch_connection()
    try:
        orders = _reader(connection, layouts["orders"], files["orders"], files["orders"].name)
        lines = _reader(connection, layouts["lineitem"], files["lineitem"], files["lineitem"].name)
        in_range = f"select * from ({orders}) as orders where {order_date_filter(start, end)}"
        connection.execute(f"create temp table sliced_orders as {in_range}")
        _check_not_empty(connection, orders, files["orders"].name, start, end)
        keep = "l_orderkey in (select o_orderkey from sliced_orders)"
        if end is None:
            every_order = f"select o_orderkey from ({orders}) as every_order"
            keep = f"({keep} or l_orderkey not in ({every_order}))"
        for name, query in (
            ("orders", "select * from sliced_orders"),
            ("lineitem", f"select * from ({lines}) as lines where {keep}"),
        ):
            connection.execute(
                f"copy ({query}) to {_sql_text(str(partial / f'{name}.parquet'))} (format parquet)"
            )
    except duckdb.Error as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise LoadError(f"{folder}: cannot slice by order date: {error}") from error
    except LoadError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        connection.close()
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def _check_not_empty(
    connection: duckdb.DuckDBPyConnection,
    orders: str,
    orders_file: str,
    start: dt.date | None,
    end: dt.date | None,
) -> None:
    """Refuse a range holding no order, naming the range and the dates the file has: it
    used to load as "orders.parquet: no data rows", a file the user never gave."""
    (count,) = connection.execute("select count(*) from sliced_orders").fetchone() or (0,)
    if count:
        return
    first, last = connection.execute(
        f"select min(o_orderdate), max(o_orderdate) from ({orders}) as every_order"
    ).fetchone() or (None, None)
    wanted = " and ".join(
        part
        for part in (
            f"on or after {start}" if start is not None else "",
            f"before {end}" if end is not None else "",
        )
        if part
    )
    held = f"its orders are dated {first} to {last}" if first else "it holds no orders"
    raise LoadError(f"{orders_file}: no order is dated {wanted} ({held}): nothing to load")


def _link(source: Path, link: Path) -> None:
    """A hard link (same bytes, no copy), else a copy when the cache is on another disk."""
    try:
        os.link(source, link)
    except OSError:
        shutil.copy2(source, link)
