"""Inputs of the ML models: adapter relations to pandas, invoice preparation, parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

INVOICE_COLUMNS: tuple[str, ...] = (
    "invoice_id",
    "customer_id",
    "country_code",
    "invoice_kind",
    "product_line_count",
    "product_amount",
    "is_purchase",
    "is_cancellation",
    "invoice_date",
)
"""The columns of ``fct_invoices`` the models use."""

EPOCH = dt.date(1970, 1, 1)


def relation_to_pandas(relation: Any, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Turn what ``dbt.ref()`` returns into a pandas DataFrame, on every adapter.

    dbt-duckdb returns a DuckDB relation (``.df()``); dbt-pybridge returns a lazy frame
    (``.as_dataframe()``); on Spark (adapter ``sparkpy``) it is a Spark DataFrame
    (``.toPandas()``); a DataFrame is returned as it is (unit tests). With ``columns``
    only those columns are kept: DuckDB and Spark project before anything reaches pandas
    (DuckDB through Arrow: :func:`_from_arrow`), dbt-pybridge (PostgreSQL) loads the table
    and pandas keeps them.
    """
    if isinstance(relation, pd.DataFrame):
        return relation
    as_dataframe = getattr(type(relation), "as_dataframe", None)
    if callable(as_dataframe):
        # dbt-pybridge loads a table whole: its size check takes a table name, so a
        # projection (``select``) fails with "invalid name syntax"; the columns are kept here
        frame = relation.as_dataframe()
        return frame if columns is None else frame.loc[:, list(columns)]
    if columns is not None:
        relation = _projected(relation, list(columns))
        if callable(getattr(type(relation), "to_arrow_table", None)):
            return _from_arrow(relation.to_arrow_table())
    to_df = getattr(type(relation), "df", None)
    if callable(to_df):
        return relation.df()
    to_pandas = getattr(type(relation), "toPandas", None)
    if callable(to_pandas):
        return relation.toPandas()
    raise TypeError(f"cannot turn {type(relation).__name__} into a pandas DataFrame")


def _projected(relation: Any, columns: list[str]) -> Any:
    """``relation`` restricted to ``columns``, in the adapter's own terms: a SQL projection
    for DuckDB (``project``), column names for Spark."""
    if callable(getattr(type(relation), "df", None)):
        return relation.project(_duckdb_projection(relation, columns))
    if callable(getattr(type(relation), "toPandas", None)):
        return relation.select(*columns)
    raise TypeError(f"cannot turn {type(relation).__name__} into a pandas DataFrame")


def _duckdb_projection(relation: Any, columns: list[str]) -> str:
    """The select list of ``columns`` with decimals cast to double in DuckDB, the values
    ``.df()`` gives them (through Arrow they would be one Python Decimal per value)."""
    kinds = dict(zip(relation.columns, (str(kind) for kind in relation.dtypes), strict=True))
    return ", ".join(
        f"cast({column} as double) as {column}" if kinds[column].startswith("DECIMAL") else column
        for column in columns
    )


