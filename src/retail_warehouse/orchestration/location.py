"""The Dagster code location (``build_definitions``): the raw load and every dbt model as
assets, dbt tests as asset checks, the inbox sensor and the daily full build.

- ``online_retail/invoice_lines`` (the raw table, the dbt source's asset key) is loaded by
  ``retail_warehouse.load.load``; every dbt model and seed is an asset read from the dbt
  manifest by dagster-dbt, and every data test on a model an asset check.
- The dbt assets run ``retail_warehouse.build.run_build``, the same function as
  ``retail-warehouse build``: the build goes to a shadow copy and is published only if every
  test passed (docs/publishing.md), and the run results are stored in
  ``monitoring.dbt_run_results``. Only the way dbt starts differs (dagster-dbt's, so the
  asset events stream into Dagster).
- The dbt assets are built together or not at all (a subset is refused), like the
  command, which builds the whole project.
- ``inbox_sensor`` starts ``refresh_from_inbox`` (load, then incremental build) once per new
  file in the inbox; ``full_build_schedule`` runs ``full_build`` (``dbt build
  --full-refresh``), stopped unless ``RW_FULL_BUILD_CRON`` is set; ``training_schedule``
  runs ``training`` (as ``retail-warehouse train``) weekly, ``RW_TRAINING_CRON``.

Runs are serialised by the instance (``retail-warehouse orchestrate`` writes
``max_concurrent_runs: 1``): DuckDB takes one writer at a time.

Settings: ``retail_warehouse.orchestration.settings``. The module Dagster loads is
``retail_warehouse.orchestration.definitions`` (``retail-warehouse orchestrate``).
"""

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Config,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    Failure,
    MaterializeResult,
    RetryRequested,
    RunConfig,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SensorResult,
    asset,
    define_asset_job,
    in_process_executor,
    sensor,
)
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from retail_warehouse.build import run_build
from retail_warehouse.dbt_process import DbtRun, dbt_environment, dbt_executable
from retail_warehouse.errors import RetailWarehouseError, WarehouseBusyError
from retail_warehouse.load import load
from retail_warehouse.orchestration.dbt_lines import SplitPrintedText
from retail_warehouse.orchestration.inbox import (
    changed_since,
    extract_key,
    link_problem,
    loaded_note,
    move_to_processed,
    new_extracts,
    reject,
    unpublished_note,
    unseen,
)
from retail_warehouse.orchestration.settings import (
    OrchestrationSettings,
    orchestration_from_env,
)
from retail_warehouse.settings import from_env

RAW_ASSET_KEY = AssetKey(["online_retail", "invoice_lines"])
"""The raw table, keyed as dagster-dbt keys the dbt source ``online_retail.invoice_lines``,
so the staging model depends on the load."""

RAW_OP_NAME = "online_retail__invoice_lines"
DBT_OP_NAME = "warehouse_dbt_models"


class LoadConfig(Config):
    """What the raw load reads (run configuration of ``online_retail/invoice_lines``)."""

    source: str = ""
    """A path or URL; empty means ``$ONLINE_RETAIL_SOURCE``, else the UCI download."""
    quarantine: bool = False
    """Set bad rows aside instead of failing the load."""
    from_inbox: bool = False
    """The source is an inbox file: move it to processed/, or to rejected/ on failure."""
    seen: str = ""
    """The inbox file's key (name, size, modification time) when the sensor took it: a file
    that changed since is left in the inbox for the sensor to take again."""


class BuildConfig(Config):
    """How the dbt assets are built."""

    full_refresh: bool = False
    """``dbt build --full-refresh``: incremental models rebuilt from all raw rows."""
    train: bool = False
    """Run the training lane whatever its status says (``retail-warehouse train``)."""


def last_event_per_asset(events: list[Any]) -> list[Any]:
    """dbt's events of a build, each output, materialization and check once: a build that
    finds training due only after its refresh (the safety net of ``build.run_build``) runs
    dbt twice, and the second run rebuilds the registry and what scores with it; Dagster
    takes one output per asset and run, so the later event of an asset (the one published)
    is kept, in the order they last came."""
    kept: dict[tuple[str, str], Any] = {}
    for event in events:
        key = (type(event).__name__, _event_key(event))
        kept.pop(key, None)
        kept[key] = event
    return list(kept.values())


