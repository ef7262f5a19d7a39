"""``retail-warehouse build``: write, audit, publish.

``run_build`` is the one entry point (the command line and the orchestrated build call it):

1. take the warehouse's build lock (``Publisher.hold``), so no other build, rollback or load
   changes what is being built; when the published warehouse was built by this project from
   every load there is nothing to build, and the build says so and stops
   (``retail_warehouse.build_inputs``);
2. write: ready a shadow copy of what BI reads (DuckDB: a copy of the file; PostgreSQL:
   ``<layer>__shadow`` schemas, emptied and filled with the published tables dbt continues
   from, once a ``dbt parse`` has named them) and run ``dbt build`` into it, the whole
   project;
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

How dbt is started (the child process, its environment, stopping it) is
``retail_warehouse.dbt_process``; what each engine does to its shadow is ``publish``. Longer
than 400 lines on purpose: what remains is one sequence, the steps above with the choices
between them (what a published build accepts of dbt's options, which lane runs, whether
anything is new, what a failure reports), and splitting it would scatter the order in which
they happen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import yaml

from retail_warehouse import project
from retail_warehouse.alerts import (
    ANOMALY_MODEL,
    KpiAnomaly,
    format_new_anomalies,
    read_new_anomalies,
)
from retail_warehouse.build_inputs import (
    FINGERPRINT_ENV,
    has_table,
    nothing_to_build,
    project_fingerprint,
)
from retail_warehouse.dbt_process import (
    DbtRunner,
    check_project_folder,
    dbt_environment,
    run_dbt_subprocess,
    target_path,
)
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.interrupts import CommitGuard
from retail_warehouse.messages import excerpt
from retail_warehouse.monitoring import RUN_RESULTS_FILE, prepare_monitoring, record_run_results
from retail_warehouse.publish import Generation, Publisher, PublishOutcome, QueryFunction
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
from retail_warehouse.publish.keys import keys_of_models
from retail_warehouse.publish.postgres import PostgresPublisher
from retail_warehouse.settings import SERVING_TARGETS, Settings, schema_name

SELECTION_OPTIONS = frozenset(
    {
        "-s",
        "--select",
        "--models",
        "--model",
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
WAREHOUSE_OPTIONS = frozenset({"-t", "--target", "--profile", "--profiles-dir", "--project-dir"})
"""dbt options that point dbt at another warehouse or project than the one the build locked
and copied: ``retail-warehouse build -- --target postgres`` on DuckDB wrote PostgreSQL's
published schemas in place, with no lock and no shadow, and then published the untouched
DuckDB copy. The engine is ``--target`` of ``retail-warehouse build`` itself."""

PARTIAL_DATA_OPTIONS: dict[str, str] = {
    "--empty": "DBT_EMPTY",
    "--sample": "DBT_SAMPLE",
    "--event-time-start": "DBT_EVENT_TIME_START",
    "--event-time-end": "DBT_EVENT_TIME_END",
    "--defer": "DBT_DEFER",
    "--favor-state": "DBT_FAVOR_STATE",
}
"""dbt options (and the environment variables that set them) that build the models from
part of the data or from another environment's tables: ``build -- --empty`` (or an
exported ``DBT_EMPTY=1``) ran the whole build from zero rows, and only the ``not_empty``
tests kept it from being published, after minutes, with "fix the cause" and no word of
the option (hostile round 6). No model sets ``event_time`` today, so ``--sample`` and the
event-time window change nothing yet; refused before they would publish a sample."""

DATA_BUILD_OPTIONS = ("--exclude-resource-type", "unit_test")
"""What a published build leaves to CI: dbt's unit tests check the SQL of models against
fixed rows, so they give the same answer on every build of the same code; they run in CI
(``make test``) and in a plain ``dbt build``. A published build tests the data (every data
test, at error severity it stops the publish) and saves the unit tests' fixed cost (6.4 s
a unit test, 5 % of the node time of a TPC-H SF 0.01 build on a loaded machine,
docs/benchmark.md)."""
TRAINING_SELECTOR = "tag:training"
"""The training lane (docs/ml.md, "Two lanes"): the models that fit and backtest
(``ml_model_registry``, ``ml_model_evaluation``, ``ml_repeat_drivers``,
``ml_model_gains``). A refresh leaves
them out and scores with the registry's models; a build trains when asked (``train``,
``--full-refresh``), when there is no usable registry, or when the data will run
``ml_retrain_after_days`` past them: foreseen from the raw dates before dbt starts
(``training_foreseen``), else said by the refreshed ``ml_model_training_status``."""
TRAINING_STATUS_MODEL = "model.retail_warehouse.ml_model_training_status"
SUFFIX_ENV = "RW_BUILD_SCHEMA_SUFFIX"
"""The suffix of the schemas dbt writes (``macros/schema/build_schema_suffix.sql``), set by
``Publisher.prepare_shadow`` when the shadow is schemas (PostgreSQL)."""
PARSE_VALUE_OPTIONS = frozenset({"--vars", "--target-path"})
"""The options of a build's dbt arguments that ``dbt parse`` takes too, with their values:
what the project's models are, and where the manifest goes."""
PARSE_FLAGS = frozenset({"--partial-parse", "--no-partial-parse"})
TESTED_THROUGH_VAR = "tested_through_load_id"
"""The dbt var of the newest load whose rows passed every test: the row tests of the
line-level relations read only the rows of later loads (their ``where`` config,
dbt_project.yml; docs/operations.md, "What a published build tests"). Its default is
:data:`TESTED_THROUGH_ENV`; a user may pass it to dbt, not to ``retail-warehouse build``."""
TESTED_THROUGH_ENV = "RW_TESTED_THROUGH_LOAD_ID"
"""The environment variable a published build sets to the newest load of the published
warehouse ('' tests every row), the default of :data:`TESTED_THROUGH_VAR`. Not ``--vars``:
a var that changes with every load made dbt parse the whole project again, where a changed
environment variable read in schema YAML files makes it parse those files only."""
TESTED_FACT = "fct_invoice_lines"
"""The relation whose newest load the published warehouse passed every test on: the last of
the line-level relations, built from all the others."""
PREFIX_VAR = "schema_prefix"
"""The dbt var of the schema prefix (``macros/schema/schema_prefix.sql``). A published build
takes it from ``--schema-prefix``: in ``--vars`` it overrode the prefix dbt built under while
the lock (per prefix on PostgreSQL) and the publish kept the other, so the build wrote
another prefix's shadow schemas beside that prefix's own build."""
FULL_REFRESH_OPTIONS = frozenset({"--full-refresh", "-f"})
"""dbt's options to rebuild every incremental model: every row is new, so every row is tested."""
TRUE_FLAG_VALUES = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_FLAG_VALUES = frozenset({"0", "false", "f", "no", "n", "off"})
"""Values of a dbt flag's environment variable (``DBT_FULL_REFRESH``) that turn it on."""


