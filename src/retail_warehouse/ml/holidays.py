"""The shop's closing days outside Christmas: English bank holidays and Easter Sunday.

Online Retail II has no invoice on exactly these days (and on Saturdays, and between 24
December and the first days of January, which the forecast treats as Christmas weeks), so
they are known in advance and a week that holds one sells less. Rules of England and Wales;
one-off holidays proclaimed for a single year (e.g. 29 April 2011) are not rules and are
left out.
"""

from __future__ import annotations

import datetime as dt
import functools


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


@functools.cache
def closing_days(year: int) -> frozenset[dt.date]:
    """The days of ``year`` outside Christmas the shop is closed: Good Friday, Easter
    Sunday and Monday, the early May, spring and summer bank holidays (first Monday of May,
    last Mondays of May and August)."""
    easter = easter_sunday(year)
    return frozenset(
        {
            easter - dt.timedelta(days=2),
            easter,
            easter + dt.timedelta(days=1),
            _first_monday(year, 5),
            _last_monday(year, 5),
            _last_monday(year, 8),
        }
    )


def is_closing_day(date: dt.date) -> bool:
    """True on a day of :func:`closing_days`."""
    return date in closing_days(date.year)


CHRISTMAS_REASON = "christmas"
"""The reason of the Christmas days in :func:`calendar_rows`."""


def named_closing_days(year: int) -> list[tuple[dt.date, str]]:
    """:func:`closing_days` of ``year`` with their names, in date order."""
    easter = easter_sunday(year)
    named = [
        (easter - dt.timedelta(days=2), "good_friday"),
        (easter, "easter_sunday"),
        (easter + dt.timedelta(days=1), "easter_monday"),
        (_first_monday(year, 5), "early_may_bank_holiday"),
        (_last_monday(year, 5), "spring_bank_holiday"),
        (_last_monday(year, 8), "summer_bank_holiday"),
    ]
    return sorted(named)


def christmas_days(year: int) -> list[tuple[dt.date, str]]:
    """The days of ``year`` the forecast counts as Christmas (its ``_holds_christmas``):
    1 January and 24 to 31 December."""
    days = [dt.date(year, 1, 1)] + [dt.date(year, 12, day) for day in range(24, 32)]
    return [(day, CHRISTMAS_REASON) for day in days]


def calendar_rows(first_year: int, last_year: int) -> list[tuple[dt.date, str]]:
    """Every closing day and Christmas day of the years ``first_year`` to ``last_year``, in
    date order: the rows of ``seeds/closing_days.csv``, the calendar the KPI anomaly mart
    (``mart_kpi_anomalies``) leaves out of its expected values."""
    rows: list[tuple[dt.date, str]] = []
    for year in range(first_year, last_year + 1):
        rows += named_closing_days(year) + christmas_days(year)
    return sorted(rows)
