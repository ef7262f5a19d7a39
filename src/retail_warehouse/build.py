"""``retail-warehouse build``: run ``dbt build`` after checking that the warehouse is free.

DuckDB lets one process write a database file. When a BI tool, a notebook or another build
holds the file, dbt fails deep inside the adapter with a long trace; this command checks first
and says what to do instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from retail_warehouse.engines import check_duckdb_free
from retail_warehouse.errors import RetailWarehouseError
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


def run_build(target: str, settings: Settings, dbt_args: Sequence[str] = ()) -> int:
    """Check the warehouse, then run ``dbt build --target <target> <dbt_args>``; returns
    dbt's exit status."""
    if target == "duckdb":
        check_duckdb_free(settings.duckdb_path)
    command = [dbt_executable(), "build", "--target", target, *dbt_args]
    env = dbt_environment()
    if settings.schema_prefix:
        env["RW_SCHEMA_PREFIX"] = settings.schema_prefix
    return subprocess.run(command, env=env, check=False).returncode
