"""``retail-warehouse build --target spark``: dbt builds in place, audited and reported; no
shadow copy and no publish (build.build_in_place). dbt is replaced by a runner that writes the
artifacts a real run writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retail_warehouse.build import run_build
from retail_warehouse.dbt_process import DbtRun
from retail_warehouse.settings import Settings


def _runner(tmp_path: Path, statuses: dict[str, str], returncode: int):
    calls: list[tuple[list[str], dict[str, str]]] = []

    def run(args: list[str], env: dict[str, str]) -> DbtRun:
        calls.append((args, env))
        target = tmp_path / "target"
        target.mkdir(exist_ok=True)
        results = [
            {"unique_id": unique_id, "status": status, "message": f"{status} message"}
            for unique_id, status in statuses.items()
        ]
        (target / "run_results.json").write_text(json.dumps({"results": results}))
        nodes = {
            unique_id: {"resource_type": "model", "schema": "marts"}
            for unique_id in statuses
            if unique_id.startswith("model.")
        }
        (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
        return DbtRun(returncode, target)

    return run, calls


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("RW_SPARK_DIR", raising=False)


def test_spark_build_runs_dbt_in_place_and_passes(tmp_path: Path) -> None:
    runner, calls = _runner(
        tmp_path, {"model.retail_warehouse.fct_invoices": "success", "test.x.t": "pass"}, 0
    )
    echoed: list[str] = []
    settings = Settings(spark_dir=tmp_path / "spark")
    result = run_build("spark", settings, [], runner, echo=echoed.append)
    assert (result.exit_code, result.published) == (0, False)
    [(args, env)] = calls
    assert args == ["build", "--target", "spark"]
    assert env["RW_SPARK_DIR"] == str(tmp_path / "spark")
    assert "RW_BUILD_SCHEMA_SUFFIX" not in env  # no shadow schemas
    assert echoed[0].startswith("built in place on spark: 2 nodes built and tested")


def test_spark_build_names_the_failures(tmp_path: Path) -> None:
    runner, _ = _runner(
        tmp_path,
        {"model.retail_warehouse.fct_invoices": "success", "test.retail_warehouse.t1": "fail"},
        1,
    )
    echoed: list[str] = []
    result = run_build("spark", Settings(), [], runner, echo=echoed.append)
    assert result.exit_code == 1
    assert echoed[0].splitlines()[0].startswith("build failed on spark (dbt exited 1)")
    assert "  test t1: fail message" in echoed[0].splitlines()
