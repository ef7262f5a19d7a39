"""The Superset bundle made from the dbt project (retail_warehouse.superset.bundle): semantic
layer metrics translated to SQL, descriptions carried over, and the static charts pointing at
datasets the generator makes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from retail_warehouse.errors import ConfigError
from retail_warehouse.superset.bundle import (
    DASHBOARD_EXPOSURES,
    DATABASE_UUID,
    Column,
    build_bundle,
    dataset_uuid,
    prepared_chart,
    static_files,
    virtual_dataset_specs,
)

REPO = Path(__file__).resolve().parents[3]
BUNDLE = REPO / "bi" / "superset"
COMPLETE = {"where_filters": [{"where_sql_template": "{{ Dimension('day__is_complete') }}"}]}


def _model(name: str, schema: str, columns: dict[str, str]) -> dict[str, Any]:
    return {
        "unique_id": f"model.p.{name}",
        "resource_type": "model",
        "name": name,
        "alias": name,
        "schema": schema,
        "description": f"One row per {name}.",
        "columns": {column: {"description": text} for column, text in columns.items()},
    }


def _metric(name: str, kind: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "label": name.title(), "type_params": params, **extra}


def _manifest() -> dict[str, Any]:
    sales = _model("fct_sales", "marts", {"sale_date": "Date of the sale.", "amount": "GBP."})
    days = _model("dim_days", "marts", {"day": "The day.", "is_complete": "Whole month."})
    report = _model("mart_report", "marts", {"month": "The month."})
    return {
        "nodes": {node["unique_id"]: node for node in (sales, days, report)},
        "exposures": {
            f"exposure.p.{name}": {"name": name, "depends_on": {"nodes": [report["unique_id"]]}}
            for name in DASHBOARD_EXPOSURES
        },
        "semantic_models": {
            "semantic_model.p.sales": {
                "name": "sales",
                "description": "One row per sale.",
                "node_relation": {"schema_name": "marts", "alias": "fct_sales"},
                "depends_on": {"nodes": [sales["unique_id"]]},
                "defaults": {"agg_time_dimension": "sale_date"},
                "entities": [{"name": "day", "type": "foreign", "expr": "sale_date"}],
                "dimensions": [{"name": "sale_date", "type": "time", "expr": None}],
                "measures": [
                    {"name": "revenue", "agg": "sum", "expr": "amount"},
                    {"name": "sales", "agg": "sum", "expr": "1"},
                    {"name": "p50", "agg": "percentile", "expr": "amount"},
                ],
            },
            "semantic_model.p.days": {
                "name": "days",
                "description": "One row per day.",
                "node_relation": {"schema_name": "marts", "alias": "dim_days"},
                "depends_on": {"nodes": [days["unique_id"]]},
                "entities": [{"name": "day", "type": "primary", "expr": "day"}],
                "dimensions": [
                    {"name": "is_complete", "type": "categorical", "description": "Whole month."}
                ],
                "measures": [],
            },
        },
        "metrics": {
            f"metric.p.{item['name']}": item
            for item in (
                _metric("revenue", "simple", {"measure": {"name": "revenue"}}, filter=COMPLETE),
                _metric("sale_count", "simple", {"measure": {"name": "sales"}}, filter=COMPLETE),
                _metric(
                    "revenue_per_sale",
                    "ratio",
                    {"numerator": {"name": "revenue"}, "denominator": {"name": "sale_count"}},
                ),
                _metric(
                    "revenue_growth",
                    "derived",
                    {
                        "expr": "revenue - revenue_before",
                        "metrics": [
                            {"name": "revenue"},
                            {
                                "name": "revenue",
                                "alias": "revenue_before",
                                "offset_window": {"count": 1},
                            },
                        ],
                    },
                ),
                _metric("median_sale", "simple", {"measure": {"name": "p50"}}),
            )
        },
    }


CATALOGUE = {
    ("marts", "fct_sales"): [Column("sale_date", "date"), Column("amount", "numeric")],
    ("marts", "dim_days"): [Column("day", "date"), Column("is_complete", "boolean")],
    ("marts", "mart_report"): [Column("month", "date")],
}


def _dataset(files: dict[str, str], name: str) -> dict[str, Any]:
    return yaml.safe_load(files[f"datasets/retail_warehouse/{name}.yaml"])


def test_semantic_metrics_become_sql_with_their_filter_inside() -> None:
    bundle = build_bundle(_manifest(), CATALOGUE, "postgresql+psycopg2://u:p@h:1/d")
    dataset = _dataset(bundle.files, "semantic_sales")
    metrics = {item["metric_name"]: item["expression"] for item in dataset["metrics"]}
    assert metrics["revenue"] == "SUM(case when (day__is_complete) then amount end)"
    assert metrics["revenue_per_sale"] == (
        "CAST(SUM(case when (day__is_complete) then amount end) AS NUMERIC) / "
        "NULLIF(SUM(case when (day__is_complete) then 1 end), 0)"
    )
    assert "revenue_growth" not in metrics and "median_sale" not in metrics
    assert bundle.skipped_metrics == (
        "median_sale: aggregation percentile",
        "revenue_growth: an offset window (use Superset's time comparison)",
    )
    assert "left join marts.dim_days as day\n    on base.sale_date = day.day" in dataset["sql"]
    columns = {item["column_name"]: item for item in dataset["columns"]}
    assert columns["day__is_complete"]["description"] == "Whole month."
    assert columns["day__is_complete"]["type"] == "BOOLEAN"
    assert columns["sale_date"]["is_dttm"] and dataset["main_dttm_col"] == "sale_date"
    assert dataset["database_uuid"] == DATABASE_UUID


def test_model_datasets_carry_dbt_descriptions() -> None:
    bundle = build_bundle(_manifest(), CATALOGUE, "postgresql+psycopg2://u:p@h:1/d")
    assert bundle.datasets == ("mart_report", "semantic_days", "semantic_sales")
    dataset = _dataset(bundle.files, "mart_report")
    assert dataset["description"] == "One row per mart_report."
    assert dataset["columns"][0]["description"] == "The month."
    assert dataset["uuid"] == dataset_uuid("mart_report")
    database = yaml.safe_load(bundle.files["databases/retail_warehouse.yaml"])
    assert database["sqlalchemy_uri"] == "postgresql+psycopg2://u:p@h:1/d"
    assert database["allow_dml"] is False


def test_a_relation_the_role_cannot_read_is_reported() -> None:
    catalogue = {key: value for key, value in CATALOGUE.items() if key[1] != "mart_report"}
    bundle = build_bundle(_manifest(), catalogue, "postgresql+psycopg2://u:p@h:1/d")
    assert bundle.missing_relations == ("marts.mart_report",)


def test_an_unknown_filter_dimension_is_refused() -> None:
    manifest = _manifest()
    manifest["metrics"]["metric.p.revenue"]["filter"] = {
        "where_filters": [{"where_sql_template": "{{ Dimension('day__nope') }}"}]
    }
    with pytest.raises(ConfigError, match="day__nope is not a column"):
        build_bundle(manifest, CATALOGUE, "postgresql+psycopg2://u:p@h:1/d")


VIRTUAL = {
    "table_name": "sales_by_day",
    "description": "One row per sale with its day.",
    "main_dttm_col": "sale_date",
    "sql": "select sales.sale_date, sales.amount, days.is_complete\n"
    "from {{ ref('fct_sales') }} as sales\n"
    "inner join {{ref( 'dim_days' )}} as days on sales.sale_date = days.day",
    "columns": {"sale_date": "fct_sales", "amount": "fct_sales", "is_complete": "dim_days"},
    "metrics": [
        {"metric_name": "net_revenue", "expression": "SUM(amount)", "verbose_name": "Net"},
        {"metric_name": "units_sold", "expression": "SUM(1)", "d3format": ",d"},
    ],
}


def test_a_virtual_dataset_reads_the_models_by_ref() -> None:
    """Issue 29: the product board needs product, date and country in one dataset. A virtual
    dataset kept as YAML names the models with ref() (Superset would read the braces as its
    own Jinja, so they become relations), takes each column's type from the warehouse and
    its description from the model's YAML, and formats its metrics by the one rule."""
    bundle = build_bundle(
        _manifest(), CATALOGUE, "postgresql+psycopg2://u:p@h:1/d", currency="GBP", virtual=[VIRTUAL]
    )
    assert bundle.datasets[-1] == "sales_by_day"
    dataset = _dataset(bundle.files, "sales_by_day")
    assert "from marts.fct_sales as sales" in dataset["sql"]
    assert "inner join marts.dim_days as days" in dataset["sql"] and "{" not in dataset["sql"]
    assert dataset["schema"] == "marts" and dataset["uuid"] == dataset_uuid("sales_by_day")
    assert dataset["main_dttm_col"] == "sale_date"
    columns = {item["column_name"]: item for item in dataset["columns"]}
    assert list(columns) == ["sale_date", "amount", "is_complete"]
    assert columns["sale_date"]["is_dttm"] and columns["is_complete"]["type"] == "BOOLEAN"
    assert columns["amount"]["description"] == "GBP."
    assert columns["is_complete"]["verbose_name"] == "Is complete"
    metrics = {item["metric_name"]: item for item in dataset["metrics"]}
    assert metrics["net_revenue"]["currency"] == {"symbol": "GBP", "symbolPosition": "prefix"}
    assert metrics["units_sold"]["d3format"] == ",d"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sql": "select 1 from {{ ref('nope') }}"}, r"ref\('nope'\) is not a dbt model"),
        ({"sql": "select 1 from {{ source('a', 'b') }}"}, "only .* templates are supported"),
        ({"columns": {"nope": "fct_sales"}}, "fct_sales has no column nope"),
        ({"columns": {"amount": "fct_nope"}}, "column amount names no dbt model fct_nope"),
    ],
)
def test_a_virtual_dataset_with_an_unknown_name_is_refused(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_bundle(_manifest(), CATALOGUE, "u", virtual=[{**VIRTUAL, **change}])


def test_a_virtual_dataset_over_a_relation_the_role_cannot_read_is_reported() -> None:
    catalogue = {key: value for key, value in CATALOGUE.items() if key[1] != "dim_days"}
    bundle = build_bundle(_manifest(), catalogue, "u", virtual=[VIRTUAL])
    # (the semantic model over dim_days reports it too)
    assert set(bundle.missing_relations) == {"marts.dim_days"}
    assert "sales_by_day" not in bundle.datasets


def test_the_product_board_reads_lines_with_a_date_and_a_country() -> None:
    """Issue 29: "an analyst filters every board by date and country", but the product board
    read mart_product_performance, one lifetime row per product. Its charts read the virtual
    dataset product_sales (invoice lines with the product's ABC class and the country), whose
    columns are columns of the dbt models it names, whose time column is the invoice date,
    and which has every metric and column the board's charts and filters use."""
    (spec,) = [
        item for item in virtual_dataset_specs(BUNDLE) if item["table_name"] == "product_sales"
    ]
    for column, model in spec["columns"].items():
        assert column in _model_columns(dataset_uuid(model)), (column, model)
    assert spec["main_dttm_col"] == "invoice_date"
    # the exposure's lineage names every model the board reads
    exposures = yaml.safe_load((REPO / "models" / "exposures.yml").read_text())["exposures"]
    (exposure,) = [item for item in exposures if item["name"] == "product_performance"]
    refs = set(re.findall(r"ref\('([a-z0-9_]+)'\)", spec["sql"]))
    assert refs == set(spec["columns"].values())
    assert {f"ref('{name}')" for name in refs} <= set(exposure["depends_on"])
    metrics = {item["metric_name"] for item in spec["metrics"]}
    board = yaml.safe_load((BUNDLE / "dashboards" / "product_performance.yaml").read_text())
    for item in board["position"].values():
        if not (isinstance(item, dict) and item.get("type") == "CHART"):
            continue
        (chart,) = [
            chart
            for path in (BUNDLE / "charts").glob("product_*.yaml")
            if (chart := yaml.safe_load(path.read_text()))["uuid"] == item["meta"]["uuid"]
        ]
        assert chart["dataset_uuid"] == dataset_uuid("product_sales"), chart["slice_name"]
        params = chart["params"]
        used = list(params.get("metrics") or []) + [
            params[key] for key in ("metric",) if key in params
        ]
        assert set(used) <= metrics, chart["slice_name"]
        assert set(params.get("groupby") or []) <= set(spec["columns"]), chart["slice_name"]
    targets = {
        target["column"]["name"]
        for item in board["metadata"]["native_filter_configuration"]
        for target in item["targets"]
        if target
    }
    assert targets == {"country_name", "region", "abc_class"}
    assert targets <= set(spec["columns"])


def test_static_charts_point_at_generated_datasets() -> None:
    """Every chart's dataset_uuid is the UUID of the dataset its header comment names, and
    every dashboard places only charts of the bundle."""
    files = static_files(BUNDLE)
    charts = {}
    for name, text in files.items():
        if name.startswith("charts/"):
            header = text.splitlines()[0]
            assert header.startswith("# dataset: "), name
            chart = yaml.safe_load(text)
            assert chart["dataset_uuid"] == dataset_uuid(header.removeprefix("# dataset: "))
            charts[chart["uuid"]] = chart
    placed = [
        item["meta"]["uuid"]
        for name, text in files.items()
        if name.startswith("dashboards/")
        for item in yaml.safe_load(text)["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    ]
    assert sorted(placed) == sorted(charts)
    assert len(charts) >= 4 * 3


def test_settings_defaults_and_a_bad_port() -> None:
    """The Superset home and venv default inside the project (git-ignored), the warehouse is
    read as the BI role, and a port that is not a number is refused."""
    from retail_warehouse.settings import PostgresSettings
    from retail_warehouse.superset.provision import superset_settings

    postgres = PostgresSettings(host="db", port=5433, dbname="warehouse")
    settings = superset_settings(postgres, {"RW_BI_PASSWORD": "s3cret/+"})
    assert settings.venv == REPO / ".venv-superset"
    assert settings.home == REPO / "data" / "superset"
    assert settings.url == "http://127.0.0.1:8088"
    assert (
        settings.sqlalchemy_uri()
        == "postgresql+psycopg2://bi_reader:s3cret%2F%2B@db:5433/warehouse"
    )
    with pytest.raises(ConfigError, match="RW_SUPERSET_PORT"):
        superset_settings(postgres, {"RW_SUPERSET_PORT": "http"})


def test_each_dashboard_is_a_dbt_exposure() -> None:
    """The dashboards are the exposures of DASHBOARD_EXPOSURES, and each exposure's url
    is where `make superset` serves its dashboard."""
    exposures = {
        item["name"]: item
        for item in yaml.safe_load((REPO / "models" / "exposures.yml").read_text())["exposures"]
    }
    dashboards = {
        path.stem: yaml.safe_load(path.read_text()) for path in (BUNDLE / "dashboards").glob("*")
    }
    assert sorted(dashboards) == sorted(DASHBOARD_EXPOSURES)
    for name, dashboard in dashboards.items():
        assert dashboard["dashboard_title"] == exposures[name]["label"]
        assert exposures[name]["url"].endswith(f"/superset/dashboard/{dashboard['slug']}/")


def test_every_chart_is_imported_with_a_query_context() -> None:
    """Superset's chart data API (and alerts, reports) answers 400 for a chart without a
    saved query context: every bundled chart carries one, built from its params."""
    for name, text in static_files(BUNDLE).items():
        if not name.startswith("charts/"):
            continue
        chart = yaml.safe_load(text)
        assert text.startswith("# dataset: "), name
        context = json.loads(chart["query_context"])
        assert context["form_data"] == chart["params"], name
        query, *count = context["queries"]
        if chart["params"].get("server_pagination"):
            # the first page, and the count of the rows the limit holds
            assert query["row_limit"] == chart["params"]["server_page_length"], name
            assert count[0]["is_rowcount"] and count[0]["row_limit"] == chart["params"]["row_limit"]
        else:
            assert count == [] and query["row_limit"] == chart["params"]["row_limit"], name
        assert query["metrics"] or query["columns"], name
        where = [
            f"({item['sqlExpression']})"
            for item in chart["params"]["adhoc_filters"]
            if item["expressionType"] == "SQL"
        ]
        assert query["extras"]["where"] == " AND ".join(where), name


# A raw table whose rows can outgrow any fixed limit (a row per customer, order, month of a
# customer, product): Superset shows a warning icon when a table stops at its row limit.
PAGINATED_TABLES = {
    "customer_360_orders",
    "customer_360_profile",
    "customer_360_rfm_history",
    "product_top",
    "rfm_top_customers",
}


def test_tables_of_unbounded_rows_page_on_the_server() -> None:
    """Issue 29: tables stopped at their row limit (100 of 5,939 customers, 1,000 of 36,594
    orders) behind a warning icon. The tables with a row per customer, order or product page
    on the server, with the largest limit Superset allows there (TABLE_VIZ_MAX_ROW_SERVER),
    and their saved query asks for the first page and the row count, as the page does."""
    for stem in PAGINATED_TABLES:
        chart = yaml.safe_load((BUNDLE / "charts" / f"{stem}.yaml").read_text())
        params = chart["params"]
        assert params["server_pagination"] is True, stem
        assert params["row_limit"] == 500_000, stem
    from retail_warehouse.superset.query_context import query_context

    page, count = query_context(
        {
            "viz_type": "table",
            "query_mode": "raw",
            "all_columns": ["a"],
            "row_limit": 500_000,
            "server_pagination": True,
            "server_page_length": 10,
        }
    )["queries"]
    assert (page["row_limit"], page["row_offset"]) == (10, 0)
    assert count["is_rowcount"] and count["row_limit"] == 500_000
    assert count["columns"] == ["a"] and count["post_processing"] == []


def test_query_contexts_follow_each_viz_type() -> None:
    """The query of each viz type has the shape Superset's page would save: a big number its
    one metric, a raw table its columns and order, a time series its x axis at its grain
    pivoted per metric, a pie its slices ordered by the metric; simple adhoc filters become
    query filters and the dashboard's extra filters are added to them."""
    from retail_warehouse.superset.query_context import query_context

    big = query_context({"viz_type": "big_number_total", "metric": "net_revenue", "row_limit": 10})[
        "queries"
    ][0]
    assert big["metrics"] == ["net_revenue"] and big["columns"] == []
    table = query_context(
        {
            "viz_type": "table",
            "query_mode": "raw",
            "all_columns": ["a", "b"],
            "order_by_cols": ['["b", false]'],
            "adhoc_filters": [
                {"expressionType": "SIMPLE", "subject": "a", "operator": "IN", "comparator": [1]}
            ],
            "extra_form_data": {"filters": [{"col": "c", "op": "IN", "val": ["x"]}]},
        }
    )["queries"][0]
    assert table["columns"] == ["a", "b"] and table["orderby"] == [["b", False]]
    assert table["filters"] == [
        {"col": "a", "op": "IN", "val": [1]},
        {"col": "c", "op": "IN", "val": ["x"]},
    ]
    series = query_context(
        {
            "viz_type": "echarts_timeseries_line",
            "x_axis": "month_start_date",
            "time_grain_sqla": "P1M",
            "metrics": ["net_revenue"],
            "groupby": [],
        }
    )["queries"][0]
    assert series["columns"][0]["columnType"] == "BASE_AXIS"
    assert series["columns"][0]["timeGrain"] == "P1M"
    assert series["post_processing"][0]["options"]["aggregates"] == {
        "net_revenue": {"operator": "mean"}
    }
    pie = query_context(
        {"viz_type": "pie", "metric": "count", "groupby": ["segment"], "sort_by_metric": True}
    )["queries"][0]
    assert pie["columns"] == ["segment"] and pie["orderby"] == [["count", False]]
    shares = query_context(
        {
            "viz_type": "table",
            "query_mode": "aggregate",
            "groupby": ["country"],
            "metrics": ["net_revenue"],
            "percent_metrics": ["net_revenue"],
        }
    )["queries"][0]
    assert shares["columns"] == ["country"] and shares["orderby"] == [["net_revenue", False]]
    assert shares["post_processing"][0]["options"]["rename_columns"] == ["%net_revenue"]
    with pytest.raises(ConfigError, match="viz type 'sankey'"):
        query_context({"viz_type": "sankey"})


# The native filters each dashboard must have (by name), issue 29: date range and country on
# every board, segment on the customer board, product group on the product board (whose
# charts read the invoice lines, dataset product_sales, to have a date and a country).
EXPECTED_FILTERS = {
    "monthly_sales_review": {"Date range", "Country", "Region"},
    "customer_segments_rfm": {"Date range", "Country", "Segment"},
    "customer_360": {"Customer", "Country", "Segment", "Date range"},
    "product_performance": {"Date range", "Country", "Region", "Product group (ABC class)"},
    "sales_forecast": {"Date range", "Country (forecast series)"},
    "data_quality": {"Date range", "Country (KPI series)"},
}


def test_dashboards_have_their_native_filters_bound_to_their_charts() -> None:
    """Each dashboard has its filters; a filter's dataset is one the bundle generates, its
    scope names charts of the layout (each with its own chartId, which the importer maps),
    and every chart in a date range's scope has a time-range filter it can bind to (without
    one Superset ignores the dashboard's dates for that chart)."""
    charts = {}
    for path in (BUNDLE / "charts").glob("*.yaml"):
        chart = yaml.safe_load(path.read_text())
        charts[chart["uuid"]] = chart
    generated = {dataset_uuid(name) for name in _exposure_and_semantic_datasets()}
    for path in sorted((BUNDLE / "dashboards").glob("*.yaml")):
        dashboard = yaml.safe_load(path.read_text())
        layout = {
            item["meta"]["chartId"]: charts[item["meta"]["uuid"]]
            for item in dashboard["position"].values()
            if isinstance(item, dict) and item.get("type") == "CHART"
        }
        placed = sum(
            1
            for item in dashboard["position"].values()
            if isinstance(item, dict) and item.get("type") == "CHART"
        )
        assert len(layout) == placed and 0 not in layout, path.name
        filters = dashboard["metadata"]["native_filter_configuration"]
        assert {item["name"] for item in filters} == EXPECTED_FILTERS[path.stem], path.name
        for item in filters:
            excluded = item["scope"]["excluded"]
            assert set(excluded) <= set(layout), (path.name, item["name"])
            in_scope = [chart for chart_id, chart in layout.items() if chart_id not in excluded]
            assert in_scope, (path.name, item["name"])
            if item["filterType"] == "filter_time":
                for chart in in_scope:
                    operators = [f.get("operator") for f in chart["params"]["adhoc_filters"]]
                    assert "TEMPORAL_RANGE" in operators, (path.name, chart["slice_name"])
                continue
            (target,) = item["targets"]
            assert target["datasetUuid"] in generated, (path.name, item["name"])
            column = target["column"]["name"]
            for chart in in_scope:
                # Superset applies the filter to each chart by column name
                same = chart["dataset_uuid"] == target["datasetUuid"]
                assert same or column in _model_columns(chart["dataset_uuid"]), (
                    path.name,
                    item["name"],
                    chart["slice_name"],
                )


def _exposure_and_semantic_datasets() -> list[str]:
    """The dataset names the bundle makes: the dashboards' exposure models (from
    models/exposures.yml), the semantic models (semantic_<name>) and the virtual datasets
    of bi/superset/datasets/."""
    exposures = yaml.safe_load((REPO / "models" / "exposures.yml").read_text())["exposures"]
    names = [
        ref.split("'")[1]
        for exposure in exposures
        if exposure["name"] in DASHBOARD_EXPOSURES
        for ref in exposure["depends_on"]
    ]
    semantic = yaml.safe_load(
        (REPO / "models" / "marts" / "semantic" / "_semantic_models.yml").read_text()
    )["semantic_models"]
    virtual = [spec["table_name"] for spec in virtual_dataset_specs(BUNDLE)]
    return names + [f"semantic_{item['name']}" for item in semantic] + virtual


def _model_columns(uuid: str) -> set[str]:
    """The columns in the YAML of the model whose dataset has this UUID."""
    for path in (REPO / "models").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            if dataset_uuid(model["name"]) == uuid:
                return {column["name"] for column in model.get("columns") or []}
    return set()


def test_labels_money_and_shares_follow_one_rule() -> None:
    """Issue 29: table headers were raw column names, shares showed as 0.8543 and money had
    no currency. Dataset columns carry labels (the semantic layer's, else the name in
    words), money metrics the source's currency, rates and shares a percent format; a table
    chart's money and share columns get the same formats."""
    bundle = build_bundle(_manifest(), CATALOGUE, "postgresql+psycopg2://u:p@h:1/d", currency="GBP")
    dataset = _dataset(bundle.files, "semantic_sales")
    metrics = {item["metric_name"]: item for item in dataset["metrics"]}
    assert metrics["revenue"]["currency"] == {"symbol": "GBP", "symbolPosition": "prefix"}
    assert metrics["revenue"]["d3format"] == ",.2f"
    columns = {item["column_name"]: item for item in dataset["columns"]}
    assert columns["day__is_complete"]["verbose_name"] == "Is complete"
    assert columns["sale_date"]["verbose_name"] == "Sale date"

    from retail_warehouse.superset import formats

    assert formats.is_money("trailing_net_revenue") and formats.is_money("lower_80")
    assert not formats.is_money("revenue_share") and formats.is_share("revenue_share")
    assert not formats.is_money("order_count") and formats.is_share("cancellation_rate")
    assert formats.words("rfm_segment") == "RFM segment"
    assert formats.label("x", {"meta": {"label": "Chosen"}}) == "Chosen"
    assert formats.metric_format("cancellation_rate", "GBP")["d3format"] == ".1%"
    table = formats.chart_params(
        {
            "viz_type": "table",
            "all_columns": ["segment", "net_revenue", "revenue_share", "line_count"],
        },
        "GBP",
    )
    assert table["column_config"] == {
        "net_revenue": {
            "d3NumberFormat": ",.2f",
            "currencyFormat": {"symbol": "GBP", "symbolPosition": "prefix"},
        },
        "revenue_share": {"d3NumberFormat": ".1%"},
        "line_count": {"d3NumberFormat": ",d"},
    }
    assert formats.words("kpi") == "KPI"
    big = formats.chart_params({"viz_type": "big_number_total", "metric": "net_revenue"}, "GBP")
    assert big["currency_format"] == {"symbol": "GBP", "symbolPosition": "prefix"}
    count = formats.chart_params({"viz_type": "big_number_total", "metric": "count"}, "GBP")
    assert "currency_format" not in count
    assert formats.source_currency(REPO, {}) == "GBP"
    assert formats.source_currency(REPO, {"RW_SALES_SOURCE": "tpch"}) == "USD"


def test_every_bundled_table_formats_its_money_and_shares() -> None:
    """The charts as imported: every money or share column of a raw table has a format."""
    from retail_warehouse.superset import formats

    for name, text in static_files(BUNDLE, "GBP").items():
        if not name.startswith("charts/"):
            continue
        params = yaml.safe_load(text)["params"]
        for column in params.get("all_columns") or []:
            if formats.is_money(column) or formats.is_share(column):
                assert column in params["column_config"], (name, column)


def test_the_forecast_chart_never_plots_a_negative_bound() -> None:
    """The model's lower 80 % bound falls below zero in the Christmas weeks (-3,721 on the
    full data), pulling the axis to -50k: the chart clips it at zero."""
    chart = yaml.safe_load((BUNDLE / "charts" / "forecast_total_weekly.yaml").read_text())
    (lower,) = [metric for metric in chart["params"]["metrics"] if "lower_80" in json.dumps(metric)]
    assert lower["sqlExpression"] == "SUM(GREATEST(lower_80, 0))"
    prepared = yaml.safe_load(prepared_chart(yaml.safe_dump(chart), "GBP"))
    assert prepared["params"]["currency_format"]["symbol"] == "GBP", "the forecast is money"
    # a time axis ticks on days of its own: a weekday in the label ("Thu 15 Dec") misleads,
    # and a categorical axis cannot format the dates (NaN) in Superset 6.1
    assert "%a" not in chart["params"]["x_axis_time_format"]
    assert not chart["params"].get("xAxisForceCategorical")
    assert chart["params"]["time_grain_sqla"] == "P1D", "a week grain moves weeks to Monday"


def test_the_kpi_chart_follows_one_series_in_the_source_currency() -> None:
    """The Data quality board's KPI chart sums actual and expected values per series: over
    every series (the total and each country) it would count the total twice. It keeps the
    largest series (a series limit of one, by actual value), the total unless the Country
    filter picks countries; its money is in the source's currency though the naming rule
    cannot see it (actual_value), so the chart asks for the source's currency."""
    from retail_warehouse.superset.query_context import query_context

    text = (BUNDLE / "charts" / "data_quality_kpi_actual_vs_expected.yaml").read_text()
    chart = yaml.safe_load(prepared_chart(text, "GBP"))
    assert chart["params"]["currency_format"] == {"symbol": "GBP", "symbolPosition": "prefix"}
    assert "currency_format" not in yaml.safe_load(prepared_chart(text, None))["params"]
    (query,) = query_context(chart["params"])["queries"]
    assert query["series_columns"] == ["series"] and query["series_limit"] == 1
    assert query["series_limit_metric"]["column"]["column_name"] == "actual_value"
    assert query["orderby"] == [[query["series_limit_metric"], False]]
