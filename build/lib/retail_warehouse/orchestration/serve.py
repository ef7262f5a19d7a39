"""``retail-warehouse orchestrate``: the Dagster UI, sensor and schedule in one process tree.

``dagster dev`` runs the web server, the daemon (which evaluates the inbox sensor and the
schedule) and the code server for ``retail_warehouse.orchestration.definitions``. The
instance lives in ``DAGSTER_HOME`` (default ``.dagster`` in the project folder, so run
history survives restarts); its ``dagster.yaml`` is written once, with one run at a time
(DuckDB takes one writer). docs/orchestration.md shows the same under a process supervisor.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from retail_warehouse.errors import ConfigError
from retail_warehouse.orchestration.settings import OrchestrationSettings

DEFINITIONS_MODULE = "retail_warehouse.orchestration.definitions"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000

INSTANCE_YAML = """\
# Written by retail-warehouse orchestrate (edit freely; it is not overwritten).
# One run at a time: DuckDB lets one process write the warehouse, and loads must
# be built in the order the extracts arrived.
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def check_installed() -> None:
    """Raise ``ConfigError`` unless the ``orchestration`` extra is installed."""
    missing = [
        name
        for name in ("dagster", "dagster_dbt", "dagster_webserver")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise ConfigError(
            f"{', '.join(missing)} not installed: pip install -e '.[orchestration]' "
            "(make install does it)"
        )


def ensure_dagster_home(settings: OrchestrationSettings, env: dict[str, str]) -> Path:
    """``DAGSTER_HOME`` from ``env`` (default ``<project>/.dagster``), created with its
    ``dagster.yaml`` if missing; sets it in ``env`` and returns it."""
    home = Path(env.get("DAGSTER_HOME") or settings.project_dir / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    env["DAGSTER_HOME"] = str(home)
    return home


def dagster_dev_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The ``dagster dev`` command line of this environment."""
    dagster = Path(sys.executable).parent / "dagster"
    return [
        str(dagster) if dagster.exists() else "dagster",
        *("dev", "-m", DEFINITIONS_MODULE, "--host", host, "--port", str(port)),
    ]


def serve(settings: OrchestrationSettings, host: str, port: int) -> int:
    """Parse the dbt project, then run ``dagster dev`` until it stops; its exit status."""
    from retail_warehouse.orchestration.location import prepare_manifest

    check_installed()
    env = dict(os.environ)
    home = ensure_dagster_home(settings, env)
    settings.inbox.mkdir(parents=True, exist_ok=True)
    prepare_manifest(settings, force=True)
    print(
        f"Dagster UI on http://{host}:{port} (instance {home}); watching {settings.inbox}; "
        "Ctrl-C to stop",
        flush=True,
    )
    return subprocess.run(
        dagster_dev_command(host, port), cwd=settings.project_dir, env=env, check=False
    ).returncode
