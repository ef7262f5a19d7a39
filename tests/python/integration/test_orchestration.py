"""The Dagster code location (src/retail_warehouse/orchestration): it loads, a new extract in
the inbox is picked up once and runs the whole asset graph in process (load, dbt build,
asset checks) on a small sample, and a bad extract is moved to rejected/ with its error
while the warehouse stays as it was.

The sample is made at test time from ONLINE_RETAIL_SOURCE (one invoice in 40 over the two
years, about 25,000 lines; never committed), so the dbt build takes a minute or two.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

dagster = pytest.importorskip("dagster", reason="the orchestration extra is not installed")

from dagster import (  # noqa: E402
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    build_sensor_context,
)
from raw_files import HEADER, write_csv  # noqa: E402
from warehouse_helpers import BIN, REPO, write_invoice_sample  # noqa: E402

from retail_warehouse.orchestration.location import (  # noqa: E402
    RAW_ASSET_KEY,
    build_definitions,
    prepare_manifest,
)
from retail_warehouse.orchestration.settings import (  # noqa: E402
    OrchestrationSettings,
    orchestration_from_env,
)
from retail_warehouse.publish.duckdb import DuckdbPublisher  # noqa: E402

SAMPLE_EVERY = 40
"""Keep one invoice in this many (by a hash of the invoice number, so whole invoices)."""


def _settings(work: Path, **env: str) -> OrchestrationSettings:
    base = {"RW_INBOX": str(work / "inbox"), "RW_INBOX_SETTLE_SECONDS": "0"}
    return orchestration_from_env({**base, "RW_DBT_PROJECT_DIR": str(REPO), **env})


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DuckDB warehouse in a temporary folder for the module, and a fresh manifest."""
    work = tmp_path_factory.mktemp("orchestration")
    saved = dict(os.environ)
    os.environ.update(
        DUCKDB_PATH=str(work / "warehouse.duckdb"),
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        RW_SCHEMA_PREFIX="",
        DBT_TARGET="duckdb",
    )
    prepare_manifest(_settings(work), force=True)
    try:
        yield work
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_definitions_load_with_every_model_and_test(environment: Path) -> None:
    settings = _settings(environment)
    defs = build_definitions(settings)
    Definitions.validate_loadable(defs)
    graph = defs.get_repository_def().asset_graph
    manifest = json.loads((settings.manifest_dir / "manifest.json").read_text())
    nodes = manifest["nodes"].values()
    models = [node for node in nodes if node["resource_type"] in ("model", "seed")]
    model_ids = {node["unique_id"] for node in models}
    # a data test declared on a model, or a singular test reading one model, is a check
    tests = [
        node
        for node in nodes
        if node["resource_type"] == "test"
        and (
            node.get("attached_node") in model_ids
            if node.get("attached_node")
            else len(set(node["depends_on"]["nodes"]) & model_ids) == 1
        )
    ]
    materializable = graph.materializable_asset_keys
    assert RAW_ASSET_KEY in materializable
    assert len(materializable) == len(models) + 1
    assert len(graph.asset_check_keys) == len(tests)
    staging = next(key for key in materializable if key.path[-1].startswith("stg_online"))
    assert RAW_ASSET_KEY in graph.get(staging).parent_keys

    dbt_keys = materializable - {RAW_ASSET_KEY}
    for job in ("refresh_from_inbox", "full_build"):
        assert dbt_keys <= defs.get_job_def(job).asset_layer.selected_asset_keys, job
    # a subset of the dbt assets is refused before dbt starts
    with DagsterInstance.ephemeral() as instance:
        subset = dagster.materialize(
            [defs.get_assets_def(staging)],
            selection=[staging],
            instance=instance,
            resources={"dbt": defs.resources["dbt"]},
            raise_on_error=False,
        )
    assert not subset.success
    failure = subset.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and "dbt models left out" in failure.message

    sensor = defs.get_sensor_def("inbox_sensor")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    schedule = defs.get_schedule_def("full_build_schedule")
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 3 * * *"

    enabled = build_definitions(_settings(environment, RW_FULL_BUILD_CRON="30 4 * * *"))
    schedule = enabled.get_schedule_def("full_build_schedule")
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "30 4 * * *"


def _tick(defs: Definitions, instance: DagsterInstance, cursor: str | None) -> Any:
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return defs.get_sensor_def("inbox_sensor").evaluate_tick(context)


