"""The dashboards in a real Apache Superset: `retail-warehouse superset` provisions it
against the session's PostgreSQL warehouse (conftest.py's `built_warehouse`), its web server
starts, and headless Chromium opens each dashboard as the admin.

Checks that every chart answers Superset's chart data API from its saved query context
without reaching its row limit, that the filters tie the headlines to the marts, and, for
every dashboard, that each chart of its YAML (bi/superset/) asked Superset for
data and got rows without an error (read from the browser's own network traffic), that no
error shows on the page, and that one figure equals the mart queried directly. Writes a
screenshot per dashboard to `test-output/`.

Slow (installs Superset into .venv-superset on a fresh clone, then about a minute of
provisioning); skipped without Chromium and chromedriver, selenium, ONLINE_RETAIL_SOURCE or
PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg2
import pytest
import yaml
from warehouse_helpers import BIN, REPO, query_rows, run_command

from retail_warehouse.monitoring import record_run_results
from retail_warehouse.settings import from_env
from retail_warehouse.superset.provision import (
    SupersetSettings,
    serve_command,
    superset_env,
    superset_settings,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
OUTPUT_DIR = REPO / "test-output"
BUNDLE = REPO / "bi" / "superset"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="chromium and chromedriver are not installed "
        "(apt-get install -y chromium chromium-driver)",
    ),
]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

# One figure per dashboard: (chart file, the value's key in the chart's data, the same
# figure from the mart, queried directly as the build's owner).
CHECKED_FIGURE = {
    "monthly_sales_review": (
        "monthly_sales_net_revenue_total",
        "net_revenue",
        "select sum(net_revenue) from marts.mart_sales_monthly where is_complete_month",
    ),
    "customer_segments_rfm": (
        "rfm_scored_customers",
        "count",
        "select count(*) from marts.mart_customer_rfm",
    ),
    "customer_360": (
        "customer_360_profile",
        "net_revenue",
        "select max(net_revenue) from marts.dim_customers",
    ),
    "product_performance": (
        "product_count",
        "sold_product_count",
        "select count(*) from marts.mart_product_performance where units_sold > 0",
    ),
    "sales_forecast": (
        "forecast_total_next_weeks",
        "Forecast net revenue",
        "select sum(forecast_net_revenue) from ml.ml_sales_forecast where series = 'total'",
    ),
    "data_quality": (
        "data_quality_kpi_anomaly_count",
        "count",
        "select count(*) from marts.mart_kpi_anomalies where is_anomaly",
    ),
}
LOAD_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dashboards() -> dict[str, dict[str, Any]]:
    """Dashboard file stem -> its YAML."""
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((BUNDLE / "dashboards").glob("*.yaml"))
    }


def _charts_by_uuid() -> dict[str, tuple[str, dict[str, Any]]]:
    """Chart UUID -> (file stem, its YAML)."""
    charts = {}
    for path in sorted((BUNDLE / "charts").glob("*.yaml")):
        chart = yaml.safe_load(path.read_text(encoding="utf-8"))
        charts[chart["uuid"]] = (path.stem, chart)
    return charts


def _wait_for(url: str, timeout_s: float, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"Superset's web server exited ({server.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"Superset did not answer on {url} within {timeout_s} s")


def _record_the_build(built_warehouse: dict[str, Any], env: dict[str, str], work: Path) -> None:
    """Keep the session build's test results in monitoring.dbt_run_results and rebuild the
    views that read it, as `retail-warehouse build` does (the session's plain `dbt build`
    records nothing), so the Data quality board has test results to show."""
    run_results = built_warehouse["duckdb_path"].parent / "target_postgres" / "run_results.json"
    assert record_run_results("postgres", from_env(env), run_results) > 0
    run_command(
        [
            str(BIN / "dbt"),
            "run",
            "--target",
            "postgres",
            "--select",
            "stg_monitoring__dbt_run_results",
            "mart_data_quality_daily",
            "--target-path",
            str(work / "dbt_monitoring"),
            "--log-path",
            str(work / "dbt_monitoring" / "logs"),
        ],
        env,
    )


@pytest.fixture(scope="module")
def superset(
    built_warehouse: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SupersetSettings]:
    """Superset provisioned on the session's warehouse (its own home in a temporary folder,
    the repository's .venv-superset), with its web server running."""
    home = tmp_path_factory.mktemp("superset_home")
    env = dict(built_warehouse["env"])
    env.update(RW_SUPERSET_HOME=str(home), RW_SUPERSET_PORT=str(_free_port()))
    _record_the_build(built_warehouse, env, home)
    result = run_command([str(BIN / "retail-warehouse"), "superset", "--no-serve"], env)
    postgres = dataclasses.replace(from_env().postgres, dbname=env["PGDATABASE"])
    settings = superset_settings(postgres, env)
    assert f"Superset: {settings.url}" in result.stdout, result.stdout
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        serve_command(settings),
        env=superset_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(f"{settings.url}/health", 120, server)
        yield settings
    finally:
        # the server and its threads are in their own process group (start_new_session)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


