"""The inbox flow of the Dagster code location, as `test_orchestration.py` runs it for one
target: the inbox sensor ticks twice, and the run it asks for (load + published dbt build +
asset checks) executes in process; the outcome is summarised as plain data.

Run as a script, ``python inbox_flow.py SUMMARY.json``, with the orchestrator's settings in
the environment (``RW_INBOX``, ``DBT_TARGET``, ...), it writes the summary as JSON: each
target's flow runs in a process of its own, so the two targets' flows can run side by side
(dagster-dbt changes the process's working directory and environment while it starts dbt,
so two runs in one process would mix them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, Definitions, build_sensor_context

from retail_warehouse.orchestration.location import build_definitions
from retail_warehouse.orchestration.settings import OrchestrationSettings, orchestration_from_env


def tick(defs: Definitions, instance: DagsterInstance, cursor: str | None) -> Any:
    """One evaluation of the inbox sensor from ``cursor``."""
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return defs.get_sensor_def("inbox_sensor").evaluate_tick(context)


def run_inbox_flow(settings: OrchestrationSettings) -> dict[str, Any]:
    """Tick the sensor twice and execute the first tick's first run; what happened:
    the requests of each tick, the cursor after the second, whether the run succeeded, the
    assets it materialized, its asset checks (name, passed, severity) and its step failures."""
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        first = tick(defs, instance, None)
        again = tick(defs, instance, first.cursor)
        summary: dict[str, Any] = {
            "first_requests": len(first.run_requests),
            "again_requests": len(again.run_requests),
            "cursor": again.cursor,
            "success": False,
            "materialized": [],
            "checks": [],
            "failures": [],
        }
        if not first.run_requests:
            return summary
        result = defs.get_job_def("refresh_from_inbox").execute_in_process(
            run_config=first.run_requests[0].run_config, instance=instance, raise_on_error=False
        )
    summary["success"] = result.success
    summary["materialized"] = sorted(
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    )
    summary["checks"] = [
        [check.check_name, check.passed, check.severity.value]
        for check in result.get_asset_check_evaluations()
    ]
    summary["failures"] = [
        str(event.step_failure_data.error.message if event.step_failure_data.error else "")
        for event in result.get_step_failure_events()
    ]
    return summary


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(run_inbox_flow(orchestration_from_env())))
