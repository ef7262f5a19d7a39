"""Settings the loader shares with the dbt project, read from the project's own files so that
each lives in one place: the vars of ``dbt_project.yml`` and the seeds.

The project folder is the one holding this package's ``src/`` (an editable install, as
``make install`` makes), else the current directory.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

import yaml

from retail_warehouse.errors import ConfigError

PROJECT_FILE = "dbt_project.yml"


def project_dir() -> Path:
    """The folder of ``dbt_project.yml``."""
    beside_package = Path(__file__).resolve().parents[2]
    for folder in (beside_package, Path.cwd()):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ConfigError(
        f"{PROJECT_FILE} not found (next to the package or in {Path.cwd()}): "
        "run from the project folder"
    )


@functools.cache
def dbt_vars() -> dict[str, Any]:
    """The ``vars:`` of ``dbt_project.yml``."""
    path = project_dir() / PROJECT_FILE
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")).get("vars") or {})


def dbt_var(name: str) -> Any:
    """One var of ``dbt_project.yml``; a missing one is a configuration error."""
    values = dbt_vars()
    if name not in values:
        raise ConfigError(f"var {name!r} is missing from {PROJECT_FILE}")
    return values[name]


@functools.cache
def seed_column(seed: str, column: str) -> frozenset[str]:
    """The values of one column of ``seeds/<seed>.csv``."""
    path = project_dir() / "seeds" / f"{seed}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset(row[column] for row in csv.DictReader(handle))
