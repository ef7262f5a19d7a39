"""Settings of the orchestrator, from the environment (defaults in brackets).

- ``RW_INBOX`` [``inbox`` in the dbt project folder]: the folder watched for new extracts;
  a loaded file moves to its ``processed/`` subfolder, a file that fails to load to
  ``rejected/`` with ``<file>.error.txt`` beside it.
- ``RW_INBOX_QUARANTINE`` [``false``]: load inbox files with ``--quarantine`` (bad rows set
  aside instead of rejecting the file).
- ``RW_INBOX_INTERVAL_SECONDS`` [30]: how often the sensor looks.
- ``RW_INBOX_SETTLE_SECONDS`` [10]: a file must be unchanged this long before it is taken,
  so a copy in progress is not read half-written.
- ``RW_INBOX_BUSY_WAIT_SECONDS`` [60] and ``RW_INBOX_BUSY_RETRIES`` [30]: when a build or
  rollback started outside the orchestrator holds the warehouse, an inbox load waits this
  long and tries again, this many times; the file stays in the inbox meanwhile, and if the
  warehouse is still busy the run fails with the file still there (a load is never made
  beside a build: the build's publish would lose it).
- ``RW_FULL_BUILD_CRON`` [empty]: cron string of the daily full build (``dbt build
  --full-refresh``); empty leaves the schedule defined but stopped, at ``0 3 * * *``.
- ``RW_TRAINING_CRON`` [``0 4 * * 0``, Sundays at 04:00 UTC]: cron string of the training
  lane (``training`` job, as ``retail-warehouse train``: a published build that fits the
  models again, docs/ml.md "Two lanes"); set but empty, the schedule is defined but stopped
  (a refresh still trains once the data runs ``ml_retrain_after_days`` past the models).
- ``DBT_TARGET`` [``duckdb``]: the warehouse the orchestrator loads and builds.
- ``RW_DBT_PROJECT_DIR`` [``retail_warehouse.project.project_dir()``: the folder of
  ``dbt_project.yml`` beside this package, else the current directory].
- ``DAGSTER_HOME`` [``.dagster`` in the project folder, set by ``retail-warehouse
  orchestrate``]: run history, sensor cursors and schedules.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from retail_warehouse import project
from retail_warehouse.errors import ConfigError
from retail_warehouse.settings import SERVING_TARGETS, integer_setting

# Orchestrated builds are write-audit-publish builds with run history in the monitoring
# schema: DuckDB and PostgreSQL. Spark builds in place (docs/spark.md) and is not orchestrated.
ORCHESTRATED_TARGETS = SERVING_TARGETS

DEFAULT_FULL_BUILD_CRON = "0 3 * * *"
"""When the daily full build runs once someone turns the schedule on."""
DEFAULT_TRAINING_CRON = "0 4 * * 0"
"""When the weekly training runs unless RW_TRAINING_CRON says otherwise."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class OrchestrationSettings:
    """Where the orchestrator looks and what it runs."""

    project_dir: Path
    inbox: Path
    quarantine: bool = False
    interval_seconds: int = 30
    settle_seconds: float = 10.0
    full_build_cron: str = DEFAULT_FULL_BUILD_CRON
    full_build_enabled: bool = False
    training_cron: str = DEFAULT_TRAINING_CRON
    training_enabled: bool = True
    target: str = "duckdb"
    busy_wait_seconds: float = 60.0
    busy_retries: int = 30

    @property
    def processed(self) -> Path:
        """Where a loaded extract goes."""
        return self.inbox / "processed"

    @property
    def rejected(self) -> Path:
        """Where an extract that failed to load goes, with its error beside it."""
        return self.inbox / "rejected"

    @property
    def manifest_dir(self) -> Path:
        """dbt's target path for the manifest the asset graph is read from."""
        return self.project_dir / "target" / "orchestration"


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {env[name]!r}")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value):  # nan passed `< 0`: a nan settle time took every file at once
        raise ConfigError(f"{name} must be a finite number of seconds, not {text!r}")
    if value < 0:
        raise ConfigError(f"{name} must not be negative, not {text!r}")
    return value


def _valid_cron(cron: str) -> bool:
    """Whether Dagster takes ``cron`` (``99 99 * * *`` has five fields and is no cron: the
    schedule's definition failed, naming the schedule and not the variable)."""
    from dagster._utils.schedules import is_valid_cron_string

    return bool(is_valid_cron_string(cron))


def _cron(env: Mapping[str, str], name: str, default: str) -> str:
    """A five-field cron string from ``env[name]`` (``default`` when unset; empty when set
    empty)."""
    cron = env.get(name, default).strip()
    if cron and (len(cron.split()) != 5 or not _valid_cron(cron)):
        raise ConfigError(f"{name} must be a five-field cron string, not {cron!r}")
    return cron


def orchestration_from_env(env: Mapping[str, str] | None = None) -> OrchestrationSettings:
    """Read the settings from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    project_dir = Path(env.get("RW_DBT_PROJECT_DIR") or project.project_dir()).resolve()
    inbox = Path(env.get("RW_INBOX") or project_dir / "inbox")
    if not inbox.is_absolute():
        inbox = project_dir / inbox
    target = env.get("DBT_TARGET") or "duckdb"
    if target not in ORCHESTRATED_TARGETS:
        raise ConfigError(
            f"DBT_TARGET must be one of {', '.join(ORCHESTRATED_TARGETS)}, not {target!r}"
        )
    cron = _cron(env, "RW_FULL_BUILD_CRON", "")
    training_cron = _cron(env, "RW_TRAINING_CRON", DEFAULT_TRAINING_CRON)
    return OrchestrationSettings(
        project_dir=project_dir,
        inbox=inbox,
        quarantine=_flag(env, "RW_INBOX_QUARANTINE"),
        interval_seconds=max(1, int(_number(env, "RW_INBOX_INTERVAL_SECONDS", 30))),
        settle_seconds=_number(env, "RW_INBOX_SETTLE_SECONDS", 10.0),
        full_build_cron=cron or DEFAULT_FULL_BUILD_CRON,
        full_build_enabled=bool(cron),
        training_cron=training_cron or DEFAULT_TRAINING_CRON,
        training_enabled=bool(training_cron),
        target=target,
        busy_wait_seconds=_number(env, "RW_INBOX_BUSY_WAIT_SECONDS", 60.0),
        busy_retries=integer_setting(env, "RW_INBOX_BUSY_RETRIES", 30),
    )
