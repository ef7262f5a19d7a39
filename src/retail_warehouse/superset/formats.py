"""How Superset shows the warehouse's numbers and names: labels, money, shares.

One rule for every dataset and chart, from the style guide's naming (STYLE.md, "Naming"):
money is ``numeric(18, 2)`` named for what it measures (``net_revenue``, ``gross_sales``,
``*_amount``, ``average_order_value``...) in the source's currency; ratios 0..1 end in
``_rate`` or ``_share``; counts end in ``_count``. Labels come from the semantic layer
(a metric's or dimension's ``label``), else a column's ``meta.label`` in its dbt YAML, else
the column's name in words (``revenue_share`` -> "Revenue share").

The currency is the source's (vars ``online_retail_currency``/``tpch_currency`` of
dbt_project.yml, by ``RW_SALES_SOURCE``), so the bundle says GBP for Online Retail II.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

MONEY_FORMAT = ",.2f"
SHARE_FORMAT = ".1%"
COUNT_FORMAT = ",d"

_MONEY_WORDS = re.compile(r"(revenue|sales|amount|order_value|monetary|unit_price)")
# the forecast's interval bounds and last year's figure, money without a money word
_MONEY_NAMES = frozenset({"lower_80", "upper_80", "same_week_last_year"})
_NOT_MONEY = re.compile(r"(_rate|_share|_pct|_count|_rank|_days)$")
_SHARE = re.compile(r"(_rate|_share)$")
_COUNT = re.compile(r"(_count|^count)$")
_ACRONYMS = {
    "rfm": "RFM",
    "abc": "ABC",
    "id": "id",
    "aov": "AOV",
    "mom": "MoM",
    "yoy": "YoY",
    "kpi": "KPI",
}


def is_money(name: str) -> bool:
    """True for a money column or metric, by the naming rule."""
    if name in _MONEY_NAMES:
        return True
    return bool(_MONEY_WORDS.search(name)) and not _NOT_MONEY.search(name)


def is_share(name: str) -> bool:
    """True for a ratio 0..1 (``_rate``, ``_share``)."""
    return bool(_SHARE.search(name))


def words(name: str) -> str:
    """A column name in words: ``country__country_name`` -> "Country name" (the joined
    dimension's own name), ``rfm_segment`` -> "RFM segment"."""
    base = name.split("__")[-1]
    parts = [_ACRONYMS.get(part, part) for part in base.split("_") if part]
    text = " ".join(parts)
    return text[:1].upper() + text[1:] if text else name


def label(name: str, spec: Mapping[str, Any] | None = None) -> str:
    """The label of a column or metric: its ``label``, else ``meta.label`` (dbt), else
    its name in words."""
    spec = spec or {}
    meta = spec.get("meta") or (spec.get("config") or {}).get("meta") or {}
    return str(spec.get("label") or meta.get("label") or words(name))


def currency_format(currency: str | None) -> dict[str, str] | None:
    """Superset's currency setting for amounts in ``currency`` (ISO 4217)."""
    return {"symbol": currency, "symbolPosition": "prefix"} if currency else None


def metric_format(name: str, currency: str | None) -> dict[str, Any]:
    """``d3format`` and ``currency`` of a dataset metric named ``name``."""
    if is_money(name):
        return {"d3format": MONEY_FORMAT, "currency": currency_format(currency)}
    if is_share(name):
        return {"d3format": SHARE_FORMAT, "currency": None}
    if _COUNT.search(name):
        return {"d3format": COUNT_FORMAT, "currency": None}
    return {"d3format": None, "currency": None}


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _metric_column(metric: Any) -> str:
    """The column or saved-metric name behind a chart's metric (for a SQL metric, the first
    column it names: ``SUM(GREATEST(lower_80, 0))`` -> lower_80)."""
    if isinstance(metric, str):
        return metric
    if metric.get("expressionType") == "SIMPLE":
        return str(metric["column"]["column_name"])
    names = _IDENTIFIER.findall(str(metric.get("sqlExpression") or ""))
    return next((name for name in names if "_" in name), str(metric.get("label") or ""))


SOURCE_CURRENCY = "source"
"""A chart's ``currency_format`` when its metrics are money that the naming rule cannot
see (``actual_value`` of the net revenue KPI): replaced by the source's currency."""


def chart_params(params: Mapping[str, Any], currency: str | None) -> dict[str, Any]:
    """A chart's params with the formats of the rule added where the chart sets none: a
    table's money, share and count columns (``column_config``), a chart of money metrics its
    currency (``currency_format``, also where the chart says ``source``)."""
    result = dict(params)
    money = currency_format(currency)
    if result.get("currency_format") == SOURCE_CURRENCY:
        del result["currency_format"]
        if money:
            result["currency_format"] = money
    if result.get("viz_type") == "table":
        config = dict(result.get("column_config") or {})
        for column in result.get("all_columns") or []:
            if column in config:
                continue
            if is_money(column):
                config[column] = {"d3NumberFormat": MONEY_FORMAT, "currencyFormat": money}
            elif is_share(column):
                config[column] = {"d3NumberFormat": SHARE_FORMAT}
            elif _COUNT.search(column):
                config[column] = {"d3NumberFormat": COUNT_FORMAT}
        for metric in result.get("percent_metrics") or []:
            config.setdefault(f"%{_metric_column(metric)}", {"d3NumberFormat": SHARE_FORMAT})
        if config:
            result["column_config"] = config
        return result
    metrics = list(result.get("metrics") or []) + (
        [result["metric"]] if result.get("metric") else []
    )
    names = [_metric_column(metric) for metric in metrics]
    if money and names and "currency_format" not in result and all(map(is_money, names)):
        result["currency_format"] = money
    return result


def source_currency(project: Path, environ: Mapping[str, str]) -> str | None:
    """The currency of the sales source the warehouse is built from (``RW_SALES_SOURCE``,
    default online_retail), from the vars of dbt_project.yml."""
    source = environ.get("RW_SALES_SOURCE") or "online_retail"
    project_vars = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8"))
    value = (project_vars.get("vars") or {}).get(f"{source}_currency")
    return str(value) if value else None
