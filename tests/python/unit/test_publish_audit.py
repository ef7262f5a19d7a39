"""Unit tests for the audit of a build (``retail_warehouse.publish.audit``) and the pure helpers
of ``retail_warehouse.build`` and ``retail_warehouse.publish.postgres``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retail_warehouse.build import (
    build_environment,
    check_whole_build,
    manifest_models,
    shadow_schemas,
)
from retail_warehouse.dbt_process import relay_dbt_output, target_path
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.publish.audit import (
    FailingRows,
    NodeProblem,
    audit_results,
    failing_rows,
    failing_rows_query,
    format_failure,
    read_run_results,
)
from retail_warehouse.publish.postgres import (
    generation_comment,
    layers_of,
    read_generation_comment,
)
from retail_warehouse.settings import Settings

NOT_NULL = "test.retail_warehouse.not_null_int_invoice_lines_classified_country_code.0f1e2d3c4b"
RELATIONSHIPS = "test.retail_warehouse.relationships_fct_invoices_country_code.9a8b7c6d5e"


def _results(*rows: tuple[str, str]) -> dict[str, Any]:
    return {
        "results": [
            {
                "unique_id": unique_id,
                "status": status,
                "message": f"Got 2 results, configured to fail if != 0 ({status})",
                "failures": 2 if status == "fail" else None,
                "compiled_code": "select country_code from x where country_code is null",
            }
            for unique_id, status in rows
        ]
    }


def test_a_clean_build_passes_and_warnings_do_not_stop_it() -> None:
    audit = audit_results(
        _results(("model.retail_warehouse.fct_invoices", "success"), (RELATIONSHIPS, "warn"))
    )
    assert audit.problems == ()
    assert audit.passed(0)
    assert not audit.passed(1), "dbt's own failure status stops a publish too"


def test_failed_tests_errors_and_skips_are_counted() -> None:
    audit = audit_results(
        _results(
            (NOT_NULL, "fail"),
            ("model.retail_warehouse.ml_sales_forecast", "error"),
            ("model.retail_warehouse.fct_invoices", "skipped"),
            ("model.retail_warehouse.dim_dates", "success"),
        )
    )
    assert [problem.status for problem in audit.problems] == ["fail", "error"]
    assert audit.skipped == 1
    assert audit.node_count == 4
    assert not audit.passed(0)


def test_missing_run_results_never_pass(tmp_path: Path) -> None:
    assert read_run_results(tmp_path / "run_results.json") is None
    audit = audit_results(None)
    assert not audit.found_results
    assert not audit.passed(0)


def test_node_names_drop_project_and_hash() -> None:
    problem = NodeProblem(unique_id=NOT_NULL, status="fail", message="", compiled_code="select 1")
    assert problem.name == "not_null_int_invoice_lines_classified_country_code"
    assert problem.resource_type == "test"
    assert problem.is_data_test
    model = NodeProblem(unique_id="model.retail_warehouse.fct_invoices", status="error", message="")
    assert model.name == "fct_invoices"
    assert not model.is_data_test


def test_failing_rows_reads_the_first_rows_of_the_test_query() -> None:
    seen: list[str] = []

    def query(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        seen.append(sql)
        return ["country", "n_records"], [("Atlantis", 3)]

    problem = NodeProblem(
        unique_id=RELATIONSHIPS, status="fail", message="", compiled_code="select 1;\n"
    )
    rows = failing_rows(query, problem)
    assert rows == FailingRows(columns=("country", "n_records"), rows=(("Atlantis", 3),))
    assert seen == [failing_rows_query("select 1")]
    assert seen[0].endswith("as failing_rows limit 5")


def test_failing_rows_reports_an_unreadable_query() -> None:
    def query(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        raise RuntimeError("relation marts__shadow.x does not exist\nLINE 3")

    problem = NodeProblem(unique_id=NOT_NULL, status="fail", message="", compiled_code="select 1")
    assert failing_rows(query, problem).error == "relation marts__shadow.x does not exist"


def test_failure_report_names_tests_values_and_the_shadow() -> None:
    audit = audit_results(
        _results((NOT_NULL, "fail"), ("model.retail_warehouse.fct_invoices", "skipped"))
    )
    samples = {NOT_NULL: FailingRows(columns=("country",), rows=(("Atlantis",), ("x" * 100,)))}
    report = format_failure(audit, 1, samples, "the DuckDB file /w/shadow/warehouse.duckdb")
    assert report.startswith("build failed: nothing was published")
    assert "not_null_int_invoice_lines_classified_country_code: 2 failing rows" in report
    assert "country=Atlantis" in report
    assert "x" * 57 + "..." in report, "long values are cut"
    assert "skipped: 1 nodes" in report
    assert "shadow copy kept for inspection: the DuckDB file /w/shadow/warehouse.duckdb" in report


def test_failure_report_when_dbt_stopped_early() -> None:
    report = format_failure(audit_results(None), 2, {}, "somewhere")
    assert "dbt exited 2 before it ran any node" in report


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "marts"],
        ["-s", "x"],
        ["--exclude=ml"],
        ["--selector", "nightly"],
        ["--model", "x"],
    ],
)
def test_a_published_build_is_always_whole(args: list[str]) -> None:
    with pytest.raises(RetailWarehouseError, match="whole project"):
        check_whole_build(args)


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "postgres"],
        ["--target=postgres"],
        ["-t", "postgres"],
        ["-tpostgres"],
        ["--profiles-dir", "/elsewhere"],
        ["--project-dir=/elsewhere"],
        ["--profile", "other"],
    ],
)
def test_a_published_build_builds_the_warehouse_it_locked(args: list[str]) -> None:
    # `retail-warehouse build -- --target postgres` on DuckDB wrote PostgreSQL's published
    # schemas in place (no lock, no shadow) and would then publish the untouched DuckDB copy.
    with pytest.raises(RetailWarehouseError, match="builds and publishes the warehouse it locked"):
        check_whole_build(args)


@pytest.mark.parametrize(
    "args", [["--vars", "{schema_prefix: zz_}"], ["--vars={a: 1, schema_prefix: zz_}"]]
)
def test_a_published_build_takes_its_prefix_from_the_option(args: list[str]) -> None:
    # --vars schema_prefix made dbt build zz_ shadow schemas under the lock of prefix ''.
    with pytest.raises(RetailWarehouseError, match="leave schema_prefix out of --vars"):
        check_whole_build(args)


def test_dbt_builds_the_prefix_of_the_build_even_an_empty_one() -> None:
    # RW_SCHEMA_PREFIX=zz_ retail-warehouse build --schema-prefix '' built zz_ under the '' lock.
    env = {"RW_SCHEMA_PREFIX": "zz_", "DBT_PROFILES_DIR": "/p"}
    assert build_environment(Settings(schema_prefix=""), env)["RW_SCHEMA_PREFIX"] == ""
    assert build_environment(Settings(schema_prefix="dev_"), env)["RW_SCHEMA_PREFIX"] == "dev_"


@pytest.mark.parametrize(
    "args",
    [
        ["--empty"],
        ["--sample", "3 days"],
        ["--sample=3 days"],
        ["--event-time-start", "2011-01-01"],
        ["--event-time-end=2011-01-01"],
        ["--defer", "--state", "prod"],
        ["--favor-state"],
    ],
)
def test_a_published_build_is_built_from_all_its_data(args: list[str]) -> None:
    """hostile6: `retail-warehouse build -- --empty` ran the whole build from zero rows and
    failed its not_empty tests after minutes, saying "fix the cause" without naming the
    option; refused at once (a sample would have passed them)."""
    with pytest.raises(RetailWarehouseError, match="publishes what it builds") as refused:
        check_whole_build(args, env={})
    assert args[0].split("=")[0] in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value"), [("DBT_EMPTY", "true"), ("DBT_EMPTY", "1"), ("DBT_SAMPLE", "3 days")]
)
def test_the_variables_of_partial_data_are_refused(variable: str, value: str) -> None:
    """The same set in the environment (an exported DBT_EMPTY=1 left from a dry run)."""
    with pytest.raises(RetailWarehouseError, match=f"{variable} is set"):
        check_whole_build([], env={variable: value})
    check_whole_build(["--no-empty"], env={variable: "false", "DBT_DEFER": ""})


def test_other_dbt_options_are_allowed() -> None:
    check_whole_build(["--full-refresh", "--threads", "4", "--vars", "{a: 1}"])


def test_target_path_follows_dbt() -> None:
    assert target_path([], {}) == Path("target")
    assert target_path([], {"DBT_TARGET_PATH": "/t"}) == Path("/t")
    assert target_path(["--target-path", "/a"], {"DBT_TARGET_PATH": "/t"}) == Path("/a")
    assert target_path(["--target-path=/b"], {}) == Path("/b")


def test_shadow_schemas_come_from_the_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    nodes = {
        "model.a": {"resource_type": "model", "schema": "dev_marts__shadow"},
        "model.b": {"resource_type": "model", "schema": "dev_ml__shadow"},
        "model.c": {"resource_type": "model", "schema": "dev_marts__shadow"},
        "seed.d": {"resource_type": "seed", "schema": "dev_raw"},
    }
    manifest.write_text(json.dumps({"nodes": nodes}), encoding="utf-8")
    models = manifest_models(manifest)
    assert sorted(models) == ["model.a", "model.b", "model.c"]
    assert manifest_models(tmp_path / "missing.json") == {}
    suffix = {"RW_BUILD_SCHEMA_SUFFIX": "__shadow"}
    assert shadow_schemas(models, suffix) == ["dev_marts__shadow", "dev_ml__shadow"]
    assert shadow_schemas(models, {}) == [], "a DuckDB build publishes the whole file"
    assert layers_of(["dev_marts__shadow", "dev_ml__shadow"], "dev_") == ["marts", "ml"]
    with pytest.raises(RetailWarehouseError, match="another schema prefix"):
        layers_of(["marts__shadow"], "dev_")


def test_a_build_that_left_models_out_is_not_published() -> None:
    """An orchestrator may select part of the project; the shadow would then lack models."""
    models = ["model.retail_warehouse.fct_invoices", "model.retail_warehouse.dim_dates"]
    audit = audit_results(_results(("model.retail_warehouse.dim_dates", "success")), models)
    assert audit.unbuilt == ("model.retail_warehouse.fct_invoices",)
    assert not audit.passed(0)
    report = format_failure(audit, 0, {}, "somewhere")
    assert "not built: 1 models (fct_invoices)" in report
    complete = audit_results(_results(*((model, "success") for model in models)), models)
    assert complete.passed(0)


def test_generation_comment_round_trip() -> None:
    comment = generation_comment("dev_", "marts", "2026-11-30T06:00:00+00:00")
    assert read_generation_comment(comment) == {
        "prefix": "dev_",
        "layer": "marts",
        "published_at": "2026-11-30T06:00:00+00:00",
    }
    assert read_generation_comment("standard public schema") is None
    assert read_generation_comment(None) is None
    assert read_generation_comment('{"other": 1}') is None


LOCK_LINE = (
    'IO Error: Could not set lock on file "/w/shadow/warehouse.duckdb": Conflicting lock is '
    "held in /usr/bin/python3 (PID 77). See also https://duckdb.org/docs/current/connect\n"
)


def test_relay_holds_back_dbt_traceback_on_a_lock_conflict() -> None:
    shown: list[str] = []
    lines = ["Running with dbt\n", "Encountered an error:\n", LOCK_LINE, "Traceback ...\n"]
    conflict = relay_dbt_output(lines, shown.append)
    assert shown == ["Running with dbt\n"]
    assert conflict is not None
    assert "/w/shadow/warehouse.duckdb is in use by another process (PID 77, python3" in conflict


def test_relay_passes_other_errors_through() -> None:
    shown: list[str] = []
    lines = ["Encountered an error:\n", "Compilation Error\n", "Encountered an error:\n"]
    assert relay_dbt_output(lines, shown.append) is None
    assert shown == lines
