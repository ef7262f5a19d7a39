"""PostgreSQL's shadow schemas are readied by ``retail-warehouse build`` before dbt starts
(``build.prepare_shadow_schemas``), not by a dbt hook: dbt's hooks only grant and describe
(docs/decisions.md, "Hooks grant; the publish code prepares the shadow"). dbt and the
publisher are replaced by fakes that record what they are asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from retail_warehouse.build import (
    _DbtPass,
    carried_over,
    parse_options,
    prepare_shadow_schemas,
)
from retail_warehouse.dbt_process import DbtRun
from retail_warehouse.project import project_dir

SUFFIX = "__shadow"


def _node(schema: str, materialized: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "schema": schema + SUFFIX,
        "config": {"materialized": materialized},
        "tags": list(tags),
    }


NODES = {
    "model.p.stg_lines": _node("staging", "view"),
    "model.p.fct_invoice_lines": {**_node("marts", "incremental"), "alias": "fct_lines"},
    "model.p.dim_customers": _node("marts", "table"),
    "model.p.ml_model_registry": _node("ml", "table", ("training",)),
    "model.p.ml_model_scores": _node("ml", "incremental", ("training",)),
}
for unique_id, node in NODES.items():
    node["name"] = unique_id.rsplit(".", 1)[1]


def test_carried_over_are_incremental_tables_and_tables_left_out() -> None:
    everything = set(NODES)
    refresh = everything - {"model.p.ml_model_registry", "model.p.ml_model_scores"}
    assert carried_over(NODES, everything, False, SUFFIX) == [
        ("marts__shadow", "fct_lines"),  # the alias, as dbt names the relation
        ("ml__shadow", "ml_model_scores"),
    ]
    assert carried_over(NODES, refresh, False, SUFFIX) == [
        ("marts__shadow", "fct_lines"),
        ("ml__shadow", "ml_model_registry"),
        ("ml__shadow", "ml_model_scores"),
    ]
    assert carried_over(NODES, everything, True, SUFFIX) == []  # a full refresh rebuilds all
    assert carried_over(NODES, refresh, True, SUFFIX) == [
        ("ml__shadow", "ml_model_registry"),
        ("ml__shadow", "ml_model_scores"),
    ]
    in_place = {key: {**node, "schema": "marts"} for key, node in NODES.items()}
    assert carried_over(in_place, everything, False, SUFFIX) == []  # not shadow schemas


def test_parse_options_keep_what_changes_the_parse() -> None:
    args = ["--vars", "{a: 1}", "--full-refresh", "--target-path=/t", "--fail-fast",
            "--no-partial-parse", "--vars={b: 2}", "--threads", "3"]  # fmt: skip
    assert parse_options(args) == [
        "--vars", "{a: 1}", "--target-path=/t", "--no-partial-parse", "--vars={b: 2}"
    ]  # fmt: skip
    assert parse_options([]) == []


class FakePublisher:
    def __init__(self) -> None:
        self.prepared: list[tuple[list[str], list[tuple[str, str]]]] = []

    def prepare_schemas(
        self, shadow_schemas: list[str], carried: list[tuple[str, str]]
    ) -> list[str]:
        self.prepared.append((list(shadow_schemas), list(carried)))
        return [f"{schema.removesuffix(SUFFIX)}.{name}" for schema, name in carried]


class FakeDbt:
    def __init__(self, tmp_path: Path, returncode: int = 0) -> None:
        self.tmp_path = tmp_path
        self.returncode = returncode
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str], env: dict[str, str]) -> DbtRun:
        self.calls.append(args)
        target = self.tmp_path / "target"
        target.mkdir(exist_ok=True)
        (target / "manifest.json").write_text(json.dumps({"nodes": NODES}))
        return DbtRun(self.returncode, target)


def test_postgres_shadow_is_prepared_after_a_parse_before_dbt_builds(tmp_path: Path) -> None:
    """The defect: the shadow schemas were dropped and filled by an on-run-start hook, DDL
    inside dbt. Now the build parses, then the publisher empties and fills them."""
    dbt, publisher, echoed = FakeDbt(tmp_path), FakePublisher(), []
    dbt_pass = _DbtPass(dbt, "postgres", ["--vars", "{x: 1}", "--full-refresh"])
    env = {"RW_BUILD_SCHEMA_SUFFIX": SUFFIX, "DBT_TARGET_PATH": str(tmp_path / "target")}
    parsed = prepare_shadow_schemas(publisher, dbt_pass, [], env, echoed.append)
    assert parsed.returncode == 0 and set(parsed.nodes) == set(NODES)
    assert dbt.calls == [["parse", "--quiet", "--target", "postgres", "--vars", "{x: 1}"]]
    assert publisher.prepared == [(["marts__shadow", "ml__shadow", "staging__shadow"], [])]
    assert echoed == [
        "shadow schemas marts__shadow, ml__shadow, staging__shadow emptied; "
        "copied in: no published table"
    ]

    refresh = _DbtPass(dbt, "postgres", [])
    prepare_shadow_schemas(publisher, refresh, ["--exclude", "tag:training"], env, echoed.append)
    assert publisher.prepared[-1][1] == [
        ("marts__shadow", "fct_lines"),
        ("ml__shadow", "ml_model_registry"),
        ("ml__shadow", "ml_model_scores"),
    ]


def test_a_failed_parse_prepares_nothing(tmp_path: Path) -> None:
    dbt, publisher = FakeDbt(tmp_path, returncode=2), FakePublisher()
    env = {"RW_BUILD_SCHEMA_SUFFIX": SUFFIX, "DBT_TARGET_PATH": str(tmp_path / "target")}
    parsed = prepare_shadow_schemas(publisher, _DbtPass(dbt, "postgres", []), [], env, print)
    assert parsed.returncode == 2 and not parsed.audit.found_results
    assert publisher.prepared == []


def test_duckdb_needs_no_parse(tmp_path: Path) -> None:
    dbt, publisher = FakeDbt(tmp_path), FakePublisher()
    env = {"DUCKDB_PATH": str(tmp_path / "shadow.duckdb")}
    parsed = prepare_shadow_schemas(publisher, _DbtPass(dbt, "duckdb", []), [], env, print)
    assert parsed.returncode == 0 and dbt.calls == [] and publisher.prepared == []


def test_hooks_change_no_data() -> None:
    """Style rule 6: DDL dbt does not own lives in the publish code. The hooks are these, and
    none drops a schema or copies a table (the shadow preparation was the last that did)."""
    project = yaml.safe_load((project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["on-run-start"] == ["{{ register_lake_tables() }}"]
    assert project["on-run-end"] == [
        "{{ declare_python_model_types(results) }}",
        "{{ persist_python_model_docs(results) }}",
        "{{ grant_bi_schema_usage() }}",
        "{{ analyze_built_relations(results) }}",
    ]
