"""Fixtures of the ML unit tests: prepared invoice frames."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from ml_invoices import synthetic_rows

from retail_warehouse.ml.frames import prepare_invoices


@pytest.fixture
def make_invoices() -> Callable[[list[dict[str, object]]], pd.DataFrame]:
    """Rows from :func:`invoice` to a prepared invoice frame."""

    def make(rows: list[dict[str, object]]) -> pd.DataFrame:
        return prepare_invoices(pd.DataFrame(rows))

    return make


@pytest.fixture
def synthetic_invoices() -> pd.DataFrame:
    """Prepared synthetic invoices (see :func:`synthetic_rows`)."""
    return prepare_invoices(pd.DataFrame(synthetic_rows()))
