"""Helpers shared by the integration tests that build the warehouse with dbt."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from retail_warehouse.settings import from_env

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def pg_params(dbname: str) -> dict[str, Any]:
    """psycopg2 connection settings from the PG* variables (the package's own reading of
    them), for one database."""
    return dataclasses.replace(from_env().postgres, dbname=dbname).connect_kwargs()


def run_command(
    args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository; fail the test with its output if it exits badly."""
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in ok:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        )
    return result
