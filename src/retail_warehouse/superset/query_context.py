"""The saved query context of a chart, made from its ``params`` (its form data).

Superset's chart data API (``GET /api/v1/chart/{id}/data/``), alerts, reports and the
thumbnails run a chart from the query context stored with it. Superset's web page builds
that context in the browser (each viz type's ``buildQuery.ts``) and stores it when someone
saves the chart; a chart imported from YAML has none until it is opened and saved by hand.
This module builds the same context in Python for the viz types the dashboards use, so the
import carries it (Superset's importer points its ``datasource`` at the imported dataset).

The shapes follow Superset 6.1's ``buildQueryObject`` and the plugins' ``buildQuery``:
adhoc filters split into ``filters`` (simple ones) and ``extras.where``/``extras.having``
(SQL ones), the time-series charts' x axis as a ``BASE_AXIS`` column with the time grain,
then a pivot to one column per metric (and series), as the browser asks for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from retail_warehouse.errors import ConfigError

PLACEHOLDER_DATASOURCE = {"id": 0, "type": "table"}
"""Replaced by the importer with the imported dataset's id."""

_TIMESERIES = ("echarts_timeseries_line", "echarts_timeseries_bar", "echarts_area")
_SIMPLE_OPERATORS = {
    "==": "==",
    "!=": "!=",
    ">": ">",
    "<": "<",
    ">=": ">=",
    "<=": "<=",
    "IN": "IN",
    "NOT IN": "NOT IN",
    "LIKE": "LIKE",
    "ILIKE": "ILIKE",
    "IS NULL": "IS NULL",
    "IS NOT NULL": "IS NOT NULL",
    "IS TRUE": "IS TRUE",
    "IS FALSE": "IS FALSE",
    "TEMPORAL_RANGE": "TEMPORAL_RANGE",
}


def metric_label(metric: str | Mapping[str, Any]) -> str:
    """The name a metric's values have in the result (Superset's ``getMetricLabel``)."""
    if isinstance(metric, str):
        return metric
    if metric.get("label"):
        return str(metric["label"])
    if metric.get("expressionType") == "SIMPLE":
        return f"{metric['aggregate']}({metric['column']['column_name']})"
    return str(metric.get("sqlExpression"))


