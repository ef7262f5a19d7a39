"""Superset's import bundle from the dbt project: the warehouse database, one dataset per
model the dashboards read (columns and descriptions from dbt's manifest) and one dataset per
semantic model (its metrics translated from the semantic layer), beside the charts and
dashboards kept as YAML in ``bi/superset/``.

Everything here is pure: the manifest is a parsed ``manifest.json``, the column types come
from the warehouse's catalogue (read by the caller), and the result is a mapping of bundle
paths to YAML text. Identifiers are UUIDs derived from names, so the static charts can point
at a generated dataset and a re-import updates in place.

The semantic layer's measures and metrics become Superset dataset metrics (SQL aggregate
expressions): a simple metric is its measure's aggregate, with the metric's filter moved
inside it (``SUM(CASE WHEN filter THEN expr END)``); a ratio metric divides its two metrics;
a derived metric without offsets substitutes its metrics into its expression. Metrics that
plain SQL over one dataset cannot express (offset windows, cumulative and conversion
metrics, percentile measures) are left out and listed in ``Bundle.skipped_metrics``.

Over 400 lines because the translation is one job: the dataset, metric and join rules share
the manifest walk and the UUID scheme, and splitting them would pass that state between
modules.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retail_warehouse.errors import ConfigError
from retail_warehouse.superset import formats
from retail_warehouse.superset.query_context import query_context

BUNDLE_VERSION = "1.0.0"
"""The version of Superset's v1 import/export format."""

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "retail-warehouse/superset")
DATABASE_NAME = "retail_warehouse"
"""The database's name in Superset (Settings -> Database connections)."""

SEMANTIC_PREFIX = "semantic_"
"""Name prefix of the datasets made from the semantic models (``semantic_invoices``)."""

DASHBOARD_EXPOSURES: tuple[str, ...] = (
    "monthly_sales_review",
    "customer_segments_rfm",
    "customer_360",
    "product_performance",
    "sales_forecast",
    "data_quality",
)
"""The dbt exposures that are Superset dashboards; their models become datasets."""

_AGGREGATES = {
    "sum": "SUM({expr})",
    "count": "COUNT({expr})",
    "count_distinct": "COUNT(DISTINCT {expr})",
    "average": "AVG({expr})",
    "min": "MIN({expr})",
    "max": "MAX({expr})",
    "sum_boolean": "SUM(CASE WHEN {expr} THEN 1 ELSE 0 END)",
}
_DIMENSION_REF = re.compile(r"\{\{\s*Dimension\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")
_WORD = re.compile(r"\b[a-z_][a-z0-9_]*\b")
# PostgreSQL data types (information_schema.columns.data_type) that are times.
_TEMPORAL_TYPES = ("date", "timestamp", "time")


