"""The closing days of the forecast's trading-day calendar."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from retail_warehouse.ml.holidays import (
    CHRISTMAS_REASON,
    calendar_rows,
    christmas_days,
    closing_days,
    easter_sunday,
    is_closing_day,
    named_closing_days,
)


def test_easter_sundays() -> None:
    assert easter_sunday(2010) == dt.date(2010, 4, 4)
    assert easter_sunday(2011) == dt.date(2011, 4, 24)
    assert easter_sunday(2019) == dt.date(2019, 4, 21)
    assert easter_sunday(2038) == dt.date(2038, 4, 25)  # the latest possible date


def test_the_closing_days_the_data_shows() -> None:
    # Weekdays and Sundays without an invoice in Online Retail II outside Christmas.
    assert sorted(closing_days(2010)) == [
        dt.date(2010, 4, 2),
        dt.date(2010, 4, 4),
        dt.date(2010, 4, 5),
        dt.date(2010, 5, 3),
        dt.date(2010, 5, 31),
        dt.date(2010, 8, 30),
    ]
    assert sorted(closing_days(2011)) == [
        dt.date(2011, 4, 22),
        dt.date(2011, 4, 24),
        dt.date(2011, 4, 25),
        dt.date(2011, 5, 2),
        dt.date(2011, 5, 30),
        dt.date(2011, 8, 29),
    ]
    assert is_closing_day(dt.date(2011, 8, 29))
    assert not is_closing_day(dt.date(2011, 8, 30))


def test_the_closing_days_seed_is_the_forecasts_calendar() -> None:
    # mart_kpi_anomalies reads the seed; the forecast reads the Python calendar: one calendar
    seed = Path(__file__).resolve().parents[4] / "seeds" / "closing_days.csv"
    with seed.open(encoding="utf-8", newline="") as handle:
        rows = [(dt.date.fromisoformat(row[0]), row[1]) for row in list(csv.reader(handle))[1:]]
    years = sorted({day.year for day, _ in rows})
    assert years == list(range(years[0], years[-1] + 1))
    assert years[0] <= 1992 and years[-1] >= 2030  # TPC-H's calendar and the years ahead
    assert rows == calendar_rows(years[0], years[-1])
    closed = {day for day, reason in rows if reason != CHRISTMAS_REASON}
    assert closed == set().union(*(closing_days(year) for year in years))


def test_christmas_days_are_the_forecasts_christmas() -> None:
    days = [day for day, _ in christmas_days(2010)]
    assert days[0] == dt.date(2010, 1, 1)
    assert days[1:] == [dt.date(2010, 12, day) for day in range(24, 32)]
    assert [day for day, _ in named_closing_days(2010)] == sorted(closing_days(2010))
