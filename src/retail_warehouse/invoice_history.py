"""An invoice history given to the scorers, checked and turned into ``fct_invoices`` rows.

An invoice record has ``invoice_id``, ``invoice_date`` (a date or ``YYYY-MM-DD``) and
``product_amount`` (GBP of product lines; negative for a cancellation), and optionally
``invoice_kind`` (``sale``, ``cancellation`` or ``adjustment``; default ``sale``, or
``cancellation`` when the amount is negative), ``product_line_count`` (product lines on the
invoice, default 1), ``country_code`` (for forecasts) and ``customer_id`` (for batches).
These are the columns of ``marts.fct_invoices``, and the flags follow its rules: a purchase
is a sale with at least one product line.

The checks of one job (a record the models can read, or a :class:`HistoryError` naming the
first bad record and field), apart from the scorers of :mod:`retail_warehouse.scoring`,
which re-exports ``HistoryError`` and ``invoice_frame`` as the public API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from retail_warehouse.errors import RetailWarehouseError

INVOICE_KINDS: tuple[str, ...] = ("sale", "cancellation", "adjustment")
"""The invoice kinds of ``fct_invoices``."""
MAX_INVOICES = 100_000
"""Most invoices one call scores (all customers of a batch together)."""


class HistoryError(RetailWarehouseError, ValueError):
    """An invoice history that cannot be scored; ``field`` says where (``[3].invoice_date``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


HISTORY_FIELDS: tuple[str, ...] = (
    "customer_id",
    "invoice_id",
    "invoice_date",
    "invoice_kind",
    "product_amount",
    "product_line_count",
    "country_code",
)
"""The fields of an invoice record; others are ignored."""

_MAX_AMOUNT = 1e12


def _first_bad(mask: pd.Series | np.ndarray) -> int | None:
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(positions[0]) if len(positions) else None


def _check(mask: pd.Series | np.ndarray, field: str, message: str, values: pd.Series) -> None:
    """Raise a HistoryError for the first row where ``mask`` is true."""
    index = _first_bad(mask)
    if index is not None:
        value = values.iloc[index]
        shown = value.isoformat() if isinstance(value, dt.date) else repr(value)
        raise HistoryError(f"[{index}].{field}", message.format(value=shown))


def _whole_numbers(values: pd.Series, field: str, default: int) -> np.ndarray:
    present = values.notna()
    numbers = pd.to_numeric(values.where(present), errors="coerce")
    is_bool = values.map(lambda value: isinstance(value, bool | np.bool_))
    bad = present & (
        numbers.isna() | is_bool | (numbers < 0) | (numbers > 2**31 - 1) | (numbers % 1 != 0)
    )
    _check(bad, field, "{value} is not a whole number between 0 and 2147483647", values)
    return numbers.fillna(default).to_numpy(dtype="int64")


def invoice_frame(
    history: pd.DataFrame | Sequence[Mapping[str, Any]],
    as_of_date: dt.date | None = None,
    customer_id: int | None = None,
) -> pd.DataFrame:
    """Check an invoice history and return it as ``fct_invoices`` rows (the columns the
    models read). Records are described in the module docstring. ``customer_id`` fills a
    missing one; ``as_of_date`` rejects later invoices. Raises :class:`HistoryError` naming
    the first bad record and field (``[3].invoice_date``)."""
    if isinstance(history, pd.DataFrame):
        frame = history.reset_index(drop=True)
    else:
        records = list(history)
        for index, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise HistoryError(f"[{index}]", "an invoice must be a record (mapping)")
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    if frame.empty:
        raise HistoryError("history", "at least one invoice is needed")
    if len(frame) > MAX_INVOICES:
        raise HistoryError("history", f"at most {MAX_INVOICES:,} invoices per call")
    frame = frame.astype(object).where(frame.notna(), None)
    for field in HISTORY_FIELDS:
        if field not in frame.columns:
            frame[field] = None
    for field in ("invoice_id", "invoice_date", "product_amount"):
        _check(frame[field].isna(), field, "is required", frame[field])

    ids = frame["invoice_id"].astype(str).str.strip()
    _check(ids == "", "invoice_id", "is required", frame["invoice_id"])
    dates = pd.to_datetime(
        frame["invoice_date"].astype(str).str.strip().str[:10], format="%Y-%m-%d", errors="coerce"
    )
    _check(
        dates.isna(), "invoice_date", "{value} is not a date (YYYY-MM-DD)", frame["invoice_date"]
    )
    days = dates.dt.date
    if as_of_date is not None:
        _check(
            dates > pd.Timestamp(as_of_date),
            "invoice_date",
            "{value} is after the models' as-of date " + as_of_date.isoformat(),
            frame["invoice_date"],
        )
    is_bool = frame["product_amount"].map(lambda value: isinstance(value, bool | np.bool_))
    amounts = pd.to_numeric(frame["product_amount"].where(~is_bool), errors="coerce")
    _check(
        amounts.isna() | ~np.isfinite(amounts) | (amounts.abs() >= _MAX_AMOUNT),
        "product_amount",
        "{value} is not a number below 1e12",
        frame["product_amount"],
    )
    amounts = amounts.astype("float64").round(3)
    kinds = frame["invoice_kind"].where(
        frame["invoice_kind"].notna(), np.where(amounts < 0, "cancellation", "sale")
    )
    kinds = kinds.astype(str)
    _check(
        ~kinds.isin(INVOICE_KINDS),
        "invoice_kind",
        "{value} is not one of " + ", ".join(INVOICE_KINDS),
        frame["invoice_kind"],
    )
    lines = _whole_numbers(frame["product_line_count"], "product_line_count", 1)
    default_customer = 0 if customer_id is None else int(customer_id)
    customers = _whole_numbers(frame["customer_id"], "customer_id", default_customer)
    result = pd.DataFrame(
        {
            "invoice_id": ids,
            "customer_id": customers,
            "country_code": frame["country_code"]
            .where(frame["country_code"].notna(), "")
            .astype(str),
            "invoice_kind": kinds,
            "product_line_count": lines,
            "product_amount": amounts,
            "is_purchase": (kinds == "sale").to_numpy() & (lines > 0),
            "is_cancellation": (kinds == "cancellation").to_numpy(),
            "invoice_date": days,
        }
    )
    _check(
        result.duplicated(["customer_id", "invoice_id"]),
        "invoice_id",
        "{value} appears twice",
        frame["invoice_id"],
    )
    return result