class SupersetApi:
    """Superset's REST API as the admin, with a JWT from ``/api/v1/security/login`` (no
    browser, as a script, an alert or a report would call it)."""

    def __init__(self, settings: SupersetSettings) -> None:
        self.url = settings.url
        self.token = ""
        _, body = self.call(
            "POST",
            "/api/v1/security/login",
            {
                "username": settings.admin_user,
                "password": settings.admin_password,
                "provider": "db",
                "refresh": False,
            },
        )
        self.token = body["access_token"]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, the JSON answer) of one request."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=LOAD_TIMEOUT_S) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def charts(self) -> dict[str, int]:
        """Chart name -> id, every chart Superset has."""
        status, body = self.call("GET", "/api/v1/chart/?q=(page_size:100)")
        assert status == 200, body
        return {item["slice_name"]: item["id"] for item in body["result"]}


@pytest.fixture(scope="module")
def api(superset: SupersetSettings) -> SupersetApi:
    """The REST API, logged in as the admin."""
    return SupersetApi(superset)


def _problem(status: int, body: dict[str, Any]) -> object:
    """What is wrong with a chart data answer, or None when every query returned rows."""
    results = body.get("result") or []
    errors = [result.get("error") for result in results if result.get("error")]
    if status != 200 or body.get("message") or errors or not results:
        return body.get("message") or errors or body
    if not all(result.get("rowcount", 0) > 0 and result.get("data") for result in results):
        return "no rows"
    return None


def test_every_chart_answers_the_chart_data_api(api: SupersetApi) -> None:
    """``GET /api/v1/chart/{id}/data/`` runs the chart's saved query context, as alerts and
    reports do: every chart of the bundle answers with rows right after the import (without
    a saved context Superset answers 400 "Chart has no query context saved")."""
    charts = api.charts()
    expected = sorted(chart["slice_name"] for _, chart in _charts_by_uuid().values())
    assert sorted(charts) == expected
    limits = {chart["slice_name"]: chart["params"] for _, chart in _charts_by_uuid().values()}
    problems = {}
    at_the_limit = {}
    for name, chart_id in charts.items():
        status, body = api.call("GET", f"/api/v1/chart/{chart_id}/data/")
        problem = _problem(status, body)
        if problem is not None:
            problems[name] = problem
            continue
        row_limit = int(limits[name].get("row_limit") or 0)
        rows = _rows_counted(limits[name]["viz_type"], body["result"])
        if row_limit and rows >= row_limit:
            at_the_limit[name] = (rows, row_limit)
    assert problems == {}, problems
    # the dashboard's warning icon: a chart that stops at its row limit shows part of its rows
    assert at_the_limit == {}, at_the_limit


def _rows_counted(viz_type: str, results: list[dict[str, Any]]) -> int:
    """The rows a dashboard compares with the chart's row limit (Superset 6.1's slice
    header): a server-paginated table's row count query, else the query's SQL row count."""
    if viz_type == "table" and len(results) > 1 and results[1]["data"][0].get("rowcount"):
        return int(results[1]["data"][0]["rowcount"])
    first = results[0]
    return int(
        first.get("sql_rowcount") if first.get("sql_rowcount") is not None else first["rowcount"]
    )


