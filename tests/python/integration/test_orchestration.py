"""The Dagster code location (src/retail_warehouse/orchestration): it loads, a new extract in
the inbox is picked up once and runs the whole asset graph in process (load, dbt build,
asset checks) on a small sample, and a bad extract is moved to rejected/ with its error
while the warehouse stays as it was; on DuckDB and on PostgreSQL (a throwaway database).

The sample is made at test time from ONLINE_RETAIL_SOURCE (one invoice in 40 over the two
years, about 25,000 lines; never committed), so each target's dbt build takes a minute or
two. The two targets' flows run side by side, each in a process of its own
(inbox_flow.py); the tests after it run in this process, one target after the other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest

dagster = pytest.importorskip("dagster", reason="the orchestration extra is not installed")

from dagster import (  # noqa: E402
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
)
from inbox_flow import tick as _tick  # noqa: E402
from raw_files import HEADER, write_csv  # noqa: E402
from warehouse_helpers import (  # noqa: E402
    BIN,
    REPO,
    both_targets,
    pg_params,
    query_rows,
    table_checksum,
    table_names,
    throwaway_pg_database,
    write_invoice_sample,
)

from retail_warehouse.build import publisher_for  # noqa: E402
from retail_warehouse.orchestration.location import (  # noqa: E402
    RAW_ASSET_KEY,
    build_definitions,
    prepare_manifest,
)
from retail_warehouse.orchestration.settings import (  # noqa: E402
    OrchestrationSettings,
    orchestration_from_env,
)
from retail_warehouse.settings import from_env  # noqa: E402

SAMPLE_EVERY = 40
"""Keep one invoice in this many (by a hash of the invoice number, so whole invoices)."""

TARGETS = [pytest.param("duckdb"), pytest.param("postgres", marks=pytest.mark.postgres)]
INBOX_FLOW = Path(__file__).with_name("inbox_flow.py")


def _settings_env(work: Path, target: str = "duckdb", **env: str) -> dict[str, str]:
    """The orchestrator's settings for one target: its own inbox under ``work``."""
    return {
        "RW_INBOX": str(work / target / "inbox"),
        "RW_INBOX_SETTLE_SECONDS": "0",
        "RW_DBT_PROJECT_DIR": str(REPO),
        "DBT_TARGET": target,
        **env,
    }


def _settings(work: Path, target: str = "duckdb", **env: str) -> OrchestrationSettings:
    return orchestration_from_env(_settings_env(work, target, **env))


@contextlib.contextmanager
def _reader(target: str) -> Iterator[Callable[[str], list[tuple[Any, ...]]]]:
    """A query function on the module's warehouse of ``target`` (read only on DuckDB), one
    connection for the block."""
    if target == "duckdb":
        with duckdb.connect(os.environ["DUCKDB_PATH"], read_only=True) as connection:
            yield functools.partial(query_rows, connection)
        return
    connection = psycopg2.connect(**pg_params(os.environ["PGDATABASE"]))
    connection.autocommit = True
    try:
        yield functools.partial(query_rows, connection)
    finally:
        connection.close()


