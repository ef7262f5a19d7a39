"""``retail-warehouse build``: write, audit, publish.

``run_build`` is the one entry point (the command line and the orchestrated build call it):

1. take the warehouse's build lock (``Publisher.hold``), so no other build, rollback or load
   changes what is being built;
2. write: ready a shadow copy of what BI reads (DuckDB: a copy of the file; PostgreSQL:
   ``<layer>__shadow`` schemas) and run ``dbt build`` into it, the whole project;
3. audit: read dbt's ``run_results.json``; anything at error severity that failed, or a dbt
   that did not finish, stops here: nothing is published, the failed tests are named with the
   rows they found, and the shadow is kept for inspection;
4. publish: one atomic step (``os.replace`` of the file; schema renames in one transaction)
   makes the shadow what BI reads, and the previous generation is kept for ``rollback``.

Passed or not, dbt's ``run_results.json`` is stored in ``<prefix>monitoring.dbt_run_results``
(``retail_warehouse.monitoring``): on DuckDB in the shadow file before it is published (or, for
a failed build, in the published file when nobody holds it). The orchestrator runs builds
through ``run_build`` too, with its own way of starting dbt (``DbtRunner``). A plain
``dbt build`` still builds in place, as dbt users expect. Method: docs/publishing.md.

On Apache Spark there is no shadow copy and no atomic publish (``build_in_place``): dbt builds
in place and the run is audited and reported the same way (docs/spark.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_warehouse.errors import RetailWarehouseError, WarehouseBusyError
from retail_warehouse.messages import find_duckdb_lock_conflict
from retail_warehouse.monitoring import RUN_RESULTS_FILE, prepare_monitoring, record_run_results
from retail_warehouse.publish import Generation, Publisher, PublishOutcome
from retail_warehouse.publish.audit import (
    Audit,
    FailingRows,
    audit_results,
    failing_rows,
    format_failure,
    problems_with_rows,
    read_run_results,
)
from retail_warehouse.publish.duckdb import DuckdbPublisher
from retail_warehouse.publish.keys import declared_keys
from retail_warehouse.publish.postgres import PostgresPublisher
from retail_warehouse.settings import SERVING_TARGETS, Settings

SELECTION_OPTIONS = frozenset(
    {
        "-s",
        "--select",
        "--models",
        "-m",
        "--exclude",
        "--selector",
        "--resource-type",
        "--resource-types",
        "--exclude-resource-type",
        "--exclude-resource-types",
        "--inline",
    }
)
"""dbt options that build part of the project: a published build is always whole."""

DATA_BUILD_OPTIONS = ("--exclude-resource-type", "unit_test")
"""What a published build leaves to CI: dbt's unit tests check the SQL of models against
fixed rows, so they give the same answer on every build of the same code; they run in CI
(``make test``) and in a plain ``dbt build``. A published build tests the data (every data
test, at error severity it stops the publish) and saves the unit tests' fixed cost (6.4 s
a unit test, 5 % of the node time of a TPC-H SF 0.01 build on a loaded machine,
docs/benchmark.md)."""
NEW_LOADS_TESTS_ENV = "RW_TEST_NEW_LOADS_ONLY"
"""Set for a published build: the row tests of the line-level relations read only the loads
the published warehouse does not hold (macros/tests/new_loads_tests.sql; not with
--full-refresh, which dbt's flags tell the macro)."""


def dbt_executable() -> str:
    """The dbt of this environment (next to the running Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise RetailWarehouseError("dbt is not installed: run `make install`")
    return found


@dataclass(frozen=True)
class DbtRun:
    """How a dbt invocation ended: its exit status and the folder of its artifacts."""

    returncode: int
    target_path: Path


DbtRunner = Callable[[list[str], dict[str, str]], DbtRun]
"""Starts dbt with these arguments (``build --target ...``) and environment, and waits."""


def dbt_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for dbt: DBT_PROFILES_DIR defaults to ./profiles when it exists."""
    result = dict(os.environ if env is None else env)
    if "DBT_PROFILES_DIR" not in result and Path("profiles/profiles.yml").exists():
        result["DBT_PROFILES_DIR"] = str(Path("profiles").resolve())
    return result


def check_whole_build(dbt_args: Sequence[str]) -> None:
    """Refuse dbt options that select part of the project: a published warehouse is built
    whole (a partial shadow would publish without the models left out)."""
    for arg in dbt_args:
        if arg.split("=", 1)[0] in SELECTION_OPTIONS:
            raise RetailWarehouseError(
                f"retail-warehouse build publishes the whole project and does not take {arg}; "
                "for part of it, build in place with `dbt build --select ...`"
            )


def target_path(dbt_args: Sequence[str], env: Mapping[str, str]) -> Path:
    """Where dbt writes its artifacts: --target-path, else DBT_TARGET_PATH, else target/."""
    for index, arg in enumerate(dbt_args):
        if arg == "--target-path" and index + 1 < len(dbt_args):
            return Path(dbt_args[index + 1])
        if arg.startswith("--target-path="):
            return Path(arg.split("=", 1)[1])
    return Path(env.get("DBT_TARGET_PATH") or "target")


def relay_dbt_output(lines: Iterable[str], write: Callable[[str], object]) -> str | None:
    """Pass dbt's output lines to ``write`` as they come, and return the one-line message for
    a DuckDB lock conflict in it (``None`` when there is none). When dbt stops on the conflict
    (``Encountered an error:`` then DuckDB's lock error), that error and the tracebacks after
    it (over 200 lines) are held back: the message says it in one line."""
    conflict: str | None = None
    held: str | None = None
    for line in lines:
        if held is not None:
            stopped_on_lock = find_duckdb_lock_conflict(line)
            if stopped_on_lock is not None:
                return conflict or stopped_on_lock
            write(held)
            held = None
        if "Encountered an error:" in line:
            held = line
            continue
        conflict = conflict or find_duckdb_lock_conflict(line)
        write(line)
    if held is not None:
        write(held)
    return conflict


def run_dbt_subprocess(args: list[str], env: dict[str, str]) -> DbtRun:
    """The default runner: dbt as a child process, output to this terminal. Raises
    ``WarehouseBusyError`` (one line: the file and who holds it) when dbt fails because
    another process holds the DuckDB file, instead of dbt's traceback."""
    with subprocess.Popen(
        [dbt_executable(), *args],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        conflict = relay_dbt_output(process.stdout, _write_through)
        for _ in process.stdout:  # dbt's held-back traceback: read to the end, not shown
            pass
        returncode = process.wait()
    if conflict is not None and returncode != 0:
        raise WarehouseBusyError(f"dbt stopped: {conflict}; nothing was published")
    return DbtRun(returncode, target_path(args, env))


def _write_through(line: str) -> None:
    sys.stdout.write(line)
    sys.stdout.flush()


def manifest_models(manifest_path: Path) -> dict[str, str]:
    """Every model of the project (``manifest.json``): unique id -> schema; empty when dbt
    did not write the manifest."""
    if not manifest_path.is_file():
        return {}
    with manifest_path.open(encoding="utf-8") as handle:
        manifest = json.load(handle)
    return {
        str(unique_id): str(node["schema"])
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
    }


def shadow_schemas(models: Mapping[str, str], suffix_env: Mapping[str, str]) -> list[str]:
    """The schemas dbt wrote the models to, when they are shadow schemas; empty when the
    build writes a whole file (DuckDB)."""
    suffix = suffix_env.get("RW_BUILD_SCHEMA_SUFFIX", "")
    if not suffix:
        return []
    return sorted({schema for schema in models.values() if schema.endswith(suffix)})


def hook_seconds(run_results: Mapping[str, Any] | None, hook_type: str) -> float:
    """Execution time of the project's ``hook_type`` hooks (``on-run-start``): on PostgreSQL
    the shadow copy of the incremental tables happens there, inside dbt."""
    if run_results is None:
        return 0.0
    return sum(
        float(result.get("execution_time") or 0.0)
        for result in run_results.get("results", [])
        if str(result.get("unique_id", "")).startswith("operation.")
        and f"-{hook_type}-" in str(result.get("unique_id", ""))
    )


def publisher_for(target: str, settings: Settings) -> Publisher:
    """The engine's publisher."""
    if target == "duckdb":
        return DuckdbPublisher(settings.duckdb_path)
    if target == "postgres":
        return PostgresPublisher(settings)
    raise RetailWarehouseError(f"no published build for target {target!r}")


def hold_for_load(target: str, settings: Settings) -> contextlib.AbstractContextManager[object]:
    """The lock a load into ``target`` holds from before it reads the warehouse until it has
    committed: shared with other loads, refused with ``WarehouseBusyError`` (exit status 2)
    while a build or rollback runs, because a build publishes what it read when it started
    (docs/operations.md, "What runs beside what"). Spark has no published build to protect."""
    if target in SERVING_TARGETS:
        return publisher_for(target, settings).hold_for_load()
    return contextlib.nullcontext()


@dataclass(frozen=True)
class BuildResult:
    """What a build did: whether it published, and where everything is."""

    target: str
    published: bool
    exit_code: int
    """0 when published; dbt's status (1) or 1 when the audit stopped the publish."""
    audit: Audit
    run_results_path: Path
    """dbt's ``run_results.json`` of this build (absent if dbt stopped before writing it)."""
    shadow_location: str
    report: str
    """The lines printed after dbt's output: what was published, or why not."""
    outcome: PublishOutcome | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of the steps: ``prepare`` (the shadow copy; on PostgreSQL it runs in dbt's
    on-run-start hook, so it is part of ``dbt`` too), ``dbt``, ``publish``."""


def run_build(
    target: str,
    settings: Settings,
    dbt_args: Sequence[str] = (),
    runner: DbtRunner = run_dbt_subprocess,
    *,
    keep_generations: int | None = None,
    echo: Callable[[str], None] = print,
) -> BuildResult:
    """Build the warehouse into a shadow copy, test it, and publish it only if nothing at
    error severity failed; store the run results. ``runner`` starts dbt (by default a child
    process writing to this terminal); ``echo`` gets the report. Raises
    ``WarehouseBusyError`` when another build holds the warehouse."""
    check_whole_build(dbt_args)
    if target == "spark":
        return build_in_place(target, settings, dbt_args, runner, echo=echo)
    if keep_generations is not None:  # --keep: checked as RW_KEEP_GENERATIONS is (settings.py)
        settings = dataclasses.replace(settings, keep_generations=keep_generations)
    keep = settings.keep_generations
    env = dbt_environment()
    if settings.schema_prefix:
        env["RW_SCHEMA_PREFIX"] = settings.schema_prefix
    publisher = publisher_for(target, settings)
    seconds: dict[str, float] = {}
    notes: list[str] = []
    with publisher.hold():
        started = time.perf_counter()
        shadow_env = publisher.prepare_shadow()
        seconds["prepare"] = time.perf_counter() - started
        shadow_settings = publisher.shadow_settings(settings)
        prepare_monitoring(target, shadow_settings)  # the models that read it find the table
        env.update(shadow_env)
        env[NEW_LOADS_TESTS_ENV] = "1"  # the published warehouse passed its rows' tests
        # a run_results.json left by an earlier command must not be taken for this run's
        (target_path(dbt_args, env) / RUN_RESULTS_FILE).unlink(missing_ok=True)
        started = time.perf_counter()
        run = runner(["build", "--target", target, *DATA_BUILD_OPTIONS, *dbt_args], env)
        seconds["dbt"] = time.perf_counter() - started
        run_results_path = run.target_path / RUN_RESULTS_FILE
        run_results = read_run_results(run_results_path)
        seconds["prepare"] += hook_seconds(run_results, "on-run-start")
        models = manifest_models(run.target_path / "manifest.json")
        audit = audit_results(run_results, models)
        schemas = shadow_schemas(models, shadow_env)
        location = publisher.shadow_location(schemas)
        outcome: PublishOutcome | None = None
        if audit.passed(run.returncode):
            if run_results is not None:
                record_run_results(target, shadow_settings, run_results_path)
            keys = declared_keys(run.target_path / "manifest.json")
            outcome = publisher.publish(schemas, keep, keys)
            seconds["publish"] = outcome.seconds
        else:
            samples: dict[str, FailingRows] = {}
            tests = problems_with_rows(audit.problems)
            if tests:
                with publisher.query_shadow() as query:
                    for problem in tests:
                        samples[problem.unique_id] = failing_rows(query, problem)
            publisher.discard_shadow_access(schemas)
            if run_results is not None:
                notes += _record_failed_run(target, settings, shadow_settings, run_results_path)
    if outcome is None:
        report = "\n".join([format_failure(audit, run.returncode, samples, location), *notes])
    else:
        report = format_published(target, outcome, audit, seconds)
    echo(report)
    return BuildResult(
        target=target,
        published=outcome is not None,
        exit_code=0 if outcome is not None else (run.returncode or 1),
        audit=audit,
        run_results_path=run_results_path,
        shadow_location=location,
        report=report,
        outcome=outcome,
        seconds=seconds,
    )


def build_in_place(
    target: str,
    settings: Settings,
    dbt_args: Sequence[str] = (),
    runner: DbtRunner = run_dbt_subprocess,
    *,
    echo: Callable[[str], None] = print,
) -> BuildResult:
    """``dbt build`` straight into the warehouse (Spark: no shadow copy, no atomic publish, so
    a failed build leaves the tables it wrote), audited and reported as a published build is;
    exit code 0 only when nothing at error severity failed."""
    env = dbt_environment()
    if settings.schema_prefix:
        env["RW_SCHEMA_PREFIX"] = settings.schema_prefix
    env.setdefault("RW_SPARK_DIR", str(settings.spark_dir))
    (target_path(dbt_args, env) / RUN_RESULTS_FILE).unlink(missing_ok=True)
    started = time.perf_counter()
    run = runner(["build", "--target", target, *dbt_args], env)
    seconds = {"dbt": time.perf_counter() - started}
    run_results_path = run.target_path / RUN_RESULTS_FILE
    audit = audit_results(
        read_run_results(run_results_path), manifest_models(run.target_path / "manifest.json")
    )
    passed = audit.passed(run.returncode)
    if passed:
        report = (
            f"built in place on {target}: {audit.node_count} nodes built and tested in "
            f"{seconds['dbt']:.1f} s (no shadow copy or atomic publish on {target}: "
            "docs/spark.md)"
        )
    else:
        report = "\n".join(
            [
                f"build failed on {target} (dbt exited {run.returncode}); built in place, so "
                "the tables written before the failure stay:",
                *(
                    f"  {problem.resource_type} {problem.name}: "
                    f"{(problem.message.strip().splitlines() or [problem.status])[0]}"
                    for problem in audit.problems
                ),
            ]
        )
    echo(report)
    return BuildResult(
        target=target,
        published=False,
        exit_code=0 if passed else (run.returncode or 1),
        audit=audit,
        run_results_path=run_results_path,
        shadow_location="",
        report=report,
        seconds=seconds,
    )


def _record_failed_run(
    target: str, settings: Settings, shadow_settings: Settings, run_results_path: Path
) -> list[str]:
    """Store a failed build's results where the next build keeps them: the published
    warehouse; on DuckDB, if a reader holds the file, in the shadow copy only (returns a note
    saying so)."""
    try:
        record_run_results(target, settings, run_results_path)
    except RetailWarehouseError as error:
        if shadow_settings == settings:
            raise
        record_run_results(target, shadow_settings, run_results_path)
        return [f"run results stored in the shadow copy only ({error})"]
    return []


def format_generations(generations: Sequence[Generation]) -> list[str]:
    """One line per kept generation."""
    return [
        f"  {generation.name:<12} {generation.location}"
        + (f" (published {generation.published_at})" if generation.published_at else "")
        for generation in generations
    ]


def format_published(
    target: str, outcome: PublishOutcome, audit: Audit, seconds: Mapping[str, float]
) -> str:
    """The report of a published build."""
    lines = [
        f"published: {audit.node_count} nodes built and tested in the shadow copy, now read by "
        f"BI on {target}: {outcome.published.location}",
        f"  shadow copy {seconds.get('prepare', 0.0):.1f} s, "
        f"dbt build {seconds.get('dbt', 0.0):.1f} s, publish {outcome.seconds:.2f} s",
    ]
    if outcome.kept:
        lines.append("kept for `retail-warehouse rollback`:")
        lines += format_generations(outcome.kept)
    lines += [f"note: {note}" for note in outcome.notes]
    return "\n".join(lines)


def run_rollback(target: str, settings: Settings) -> PublishOutcome:
    """Publish the previous generation again (one atomic step)."""
    return publisher_for(target, settings).rollback()


def list_generations(target: str, settings: Settings) -> list[Generation]:
    """The published, previous, rolled-back and shadow copies of the warehouse."""
    return list(publisher_for(target, settings).generations())
