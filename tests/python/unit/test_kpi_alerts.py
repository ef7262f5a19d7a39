"""KPI alerts (retail_warehouse.alerts): the anomalies of a build's new loads, as the build
prints them. dbt is replaced by a runner that writes the artifacts and, into the DuckDB
shadow file, ``fct_invoice_lines`` (its loads) and ``mart_kpi_anomalies``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey
from dagster_dbt import dbt_assets

from retail_warehouse.alerts import (
    KpiAnomaly,
    format_anomaly,
    format_new_anomalies,
    new_anomalies_sql,
    read_new_anomalies,
)
from retail_warehouse.build import run_build
from retail_warehouse.dbt_process import DbtRun
from retail_warehouse.settings import Settings

MODELS = {"fct_invoice_lines": "marts", "mart_kpi_anomalies": "marts"}


def _anomaly(day: str, times: float, series: str = "total", load: int = 2) -> KpiAnomaly:
    return KpiAnomaly(
        period_grain="day",
        series=series,
        kpi="order_count",
        period_start_date=dt.date.fromisoformat(day),
        actual_value=44.0,
        expected_value=97.5,
        times_expected=times,
        anomaly_direction="drop" if times < 1 else "spike",
        load_id=load,
    )


def test_an_anomaly_reads_as_one_line() -> None:
    assert format_anomaly(_anomaly("2011-12-09", 0.4513)) == (
        "2011-12-09 day total order_count: 44 expected 97.50 (-54.9 %), drop"
    )


def test_a_row_of_engine_types_becomes_plain_values() -> None:
    row = (
        "week",
        "GB",
        "net_revenue",
        dt.date(2011, 12, 5),
        Decimal("10.50"),
        None,
        None,
        "spike",
        3,
    )
    anomaly = KpiAnomaly.from_row(row)
    assert anomaly.actual_value == 10.5 and anomaly.expected_value is None
    assert anomaly.load_id == 3
    assert format_anomaly(anomaly) == "2011-12-05 week GB net_revenue: 10.50 expected -, spike"


def test_the_lines_count_every_anomaly_and_show_the_first() -> None:
    anomalies = [_anomaly(f"2011-12-{day:02d}", 0.6) for day in range(1, 14)]
    lines = format_new_anomalies(anomalies, 5, shown=10)
    assert lines[0] == "KPI alerts: 13 new anomalies in the loads after 5 (mart_kpi_anomalies):"
    assert len(lines) == 1 + 10 + 1 and lines[-1] == "  ... and 3 more"
    assert format_new_anomalies([], 5) == [
        "KPI alerts: no new anomalies in the loads after 5 (mart_kpi_anomalies)"
    ]
    assert "every load (nothing published before)" in format_new_anomalies([], None)[0]


def test_the_query_keeps_the_new_loads_and_orders_newest_first() -> None:
    with duckdb.connect() as connection:
        connection.execute(
            "create table a as select * from (values "
            "('day', 'GB', 'order_count', date '2011-12-09', 1.0, 2.0, 0.5, 'drop', 2, true),"
            "('day', 'total', 'order_count', date '2011-12-09', 1.0, 2.0, 0.7, 'drop', 2, true),"
            "('day', 'total', 'net_revenue', date '2011-12-09', 1.0, 2.0, 1.9, 'spike', 2, true),"
            "('day', 'total', 'order_count', date '2011-12-08', 1.0, 2.0, 0.1, 'drop', 2, true),"
            "('day', 'total', 'order_count', date '2011-11-09', 1.0, 2.0, 0.1, 'drop', 1, true),"
            "('day', 'total', 'order_count', date '2011-12-07', 1.0, 2.0, null, null, 2, false)"
            ") as t (period_grain, series, kpi, period_start_date, actual_value, expected_value, "
            "times_expected, anomaly_direction, load_id, is_anomaly)"
        )

        def query(sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
            return [], connection.execute(sql).fetchall()

        found = read_new_anomalies(query, "a", 1)
        every = read_new_anomalies(query, "a", None)
    assert [(a.period_start_date.day, a.series, a.kpi) for a in found] == [
        (9, "total", "net_revenue"),  # the total first, the largest deviation first
        (9, "total", "order_count"),
        (9, "GB", "order_count"),
        (8, "total", "order_count"),
    ]
    assert len(every) == 5
    assert "load_id > 7" in new_anomalies_sql("a", 7)


class AlertingDbt:
    """A dbt run that builds ``fct_invoice_lines`` with ``loads`` and ``mart_kpi_anomalies``
    with one drop per load in ``anomalous_loads``."""

    def __init__(self, tmp_path: Path, loads: int, anomalous_loads: tuple[int, ...]) -> None:
        self.tmp_path, self.loads, self.anomalous_loads = tmp_path, loads, anomalous_loads

    def __call__(self, args: list[str], env: dict[str, str]) -> DbtRun:
        with duckdb.connect(env["DUCKDB_PATH"]) as connection:
            connection.execute("create schema if not exists marts")
            connection.execute(
                "create or replace table marts.fct_invoice_lines as "
                f"select range as load_id from range(1, {self.loads + 1})"
            )
            rows = [
                f"('day', 'total', 'order_count', date '2011-12-0{load}', 44.00, 97.50, "
                f"0.4513, 'drop', {load}, true)"
                for load in self.anomalous_loads
            ] or ["('day', 'total', 'order_count', date '2011-12-01', 1, 1, 0, null, 1, false)"]
            connection.execute(
                "create or replace table marts.mart_kpi_anomalies as select * from (values "
                + ", ".join(rows)
                + ") as t (period_grain, series, kpi, period_start_date, actual_value, "
                "expected_value, times_expected, anomaly_direction, load_id, is_anomaly)"
            )
        target = self.tmp_path / "target"
        target.mkdir(exist_ok=True)
        nodes = {
            f"model.retail_warehouse.{name}": {
                "resource_type": "model",
                "name": name,
                "alias": name,
                "schema": schema,
                "tags": [],
                "relation_name": f'"{schema}"."{name}"',
            }
            for name, schema in MODELS.items()
        }
        results = [{"unique_id": key, "status": "success", "message": ""} for key in nodes]
        metadata = {"invocation_id": "run", "generated_at": "2026-01-01T00:00:00Z"}
        (target / "run_results.json").write_text(
            json.dumps({"metadata": metadata, "elapsed_time": 1.0, "results": results})
        )
        (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
        return DbtRun(0, target)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    return Settings(duckdb_path=tmp_path / "warehouse.duckdb")


def test_a_build_prints_the_anomalies_of_its_new_loads(settings: Settings, tmp_path: Path) -> None:
    echoed: list[str] = []
    first = run_build("duckdb", settings, runner=AlertingDbt(tmp_path, 1, (1,)), echo=echoed.append)
    assert first.published and len(first.new_anomalies) == 1
    assert "KPI alerts: 1 new anomalies in every load (nothing published before)" in echoed[-1]
    # load 2 brings an anomaly; load 1's, already published, is not new
    second = run_build(
        "duckdb", settings, runner=AlertingDbt(tmp_path, 2, (1, 2)), echo=echoed.append
    )
    assert [anomaly.load_id for anomaly in second.new_anomalies] == [2]
    assert echoed[-1].splitlines()[-2:] == [
        "KPI alerts: 1 new anomalies in the loads after 1 (mart_kpi_anomalies):",
        "  2011-12-02 day total order_count: 44 expected 97.50 (-54.9 %), drop",
    ]
    third = run_build(
        "duckdb", settings, runner=AlertingDbt(tmp_path, 2, (1, 2)), echo=echoed.append
    )
    assert third.new_anomalies == ()
    assert echoed[-1].endswith(
        "KPI alerts: no new anomalies in the loads after 2 (mart_kpi_anomalies)"
    )


def test_new_anomalies_are_an_asset_check_that_warns(manifest: dict[str, Any]) -> None:
    # the dbt test no_new_kpi_anomalies warns (never stops a publish) and dagster-dbt makes
    # it an asset check of mart_kpi_anomalies, of severity WARN when the test warns
    (test,) = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["name"] == "no_new_kpi_anomalies"
    ]
    assert test["config"]["severity"].lower() == "warn"
    assert test["attached_node"] == "model.retail_warehouse.mart_kpi_anomalies"

    @dbt_assets(manifest=manifest)
    def models(context):  # type: ignore[no-untyped-def]  # dagster reads the bare name
        yield from ()

    checks = {spec.name: spec for spec in models.check_specs}
    assert checks["no_new_kpi_anomalies"].asset_key == AssetKey(["marts", "mart_kpi_anomalies"])