def _event_key(event: Any) -> str:
    """What an event is about: its output, or its asset and check."""
    parts = [
        repr(getattr(event, attribute, None))
        for attribute in ("output_name", "asset_key", "check_name")
    ]
    return "|".join(parts)


def prepare_manifest(settings: OrchestrationSettings, force: bool = False) -> Path:
    """The dbt manifest the asset graph is read from: ``dbt parse`` into
    ``target/orchestration`` when it is missing (or ``force``); returns its path."""
    manifest = settings.manifest_dir / "manifest.json"
    if force or not manifest.exists():
        env = dbt_environment()
        env.setdefault("DBT_PROFILES_DIR", str(settings.project_dir / "profiles"))
        result = subprocess.run(
            [
                *(dbt_executable(), "parse", "--quiet", "--target", settings.target),
                *("--target-path", str(settings.manifest_dir)),
            ],
            cwd=settings.project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not manifest.exists():
            raise RetailWarehouseError(
                f"dbt parse failed in {settings.project_dir}:\n{result.stdout}{result.stderr}"
            )
    return manifest


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` set to ``env`` for the block (dagster-dbt starts dbt with it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build_definitions(settings: OrchestrationSettings | None = None) -> Definitions:
    """The code location for ``settings`` (default: from the environment)."""
    settings = settings or orchestration_from_env()
    project = DbtProject(
        project_dir=settings.project_dir,
        target_path=settings.manifest_dir,
        profiles_dir=settings.project_dir / "profiles",
    )  # no target here: run_build passes --target itself
    manifest = prepare_manifest(settings)

    @asset(
        key=RAW_ASSET_KEY,
        group_name="raw",
        description="One row per line of a loaded extract: raw.invoice_lines, appended by "
        "retail-warehouse load (a file already loaded is a no-op).",
    )
    def raw_invoice_lines(context: AssetExecutionContext, config: LoadConfig) -> MaterializeResult:
        inbox_file = Path(config.source) if config.from_inbox else None
        if inbox_file is not None:
            refused = link_problem(inbox_file)
            if refused is not None:
                moved = reject(inbox_file, settings.rejected, refused)
                context.log.error(f"rejected {inbox_file.name}: moved to {moved}")
                raise Failure(description=refused)
            waiting = changed_since(inbox_file, config.seen)
            if waiting is not None:
                raise Failure(description=waiting)
            read = extract_key(inbox_file)
        try:
            result = load(
                config.source or None,
                settings.target,
                quarantine=config.quarantine,
                settings=from_env(),
            )
        except WarehouseBusyError as error:
            # a build or rollback run outside the orchestrator holds the warehouse: the file
            # stays in the inbox and the load is tried again later (never made beside it)
            context.log.warning(f"{error}; trying again in {settings.busy_wait_seconds:g} s")
            raise RetryRequested(
                max_retries=settings.busy_retries, seconds_to_wait=settings.busy_wait_seconds
            ) from error
        except RetailWarehouseError as error:
            if inbox_file is not None:
                moved = reject(inbox_file, settings.rejected, str(error))
                context.log.error(f"rejected {inbox_file.name}: moved to {moved}")
            raise Failure(description=str(error)) from error
        context.log.info(result.summary())
        metadata: dict[str, Any] = {
            "status": result.status,
            "load_id": result.load_id,
            "rows_loaded": result.rows_loaded,
            "rows_quarantined": result.rows_quarantined,
            "rows_already_loaded": result.rows_already_loaded,
            "source_file": result.source_file,
        }
        if inbox_file is not None:
            if changed_since(inbox_file, read) is not None:
                # rows loaded twice when it is taken again are one invoice line's duplicates,
                # which the cleaning's duplicate_line rule keeps once
                raise Failure(
                    description=f"{inbox_file.name} changed while it was loaded "
                    f"({result.summary()}): it stays in the inbox and is loaded again, whole, "
                    "once it is unchanged for RW_INBOX_SETTLE_SECONDS"
                )
            moved = move_to_processed(inbox_file, settings.processed)
            metadata["moved_to"] = str(moved)
            metadata["inbox"] = loaded_note(moved)
            context.log.info(loaded_note(moved))
        return MaterializeResult(metadata=metadata)

    @dbt_assets(manifest=manifest, project=project, name=DBT_OP_NAME)
    def warehouse_dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, config: BuildConfig
    ) -> Iterator[Any]:
        # the whole definition (context.assets_def is the subset being run)
        left_out = set(warehouse_dbt_models.keys) - set(context.selected_asset_keys)
        if left_out:
            raise Failure(
                description=f"{len(left_out)} dbt models left out: the warehouse is built whole "
                "(refresh_from_inbox or full_build, or materialize all); for part of it, "
                "run `dbt build --select ...` in place"
            )
        events: list[Any] = []

        def start_dbt(args: list[str], env: dict[str, str]) -> DbtRun:
            if args[:1] == ["parse"]:  # PostgreSQL's shadow preparation: selects nothing
                with _environment(env):
                    parsed = dbt.cli(args, raise_on_error=False).wait()
                return DbtRun(parsed.process.wait(), parsed.target_path)
            with _environment(env):
                invocation = dbt.cli(args, context=context, raise_on_error=False)
            if invocation.process.stdout is not None:  # text printed into dbt's JSON lines
                invocation.process.stdout = SplitPrintedText(invocation.process.stdout)
            events.extend(invocation.stream())
            returncode = invocation.process.wait()
            return DbtRun(returncode, invocation.target_path)

        extra = ["--full-refresh"] if config.full_refresh else []
        result = run_build(settings.target, from_env(), extra, runner=start_dbt, train=config.train)
        yield from last_event_per_asset(events)
        if result.up_to_date:
            context.log.info(result.report)  # nothing ran: no asset is materialized
        elif not result.published:
            inbox_file = context.run.tags.get("inbox_file")
            notes = [unpublished_note(inbox_file)] if inbox_file else []
            raise Failure(
                description="\n".join(
                    [
                        result.report,
                        *notes,
                        "see the failed assets and checks; "
                        "the results are in monitoring.dbt_run_results",
                    ]
                )
            )

    everything = AssetSelection.assets(raw_invoice_lines, warehouse_dbt_models)
    refresh_job = define_asset_job(
        "refresh_from_inbox",
        selection=everything,
        executor_def=in_process_executor,
        description="Load one extract, then build incrementally (started by inbox_sensor).",
    )
    full_build_job = define_asset_job(
        "full_build",
        selection=AssetSelection.assets(warehouse_dbt_models),
        executor_def=in_process_executor,
        config=RunConfig(ops={DBT_OP_NAME: BuildConfig(full_refresh=True)}),
        description="dbt build --full-refresh of every model from the raw rows already loaded.",
    )

    training_job = define_asset_job(
        "training",
        selection=AssetSelection.assets(warehouse_dbt_models),
        executor_def=in_process_executor,
        config=RunConfig(ops={DBT_OP_NAME: BuildConfig(train=True)}),
        description="retail-warehouse train: a published build that fits the models again "
        "(the training lane: registry, backtest, drivers; docs/ml.md).",
    )

    @sensor(
        job=refresh_job,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"A new file in {settings.inbox} starts refresh_from_inbox, once.",
    )
    def inbox_sensor(context: SensorEvaluationContext) -> SensorResult:
        waiting = new_extracts(settings.inbox, settings.settle_seconds)
        fresh, cursor = unseen(waiting, context.cursor)
        requests = [
            RunRequest(
                run_key=extract_key(path),
                run_config=RunConfig(
                    ops={
                        RAW_OP_NAME: LoadConfig(
                            source=str(path),
                            quarantine=settings.quarantine,
                            from_inbox=True,
                            seen=extract_key(path),
                        )
                    }
                ),
                tags={"inbox_file": path.name},
            )
            for path in fresh
        ]
        return SensorResult(run_requests=requests, cursor=cursor)

    full_build_schedule = ScheduleDefinition(
        name="full_build_schedule",
        job=full_build_job,
        cron_schedule=settings.full_build_cron,
        execution_timezone="UTC",
        default_status=(
            DefaultScheduleStatus.RUNNING
            if settings.full_build_enabled
            else DefaultScheduleStatus.STOPPED
        ),
    )

    training_schedule = ScheduleDefinition(
        name="training_schedule",
        job=training_job,
        cron_schedule=settings.training_cron,
        execution_timezone="UTC",
        default_status=(
            DefaultScheduleStatus.RUNNING
            if settings.training_enabled
            else DefaultScheduleStatus.STOPPED
        ),
    )

    return Definitions(
        assets=[raw_invoice_lines, warehouse_dbt_models],
        jobs=[refresh_job, full_build_job, training_job],
        sensors=[inbox_sensor],
        schedules=[full_build_schedule, training_schedule],
        resources={"dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable())},
    )