def _from_arrow(table: Any) -> pd.DataFrame:
    """A DuckDB projection's Arrow table as pandas, strings kept in Arrow buffers (pandas'
    ``str`` dtype) and dates as datetime64: ``.df()`` makes a Python object of every string
    first (loading and preparing fct_invoices at TPC-H SF 1 peaked at 1.02 GiB that way,
    0.76 GiB this way; docs/benchmark.md)."""
    import pyarrow as pa

    strings = pd.StringDtype("pyarrow", na_value=np.nan)

    def dtype_of(kind: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
        return strings if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None

    return table.to_pandas(date_as_object=False, types_mapper=dtype_of)


def day_number(value: dt.date) -> int:
    """Days since 1970-01-01: the integer day scale all windows are computed on."""
    return (value - EPOCH).days


def from_day_number(day: int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(day))


def prepare_invoices(invoices: pd.DataFrame) -> pd.DataFrame:
    """Normalise ``fct_invoices`` as read from either engine.

    Money becomes integer thousandths of a GBP (``product_milli``, exact: amounts have three
    decimals), so sums never depend on the engine's float or Decimal types; the date becomes
    an integer day number (``day``); rows are sorted by invoice_id so the engine's row order
    never matters. Returns a new frame with the columns of :data:`INVOICE_COLUMNS` plus
    ``product_milli`` and ``day``.
    """
    missing = [column for column in INVOICE_COLUMNS if column not in invoices.columns]
    if missing:
        raise ValueError(f"fct_invoices is missing columns: {missing}")
    frame = invoices.loc[:, list(INVOICE_COLUMNS)].copy()
    frame["invoice_id"] = frame["invoice_id"].astype(str)
    frame["customer_id"] = pd.to_numeric(frame["customer_id"]).astype("Int64")
    frame["country_code"] = frame["country_code"].astype(str)
    frame["invoice_kind"] = frame["invoice_kind"].astype(str)
    frame["product_line_count"] = pd.to_numeric(frame["product_line_count"]).astype("int64")
    # astype calls float() on Decimal values, as a loop over them would, in C.
    amount = frame["product_amount"].to_numpy().astype("float64")
    frame["product_milli"] = np.rint(amount * 1000.0).astype("int64")
    frame["is_purchase"] = frame["is_purchase"].astype(bool)
    frame["is_cancellation"] = frame["is_cancellation"].astype(bool)
    dates = pd.to_datetime(frame["invoice_date"])
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    # Whole days since 1970-01-01 (day_number of each date), without a Python loop.
    frame["day"] = dates.to_numpy(dtype="datetime64[D]").astype("int64")
    frame = frame.drop(columns=["product_amount", "invoice_date"])
    return frame.sort_values("invoice_id", kind="mergesort").reset_index(drop=True)


def parse_int(value: Any, name: str, default: int | None = None) -> int | None:
    """A model parameter as an int. dbt passes config values from ``var()`` as strings;
    empty, ``none`` and ``null`` give ``default``."""
    if value is None:
        return default
    text = str(value).strip()
    if text.lower() in {"", "none", "null"}:
        return default
    try:
        return int(float(text))
    except ValueError as error:
        raise ValueError(f"{name}: expected an integer, got {value!r}") from error


def parse_float(value: Any, name: str, default: float) -> float:
    """A model parameter as a float, like :func:`parse_int` (empty, ``none`` and ``null``
    give ``default``)."""
    if value is None or str(value).strip().lower() in {"", "none", "null"}:
        return default
    try:
        return float(str(value).strip())
    except ValueError as error:
        raise ValueError(f"{name}: expected a number, got {value!r}") from error


def last_day(invoices: pd.DataFrame) -> int:
    """The last day with an invoice (any kind, any customer): the as-of day of the models."""
    if invoices.empty:
        raise ValueError("no invoices: the models need at least one")
    return int(invoices["day"].max())


class TooLittleHistoryError(ValueError):
    """The invoices span too few days for the models: raised before any fitting, with one
    line saying what is missing (a too-short extract gave a scikit-learn traceback, "Input X
    contains infinity")."""


def check_history(invoices: pd.DataFrame, horizon_days: int, model: str) -> None:
    """Raise ``TooLittleHistoryError`` unless the invoices with a customer span at least two
    horizons (``2 * ml_horizon_days`` days): the customer models train at a cutoff one
    horizon before the as-of date on customers active before it, and the backtest tests at
    a cutoff one horizon earlier still."""
    with_customer = invoices[invoices["customer_id"].notna()] if not invoices.empty else invoices
    span = None
    if not with_customer.empty:
        span = int(with_customer["day"].min()), int(with_customer["day"].max())
    check_history_span(span, horizon_days, model)


def check_history_span(span: tuple[int, int] | None, horizon_days: int, model: str) -> None:
    """:func:`check_history` from the first and last day of an invoice with a customer
    (``span``, None without one), as the SQL model ``int_ml_cutoffs_listed`` stores them."""
    needed = 2 * horizon_days
    if span is None:
        raise TooLittleHistoryError(
            f"too little data for {model}: no invoice has a customer; the ML models need "
            f"at least {needed} days (2 x ml_horizon_days) of invoices with customers"
        )
    first, last = span
    if last - first < needed:
        raise TooLittleHistoryError(
            f"too little data for {model}: the invoices with a customer span "
            f"{last - first + 1} day(s), {from_day_number(first)} to {from_day_number(last)}; "
            f"the ML models need more than {needed} days (2 x ml_horizon_days): load a longer "
            "extract, or lower ml_horizon_days"
        )
