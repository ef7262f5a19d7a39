"""What a published build was built from, and whether a refresh has anything to build.

A build is a function of two inputs: the project (its dbt files, this package's code, the
versions of dbt and the engines, the target and the build's dbt options) and the raw tables
(changed only by succeeded loads, each recorded in ``raw.load_log``). Every build records both
in ``monitoring.mart_build_inputs`` (the project as :data:`FINGERPRINT_ENV`, which the model
reads), published with the generation it describes. A refresh whose project fingerprint and
loads equal the published record would rebuild the same tables: ``retail-warehouse build``
says so and builds nothing (docs/operations.md, "A refresh with nothing new").

The fingerprint is conservative: any change to a project file counts, even a comment.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from retail_warehouse.project import PROJECT_FILE, project_dir
from retail_warehouse.publish import QueryFunction
from retail_warehouse.settings import schema_name

FINGERPRINT_ENV = "RW_BUILD_FINGERPRINT"
"""The environment variable through which the build hands the fingerprint to dbt."""
BUILD_INPUTS_MODEL = "mart_build_inputs"
PATH_KEYS = ("model-paths", "seed-paths", "test-paths", "macro-paths", "snapshot-paths")
"""The folders of ``dbt_project.yml`` whose files dbt builds from."""
RESULT_ENV = ("RW_SALES_SOURCE", "RW_SCHEMA_PREFIX")
"""Environment variables the project reads that change what it builds."""
DISTRIBUTIONS = (
    "dbt-core",
    "dbt-duckdb",
    "dbt-postgres",
    "duckdb",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
)
"""Installed distributions whose version can change a built table."""


@dataclass(frozen=True)
class Loads:
    """The succeeded loads of ``raw.load_log``."""

    newest_load_id: int | None
    count: int


def _project_files(folder: Path) -> list[Path]:
    """``dbt_project.yml`` and every file under its model, seed, test, macro and snapshot
    folders."""
    config = yaml.safe_load((folder / PROJECT_FILE).read_text(encoding="utf-8")) or {}
    files = [folder / PROJECT_FILE]
    for key in PATH_KEYS:
        for name in config.get(key) or []:
            files += sorted(path for path in (folder / name).rglob("*") if path.is_file())
    return files


def _package_files() -> list[Path]:
    """This package's Python files (the dbt Python models import it)."""
    package = Path(__file__).resolve().parent
    return sorted(package.rglob("*.py"))


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def project_fingerprint(target: str, dbt_args: Sequence[str], env: Mapping[str, str]) -> str:
    """sha256 of everything besides the raw tables that a build's result depends on."""
    digest = hashlib.sha256()
    folder = project_dir()
    profiles = Path(env.get("DBT_PROFILES_DIR") or folder / "profiles") / "profiles.yml"
    for path in [*_project_files(folder), *_package_files(), profiles]:
        if not path.is_file():
            continue
        name = str(path.relative_to(folder)) if path.is_relative_to(folder) else path.name
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    settings = {
        "target": target,
        "dbt_args": list(dbt_args),
        "env": {name: env.get(name, "") for name in RESULT_ENV},
        "versions": {name: _version(name) for name in DISTRIBUTIONS},
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def loads_now(query: QueryFunction, prefix: str) -> Loads | None:
    """The succeeded loads of ``raw.load_log``; ``None`` when there is no load log."""
    schema = schema_name(prefix, "raw")
    if not has_table(query, schema, "load_log"):
        return None
    _, rows = query(
        f"select max(load_id), count(*) from {schema}.load_log where status = 'succeeded'"
    )
    newest, count = rows[0]
    return Loads(None if newest is None else int(newest), int(count))


def published_inputs(query: QueryFunction, prefix: str) -> tuple[str, Loads] | None:
    """The project fingerprint and loads the published build recorded; ``None`` when it has
    no such record (nothing published, or published before the record existed)."""
    schema = schema_name(prefix, "monitoring")
    if not has_table(query, schema, BUILD_INPUTS_MODEL):
        return None
    _, rows = query(
        "select project_fingerprint, newest_load_id, succeeded_load_count"
        f" from {schema}.{BUILD_INPUTS_MODEL}"
    )
    if len(rows) != 1:
        return None
    fingerprint, newest, count = rows[0]
    return str(fingerprint), Loads(None if newest is None else int(newest), int(count))


def nothing_to_build(query: QueryFunction, prefix: str, fingerprint: str) -> str:
    """The line saying the published build is up to date with this project and every load,
    or ``""`` when there is something to build."""
    published = published_inputs(query, prefix)
    if published is None or not published[0]:
        return ""
    loads = loads_now(query, prefix)
    if published != (fingerprint, loads):
        return ""
    through = (
        "no load yet"
        if loads is None or loads.newest_load_id is None
        else f"every load, through load {loads.newest_load_id}"
    )
    return (
        f"nothing to build: the published warehouse holds {through}, built by this project "
        "with these options (retail-warehouse build --full-refresh rebuilds it anyway)"
    )


def has_table(query: QueryFunction, schema: str, table: str) -> bool:
    """Whether ``schema.table`` exists (the catalogue, as the query's role sees it)."""
    _, rows = query(
        "select count(*) from information_schema.tables "
        f"where table_schema = '{schema}' and table_name = '{table}'"
    )
    return bool(rows[0][0])