def _fingerprint(path: Path) -> dict[str, Any]:
    """Rows and a hash of every raw and mart table, and the recorded dbt runs."""
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts') and table_name != 'load_log' order by 1"
        ).fetchall()
        result: dict[str, Any] = {
            table: connection.execute(f"select count(*), sum(hash(t)) from {table} as t").fetchall()
            for (table,) in tables
        }
        result["runs"] = connection.execute(
            "select count(distinct run_id) from monitoring.dbt_run_results"
        ).fetchall()
    return result


@pytest.fixture(scope="module")
def orchestrated(environment: Path) -> Iterator[dict[str, Any]]:
    """The inbox sensor finds a sample extract, and its run (load + build) executes in
    process; yields what the test needs to check."""
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    if not source or not Path(source).is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    settings = _settings(environment)
    settings.inbox.mkdir()
    lines = write_invoice_sample(Path(source), settings.inbox / "extract_2011.csv", SAMPLE_EVERY)
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        first = _tick(defs, instance, None)
        again = _tick(defs, instance, first.cursor)
        result = defs.get_job_def("refresh_from_inbox").execute_in_process(
            run_config=first.run_requests[0].run_config, instance=instance, raise_on_error=False
        )
        yield {
            "settings": settings,
            "defs": defs,
            "instance": instance,
            "lines": lines,
            "first": first,
            "again": again,
            "result": result,
        }


def test_a_new_extract_is_loaded_and_built_once(orchestrated: dict[str, Any]) -> None:
    settings: OrchestrationSettings = orchestrated["settings"]
    assert len(orchestrated["first"].run_requests) == 1
    assert orchestrated["again"].run_requests == []  # the same file is not picked up twice
    result = orchestrated["result"]
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    graph = orchestrated["defs"].get_repository_def().asset_graph
    assert materialized == set(graph.materializable_asset_keys)
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(graph.asset_check_keys)
    failed = [check.check_name for check in checks if not check.passed]
    assert all(check.severity.value == "WARN" for check in checks if not check.passed), failed
    assert [path.name for path in settings.inbox.iterdir() if path.is_file()] == []
    assert [path.name for path in settings.processed.iterdir()] == ["extract_2011.csv"]

    with duckdb.connect(os.environ["DUCKDB_PATH"], read_only=True) as connection:
        raw = connection.execute("select count(*) from raw.invoice_lines").fetchone()
        assert raw == (orchestrated["lines"],)
        runs = connection.execute(
            "select run_id, count(*), max(target_name) from monitoring.dbt_run_results group by 1"
        ).fetchall()
        assert len(runs) == 1 and runs[0][1] > len(graph.materializable_asset_keys)
        assert runs[0][2] == "duckdb"
        days = connection.execute(
            "select sum(run_count) from monitoring.mart_data_quality_daily"
        ).fetchone()
        assert days is not None and days[0] > 0


def test_a_bad_extract_is_rejected_and_nothing_changes(
    orchestrated: dict[str, Any], tmp_path: Path
) -> None:
    settings: OrchestrationSettings = orchestrated["settings"]
    defs, instance = orchestrated["defs"], orchestrated["instance"]
    assert orchestrated["result"].success
    before = _fingerprint(Path(os.environ["DUCKDB_PATH"]))
    rows = [list(row) for row in [("100001", "10001", "CUP", "12", "2011-12-10 07:45:00",
                                    "6.95", "12001", "United Kingdom")] * 3]  # fmt: skip
    rows[1][3] = "twelve"
    bad = write_csv(settings.inbox / "extract_bad.csv", [tuple(row) for row in rows])
    assert HEADER[3] == "Quantity"

    tick = _tick(defs, instance, orchestrated["again"].cursor)
    assert len(tick.run_requests) == 1  # only the new file
    result = defs.get_job_def("refresh_from_inbox").execute_in_process(
        run_config=tick.run_requests[0].run_config, instance=instance, raise_on_error=False
    )
    assert not result.success
    assert not bad.exists()
    assert (settings.rejected / "extract_bad.csv").is_file()
    error = (settings.rejected / "extract_bad.csv.error.txt").read_text(encoding="utf-8")
    assert "extract_bad.csv: line 3, column Quantity: 'twelve' is not an integer" in error
    assert [path.name for path in settings.processed.iterdir()] == ["extract_2011.csv"]
    assert _fingerprint(Path(os.environ["DUCKDB_PATH"])) == before
    assert _tick(defs, instance, tick.cursor).run_requests == []


