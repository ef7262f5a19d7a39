"""A valid but short extract (hostile round 27, item 17: 3,000 lines of one day) stops the
models that train with one clear line, not a scikit-learn traceback ("Input X contains
infinity")."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from ml_invoices import invoice

from retail_warehouse.ml.evaluation import model_evaluation
from retail_warehouse.ml.frames import TooLittleHistoryError
from retail_warehouse.ml.persisted import fit_registry


@pytest.mark.parametrize("days", [1, 90, 180])
def test_too_little_history_is_one_clear_line(
    make_invoices: Callable[[list[dict[str, object]]], pd.DataFrame], days: int
) -> None:
    rows = [
        invoice(f"{customer}-{day}", customer, day, 10.0 + customer)
        for customer in range(1, 41)
        for day in range(0, days, max(1, days // 5))
    ]
    invoices = make_invoices(rows)
    for name, fit in (
        ("ml_model_evaluation", lambda: model_evaluation(invoices, 90, 365, 4, 12, 3)),
        ("ml_model_registry", lambda: fit_registry(invoices, 90, 365, 4)),
    ):
        with pytest.raises(TooLittleHistoryError) as caught:
            fit()
        message = str(caught.value)
        assert message.startswith(f"too little data for {name}: ")
        assert "2 x ml_horizon_days" in message and "\n" not in message
