"""Write ``seeds/closing_days.csv`` from the forecast's calendar
(``retail_warehouse.ml.holidays``), so the KPI anomaly mart leaves out the same days.

Usage: python scripts/write_closing_days_seed.py. The years cover both sources (TPC-H 1992-1998,
Online Retail II 2009-2011) and the decades after; tests/python/unit/ml/test_ml_holidays.py
checks the file equals the calendar.
"""

from __future__ import annotations

import csv
from pathlib import Path

from retail_warehouse.ml.holidays import calendar_rows

SEED = Path(__file__).resolve().parents[1] / "seeds" / "closing_days.csv"
FIRST_YEAR = 1990
LAST_YEAR = 2040


def main() -> None:
    """Write the seed."""
    with SEED.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["closing_date", "closing_reason"])
        for day, reason in calendar_rows(FIRST_YEAR, LAST_YEAR):
            writer.writerow([day.isoformat(), reason])


if __name__ == "__main__":
    main()