# A filter applied to one headline per dashboard that it filters: (the filter's name, the
# headline's chart file, its value's key, the same figure for one value straight from the
# marts as the BI role, the value as the filter lists it): a country, and a customer looked
# up in the Customer 360 board.
FILTERED_FIGURE = {
    "monthly_sales_review": (
        "Country",
        "monthly_sales_net_revenue_total",
        "net_revenue",
        "select sum(monthly.net_revenue) from marts.mart_country_monthly as monthly"
        " inner join marts.dim_countries as countries"
        " on monthly.country_code = countries.country_code"
        " where countries.country_name = %s and monthly.is_complete_month",
        "Germany",
    ),
    "customer_segments_rfm": (
        "Country",
        "rfm_scored_customers",
        "count",
        "select count(*) from marts.mart_customer_rfm as rfm"
        " inner join marts.dim_customers as customers on rfm.customer_id = customers.customer_id"
        " inner join marts.dim_countries as countries"
        " on customers.country_code = countries.country_code"
        " where countries.country_name = %s",
        "Germany",
    ),
    "customer_360": (
        "Customer",
        "customer_360_profile",
        "net_revenue",
        "select net_revenue from marts.dim_customers where customer_id = %s",
        14646,
    ),
    "product_performance": (
        "Country",
        "product_count",
        "sold_product_count",
        "select count(distinct lines.product_id) from marts.fct_invoice_lines as lines"
        " inner join marts.dim_countries as countries"
        " on lines.country_code = countries.country_code"
        " where lines.is_product and lines.invoice_kind = 'sale' and lines.quantity > 0"
        " and countries.country_name = %s",
        "Germany",
    ),
    "data_quality": (
        "Country (KPI series)",
        "data_quality_kpi_anomaly_count",
        "count",
        "select count(*) from marts.mart_kpi_anomalies where is_anomaly and series = %s",
        "GB",
    ),
}


@pytest.mark.parametrize("dashboard", sorted(FILTERED_FIGURE))
def test_a_filter_ties_the_headline_to_the_marts(
    superset: SupersetSettings, api: SupersetApi, dashboard: str
) -> None:
    """The dashboard's country (or customer) filter, applied as the dashboard applies it (its
    target column in the extra filters of the chart's saved query), gives the headline that
    the marts give the BI role for that country (or customer)."""
    spec = _dashboards()[dashboard]
    filter_name, chart_file, key, sql, value = FILTERED_FIGURE[dashboard]
    (the_filter,) = [
        item
        for item in spec["metadata"]["native_filter_configuration"]
        if item["name"] == filter_name
    ]
    layout_id = spec["position"][f"CHART-{chart_file}"]["meta"]["chartId"]
    assert layout_id not in the_filter["scope"]["excluded"]
    column = the_filter["targets"][0]["column"]["name"]
    chart_name = next(
        chart["slice_name"] for stem, chart in _charts_by_uuid().values() if stem == chart_file
    )
    status, body = api.call("GET", f"/api/v1/chart/{api.charts()[chart_name]}")
    assert status == 200, body
    context = json.loads(body["result"]["query_context"])
    for query in context["queries"]:
        query["filters"].append({"col": column, "op": "IN", "val": [value]})
    status, body = api.call("POST", "/api/v1/chart/data", context)
    assert _problem(status, body) is None, body
    if filter_name == "Customer":
        assert body["result"][0]["rowcount"] == 1, "a look-up finds the one customer"
    shown = body["result"][0]["data"][0][key]

    reader = psycopg2.connect(
        **{
            **superset.postgres.connect_kwargs(),
            "user": superset.bi_role,
            "password": superset.bi_password,
        }
    )
    try:
        ((expected,),) = query_rows(reader, sql, (value,))
    finally:
        reader.close()
    assert expected, f"no {value} rows in the marts"
    assert Decimal(str(shown)).quantize(Decimal("0.01")) == Decimal(str(expected)).quantize(
        Decimal("0.01")
    )