def test_quarantine_setting_loads_the_good_rows_of_an_inbox_file(
    orchestrated: dict[str, Any],
) -> None:
    """With RW_INBOX_QUARANTINE the sensor asks for quarantine mode: a file with one bad row
    loads its good rows, sets the bad one aside and goes to processed/ (load only here; the
    build after it is the one tested above)."""
    settings = _settings(orchestrated["settings"].inbox.parent, RW_INBOX_QUARANTINE="true")
    defs = build_definitions(settings)
    rows = [["200001", "10001", "CUP", "12", "2011-12-12 07:45:00", "6.95", "12001",
             "United Kingdom"] for _ in range(3)]  # fmt: skip
    rows[2][5] = "cheap"
    write_csv(settings.inbox / "extract_messy.csv", [tuple(row) for row in rows])
    tick = _tick(defs, orchestrated["instance"], None)
    (request,) = [r for r in tick.run_requests if r.tags["inbox_file"] == "extract_messy.csv"]
    result = dagster.materialize(
        [defs.get_assets_def(RAW_ASSET_KEY)],
        run_config=request.run_config,
        instance=orchestrated["instance"],
    )
    assert result.success
    (materialization,) = result.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    assert (metadata["rows_loaded"].value, metadata["rows_quarantined"].value) == (2, 1)
    assert (settings.processed / "extract_messy.csv").is_file()
    with duckdb.connect(os.environ["DUCKDB_PATH"], read_only=True) as connection:
        assert connection.execute(
            "select line_number, column_name from raw.quarantine_lines"
        ).fetchall() == [(4, "Price")]


def test_an_inbox_load_waits_while_a_build_holds_the_warehouse(
    orchestrated: dict[str, Any],
) -> None:
    """A build or rollback run outside Dagster holds the warehouse: the inbox load is not
    rejected (the file is fine) nor made beside the build (it would be lost); it waits and
    tries again, and the file stays in the inbox until it is loaded."""
    work = orchestrated["settings"].inbox.parent
    rows = [("300001", "10001", "CUP", "12", "2011-12-12 08:00:00", "6.95", "12001",
             "United Kingdom")]  # fmt: skip
    publisher = DuckdbPublisher(Path(os.environ["DUCKDB_PATH"]))

    def materialize_held(settings: OrchestrationSettings, release_after: float | None) -> Any:
        defs = build_definitions(settings)
        tick = _tick(defs, orchestrated["instance"], None)
        (request,) = [r for r in tick.run_requests if r.tags["inbox_file"] == "extract_busy.csv"]
        held = publisher.hold()
        held.__enter__()
        release = threading.Timer(release_after or 0, held.__exit__, (None, None, None))
        try:
            if release_after is not None:
                release.start()
            return dagster.materialize(
                [defs.get_assets_def(RAW_ASSET_KEY)],
                run_config=request.run_config,
                instance=orchestrated["instance"],
                raise_on_error=False,
            )
        finally:
            release.join() if release_after is not None else held.__exit__(None, None, None)

    busy = write_csv(work / "inbox" / "extract_busy.csv", rows)
    gives_up = materialize_held(_settings(work, RW_INBOX_BUSY_RETRIES="0"), None)
    assert not gives_up.success
    assert busy.is_file(), "the file stays in the inbox"
    assert not (work / "inbox" / "rejected" / "extract_busy.csv").exists()

    waits = _settings(work, RW_INBOX_BUSY_WAIT_SECONDS="1", RW_INBOX_BUSY_RETRIES="10")
    result = materialize_held(waits, release_after=1.5)
    assert result.success
    assert any(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events)
    assert not busy.exists() and (work / "inbox" / "processed" / "extract_busy.csv").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_orchestrate_serves_the_ui_on_localhost_and_stops_on_sigterm(environment: Path) -> None:
    """`retail-warehouse orchestrate` (what `make orchestrate` runs) answers on 127.0.0.1 with
    the code location loaded, and a supervisor's SIGTERM stops every Dagster process."""
    port = _free_port()
    env = dict(os.environ)
    env.update(RW_INBOX=str(environment / "ui_inbox"), DAGSTER_HOME=str(environment / "dh"))
    process = subprocess.Popen(
        [str(BIN / "retail-warehouse"), "orchestrate", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        info = None
        deadline = time.monotonic() + 300
        while info is None and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info") as reply:
                    info = json.loads(reply.read())
            except OSError:
                time.sleep(2)
        assert info is not None, "the Dagster UI did not answer"
        assert "dagster_webserver_version" in info
        assert "max_concurrent_runs: 1" in (environment / "dh" / "dagster.yaml").read_text()
        assert (environment / "ui_inbox").is_dir()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        deadline = time.monotonic() + 60
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(1)
        assert not _group_alive(process.pid), "Dagster processes left after SIGTERM"
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
