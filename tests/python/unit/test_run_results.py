"""Reading dbt's run_results.json into rows of monitoring.dbt_run_results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from retail_warehouse.dbt_process import target_path
from retail_warehouse.monitoring import (
    RunResultsError,
    node_name,
    node_results,
    parse_timestamp,
    read_run_results,
)


def _artifact(**metadata: Any) -> dict[str, Any]:
    """A run_results.json in dbt 1.11's shape: a seed, a warning test and a skipped model."""
    return {
        "metadata": {
            "dbt_version": "1.11.16",
            "generated_at": "2026-11-30T06:19:06.070849Z",
            "invocation_id": "run-1",
            "invocation_started_at": "2026-11-30T06:17:33.420994Z",
            **metadata,
        },
        "elapsed_time": 62.5,
        "args": {"target": "duckdb", "invocation_command": "dbt build --target duckdb"},
        "results": [
            {
                "status": "success",
                "timing": [
                    {
                        "name": "compile",
                        "started_at": "2026-11-30T06:18:04.436114Z",
                        "completed_at": "2026-11-30T06:18:04.436120Z",
                    },
                    {
                        "name": "execute",
                        "started_at": "2026-11-30T06:18:04.436364Z",
                        "completed_at": "2026-11-30T06:18:05.092908Z",
                    },
                ],
                "execution_time": 0.6581099033355713,
                "adapter_response": {"_message": "INSERT 43", "rows_affected": 43},
                "message": "INSERT 43",
                "failures": None,
                "unique_id": "seed.retail_warehouse.country_codes",
            },
            {
                "status": "warn",
                "timing": [],
                "execution_time": 0.02,
                "adapter_response": {},
                "message": "Got 1 result, configured to warn if != 0",
                "failures": 1,
                "unique_id": "test.retail_warehouse.share_of_rows_at_most_stg.abc123",
            },
            {
                "status": "skipped",
                "timing": [],
                "execution_time": 0,
                "adapter_response": {},
                "message": None,
                "failures": None,
                "unique_id": "model.retail_warehouse.fct_invoices",
            },
        ],
    }


def test_one_row_per_node_with_status_rows_and_failures() -> None:
    rows = node_results(_artifact())
    assert [(row.resource_type, row.node_name, row.status) for row in rows] == [
        ("seed", "country_codes", "success"),
        ("test", "share_of_rows_at_most_stg", "warn"),
        ("model", "fct_invoices", "skipped"),
    ]
    seed, test, model = rows
    assert seed.rows_affected == 43 and seed.failures is None
    assert test.failures == 1 and test.rows_affected is None
    assert seed.started_at == dt.datetime(2026, 11, 30, 6, 18, 4, 436114)
    assert seed.completed_at == dt.datetime(2026, 11, 30, 6, 18, 5, 92908)
    assert seed.execution_seconds == 0.65811
    assert model.started_at is None and model.completed_at is None
    assert {row.run_id for row in rows} == {"run-1"}
    assert {row.run_started_at for row in rows} == {dt.datetime(2026, 11, 30, 6, 17, 33, 420994)}
    assert {row.target_name for row in rows} == {"duckdb"}
    assert json.loads(seed.invocation_args)["invocation_command"] == "dbt build --target duckdb"


def test_run_start_falls_back_to_generated_at_minus_elapsed_time() -> None:
    rows = node_results(_artifact(invocation_started_at=None))
    assert rows[0].run_started_at == dt.datetime(2026, 11, 30, 6, 18, 3, 570849)


def test_an_artifact_without_invocation_id_is_refused() -> None:
    with pytest.raises(RunResultsError, match="invocation_id"):
        node_results(_artifact(invocation_id=None))


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "run_results.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(RunResultsError, match=r"run_results\.json: cannot read"):
        read_run_results(broken)


def test_timestamps_become_naive_utc() -> None:
    assert parse_timestamp("2026-11-30T07:00:00+01:00") == dt.datetime(2026, 11, 30, 6, 0)
    assert parse_timestamp("2026-11-30T06:00:00Z") == dt.datetime(2026, 11, 30, 6, 0)
    assert parse_timestamp(None) is None


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, "target"),
        (["--select", "x"], {"DBT_TARGET_PATH": "/tmp/t"}, "/tmp/t"),
        (["--target-path", "/tmp/a"], {"DBT_TARGET_PATH": "/tmp/t"}, "/tmp/a"),
        (["--target-path=/tmp/b"], {}, "/tmp/b"),
    ],
)
def test_target_path_follows_dbt(args: list[str], env: dict[str, str], expected: str) -> None:
    assert target_path(args, env) == Path(expected)


def test_node_names() -> None:
    assert node_name("model.retail_warehouse.fct_invoices") == "fct_invoices"
    assert node_name("test.retail_warehouse.unique_fct_invoices_invoice_id.1a2b") == (
        "unique_fct_invoices_invoice_id"
    )
    assert node_name("unit_test.retail_warehouse.stg_lines.test_kinds") == "test_kinds"
