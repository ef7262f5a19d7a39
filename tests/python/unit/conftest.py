"""Fixtures shared by the unit tests: the parsed dbt manifest.

`manifest` runs `dbt parse` (no warehouse needed) once per session and source
system, for every module that checks what dbt sees (descriptions, names).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session", params=["online_retail", "tpch"])
def manifest(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The manifest of each source system's build (var sales_source through
    RW_SALES_SOURCE): each enables models the other leaves out."""
    work = tmp_path_factory.mktemp("docs_parse")
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        DUCKDB_PATH=str(work / "parse.duckdb"),
        DBT_TARGET="duckdb",
        RW_SALES_SOURCE=request.param,
    )
    result = subprocess.run(
        [
            str(BIN / "dbt"),
            "parse",
            "--target",
            "duckdb",
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"dbt parse failed\n{result.stdout[-4000:]}\n{result.stderr}"
    return json.loads((work / "target" / "manifest.json").read_text())
