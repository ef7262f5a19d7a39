"""Fixtures shared by the unit tests: the parsed dbt manifest.

`manifest` runs `dbt parse` (no warehouse needed) once per session and source
system, for every module that checks what dbt sees (descriptions, names);
`manifests` gives both at once from the same parses.
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


SOURCE_SYSTEMS = ("online_retail", "tpch")

_PARSED: dict[str, dict[str, Any]] = {}
"""Each source system's manifest, parsed once per session (the `manifest` and `manifests`
fixtures share it)."""


def _parsed(source_system: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The manifest of one source system's build (var sales_source through RW_SALES_SOURCE)."""
    if source_system in _PARSED:
        return _PARSED[source_system]
    work = tmp_path_factory.mktemp("docs_parse")
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(REPO / "profiles"),
        DUCKDB_PATH=str(work / "parse.duckdb"),
        DBT_TARGET="duckdb",
        RW_SALES_SOURCE=source_system,
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
    _PARSED[source_system] = json.loads((work / "target" / "manifest.json").read_text())
    return _PARSED[source_system]


@pytest.fixture(scope="session", params=SOURCE_SYSTEMS)
def manifest(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The manifest of each source system's build (var sales_source through
    RW_SALES_SOURCE): each enables models the other leaves out."""
    return _parsed(request.param, tmp_path_factory)


@pytest.fixture(scope="session")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Both source systems' manifests at once, by source system, for a test that compares
    them (the same parses as `manifest`'s). A module using it joins the `manifest` group
    (tests/python/conftest.py) with `pytestmark = pytest.mark.xdist_group("manifest")`, so
    that the worker running it parses once."""
    return {source: _parsed(source, tmp_path_factory) for source in SOURCE_SYSTEMS}
