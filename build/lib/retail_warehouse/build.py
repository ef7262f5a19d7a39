"""``retail-warehouse build``: run ``dbt build`` after checking that the warehouse is free, and
keep its results.

DuckDB lets one process write a database file. When a BI tool, a notebook or another build
holds the file, dbt fails deep inside the adapter with a long trace; this command checks first
and says what to do instead. After dbt ends, passed or not, its ``run_results.json`` is stored
in ``<prefix>monitoring.dbt_run_results`` (``retail_warehouse.monitoring``). The orchestrator
runs builds through ``run_build`` too, with its own way of starting dbt (``DbtRunner``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from retail_warehouse.engines import check_duckdb_free
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.monitoring import RUN_RESULTS_FILE, prepare_monitoring, record_run_results
from retail_warehouse.settings import Settings


def dbt_executable() -> str:
    """The dbt of this environment (next to the running Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise RetailWarehouseError("dbt is not installed: run `make install`")
    return found


def dbt_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for dbt: DBT_PROFILES_DIR defaults to ./profiles when it exists."""
    result = dict(os.environ if env is None else env)
    if "DBT_PROFILES_DIR" not in result and Path("profiles/profiles.yml").exists():
        result["DBT_PROFILES_DIR"] = str(Path("profiles").resolve())
    return result


@dataclass(frozen=True)
class DbtRun:
    """How a dbt invocation ended: its exit status and the folder of its artifacts."""

    returncode: int
    target_path: Path


DbtRunner = Callable[[list[str], dict[str, str]], DbtRun]
"""Starts dbt with these arguments (``build --target ...``) and environment, and waits."""


def target_path(dbt_args: Sequence[str], env: dict[str, str]) -> Path:
    """Where dbt writes its artifacts: ``--target-path``, else ``$DBT_TARGET_PATH``, else
    ``target``."""
    for index, arg in enumerate(dbt_args):
        if arg == "--target-path" and index + 1 < len(dbt_args):
            return Path(dbt_args[index + 1])
        if arg.startswith("--target-path="):
            return Path(arg.split("=", 1)[1])
    return Path(env.get("DBT_TARGET_PATH") or "target")


def run_dbt_subprocess(args: list[str], env: dict[str, str]) -> DbtRun:
    """The default runner: dbt as a child process, output to this terminal."""
    returncode = subprocess.run([dbt_executable(), *args], env=env, check=False).returncode
    return DbtRun(returncode, target_path(args, env))


def run_build(
    target: str,
    settings: Settings,
    dbt_args: Sequence[str] = (),
    runner: DbtRunner = run_dbt_subprocess,
) -> int:
    """Check the warehouse, run ``dbt build --target <target> <dbt_args>`` and store its run
    results in the monitoring schema; returns dbt's exit status."""
    if target == "duckdb":
        check_duckdb_free(settings.duckdb_path)
    prepare_monitoring(target, settings)
    env = dbt_environment()
    if settings.schema_prefix:
        env["RW_SCHEMA_PREFIX"] = settings.schema_prefix
    # a run_results.json left by an earlier command must not be stored as this run's
    (target_path(dbt_args, env) / RUN_RESULTS_FILE).unlink(missing_ok=True)
    run = runner(["build", "--target", target, *dbt_args], env)
    results = run.target_path / RUN_RESULTS_FILE
    if results.exists():
        record_run_results(target, settings, results)
    return run.returncode
