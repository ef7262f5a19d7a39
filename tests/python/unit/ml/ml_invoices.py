"""Hand-made fct_invoices rows for the ML unit tests (imported by conftest and tests)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

START = dt.date(2010, 1, 4)


def invoice(
    invoice_id: str,
    customer_id: int | None,
    day: int,
    amount: float,
    kind: str = "sale",
    lines: int = 1,
    country: str = "GB",
) -> dict[str, object]:
    """One fct_invoices row, ``day`` days after START."""
    purchase = kind == "sale" and lines > 0
    return {
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "country_code": country,
        "invoice_kind": kind,
        "product_line_count": lines,
        "product_amount": Decimal(f"{amount:.3f}"),
        "is_purchase": purchase,
        "is_cancellation": kind == "cancellation",
        "invoice_date": START + dt.timedelta(days=day),
    }


def synthetic_rows(customers: int = 60, days: int = 730, seed: int = 7) -> list[dict[str, object]]:
    """Two years of invoices: customers with their own order rate, basket size and start
    day, some cancellations, some invoices without a customer and in other countries."""
    random = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    number = 0
    for customer in range(1, customers + 1):
        rate = random.choice([0.005, 0.02, 0.06])
        basket = float(random.choice([50.0, 200.0, 800.0]))
        start = int(random.integers(0, days // 2))
        country = "GB" if customer % 4 else "FR"
        for day in range(start, days):
            if random.random() < rate:
                number += 1
                amount = round(basket * float(random.uniform(0.5, 1.5)), 2)
                lines = int(random.integers(1, 20))
                rows.append(invoice(f"{number:06d}", customer, day, amount, "sale", lines, country))
                if random.random() < 0.1:
                    number += 1
                    rows.append(
                        invoice(f"C{number:06d}", customer, day + 1, -amount / 4, "cancellation")
                    )
    for day in range(0, days, 3):
        number += 1
        rows.append(invoice(f"{number:06d}", None, day, 100.0 + day % 50, "sale", 3, "GB"))
    return rows