def stable_uuid(kind: str, name: str) -> str:
    """The UUID of one bundle object, from its kind and name (the same on every run)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{name}"))


def dataset_uuid(table_name: str) -> str:
    """The UUID of the dataset named ``table_name`` (a model, or ``semantic_<name>``)."""
    return stable_uuid("dataset", table_name)


DATABASE_UUID = stable_uuid("database", DATABASE_NAME)


@dataclass(frozen=True)
class Column:
    """One column of a warehouse relation as the catalogue reports it."""

    name: str
    data_type: str

    @property
    def is_temporal(self) -> bool:
        """True for dates and timestamps (Superset's time columns)."""
        return self.data_type.lower().startswith(_TEMPORAL_TYPES)


Catalogue = Mapping[tuple[str, str], Sequence[Column]]
"""(schema, table) -> its columns in order, as the BI role sees them."""


@dataclass(frozen=True)
class Bundle:
    """The generated part of the import bundle and what was left out."""

    files: dict[str, str]
    datasets: tuple[str, ...]
    skipped_metrics: tuple[str, ...] = ()
    missing_relations: tuple[str, ...] = ()
    metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _dump(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)


def database_yaml(sqlalchemy_uri: str) -> str:
    """``databases/retail_warehouse.yaml``: the warehouse as the BI role, read-only."""
    return _dump(
        {
            "database_name": DATABASE_NAME,
            "sqlalchemy_uri": sqlalchemy_uri,
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_csv_upload": False,
            "extra": {"allows_virtual_table_explore": True},
            "uuid": DATABASE_UUID,
            "version": BUNDLE_VERSION,
        }
    )


def _models_by_name(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        node["name"]: node
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    }


def exposure_models(manifest: Mapping[str, Any], exposures: Iterable[str]) -> list[str]:
    """The model names the given exposures depend on, in a stable order."""
    wanted = set(exposures)
    found = {
        exposure["name"]: exposure
        for exposure in manifest.get("exposures", {}).values()
        if exposure["name"] in wanted
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise ConfigError(f"exposures not in the dbt project: {', '.join(missing)}")
    models = _models_by_name(manifest)
    by_id = {node["unique_id"]: node["name"] for node in models.values()}
    names = {
        by_id[node_id]
        for exposure in found.values()
        for node_id in exposure.get("depends_on", {}).get("nodes", [])
        if node_id in by_id
    }
    return sorted(names)


def _column_yaml(
    column: Column, description: str | None, verbose_name: str | None = None
) -> dict[str, Any]:
    return {
        "column_name": column.name,
        "verbose_name": verbose_name,
        "is_dttm": column.is_temporal,
        "is_active": True,
        "type": column.data_type.upper(),
        "groupby": True,
        "filterable": True,
        "expression": None,
        "description": description or None,
        "python_date_format": None,
    }


def _metric_yaml(
    name: str,
    expression: str,
    verbose_name: str | None,
    description: str | None,
    currency: str | None = None,
) -> dict:
    """A dataset metric, formatted by the rule of formats.py (money in ``currency``)."""
    return {
        "metric_name": name,
        "verbose_name": verbose_name,
        "metric_type": None,
        "expression": expression,
        "description": description or None,
        **formats.metric_format(name, currency),
        "extra": None,
        "warning_text": None,
    }


_COUNT_METRIC = _metric_yaml("count", "COUNT(*)", "Rows", "Number of rows.")


def _dataset_yaml(
    *,
    table_name: str,
    schema: str | None,
    sql: str | None,
    description: str | None,
    main_dttm_col: str | None,
    columns: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
) -> str:
    return _dump(
        {
            "table_name": table_name,
            "main_dttm_col": main_dttm_col,
            "description": description or None,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "schema": schema,
            "sql": sql,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "uuid": dataset_uuid(table_name),
            "metrics": metrics,
            "columns": columns,
            "version": BUNDLE_VERSION,
            "database_uuid": DATABASE_UUID,
        }
    )


def _first_temporal(columns: Sequence[Column]) -> str | None:
    return next((column.name for column in columns if column.is_temporal), None)


def model_dataset(node: Mapping[str, Any], columns: Sequence[Column]) -> str:
    """The dataset of one model: its table, every column with dbt's description."""
    specs = node["columns"]
    return _dataset_yaml(
        table_name=node["alias"] or node["name"],
        schema=node["schema"],
        sql=None,
        description=node.get("description"),
        main_dttm_col=_first_temporal(columns),
        columns=[
            _column_yaml(
                column,
                specs.get(column.name, {}).get("description"),
                formats.label(column.name, specs.get(column.name)),
            )
            for column in columns
        ],
        metrics=[_COUNT_METRIC],
    )


# --- the semantic layer -------------------------------------------------------------------


@dataclass(frozen=True)
class _Joined:
    """A dimension of another semantic model reached through an entity."""

    alias: str  # the column name in the dataset: <entity>__<dimension>
    table_alias: str
    expr: str
    description: str | None
    data_type: str
    label: str


def _relation(semantic_model: Mapping[str, Any]) -> tuple[str, str]:
    relation = semantic_model["node_relation"]
    return relation["schema_name"], relation["alias"]


def _joins(
    semantic_model: Mapping[str, Any],
    semantic_models: Mapping[str, Mapping[str, Any]],
    catalogue: Catalogue,
) -> tuple[list[str], list[_Joined]]:
    """The left joins to the semantic models whose primary entity this model's foreign
    entities point at, and the dimensions they bring (``<entity>__<dimension>``)."""
    primaries = {
        entity["name"]: other
        for other in semantic_models.values()
        for entity in other["entities"]
        if entity["type"] == "primary" and other["name"] != semantic_model["name"]
    }
    clauses: list[str] = []
    joined: list[_Joined] = []
    for entity in semantic_model["entities"]:
        other = primaries.get(entity["name"])
        if entity["type"] != "foreign" or other is None or not other.get("dimensions"):
            continue
        schema, table = _relation(other)
        key = next(item for item in other["entities"] if item["name"] == entity["name"])
        table_alias = entity["name"]
        clauses.append(
            f"left join {schema}.{table} as {table_alias}\n"
            f"    on base.{entity.get('expr') or entity['name']} = "
            f"{table_alias}.{key.get('expr') or key['name']}"
        )
        types = {column.name: column.data_type for column in catalogue.get((schema, table), ())}
        for dimension in other["dimensions"]:
            expr = dimension.get("expr") or dimension["name"]
            joined.append(
                _Joined(
                    alias=f"{entity['name']}__{dimension['name']}",
                    table_alias=table_alias,
                    expr=expr,
                    description=dimension.get("description"),
                    data_type=types.get(expr, "VARCHAR"),
                    label=formats.label(dimension["name"], dimension),
                )
            )
    return clauses, joined


def _filter_sql(template: str, columns: set[str], metric: str) -> str:
    """A metric filter with ``{{ Dimension('entity__name') }}`` replaced by the dataset's
    column of that name; any other template is refused."""

    def column(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in columns:
            raise ConfigError(
                f"metric {metric}: filter dimension {name} is not a column of its dataset"
            )
        return name

    sql = _DIMENSION_REF.sub(column, template)
    if _TEMPLATE.search(sql):
        raise ConfigError(f"metric {metric}: filter {template!r} is not supported in Superset")
    return sql.strip()


def _where_filters(spec: Mapping[str, Any] | None) -> list[str]:
    if not spec:
        return []
    return [item["where_sql_template"] for item in spec.get("where_filters", [])]


class _Unsupported(Exception):
    """A metric plain SQL over one dataset cannot express."""


def _metric_sql(
    name: str,
    metrics: Mapping[str, Mapping[str, Any]],
    measures: Mapping[str, Mapping[str, Any]],
    columns: set[str],
    extra_filters: Sequence[str] = (),
) -> str:
    """The SQL aggregate of metric ``name`` over one semantic model's dataset."""
    metric = metrics[name]
    params = metric["type_params"]
    filters = [*_where_filters(metric.get("filter")), *extra_filters]
    kind = metric["type"]
    if kind == "simple":
        measure_input = params["measure"]
        measure = measures.get(measure_input["name"])
        if measure is None:
            raise _Unsupported(f"its measure {measure_input['name']} is in another dataset")
        filters += _where_filters(measure_input.get("filter"))
        template = _AGGREGATES.get(measure["agg"])
        if template is None:
            raise _Unsupported(f"aggregation {measure['agg']}")
        expr = measure.get("expr") or measure["name"]
        if filters:
            condition = " and ".join(f"({_filter_sql(item, columns, name)})" for item in filters)
            expr = f"case when {condition} then {expr} end"
        return template.format(expr=expr)
    if kind == "ratio":
        parts = []
        for side in ("numerator", "denominator"):
            reference = params[side]
            side_filters = [*filters, *_where_filters(reference.get("filter"))]
            parts.append(_metric_sql(reference["name"], metrics, measures, columns, side_filters))
        return f"CAST({parts[0]} AS NUMERIC) / NULLIF({parts[1]}, 0)"
    if kind == "derived":
        inputs = params.get("metrics") or []
        if any(item.get("offset_window") or item.get("offset_to_grain") for item in inputs):
            raise _Unsupported("an offset window (use Superset's time comparison)")
        by_name = {
            item.get("alias") or item["name"]: _metric_sql(
                item["name"],
                metrics,
                measures,
                columns,
                [*filters, *_where_filters(item.get("filter"))],
            )
            for item in inputs
        }
        return "(" + _WORD.sub(lambda m: by_name.get(m.group(0), m.group(0)), params["expr"]) + ")"
    raise _Unsupported(f"{kind} metrics")


def semantic_dataset(
    semantic_model: Mapping[str, Any],
    semantic_models: Mapping[str, Mapping[str, Any]],
    metrics: Mapping[str, Mapping[str, Any]],
    node: Mapping[str, Any],
    catalogue: Catalogue,
    currency: str | None = None,
) -> tuple[str, list[str], list[str]]:
    """One semantic model's dataset: its table joined to the dimensions its foreign entities
    reach, and every metric of the semantic layer that it can compute.

    Returns (the dataset's YAML, the metric names it has, "metric: reason" for the metrics
    whose measures are all here but that SQL cannot express)."""
    schema, table = _relation(semantic_model)
    base_columns = list(catalogue.get((schema, table), ()))
    clauses, joined = _joins(semantic_model, semantic_models, catalogue)
    select = [f"base.{column.name}" for column in base_columns] + [
        f"{item.table_alias}.{item.expr} as {item.alias}" for item in joined
    ]
    sql = (
        "select\n    "
        + ",\n    ".join(select)
        + f"\nfrom {schema}.{table} as base\n"
        + "\n".join(clauses)
    )
    specs = node["columns"]
    dimensions = {(item.get("expr") or item["name"]): item for item in semantic_model["dimensions"]}
    columns = [
        _column_yaml(
            column,
            specs.get(column.name, {}).get("description")
            or dimensions.get(column.name, {}).get("description"),
            formats.label(column.name, dimensions.get(column.name) or specs.get(column.name)),
        )
        for column in base_columns
    ] + [
        _column_yaml(Column(item.alias, item.data_type), item.description, item.label)
        for item in joined
    ]
    names = {column.name for column in base_columns} | {item.alias for item in joined}
    measures = {measure["name"]: measure for measure in semantic_model["measures"]}
    metric_yaml = [_COUNT_METRIC]
    kept: list[str] = []
    skipped: list[str] = []
    for name in sorted(metrics):
        try:
            expression = _metric_sql(name, metrics, measures, names)
        except _Unsupported as reason:
            if _uses_only(name, metrics, measures):
                skipped.append(f"{name}: {reason}")
            continue
        metric = metrics[name]
        metric_yaml.append(
            _metric_yaml(name, expression, metric.get("label"), metric.get("description"), currency)
        )
        kept.append(name)
    time_dimension = (semantic_model.get("defaults") or {}).get("agg_time_dimension")
    dataset = _dataset_yaml(
        table_name=SEMANTIC_PREFIX + semantic_model["name"],
        schema=schema,
        sql=sql,
        description=semantic_model.get("description"),
        main_dttm_col=dimension_expr(semantic_model, time_dimension),
        columns=columns,
        metrics=metric_yaml,
    )
    return dataset, kept, skipped


def dimension_expr(semantic_model: Mapping[str, Any], name: str | None) -> str | None:
    """The column behind one of the semantic model's dimensions."""
    for dimension in semantic_model["dimensions"]:
        if dimension["name"] == name:
            return dimension.get("expr") or dimension["name"]
    return None


def _uses_only(
    name: str, metrics: Mapping[str, Mapping[str, Any]], measures: Mapping[str, Any]
) -> bool:
    """True when every measure under metric ``name`` belongs to ``measures``."""
    params = metrics[name]["type_params"]
    if params.get("measure"):
        return params["measure"]["name"] in measures
    inputs = [params[side] for side in ("numerator", "denominator") if params.get(side)]
    inputs += params.get("metrics") or []
    return bool(inputs) and all(_uses_only(item["name"], metrics, measures) for item in inputs)


# --- virtual datasets kept as YAML ------------------------------------------------------

_REF = re.compile(r"\{\{\s*ref\(\s*'([a-z0-9_]+)'\s*\)\s*\}\}")


def virtual_dataset(
    spec: Mapping[str, Any],
    models: Mapping[str, Mapping[str, Any]],
    catalogue: Catalogue,
    currency: str | None = None,
) -> str:
    """A virtual dataset of ``bi/superset/datasets/``: its SQL with each ``{{ ref('model') }}``
    replaced by the model's relation (Superset would read the braces as its own Jinja), each
    column typed by the catalogue and described by the dbt YAML of the model named beside
    it, its metrics as written (formatted by the rule of formats.py unless they set one)."""
    name = spec["table_name"]
    schemas: list[str] = []

    def relation(match: re.Match[str]) -> str:
        node = models.get(match.group(1))
        if node is None:
            raise ConfigError(f"dataset {name}: ref('{match.group(1)}') is not a dbt model")
        schemas.append(node["schema"])
        return f"{node['schema']}.{node['alias'] or node['name']}"

    sql = _REF.sub(relation, spec["sql"]).strip()
    if _TEMPLATE.search(sql):
        raise ConfigError(f"dataset {name}: only {{{{ ref('model') }}}} templates are supported")
    columns = []
    for column_name, model in spec["columns"].items():
        node = models.get(model)
        if node is None:
            raise ConfigError(f"dataset {name}: column {column_name} names no dbt model {model}")
        typed = {
            column.name: column
            for column in catalogue.get((node["schema"], node["alias"] or node["name"]), ())
        }
        if column_name not in typed:
            raise ConfigError(f"dataset {name}: {model} has no column {column_name}")
        column_spec = node["columns"].get(column_name)
        columns.append(
            _column_yaml(
                typed[column_name],
                (column_spec or {}).get("description"),
                formats.label(column_name, column_spec),
            )
        )
    metrics = [_COUNT_METRIC]
    for metric in spec.get("metrics") or []:
        item = _metric_yaml(
            metric["metric_name"],
            metric["expression"],
            metric.get("verbose_name"),
            metric.get("description"),
            currency,
        )
        if metric.get("d3format"):
            item["d3format"] = metric["d3format"]
        metrics.append(item)
    return _dataset_yaml(
        table_name=name,
        # the first model's schema: Superset's default for the query (every ref is qualified)
        schema=schemas[0] if schemas else None,
        sql=sql,
        description=spec.get("description"),
        main_dttm_col=spec.get("main_dttm_col"),
        columns=columns,
        metrics=metrics,
    )


def virtual_dataset_specs(folder: Path) -> list[dict[str, Any]]:
    """The virtual datasets kept in ``folder/datasets/*.yaml``, parsed."""
    return [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((folder / "datasets").glob("*.yaml"))
    ]


# --- the whole bundle ---------------------------------------------------------------------


def build_bundle(
    manifest: Mapping[str, Any],
    catalogue: Catalogue,
    sqlalchemy_uri: str,
    exposures: Iterable[str] = DASHBOARD_EXPOSURES,
    currency: str | None = None,
    virtual: Sequence[Mapping[str, Any]] = (),
) -> Bundle:
    """The generated files of the bundle (database and datasets, with the ``virtual``
    datasets of virtual_dataset_specs), by bundle path."""
    files = {f"databases/{DATABASE_NAME}.yaml": database_yaml(sqlalchemy_uri)}
    models = _models_by_name(manifest)
    datasets: list[str] = []
    missing: list[str] = []
    for name in exposure_models(manifest, exposures):
        node = models[name]
        columns = catalogue.get((node["schema"], node["alias"] or name))
        if not columns:
            missing.append(f"{node['schema']}.{node['alias'] or name}")
            continue
        files[f"datasets/{DATABASE_NAME}/{name}.yaml"] = model_dataset(node, columns)
        datasets.append(name)
    semantic_models = {item["name"]: item for item in manifest.get("semantic_models", {}).values()}
    metrics = {item["name"]: item for item in manifest.get("metrics", {}).values()}
    by_id = {node["unique_id"]: node for node in models.values()}
    skipped: list[str] = []
    kept: dict[str, tuple[str, ...]] = {}
    for name in sorted(semantic_models):
        semantic_model = semantic_models[name]
        schema, table = _relation(semantic_model)
        if not catalogue.get((schema, table)):
            missing.append(f"{schema}.{table}")
            continue
        node = by_id[semantic_model["depends_on"]["nodes"][0]]
        text, names, left_out = semantic_dataset(
            semantic_model, semantic_models, metrics, node, catalogue, currency
        )
        table_name = SEMANTIC_PREFIX + name
        files[f"datasets/{DATABASE_NAME}/{table_name}.yaml"] = text
        datasets.append(table_name)
        kept[table_name] = tuple(names)
        skipped += left_out
    for spec in virtual:
        table_name = spec["table_name"]
        unread = sorted(
            {
                f"{models[model]['schema']}.{models[model]['alias'] or model}"
                for model in spec["columns"].values()
                if model in models
                and not catalogue.get((models[model]["schema"], models[model]["alias"] or model))
            }
        )
        if unread:
            missing += unread
            continue
        files[f"datasets/{DATABASE_NAME}/{table_name}.yaml"] = virtual_dataset(
            spec, models, catalogue, currency
        )
        datasets.append(table_name)
    return Bundle(
        files=files,
        datasets=tuple(datasets),
        skipped_metrics=tuple(sorted(set(skipped))),
        missing_relations=tuple(missing),
        metrics=kept,
    )


def prepared_chart(chart_text: str, currency: str | None = None) -> str:
    """A chart's YAML as imported: its params with the formats of formats.py (money in
    ``currency``, shares as percent) where the chart sets none, and its saved query context
    made from them (query_context.py) when the file leaves it null, so the chart data API,
    alerts and reports work right after the import."""
    chart = yaml.safe_load(chart_text)
    chart["params"] = formats.chart_params(chart["params"], currency)
    if chart.get("query_context") is None:
        chart["query_context"] = json.dumps(query_context(chart["params"]), sort_keys=True)
    lines = chart_text.splitlines(keepends=True)
    header = "".join(itertools.takewhile(lambda line: line.startswith("#"), lines))
    return header + _dump(chart)


def static_files(folder: Path, currency: str | None = None) -> dict[str, str]:
    """The charts (with their query contexts) and dashboards kept in the repository, by
    bundle path."""
    files: dict[str, str] = {}
    for kind in ("charts", "dashboards"):
        for path in sorted((folder / kind).glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            files[f"{kind}/{path.name}"] = (
                prepared_chart(text, currency) if kind == "charts" else text
            )
    if not files:
        raise ConfigError(f"no charts or dashboards under {folder}")
    return files


def metadata_yaml(kind: str, timestamp: str) -> str:
    """``metadata.yaml``: what the bundle is (``Dashboard`` or ``SqlaTable``, the importer
    checks it), in which format version."""
    return _dump({"version": BUNDLE_VERSION, "type": kind, "timestamp": timestamp})