def _split_filters(
    adhoc_filters: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Simple adhoc filters as query filters; SQL ones joined into ``where``/``having``."""
    filters: list[dict[str, Any]] = []
    clauses: dict[str, list[str]] = {"WHERE": [], "HAVING": []}
    for adhoc in adhoc_filters:
        if adhoc.get("expressionType") == "SQL":
            clauses[adhoc.get("clause", "WHERE")].append(f"({adhoc['sqlExpression']})")
            continue
        operator = _SIMPLE_OPERATORS.get(str(adhoc.get("operator")))
        if operator is None:
            raise ConfigError(f"adhoc filter operator {adhoc.get('operator')!r} is not supported")
        item: dict[str, Any] = {"col": adhoc["subject"], "op": operator}
        if "comparator" in adhoc and adhoc["comparator"] is not None:
            item["val"] = adhoc["comparator"]
        filters.append(item)
    extras = {"having": " AND ".join(clauses["HAVING"]), "where": " AND ".join(clauses["WHERE"])}
    return filters, extras


def _base_query(params: Mapping[str, Any]) -> dict[str, Any]:
    """``buildQueryObject``: what every viz type's query starts from."""
    filters, extras = _split_filters(params.get("adhoc_filters") or [])
    extra = params.get("extra_form_data") or {}
    filters += list(extra.get("filters") or [])
    if params.get("time_grain_sqla"):
        extras["time_grain_sqla"] = params["time_grain_sqla"]
    return {
        "filters": filters,
        "extras": extras,
        "applied_time_extras": {},
        "columns": [],
        "metrics": [],
        "orderby": [],
        "annotation_layers": [],
        "row_limit": params.get("row_limit"),
        # a chart's series limit (``limit``): its top series by ``timeseries_limit_metric``
        "series_limit": int(params.get("limit") or 0),
        "order_desc": bool(params.get("order_desc", True)),
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "time_range": extra.get("time_range") or params.get("time_range") or "No filter",
        **(
            {"series_limit_metric": params["timeseries_limit_metric"]}
            if params.get("timeseries_limit_metric")
            else {}
        ),
    }


def _timeseries(params: Mapping[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    x_axis = params["x_axis"]
    groupby = list(params.get("groupby") or [])
    metrics = list(params.get("metrics") or [])
    labels = [metric_label(metric) for metric in metrics]
    query.update(
        columns=[
            {
                "timeGrain": params.get("time_grain_sqla"),
                "columnType": "BASE_AXIS",
                "sqlExpression": x_axis,
                "label": x_axis,
                "expressionType": "SQL",
            },
            *groupby,
        ],
        series_columns=groupby,
        metrics=metrics,
        orderby=[
            [query.get("series_limit_metric") or metrics[0], not params.get("order_desc", True)]
        ]
        if groupby
        else [],
        time_offsets=[],
        post_processing=[
            {
                "operation": "pivot",
                "options": {
                    "index": [x_axis],
                    "columns": groupby,
                    "aggregates": {label: {"operator": "mean"} for label in labels},
                    "drop_missing_columns": False,
                },
            },
            {"operation": "flatten"},
        ],
    )
    return query


def _table(params: Mapping[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    if params.get("query_mode", "aggregate") == "raw":
        query.update(
            columns=list(params.get("all_columns") or []),
            orderby=[json.loads(item) for item in params.get("order_by_cols") or []],
            post_processing=[],
        )
        return query
    # aggregate mode: one row per group; percent metrics are each row's share of the rows
    metrics = list(params.get("metrics") or [])
    percent = list(params.get("percent_metrics") or [])
    sort_by = params.get("timeseries_limit_metric") or (metrics[0] if metrics else None)
    labels = [metric_label(metric) for metric in percent]
    query.update(
        columns=list(params.get("groupby") or []),
        metrics=metrics + [metric for metric in percent if metric not in metrics],
        orderby=[[sort_by, not params.get("order_desc", True)]] if sort_by else [],
        post_processing=[
            {
                "operation": "contribution",
                "options": {
                    "columns": labels,
                    "rename_columns": [f"%{label}" for label in labels],
                },
            }
        ]
        if percent
        else [],
    )
    return query


def paginated(params: Mapping[str, Any], query: dict[str, Any]) -> list[dict[str, Any]]:
    """A table with server pagination asks for its first page and, in a second query, how
    many rows its row limit holds (``is_rowcount``): the dashboard shows the row-limit
    warning when that count reaches the limit, and pages through the rest."""
    page_length = int(params.get("server_page_length") or 10)
    return [
        {**query, "row_limit": page_length, "row_offset": 0},
        {
            **query,
            "time_offsets": [],
            "row_limit": int(params.get("row_limit") or 0),
            "row_offset": 0,
            "post_processing": [],
            "is_rowcount": True,
        },
    ]


def _big_number_total(params: Mapping[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    query.update(metrics=[params["metric"]], post_processing=[])
    return query


def _pie(params: Mapping[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    metric = params["metric"]
    query.update(
        columns=list(params.get("groupby") or []),
        metrics=[metric],
        orderby=[[metric, False]] if params.get("sort_by_metric") else [],
        post_processing=[],
    )
    return query


_BUILDERS = {
    **dict.fromkeys(_TIMESERIES, _timeseries),
    "table": _table,
    "big_number_total": _big_number_total,
    "pie": _pie,
}


def query_context(params: Mapping[str, Any]) -> dict[str, Any]:
    """The query context Superset's page would save for a chart with these ``params``."""
    viz_type = params.get("viz_type")
    builder = _BUILDERS.get(str(viz_type))
    if builder is None:
        raise ConfigError(f"no query context for viz type {viz_type!r}")
    query = builder(params, _base_query(params))
    queries = (
        paginated(params, query)
        if viz_type == "table" and params.get("server_pagination")
        else [query]
    )
    return {
        "datasource": dict(PLACEHOLDER_DATASOURCE),
        "force": False,
        "queries": queries,
        "form_data": dict(params),
        "result_format": "json",
        "result_type": "full",
    }