def _query(target: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one query on the module's warehouse of ``target``."""
    with _reader(target) as query:
        return query(sql)


def _selected_targets(request: pytest.FixtureRequest) -> list[str]:
    """The targets this module's selected tests ask for (``-m 'not postgres'`` leaves
    PostgreSQL out, and then nothing is built there)."""
    params = [
        getattr(getattr(item, "callspec", None), "params", {})
        for item in request.session.items
        if item.path == request.path
    ]
    return sorted({str(param["orchestrated"]) for param in params if "orchestrated" in param})


@dataclasses.dataclass(frozen=True)
class Workspace:
    """The module's folder, and its PostgreSQL database."""

    work: Path
    database: str | None
    no_database: str = ""
    """Why there is no database, when there is none."""


@pytest.fixture(scope="module")
def environment(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A DuckDB warehouse in a temporary folder for the module, a throwaway PostgreSQL
    database when a PostgreSQL test is selected, and a fresh manifest."""
    work = tmp_path_factory.mktemp("orchestration")
    saved = dict(os.environ)
    with contextlib.ExitStack() as stack:
        database, no_database = None, "no PostgreSQL test is selected"
        if "postgres" in _selected_targets(request):
            try:
                database = stack.enter_context(throwaway_pg_database("rw_orch"))
            except pytest.skip.Exception as skipped:
                no_database = skipped.msg
        try:
            os.environ.update(
                DUCKDB_PATH=str(work / "warehouse.duckdb"),
                DBT_PROFILES_DIR=str(REPO / "profiles"),
                RW_SCHEMA_PREFIX="",
                DBT_TARGET="duckdb",
            )
            if database is not None:
                os.environ["PGDATABASE"] = database
            prepare_manifest(_settings(work), force=True)
            yield Workspace(work, database, no_database)
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _run_inbox_flow(work: Path, target: str, sample: Path) -> dict[str, Any]:
    """The sample in the target's inbox, and inbox_flow.py run on it in a child process: its
    summary, or {"error": the end of its output} when it did not finish."""
    settings_env = _settings_env(work, target)
    settings = orchestration_from_env(settings_env)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample, settings.inbox / "extract_2011.csv")
    summary, log = work / f"{target}_flow.json", work / f"{target}_flow.log"
    with log.open("wb") as output:
        process = subprocess.run(
            [sys.executable, str(INBOX_FLOW), str(summary)],
            cwd=REPO,
            # dagster-dbt puts each dbt run's artifacts in a new folder under this one
            env={**os.environ, **settings_env, "DBT_TARGET_PATH": str(work / target / "dbt")},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if process.returncode != 0 or not summary.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace")[-6000:]
        return {"error": f"inbox_flow.py exited {process.returncode}:\n{tail}"}
    return dict(json.loads(summary.read_text()))


@pytest.fixture(scope="module")
def flows(environment: Workspace, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The inbox sensor finds a sample extract, and its run (load + build) executes, for
    every selected target side by side (one published build per target)."""
    source = os.environ.get("ONLINE_RETAIL_SOURCE", "")
    if not source or not Path(source).is_file():
        pytest.skip("ONLINE_RETAIL_SOURCE does not point at the Online Retail II file")
    work = environment.work
    sample = work / "sample.csv"
    lines = write_invoice_sample(Path(source), sample, SAMPLE_EVERY)
    targets = [
        target
        for target in _selected_targets(request)
        if target != "postgres" or environment.database is not None
    ]
    summaries = both_targets(functools.partial(_run_inbox_flow, work, sample=sample), targets)
    return {"lines": lines, "summaries": dict(zip(targets, summaries, strict=True))}


@pytest.fixture(scope="module", params=TARGETS)
def orchestrated(
    request: pytest.FixtureRequest, environment: Workspace, flows: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """One target's flow (see ``flows``); yields what the test needs to check."""
    target: str = request.param
    if target not in flows["summaries"]:
        pytest.skip(environment.no_database)
    summary = flows["summaries"][target]
    if "error" in summary:
        pytest.fail(summary["error"])
    settings = _settings(environment.work, target)
    with DagsterInstance.ephemeral() as instance:
        yield {
            "target": target,
            "settings": settings,
            "defs": build_definitions(settings),
            "instance": instance,
            "lines": flows["lines"],
            "summary": summary,
        }


def test_definitions_load_with_every_model_and_test(environment: Workspace) -> None:
    settings = _settings(environment.work)
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
    for job in ("refresh_from_inbox", "full_build", "training"):
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

    enabled = build_definitions(_settings(environment.work, RW_FULL_BUILD_CRON="30 4 * * *"))
    schedule = enabled.get_schedule_def("full_build_schedule")
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "30 4 * * *"
    # the training lane runs weekly unless RW_TRAINING_CRON says otherwise (set empty: stopped)
    training = defs.get_schedule_def("training_schedule")
    assert training.default_status == DefaultScheduleStatus.RUNNING
    assert training.cron_schedule == "0 4 * * 0"
    stopped = build_definitions(_settings(environment.work, RW_TRAINING_CRON=""))
    training = stopped.get_schedule_def("training_schedule")
    assert training.default_status == DefaultScheduleStatus.STOPPED


def _fingerprint(target: str) -> dict[str, Any]:
    """Rows and a checksum of every raw and mart table, and the recorded dbt runs."""
    with _reader(target) as query:
        result: dict[str, Any] = {
            f"{schema}.{table}": table_checksum(query, table, schema=schema)
            for schema in ("raw", "marts")
            for table in table_names(query, schema)
            if table != "load_log"
        }
        result["runs"] = query("select count(distinct run_id) from monitoring.dbt_run_results")
    return result


def test_a_new_extract_is_loaded_and_built_once(orchestrated: dict[str, Any]) -> None:
    settings: OrchestrationSettings = orchestrated["settings"]
    target: str = orchestrated["target"]
    summary = orchestrated["summary"]
    assert summary["first_requests"] == 1
    assert summary["again_requests"] == 0  # the same file is not picked up twice
    assert summary["success"], summary["failures"]
    graph = orchestrated["defs"].get_repository_def().asset_graph
    assert set(summary["materialized"]) == {
        key.to_user_string() for key in graph.materializable_asset_keys
    }
    assert sorted(name for name, _, _ in summary["checks"]) == sorted(
        key.name for key in graph.asset_check_keys
    )
    failed = [name for name, passed, _ in summary["checks"] if not passed]
    assert all(severity == "WARN" for _, passed, severity in summary["checks"] if not passed), (
        failed
    )
    assert [path.name for path in settings.inbox.iterdir() if path.is_file()] == []
    assert [path.name for path in settings.processed.iterdir()] == ["extract_2011.csv"]

    assert _query(target, "select count(*) from raw.invoice_lines") == [(orchestrated["lines"],)]
    runs = _query(
        target,
        "select run_id, count(*), max(target_name) from monitoring.dbt_run_results group by 1",
    )
    assert len(runs) == 1 and runs[0][1] > len(graph.materializable_asset_keys)
    assert runs[0][2] == target
    (days,) = _query(target, "select sum(run_count) from monitoring.mart_data_quality_daily")
    assert days[0] is not None and days[0] > 0


def test_a_bad_extract_is_rejected_and_nothing_changes(orchestrated: dict[str, Any]) -> None:
    settings: OrchestrationSettings = orchestrated["settings"]
    defs, instance = orchestrated["defs"], orchestrated["instance"]
    assert orchestrated["summary"]["success"]
    before = _fingerprint(orchestrated["target"])
    rows = [list(row) for row in [("100001", "10001", "CUP", "12", "2011-12-10 07:45:00",
                                    "6.95", "12001", "United Kingdom")] * 3]  # fmt: skip
    rows[1][3] = "twelve"
    bad = write_csv(settings.inbox / "extract_bad.csv", [tuple(row) for row in rows])
    assert HEADER[3] == "Quantity"

    tick = _tick(defs, instance, orchestrated["summary"]["cursor"])
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
    assert _fingerprint(orchestrated["target"]) == before
    assert _tick(defs, instance, tick.cursor).run_requests == []


def test_quarantine_setting_loads_the_good_rows_of_an_inbox_file(
    orchestrated: dict[str, Any],
) -> None:
    """With RW_INBOX_QUARANTINE the sensor asks for quarantine mode: a file with one bad row
    loads its good rows, sets the bad one aside and goes to processed/ (load only here; the
    build after it is the one tested above)."""
    target: str = orchestrated["target"]
    work = orchestrated["settings"].inbox.parent.parent
    settings = _settings(work, target, RW_INBOX_QUARANTINE="true")
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
    assert _query(target, "select line_number, column_name from raw.quarantine_lines") == [
        (4, "Price")
    ]


def test_an_inbox_load_waits_while_a_build_holds_the_warehouse(
    orchestrated: dict[str, Any],
) -> None:
    """A build or rollback run outside Dagster holds the warehouse: the inbox load is not
    rejected (the file is fine) nor made beside the build (it would be lost); it waits and
    tries again, and the file stays in the inbox until it is loaded."""
    target: str = orchestrated["target"]
    inbox = orchestrated["settings"].inbox
    work = inbox.parent.parent
    rows = [("300001", "10001", "CUP", "12", "2011-12-12 08:00:00", "6.95", "12001",
             "United Kingdom")]  # fmt: skip
    publisher = publisher_for(target, from_env())

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

    busy = write_csv(inbox / "extract_busy.csv", rows)
    gives_up = materialize_held(_settings(work, target, RW_INBOX_BUSY_RETRIES="0"), None)
    assert not gives_up.success
    assert busy.is_file(), "the file stays in the inbox"
    assert not (inbox / "rejected" / "extract_busy.csv").exists()

    waits = _settings(work, target, RW_INBOX_BUSY_WAIT_SECONDS="1", RW_INBOX_BUSY_RETRIES="10")
    result = materialize_held(waits, release_after=1.5)
    assert result.success
    assert any(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events)
    assert not busy.exists() and (inbox / "processed" / "extract_busy.csv").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_orchestrate_serves_the_ui_on_localhost_and_stops_on_sigterm(
    environment: Workspace,
) -> None:
    """`retail-warehouse orchestrate` (what `make orchestrate` runs) answers on 127.0.0.1 with
    the code location loaded, and a supervisor's SIGTERM stops every Dagster process."""
    port = _free_port()
    work = environment.work
    env = dict(os.environ)
    env.update(RW_INBOX=str(work / "ui_inbox"), DAGSTER_HOME=str(work / "dh"))
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
        assert "max_concurrent_runs: 1" in (work / "dh" / "dagster.yaml").read_text()
        assert (work / "ui_inbox").is_dir()
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