def test_the_product_board_ties_to_its_mart_unfiltered(
    superset: SupersetSettings, api: SupersetApi
) -> None:
    """The product board reads the invoice lines (product_sales) so its filters have a date
    and a country; with no filter set its figures are mart_product_performance's: net revenue
    per ABC class, and the top products' net revenue, units and cancellation rate, one row
    per product of the mart."""
    charts = api.charts()
    status, body = api.call("GET", f"/api/v1/chart/{charts['Net revenue by ABC class']}/data/")
    assert _problem(status, body) is None, body
    shown = {
        row["abc_class"]: Decimal(str(row["net_revenue"])).quantize(Decimal("0.01"))
        for row in body["result"][0]["data"]
    }
    expected = dict(
        _as_bi_reader(
            superset,
            "select abc_class, sum(net_revenue) from marts.mart_product_performance group by 1",
        )
    )
    assert shown == expected

    status, body = api.call("GET", f"/api/v1/chart/{charts['Top products by net revenue']}/data/")
    assert _problem(status, body) is None, body
    page, count = body["result"]
    shown_rows = [
        (
            row["product_id"],
            Decimal(str(row["net_revenue"])).quantize(Decimal("0.01")),
            row["units_sold"],
            Decimal(str(row["cancellation_rate"])).quantize(Decimal("0.0001")),
        )
        for row in page["data"]
    ]
    expected_rows = _as_bi_reader(
        superset,
        "select product_id, net_revenue, units_sold, cancellation_rate"
        f" from marts.mart_product_performance order by revenue_rank limit {len(shown_rows)}",
    )
    assert shown_rows == [tuple(row) for row in expected_rows]
    ((products,),) = _as_bi_reader(superset, "select count(*) from marts.mart_product_performance")
    assert count["data"][0]["rowcount"] == products


