"""The closing days of the forecast's trading-day calendar."""

from __future__ import annotations

import datetime as dt

from retail_warehouse.ml.holidays import closing_days, easter_sunday, is_closing_day


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