def build_environment(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """dbt's environment for a build of ``settings``: ``RW_SCHEMA_PREFIX`` is always the
    build's prefix, the empty one included. Set only when not empty, an exported
    ``RW_SCHEMA_PREFIX=zz_`` with ``--schema-prefix ''`` made dbt write the zz_ shadow schemas
    under the lock of prefix ''."""
    result = dbt_environment(env)
    result["RW_SCHEMA_PREFIX"] = settings.schema_prefix
    return result


def check_whole_build(dbt_args: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    """Refuse dbt options that select part of the project or of the data (and their
    environment variables, from ``env``, default ``os.environ``): a published warehouse is
    built whole, from all its data (a partial shadow would publish without the models left
    out, an empty or sampled one without the rows)."""
    env = os.environ if env is None else env
    for option, variable in PARTIAL_DATA_OPTIONS.items():
        value = str(env.get(variable, "")).strip().lower()
        if value and value not in FALSE_FLAG_VALUES:
            raise RetailWarehouseError(
                f"{variable} is set ({excerpt(value)}): dbt would build the warehouse from "
                f"part of its data ({option}) and the build would publish it; unset it"
            )
    for arg in dbt_args:
        option = arg.split("=", 1)[0]
        if option in PARTIAL_DATA_OPTIONS:
            raise RetailWarehouseError(
                f"retail-warehouse build publishes what it builds and does not take {option}: "
                "dbt would build the models from part of the data (or another environment's "
                "tables); try it in place with `dbt build " + option + " ...`"
            )
        if option in SELECTION_OPTIONS:
            raise RetailWarehouseError(
                f"retail-warehouse build publishes the whole project and does not take {arg}; "
                "for part of it, build in place with `dbt build --select ...`"
            )
        if option in WAREHOUSE_OPTIONS or (arg.startswith("-t") and not arg.startswith("--")):
            raise RetailWarehouseError(
                f"retail-warehouse build builds and publishes the warehouse it locked and does "
                f"not take {option} after --; choose the engine with "
                "`retail-warehouse build --target duckdb|postgres`"
            )
    for index, prefix in _vars_positions(dbt_args):
        if PREFIX_VAR in _parse_vars(dbt_args[index].removeprefix(prefix)):
            raise RetailWarehouseError(
                f"retail-warehouse build takes the schema prefix from --schema-prefix (or "
                f"RW_SCHEMA_PREFIX), which its lock and publish use; leave {PREFIX_VAR} out of "
                "--vars"
            )


def model_nodes(manifest_path: Path) -> dict[str, dict[str, Any]]:
    """Every model node of the project (``manifest.json``) by unique id; empty when dbt did
    not write the manifest."""
    if not manifest_path.is_file():
        return {}
    with manifest_path.open(encoding="utf-8") as handle:
        manifest = json.load(handle)
    return {
        str(unique_id): node
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
    }


def manifest_models(manifest_path: Path) -> dict[str, str]:
    """Every model of the project (``manifest.json``): unique id -> schema; empty when dbt
    did not write the manifest."""
    return schemas_of(model_nodes(manifest_path))


def schemas_of(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Unique id -> schema of model nodes."""
    return {unique_id: str(node["schema"]) for unique_id, node in nodes.items()}


def shadow_schemas(models: Mapping[str, str], suffix_env: Mapping[str, str]) -> list[str]:
    """The schemas dbt wrote the models to, when they are shadow schemas; empty when the
    build writes a whole file (DuckDB)."""
    suffix = suffix_env.get(SUFFIX_ENV, "")
    if not suffix:
        return []
    return sorted({schema for schema in models.values() if schema.endswith(suffix)})


def parse_options(dbt_args: Sequence[str]) -> list[str]:
    """The options of a build's ``dbt_args`` that ``dbt parse`` takes too (``--vars``,
    ``--target-path``, partial parsing on or off): parsed with them, the build's dbt finds the
    project parsed and does not parse it again. The others (``--full-refresh``,
    ``--fail-fast``...) are the build's alone."""
    options: list[str] = []
    for index, arg in enumerate(dbt_args):
        name = arg.split("=", 1)[0]
        if arg in PARSE_FLAGS or (name in PARSE_VALUE_OPTIONS and "=" in arg):
            options.append(arg)
        elif arg in PARSE_VALUE_OPTIONS and index + 1 < len(dbt_args):
            options += [arg, dbt_args[index + 1]]
    return options


def carried_over(
    nodes: Mapping[str, Mapping[str, Any]], rebuilt: set[str], full_refresh: bool, suffix: str
) -> list[tuple[str, str]]:
    """(shadow schema, table) of the models whose published table the shadow schemas start
    from: the incremental models, which continue from the published state (with a full
    refresh only those the run leaves out), and the tables of the models the run leaves out
    (``rebuilt`` are the ones it builds; a refresh leaves out the training lane), so that the
    published warehouse keeps them."""
    carried = []
    for unique_id, node in sorted(nodes.items()):
        schema = str(node["schema"])
        materialized = node.get("config", {}).get("materialized")
        left_out = unique_id not in rebuilt
        incremental = materialized == "incremental" and (left_out or not full_refresh)
        if schema.endswith(suffix) and (incremental or (materialized == "table" and left_out)):
            carried.append((schema, str(node.get("alias") or node["name"])))
    return carried


def newest_published_load(query: QueryFunction, schema_prefix: str) -> int | None:
    """The newest load of the published ``fct_invoice_lines`` (every row up to it passed every
    test when it was published); ``None`` when there is no such table or it is empty."""
    schema = schema_name(schema_prefix, "marts")
    if not has_table(query, schema, TESTED_FACT):
        return None
    _, rows = query(f"select max(load_id) from {schema}.{TESTED_FACT}")
    return None if rows[0][0] is None else int(rows[0][0])


def _vars_positions(dbt_args: Sequence[str]) -> list[tuple[int, str]]:
    """Where the values of ``--vars`` are in ``dbt_args``: (index, the option's prefix in that
    argument: ``""`` after a separate ``--vars``, ``"--vars="`` when joined)."""
    positions = []
    for index, arg in enumerate(dbt_args):
        if arg == "--vars" and index + 1 < len(dbt_args):
            positions.append((index + 1, ""))
        elif arg.startswith("--vars="):
            positions.append((index, "--vars="))
    return positions


def _parse_vars(text: str) -> dict[Any, Any]:
    """A ``--vars`` value as dbt reads it: a YAML mapping (empty for an empty value)."""
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as error:
        line = str(error).strip().splitlines()[0]
        raise RetailWarehouseError(f"--vars is not valid YAML: {line}") from error
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise RetailWarehouseError(
            f"--vars must be a YAML mapping such as '{{name: value}}', not {text!r}"
        )
    return parsed


def is_full_refresh(dbt_args: Sequence[str], env: Mapping[str, str]) -> bool:
    """Whether dbt will rebuild every incremental model: ``--full-refresh``/``-f`` or a true
    ``DBT_FULL_REFRESH``."""
    flag = str(env.get("DBT_FULL_REFRESH", "")).strip().lower() in TRUE_FLAG_VALUES
    return flag or any(arg in FULL_REFRESH_OPTIONS for arg in dbt_args)


def new_loads_test_env(
    dbt_args: Sequence[str],
    publisher: Publisher,
    settings: Settings,
    env: Mapping[str, str],
    echo: Callable[[str], None],
) -> dict[str, str]:
    """dbt's environment for the row tests of a published build: :data:`TESTED_THROUGH_ENV`
    set to the newest load of the published warehouse, so that the row tests of the
    line-level relations read only later loads, and a line saying so; set to '' (every row
    tested) with ``--full-refresh`` (every row is rebuilt) and when nothing is published yet.
    Always set, so that a value exported in the calling shell never narrows a full refresh
    (and so that an unset variable, which dbt-core issue 5155 says dbt takes for a changed one
    at every parse, never is). Refuses a ``--vars`` that sets :data:`TESTED_THROUGH_VAR`,
    which would override it. Called after ``Publisher.prepare_shadow``."""
    for index, prefix in _vars_positions(dbt_args):
        if TESTED_THROUGH_VAR in _parse_vars(dbt_args[index].removeprefix(prefix)):
            raise RetailWarehouseError(
                f"retail-warehouse build sets the var {TESTED_THROUGH_VAR} itself (the newest "
                "published load); leave it out of --vars"
            )
    if is_full_refresh(dbt_args, env):
        return {TESTED_THROUGH_ENV: ""}
    newest = newest_load_of(publisher, settings)
    if newest is None:
        return {TESTED_THROUGH_ENV: ""}
    echo(f"row tests of the line-level relations read the loads after {newest}")
    return {TESTED_THROUGH_ENV: str(newest)}


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
    """Wall time of the steps: ``prepare`` (the shadow copy; on PostgreSQL with the
    ``dbt parse`` that names the models to copy), ``dbt`` (every dbt run), ``train``
    (the second dbt run of a build that found training due only after its refresh: the
    dates could not be read before it, ``training_foreseen``), ``publish``."""
    training: str = ""
    """Why the build ran the training lane (``""``: it scored with the registry's models)."""
    up_to_date: bool = False
    """True when there was nothing to build: the published warehouse was built by this
    project from every load (``retail_warehouse.build_inputs``); nothing ran, exit code 0."""

    new_anomalies: tuple[KpiAnomaly, ...] = ()
    """The KPI anomalies of the loads this build brought (``retail_warehouse.alerts``)."""

    @classmethod
    def nothing_to_build(cls, target: str, report: str) -> BuildResult:
        """The result of a build that found the published warehouse up to date."""
        return cls(
            target=target,
            published=False,
            exit_code=0,
            audit=Audit(problems=(), skipped=0, node_count=0, found_results=False),
            run_results_path=Path(),
            shadow_location="",
            report=report,
            up_to_date=True,
        )


def run_build(
    target: str,
    settings: Settings,
    dbt_args: Sequence[str] = (),
    runner: DbtRunner = run_dbt_subprocess,
    *,
    keep_generations: int | None = None,
    train: bool = False,
    echo: Callable[[str], None] = print,
) -> BuildResult:
    """Build the warehouse into a shadow copy, test it, and publish it only if nothing at
    error severity failed; store the run results. A refresh leaves the training lane out
    (:data:`TRAINING_SELECTOR`) and scores with the registry's models; ``train``
    (``retail-warehouse train``), ``--full-refresh``, a warehouse without a usable registry
    and a refresh whose new loads bring the data ``ml_retrain_after_days`` past the models
    (:func:`training_foreseen`, read before dbt starts) train in one run of the whole
    project. Only when the dates could not be read first (or the built data came out newer
    than the raw dates) does a refresh train in a second dbt run into the same shadow, after
    the refreshed ``ml_model_training_status`` says it is due (:func:`training_due`). A
    refresh that finds the published warehouse up to date runs nothing
    (``BuildResult.up_to_date``). ``runner`` starts dbt (by default a child process writing
    to this terminal); ``echo`` gets the report. Raises
    ``WarehouseBusyError`` when another build holds the warehouse."""
    check_whole_build(dbt_args)
    if runner is run_dbt_subprocess:
        check_project_folder()
    if target == "spark":
        return build_in_place(target, settings, dbt_args, runner, echo=echo)
    if keep_generations is not None:  # --keep: checked as RW_KEEP_GENERATIONS is (settings.py)
        settings = dataclasses.replace(settings, keep_generations=keep_generations)
    keep = settings.keep_generations
    env = build_environment(settings)
    publisher = publisher_for(target, settings)
    seconds: dict[str, float] = {}
    notes: list[str] = []
    with publisher.hold():
        fingerprint = project_fingerprint(target, dbt_args, env)
        env[FINGERPRINT_ENV] = fingerprint
        if not training_asked(dbt_args, env, train):
            with publisher.query_published() as query:
                up_to_date = (
                    ""
                    if query is None
                    else nothing_to_build(query, settings.schema_prefix, fingerprint)
                )
            if up_to_date:
                echo(up_to_date)
                return BuildResult.nothing_to_build(target, up_to_date)
        started = time.perf_counter()
        shadow_env: dict[str, str] = {}
        try:
            shadow_env = publisher.prepare_shadow()
            seconds["prepare"] = time.perf_counter() - started
            shadow_settings = publisher.shadow_settings(settings)
            prepare_monitoring(target, shadow_settings)  # the models that read it find it
            env.update(shadow_env)
            published_load = newest_load_of(publisher, settings)
            env.update(new_loads_test_env(dbt_args, publisher, settings, env, echo))
            training = (
                training_asked(dbt_args, env, train)
                or training_needed_first(publisher, settings.schema_prefix)
                or training_foreseen(
                    publisher, settings.schema_prefix, dbt_args, env, published_load
                )
                or ""
            )
            lane = [] if training else ["--exclude", TRAINING_SELECTOR]
            dbt_pass = _DbtPass(runner, target, dbt_args)
            run = prepare_shadow_schemas(publisher, dbt_pass, lane, env, echo)
            seconds["prepare"] += run.seconds if run.returncode == 0 else 0.0
            if run.returncode == 0:
                run = dbt_pass.run(lane, env)
            seconds["dbt"] = run.seconds
            passes = [run]
            # the safety net: a second run only when the dates could not be read before the
            # first, or the built data turned out newer than the raw dates said
            if not training and run.audit.passed(run.returncode):
                training = training_due(publisher, run.nodes)
                if training:  # into the same shadow, which holds the first run's tables
                    run = dbt_pass.run(["--select", f"{TRAINING_SELECTOR}+"], env)
                    seconds["train"] = run.seconds
                    seconds["dbt"] += run.seconds
                    passes.append(run)
        except BaseException as error:
            if not isinstance(error, Exception):  # Ctrl-C, SIGTERM, a cancelled Dagster run
                # the interrupt is what to report; a shadow left is dropped by the next build
                with contextlib.suppress(Exception):
                    discard_interrupted_shadow(publisher, dbt_args, env, shadow_env, started)
            raise
        audit = combined_audit([one.audit for one in passes])
        models = schemas_of(run.nodes)
        schemas = shadow_schemas(models, shadow_env)
        location = publisher.shadow_location(schemas)
        outcome: PublishOutcome | None = None
        anomalies: list[KpiAnomaly] = []
        if run.audit.passed(run.returncode):
            anomalies = new_kpi_anomalies(publisher, run.nodes, published_load)
            for one in passes:
                if one.results is not None:
                    record_run_results(target, shadow_settings, one.kept_results_path)
            keys = keys_of_models(run.nodes.values())
            with CommitGuard((signal.SIGINT, signal.SIGTERM)) as guard:
                guard.hold()  # the publish is one step: an interrupt now waits for its end
                outcome = publisher.publish(schemas, keep, keys)
            if guard.received:
                notes.append("note: interrupted while publishing, which was finished first")
            seconds["publish"] = outcome.seconds
        else:
            samples: dict[str, FailingRows] = {}
            tests = problems_with_rows(run.audit.problems)
            if tests:
                with publisher.query_shadow() as query:
                    for problem in tests:
                        samples[problem.unique_id] = failing_rows(query, problem)
            publisher.discard_shadow_access(schemas)
            for one in passes:
                if one.results is not None:
                    notes += _record_failed_run(
                        target, settings, shadow_settings, one.kept_results_path
                    )
    if outcome is None:
        report = "\n".join([format_failure(run.audit, run.returncode, samples, location), *notes])
    else:
        report = "\n".join([format_published(target, outcome, audit, seconds, training), *notes])
        if ANOMALY_MODEL in run.nodes:
            report += "\n" + "\n".join(format_new_anomalies(anomalies, published_load))
    echo(report)
    return BuildResult(
        target=target,
        published=outcome is not None,
        exit_code=0 if outcome is not None else (run.returncode or 1),
        audit=audit,
        run_results_path=run.results_path,
        shadow_location=location,
        report=report,
        outcome=outcome,
        seconds=seconds,
        training=training,
        new_anomalies=tuple(anomalies),
    )


def discard_interrupted_shadow(
    publisher: Publisher,
    dbt_args: Sequence[str],
    env: Mapping[str, str],
    shadow_env: Mapping[str, str],
    started: float,
) -> None:
    """After an interrupted build (dbt already stopped, ``run_dbt_subprocess``): delete the
    shadow, which no one will publish or inspect, so the published warehouse is all that is
    left. On PostgreSQL the shadow schemas are those of the manifest this build's dbt wrote
    (one older than the build may be another prefix's, and is not read)."""
    manifest = target_path(dbt_args, env) / "manifest.json"
    try:
        fresh = manifest.stat().st_mtime >= time.time() - (time.perf_counter() - started)
    except OSError:
        fresh = False
    models = manifest_models(manifest) if fresh else {}
    publisher.discard_shadow(shadow_schemas(models, shadow_env))


def prepare_shadow_schemas(
    publisher: Publisher,
    dbt_pass: _DbtPass,
    lane: Sequence[str],
    env: Mapping[str, str],
    echo: Callable[[str], None],
) -> _PassResult:
    """When the shadow is schemas (PostgreSQL: ``SUFFIX_ENV`` set), before dbt builds: name the
    project's models with ``dbt parse`` (in the build's environment, so that the build finds
    the project parsed), then empty their shadow schemas and copy in the published tables the
    run continues from or leaves out (``carried_over``; ``Publisher.prepare_schemas``). The
    parse's result: a failed parse is the build's failure (nothing is prepared, built or
    published). DuckDB's shadow file is a whole copy already: nothing to do."""
    suffix = env.get(SUFFIX_ENV, "")
    if not suffix:
        return _PassResult.nothing()
    started = time.perf_counter()
    parsed = dbt_pass.parse(env)
    if parsed.returncode != 0:
        return parsed
    rebuilt = set(parsed.nodes)
    if lane:  # a refresh: the training lane keeps its published tables
        rebuilt -= training_lane_models(parsed.nodes)
    carried = carried_over(parsed.nodes, rebuilt, is_full_refresh(dbt_pass.dbt_args, env), suffix)
    schemas = shadow_schemas(schemas_of(parsed.nodes), env)
    copied = publisher.prepare_schemas(schemas, carried)
    echo(
        f"shadow schemas {', '.join(schemas)} emptied; copied in: "
        f"{', '.join(copied) or 'no published table'}"
    )
    return dataclasses.replace(parsed, seconds=time.perf_counter() - started)


def newest_load_of(publisher: Publisher, settings: Settings) -> int | None:
    """The newest load of the published warehouse (``None`` before the first publish): the
    loads after it are the build's new loads, whose KPI anomalies it reports."""
    with publisher.query_published() as query:
        return None if query is None else newest_published_load(query, settings.schema_prefix)


def new_kpi_anomalies(
    publisher: Publisher, nodes: Mapping[str, Mapping[str, Any]], published_load: int | None
) -> list[KpiAnomaly]:
    """The anomalies of ``mart_kpi_anomalies`` in the shadow copy from the loads after
    ``published_load`` (every load when ``None``); none when the project has no such mart."""
    if ANOMALY_MODEL not in nodes:
        return []
    relation = str(nodes[ANOMALY_MODEL]["relation_name"])
    with publisher.query_shadow() as query:
        return read_new_anomalies(query, relation, published_load)


@dataclass(frozen=True)
class _PassResult:
    """One dbt run of a build and what it left."""

    returncode: int
    seconds: float
    results_path: Path
    """dbt's ``run_results.json`` (the next run of the build writes it again)."""
    kept_results_path: Path
    """A copy of it kept for the monitoring table, named after the run."""
    results: dict[str, Any] | None
    nodes: dict[str, dict[str, Any]]
    """The model nodes of the run's manifest, read once."""
    audit: Audit

    @classmethod
    def nothing(cls) -> _PassResult:
        """No dbt run (there was nothing to do before the build)."""
        return cls(0, 0.0, Path(), Path(), None, {}, audit_results(None))


@dataclass
class _DbtPass:
    """Starts the dbt runs of one build: ``build --target ...`` with the build's options."""

    runner: DbtRunner
    target: str
    dbt_args: Sequence[str]
    count: int = 0

    def parse(self, env: Mapping[str, str]) -> _PassResult:
        """``dbt parse`` with the build's target and parse options (``parse_options``): the
        model nodes, before anything is built."""
        (target_path(self.dbt_args, env) / RUN_RESULTS_FILE).unlink(missing_ok=True)
        started = time.perf_counter()
        run = self.runner(
            ["parse", "--quiet", "--target", self.target, *parse_options(self.dbt_args)],
            dict(env),
        )
        nodes = model_nodes(run.target_path / "manifest.json") if run.returncode == 0 else {}
        results_path = run.target_path / RUN_RESULTS_FILE
        return _PassResult(
            run.returncode,
            time.perf_counter() - started,
            results_path,
            results_path,
            None,
            nodes,
            audit_results(None),
        )

    def run(self, selection: list[str], env: dict[str, str]) -> _PassResult:
        self.count += 1
        # a run_results.json left by an earlier command must not be taken for this run's
        (target_path(self.dbt_args, env) / RUN_RESULTS_FILE).unlink(missing_ok=True)
        started = time.perf_counter()
        run = self.runner(
            ["build", "--target", self.target, *DATA_BUILD_OPTIONS, *selection, *self.dbt_args],
            env,
        )
        seconds = time.perf_counter() - started
        results_path = run.target_path / RUN_RESULTS_FILE
        kept = run.target_path / f"run_results_{self.count}.json"
        results = read_run_results(results_path)
        if results is not None:
            shutil.copyfile(results_path, kept)
        nodes = model_nodes(run.target_path / "manifest.json")
        models = set(nodes)
        lane = training_lane_models(nodes)
        if selection[:1] == ["--exclude"]:
            expected = models - lane  # the refresh: the registry's models stay as published
        elif selection[:1] == ["--select"]:
            expected = lane  # the training run after a refresh built the rest
        else:
            expected = models
        audit = audit_results(results, expected)
        return _PassResult(run.returncode, seconds, results_path, kept, results, nodes, audit)


def training_lane_models(nodes: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The models of the training lane (tagged ``training``) among model nodes."""
    return {unique_id for unique_id, node in nodes.items() if "training" in node.get("tags", [])}


def combined_audit(audits: Sequence[Audit]) -> Audit:
    """The audit of a build's dbt runs together: every node counted once per run."""
    first, *rest = audits
    for audit in rest:
        first = dataclasses.replace(
            first,
            node_count=first.node_count + audit.node_count,
            problems=(*first.problems, *audit.problems),
        )
    return first


def training_asked(dbt_args: Sequence[str], env: Mapping[str, str], train: bool) -> str:
    """Why the build trains before anything else: asked for, or a full refresh."""
    if train:
        return "asked for (retail-warehouse train)"
    if is_full_refresh(dbt_args, env):
        return "--full-refresh"
    return ""


def training_needed_first(publisher: Publisher, prefix: str) -> str:
    """Why the build must train in its one dbt run: the published warehouse has no model
    registry this package can score with (none yet, or fitted by another model version, or
    written before the registry had every column the training status reads)."""
    from retail_warehouse.ml import MODEL_VERSION  # only here: the ML package is heavy

    registry = f"{prefix}ml.ml_model_registry"
    try:
        with publisher.query_shadow() as query:
            _, rows = query(f"select distinct model_version, trained_at from {registry}")
    except (RetailWarehouseError, duckdb.Error, psycopg2.Error):
        return "no model registry yet"  # no file, no schema, no table, no column
    versions = sorted({str(row[0]) for row in rows})
    if not versions:
        return "no model registry yet"
    if versions != [MODEL_VERSION]:
        return (
            f"the registry's models are of model version {', '.join(versions)}, not {MODEL_VERSION}"
        )
    return ""


RETRAIN_AFTER_VAR = "ml_retrain_after_days"
"""The dbt var of the training rule (``python_models/ml/ml_model_training_status.sql``)."""
NEWEST_RAW_DATES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "online_retail": (("invoice_lines", "invoice_date", ""),),
    "tpch": (
        ("tpch_orders", "o_orderdate", ""),
        ("tpch_lineitem", "l_receiptdate", " and trim(l_returnflag) = 'R'"),
    ),
}
"""Per sales source, the raw columns (table, column, condition) whose newest value bounds the
newest ``invoice_date`` the build can give ``fct_invoices``: the loader keeps them as text
that starts with ``YYYY-MM-DD`` (the order sorts as the date does); a TPC-H credit note for a
returned line is dated when the goods were received. The loyalty feed brings no invoices."""


def _retrain_after_days(dbt_args: Sequence[str]) -> int | None:
    """The var ``ml_retrain_after_days`` dbt will use: ``--vars`` over ``dbt_project.yml``
    (``None`` when it is not a whole number)."""
    value = project.dbt_vars().get(RETRAIN_AFTER_VAR)
    for index, prefix in _vars_positions(dbt_args):
        value = _parse_vars(dbt_args[index].removeprefix(prefix)).get(RETRAIN_AFTER_VAR, value)
    try:
        return int(str(value))
    except ValueError:
        return None


def _sales_source(dbt_args: Sequence[str], env: Mapping[str, str]) -> str:
    """The var ``sales_source`` as ``macros/sources/sales_source.sql`` reads it."""
    value: object = env.get("RW_SALES_SOURCE", "online_retail")
    for index, prefix in _vars_positions(dbt_args):
        value = _parse_vars(dbt_args[index].removeprefix(prefix)).get("sales_source", value)
    return str(value).strip()


def newest_raw_invoice_date(
    query: QueryFunction, prefix: str, source: str, after_load: int | None
) -> dt.date | None:
    """The newest invoice date in the raw rows of the loads after ``after_load`` (every load
    when ``None``): a bound of what the build adds to ``fct_invoices`` (its cleaning only
    drops lines, and an invoice is dated by its first line); ``None`` when they hold none."""
    schema = schema_name(prefix, "raw")
    newest: dt.date | None = None
    for table, column, condition in NEWEST_RAW_DATES[source]:
        if not has_table(query, schema, table):
            continue
        _, rows = query(
            f"select max({column}) from {schema}.{table}"
            f" where load_id > {-1 if after_load is None else int(after_load)}{condition}"
        )
        if rows[0][0] is not None:
            found = dt.date.fromisoformat(str(rows[0][0])[:10])
            newest = found if newest is None else max(newest, found)
    return newest


def training_foreseen(
    publisher: Publisher,
    prefix: str,
    dbt_args: Sequence[str],
    env: Mapping[str, str],
    published_load: int | None,
) -> str | None:
    """Before the refresh's dbt run: why it must train (the reason :func:`training_due` gives
    after a run), ``""`` when it need not, ``None`` when the dates cannot be read (a published
    warehouse without a training status, a var dbt would refuse): then only the refreshed
    ``ml_model_training_status`` can say, after the run.

    The rule is the one of ``python_models/ml/ml_model_training_status.sql`` (its one home):
    due when the newest invoice date is ``ml_retrain_after_days`` or more days after the
    registry's training data (``trained_through_date``). The newest invoice date after this
    build is taken as the later of the published ``newest_invoice_date`` and the newest date
    in the raw rows of the loads not built yet (:func:`newest_raw_invoice_date`); a date of
    lines the cleaning drops counts too, so a load whose only lines past the threshold are
    all dropped trains (a few days early) where the status would not have said so."""
    after = _retrain_after_days(dbt_args)
    source = _sales_source(dbt_args, env)
    if after is None or source not in NEWEST_RAW_DATES:
        return None
    status = f"{schema_name(prefix, 'ml')}.{TRAINING_STATUS_MODEL.rsplit('.', 1)[-1]}"
    try:
        with publisher.query_published() as query:
            if query is None:
                return None
            _, rows = query(f"select trained_through_date, newest_invoice_date from {status}")
            if len(rows) != 1 or rows[0][0] is None:
                return None
            trained_through, newest = _as_date(rows[0][0]), _as_date(rows[0][1])
            loaded = newest_raw_invoice_date(query, prefix, source, published_load)
    except (RetailWarehouseError, duckdb.Error, psycopg2.Error, ValueError):
        return None  # no table or column, or a date the loader would not have written
    if loaded is not None and (newest is None or loaded > newest):
        newest = loaded
    if newest is None:
        return None
    days = (newest - trained_through).days
    if days < after:
        return ""
    return f"{days} days of data since the models were trained (ml_retrain_after_days: {after})"


def _as_date(value: object) -> dt.date | None:
    """A date column's value (a timestamp on an engine that returns one; ``None`` stays)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def training_due(publisher: Publisher, nodes: Mapping[str, Mapping[str, Any]]) -> str:
    """Why the refreshed shadow must train too: its ``ml_model_training_status`` says the
    data has run ``ml_retrain_after_days`` past the registry's models (``""`` otherwise)."""
    relation = str(nodes[TRAINING_STATUS_MODEL]["relation_name"])
    with publisher.query_shadow() as query:
        _, rows = query(
            "select is_training_due, days_of_data_since_training, retrain_after_days"
            f" from {relation}"
        )
    if not rows or not rows[0][0]:
        return ""
    days, after = rows[0][1], rows[0][2]
    return f"{days} days of data since the models were trained (ml_retrain_after_days: {after})"


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
    env = build_environment(settings)
    env.setdefault("RW_SPARK_DIR", str(settings.spark_dir))
    env[TESTED_THROUGH_ENV] = ""  # built in place: every row is tested, whatever is exported
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
    target: str,
    outcome: PublishOutcome,
    audit: Audit,
    seconds: Mapping[str, float],
    training: str = "",
) -> str:
    """The report of a published build."""
    lines = [
        f"published: {audit.node_count} nodes built and tested in the shadow copy, now read by "
        f"BI on {target}: {outcome.published.location}",
        f"  shadow copy {seconds.get('prepare', 0.0):.1f} s, "
        f"dbt build {seconds.get('dbt', 0.0):.1f} s, publish {outcome.seconds:.2f} s",
        f"  models trained: {training}"
        if training
        else "  models: scored with the registry's (training not due; retail-warehouse train)",
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
