"""The training sample: which customers the models are fitted and backtested on when there
are more than a cap.

Fitting and backtesting cost grows with the customers (every training cutoff, every
candidate, every permutation), while a model's parameters stop changing long before a
hundred thousand customers. Above ``max_customers`` the fits and backtests therefore use a
fixed sample; scoring, prediction and clustering still cover every customer
(docs/ml.md, "Training sample").

The sample is the ``max_customers`` customers with the smallest :func:`customer_hash`, a
fixed integer mix of the id alone: the same customers on every engine, run and row order,
and a customer in the sample stays in it as others arrive unless a newcomer hashes lower.
Invoices of the customers left out are kept with no customer (as invoices without a
customer already are), so the calendar the models read (first and last invoice day, hence
the as-of date and the cutoffs) is the full data's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def customer_hash(customer_ids: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each integer customer id (the splitmix64 finaliser of id + the
    golden-ratio constant, wrapping arithmetic): pure arithmetic on the id, so it is
    the same on every platform and engine, and spreads neighbouring ids evenly."""
    with np.errstate(over="ignore"):
        z = np.asarray(customer_ids, dtype="int64").astype("uint64") + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX_1
        z = (z ^ (z >> np.uint64(27))) * _MIX_2
        return z ^ (z >> np.uint64(31))


def sampled_customers(customer_ids: np.ndarray, max_customers: int) -> np.ndarray:
    """The distinct ids of ``customer_ids``, all of them when there are at most
    ``max_customers``, else the ``max_customers`` with the smallest :func:`customer_hash`
    (ties by id). Sorted ascending."""
    if max_customers < 1:
        raise ValueError(f"max_customers must be at least 1, got {max_customers}")
    ids = np.unique(np.asarray(customer_ids, dtype="int64"))
    if len(ids) <= max_customers:
        return ids
    order = np.lexsort((ids, customer_hash(ids)))
    return np.sort(ids[order[:max_customers]])


def training_sample(invoices: pd.DataFrame, max_customers: int | None) -> pd.DataFrame:
    """The invoices the models are fitted and backtested on: ``invoices`` itself (the same
    frame) when ``max_customers`` is None or there are no more customers than that, else a
    copy in which the customers outside :func:`sampled_customers` have no customer_id.

    ``invoices`` is the output of :func:`retail_warehouse.ml.frames.prepare_invoices`.
    Row order, days and amounts are unchanged, so the last invoice day (the as-of date),
    the first one and every total that does not group by customer stay the full data's."""
    if max_customers is None:
        return invoices
    known = invoices["customer_id"].notna().to_numpy()
    ids = invoices["customer_id"].to_numpy(dtype="int64", na_value=0)
    distinct = np.unique(ids[known])
    if len(distinct) <= max_customers:
        return invoices
    kept = sampled_customers(distinct, max_customers)
    sample = invoices.copy()
    sample.loc[~(known & np.isin(ids, kept)), "customer_id"] = pd.NA
    return sample


def training_customers(customer_ids: np.ndarray, max_customers: int | None) -> pd.DataFrame:
    """One row per customer of the training sample (``customer_id``, sorted): every id of
    ``customer_ids`` (the customers with an invoice) when ``max_customers`` is None or
    they are no more than that, else :func:`sampled_customers`. The SQL models measure
    these customers at the training cutoffs (``ml_training_customers``), so
    :func:`training_sample` of the invoices and this list keep the same customers."""
    ids = np.unique(np.asarray(customer_ids, dtype="int64"))
    if max_customers is not None:
        ids = sampled_customers(ids, max_customers)
    return pd.DataFrame({"customer_id": ids.astype("int64")})