def _as_bi_reader(superset: SupersetSettings, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` for the BI role, the role Superset reads the warehouse as."""
    reader = psycopg2.connect(
        **{
            **superset.postgres.connect_kwargs(),
            "user": superset.bi_role,
            "password": superset.bi_password,
        }
    )
    try:
        return query_rows(reader, sql)
    finally:
        reader.close()


def test_the_segment_filter_finds_customers_without_a_segment(
    superset: SupersetSettings, api: SupersetApi
) -> None:
    """Customers without a purchase invoice have no RFM segment (null): the Customer 360
    board's Segment filter lists them as <NULL> (its options are the column's values, null
    included) and, picked, finds exactly them in the profile."""
    spec = _dashboards()["customer_360"]
    (the_filter,) = [
        item
        for item in spec["metadata"]["native_filter_configuration"]
        if item["name"] == "Segment"
    ]
    column = the_filter["targets"][0]["column"]["name"]
    ((unscored,),) = _as_bi_reader(
        superset, f"select count(*) from marts.mart_customer_360 where {column} is null"
    )
    assert unscored > 0, "every customer has a segment: the test has nothing to find"
    status, body = api.call("GET", f"/api/v1/chart/{api.charts()['Customer profile']}")
    assert status == 200, body
    context = json.loads(body["result"]["query_context"])
    page, count = context["queries"]

    # the filter's options: the column's values, as its select box lists them
    options = dict(context, queries=[dict(page, columns=[column], metrics=["count"], orderby=[])])
    options["queries"][0].update(row_limit=1000, row_offset=0)
    status, body = api.call("POST", "/api/v1/chart/data", options)
    assert _problem(status, body) is None, body
    listed = {row[column]: row["count"] for row in body["result"][0]["data"]}
    assert listed.get(None) == unscored, listed

    for query in (page, count):
        query["filters"].append({"col": column, "op": "IN", "val": [None]})
    status, body = api.call("POST", "/api/v1/chart/data", context)
    assert _problem(status, body) is None, body
    assert body["result"][1]["data"][0]["rowcount"] == unscored
    assert {row[column] for row in body["result"][0]["data"]} == {None}


@pytest.fixture(scope="module")
def browser(superset: SupersetSettings) -> Iterator[Any]:
    """Headless Chromium logged in to Superset as the admin, recording network traffic."""
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="rw_superset_chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1600,3000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.get(f"{superset.url}/login/")
        driver.find_element(By.CSS_SELECTOR, "input#username").send_keys(superset.admin_user)
        password = driver.find_element(By.CSS_SELECTOR, "input#password")
        password.send_keys(superset.admin_password)
        password.submit()
        deadline = time.monotonic() + 60
        while "/login" in driver.current_url and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "/login" not in driver.current_url, "could not log in to Superset"
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _chart_responses(browser: Any, expected: int) -> dict[int, dict[str, Any]]:
    """Chart id -> the JSON Superset answered to that chart's data request, once all
    ``expected`` charts have been answered."""
    requests: dict[str, int] = {}
    finished: set[str] = set()
    bodies: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while time.monotonic() < deadline:
        for entry in browser.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if "/api/v1/chart/data" in url:
                    form_data = parse_qs(urlparse(url).query).get("form_data", ["{}"])[0]
                    slice_id = json.loads(form_data).get("slice_id")
                    if slice_id is not None:
                        requests[params["requestId"]] = int(slice_id)
            elif message["method"] == "Network.loadingFinished":
                finished.add(params["requestId"])
        for request_id, slice_id in requests.items():
            if request_id in finished and slice_id not in bodies:
                body = browser.execute_cdp_cmd("Network.getResponseBody", {"requestId": request_id})
                bodies[slice_id] = json.loads(body["body"])
        if len(bodies) >= expected:
            return bodies
        time.sleep(1)
    return bodies


def _api_get(browser: Any, path: str) -> dict[str, Any]:
    """A GET on Superset's API from the logged-in page (its session cookie)."""
    text = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(function (r) { return r.text(); }).then(done);",
        path,
    )
    return json.loads(text)


@pytest.mark.parametrize("dashboard", sorted(CHECKED_FIGURE))
def test_dashboard_renders_with_data(
    built_warehouse: dict[str, Any], superset: SupersetSettings, browser: Any, dashboard: str
) -> None:
    """Every chart of the dashboard gets rows without an error, nothing on the page says
    there was one, and its checked figure equals the mart."""
    spec = _dashboards()[dashboard]
    charts = _charts_by_uuid()
    uuids = [
        item["meta"]["uuid"]
        for item in spec["position"].values()
        if isinstance(item, dict) and item.get("type") == "CHART"
    ]
    names = {charts[uuid][1]["slice_name"]: charts[uuid][0] for uuid in uuids}

    browser.get_log("performance")  # drop what earlier pages left
    browser.get(f"{superset.url}/superset/dashboard/{spec['slug']}/")
    responses = _chart_responses(browser, len(uuids))
    # the screenshot first, so a failing dashboard leaves one to look at
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1600, min(int(height) + 40, 8000))
    OUTPUT_DIR.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(OUTPUT_DIR / f"superset_{dashboard}.png"))
    browser.set_window_size(1600, 3000)

    listed = _api_get(browser, f"/api/v1/dashboard/{spec['slug']}/charts")["result"]
    ids = {item["slice_name"]: item["id"] for item in listed}
    assert sorted(ids) == sorted(names), "the dashboard in Superset has other charts than its YAML"
    problems = {}
    for name, chart_id in ids.items():
        body = responses.get(chart_id)
        if body is None:
            problems[name] = "no data request answered"
            continue
        results = body.get("result") or []
        errors = [result.get("error") for result in results if result.get("error")]
        if body.get("message") or errors or not results:
            problems[name] = body.get("message") or errors or body
        elif not all(result.get("rowcount", 0) > 0 and result.get("data") for result in results):
            problems[name] = "no rows"
    assert problems == {}, problems

    shown_errors = browser.execute_script(
        "return Array.from(document.querySelectorAll("
        '\'[data-test="error-message"], .alert-danger, [role="alert"]\'))'
        ".map(function (node) { return node.innerText; })"
        ".filter(function (text) { return text && text.trim(); });"
    )
    assert shown_errors == [], shown_errors

    chart_file, key, sql = CHECKED_FIGURE[dashboard]
    checked = next(name for name, stem in names.items() if stem == chart_file)
    shown = responses[ids[checked]]["result"][0]["data"][0][key]
    (expected,) = query_rows(built_warehouse["pg"], sql)[0]
    assert Decimal(str(shown)).quantize(Decimal("0.01")) == Decimal(str(expected)).quantize(
        Decimal("0.01")
    )
