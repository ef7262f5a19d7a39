"""KPI alerts: the anomalies of ``mart_kpi_anomalies`` that new loads brought (docs/alerts.md).

A build knows its new loads: those after the newest load of the published warehouse (the
one ``tested_through_load_id`` names). After dbt has built the shadow copy, ``run_build``
reads the anomalies of the periods of those loads (``load_id`` after it) and prints them
with what it published; the report shows those of the newest load of the published
warehouse; dbt's warning test ``no_new_kpi_anomalies`` (a Dagster asset check of severity
WARN) counts the same rows. Pure functions on plain rows, plus one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retail_warehouse.publish import QueryFunction

ANOMALY_MODEL = "model.retail_warehouse.mart_kpi_anomalies"
"""The mart's node in the dbt manifest."""

ALERTS_SHOWN = 10
"""Most anomalies a build prints (the rest are counted)."""

COLUMNS = (
    "period_grain",
    "series",
    "kpi",
    "period_start_date",
    "actual_value",
    "expected_value",
    "times_expected",
    "anomaly_direction",
    "load_id",
)


@dataclass(frozen=True)
class KpiAnomaly:
    """One flagged row of ``mart_kpi_anomalies``."""

    period_grain: str
    series: str
    kpi: str
    period_start_date: dt.date
    actual_value: float | None
    expected_value: float | None
    times_expected: float | None
    """actual / expected (1 = as expected)."""
    anomaly_direction: str
    load_id: int | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> KpiAnomaly:
        """From a row of :data:`COLUMNS` (engine types: ``Decimal``, dates)."""
        values = dict(zip(COLUMNS, row, strict=True))
        for name in ("actual_value", "expected_value", "times_expected"):
            value = values[name]
            values[name] = float(value) if isinstance(value, Decimal | int | float) else None
        values["load_id"] = None if values["load_id"] is None else int(values["load_id"])
        return cls(**values)


def new_anomalies_sql(relation: str, after_load_id: int | None) -> str:
    """The anomalies of the periods of the loads after ``after_load_id`` (every load when
    ``None``): newest first, the total before the countries, the largest deviation first."""
    where = "is_anomaly" if after_load_id is None else f"is_anomaly and load_id > {after_load_id:d}"
    return (
        f"select {', '.join(COLUMNS)} from {relation} where {where} "
        "order by period_start_date desc, case when series = 'total' then 0 else 1 end, "
        "case when times_expected < 1 then 1 - times_expected else times_expected - 1 end desc, "
        "period_grain, series, kpi"
    )


def read_new_anomalies(
    query: QueryFunction, relation: str, after_load_id: int | None
) -> list[KpiAnomaly]:
    """The anomalies of the loads after ``after_load_id`` in ``relation``."""
    _, rows = query(new_anomalies_sql(relation, after_load_id))
    return [KpiAnomaly.from_row(row) for row in rows]


def _number(value: float | None) -> str:
    """A value as the mart holds it: whole numbers without decimals."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def format_anomaly(anomaly: KpiAnomaly) -> str:
    """``2011-12-09 day total order_count: 44 expected 97.50 (-54.9 %), drop``."""
    times = anomaly.times_expected
    rate = "" if times is None else f" ({100 * (times - 1):+.1f} %)"
    return (
        f"{anomaly.period_start_date.isoformat()} {anomaly.period_grain} {anomaly.series} "
        f"{anomaly.kpi}: {_number(anomaly.actual_value)} expected "
        f"{_number(anomaly.expected_value)}{rate}, {anomaly.anomaly_direction}"
    )


def format_new_anomalies(
    anomalies: Sequence[KpiAnomaly], after_load_id: int | None, shown: int = ALERTS_SHOWN
) -> list[str]:
    """The lines a build prints: how many anomalies its new loads brought and the first
    ``shown`` of them."""
    loads = (
        "every load (nothing published before)"
        if after_load_id is None
        else (f"the loads after {after_load_id}")
    )
    if not anomalies:
        return [f"KPI alerts: no new anomalies in {loads} (mart_kpi_anomalies)"]
    lines = [f"KPI alerts: {len(anomalies):,} new anomalies in {loads} (mart_kpi_anomalies):"]
    lines += [f"  {format_anomaly(anomaly)}" for anomaly in anomalies[:shown]]
    if len(anomalies) > shown:
        lines.append(f"  ... and {len(anomalies) - shown:,} more")
    return lines
