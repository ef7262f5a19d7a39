"""The nodes the Spark cluster build leaves to the Spark session build
(tests/python/integration/spark_shared_nodes.py): the written lists are what the rules give on
both sources' manifests, and the rules keep in both builds every unit test whose SQL, rows or
input types, and every seed test whose SQL or seed, may differ between the sources."""

from __future__ import annotations

import copy
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.xdist_group("manifest")

MODULE = Path(__file__).resolve().parents[1] / "integration" / "spark_shared_nodes.py"


def _rule() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("spark_shared_nodes", MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("spark_shared_nodes", module)
    spec.loader.exec_module(module)
    return module


RULE = _rule()


def test_the_lists_are_what_the_rules_give(manifests: dict[str, dict[str, Any]]) -> None:
    tpch, online_retail = manifests["tpch"], manifests["online_retail"]
    for name, found, listed in (
        ("UNIT_TESTS_ALIKE", RULE.alike_unit_tests(tpch, online_retail), RULE.UNIT_TESTS_ALIKE),
        ("SEED_TESTS_ALIKE", RULE.alike_seed_tests(tpch, online_retail), RULE.SEED_TESTS_ALIKE),
    ):
        assert found == listed, (
            f"{name} (tests/python/integration/spark_shared_nodes.py) parts from its rule:"
            f" add {sorted(found - listed)}, remove {sorted(listed - found)}"
        )
    exclusions = RULE.cluster_exclusions()
    assert len(exclusions) == len(RULE.UNIT_TESTS_ALIKE) + len(RULE.SEED_TESTS_ALIKE)
    assert "unit_test:test_loyalty_expiry" in exclusions
    assert "fqn:unique_country_codes_country_code" in exclusions


def _node(kind: str, name: str, parents: list[str], sql: str = "select 1", **config: Any) -> Any:
    return {
        "unique_id": f"{kind}.rw.{name}",
        "resource_type": kind,
        "raw_code": sql,
        "depends_on": {"nodes": parents, "macros": config.pop("macros", [])},
        "config": config,
    }


def _manifest(source_system: str) -> dict[str, Any]:
    """A project in small: the source system's raw lines, a view mapping them (the switch),
    a contracted fact on it, a mart on the fact, the loyalty feed and a seed."""
    raw = f"source.rw.{source_system}.lines"
    nodes = [
        _node("seed", "segments", []),
        _node("model", "core_lines", [raw], "{{ sales_source() }}"),
        _node("model", "fct_lines", ["model.rw.core_lines"], contract={"enforced": True}),
        _node("model", "loose_lines", ["model.rw.core_lines"]),
        _node("model", "mart", ["model.rw.fct_lines", "seed.rw.segments"]),
        _node("model", "mart_by_macro", ["model.rw.fct_lines"], macros=["macro.rw.outer"]),
        _node("model", "mart_on_loose", ["model.rw.loose_lines"]),
        _node("model", "mart_on_core", ["model.rw.core_lines"]),
        _node("model", "loyalty", ["source.rw.loyalty.customers"]),
        _node("model", "mart_on_raw", [raw]),
    ]
    if source_system == "tpch":
        nodes.append(_node("model", "tpch_mart", ["model.rw.fct_lines"]))
    macros = {
        "macro.rw.outer": {
            "macro_sql": "{{ inner() }}",
            "depends_on": {"macros": ["macro.rw.inner"]},
        },
        "macro.rw.inner": {
            "macro_sql": "{{ var('using_suppliers') }}",
            "depends_on": {"macros": ["macro.rw.outer"]},
        },
    }
    tests = {}
    for model in [
        node["unique_id"].split(".")[-1] for node in nodes if node["resource_type"] == "model"
    ]:
        tests[f"unit_test.rw.{model}.test_{model}"] = {
            "name": f"test_{model}",
            "model": model,
            "given": [{"input": "ref('x')", "rows": [{"a": 1}]}],
            "expect": {"rows": [{"a": 1}]},
            "overrides": None,
            "depends_on": {"nodes": [f"model.rw.{model}"]},
        }
    return {
        "nodes": {node["unique_id"]: node for node in nodes},
        "sources": {raw: {}, "source.rw.loyalty.customers": {}},
        "macros": macros,
        "unit_tests": tests,
    }


def test_the_rule_keeps_what_may_differ_between_sources() -> None:
    tpch, online_retail = _manifest("tpch"), _manifest("online_retail")
    assert RULE.alike_unit_tests(tpch, online_retail) == {
        "test_mart",  # a contract fixes its input's types; a seed is the same file
        "test_loyalty",  # the loyalty feed is loaded whatever the sales source
    }
    # left in both builds: core_lines and mart_by_macro switch (the second through a macro
    # of a macro); fct_lines (its contract fixes its own types, not its input's),
    # loose_lines, mart_on_loose and mart_on_core read the switching view without a
    # contract between; mart_on_raw reads a source system's raw table; tpch_mart exists
    # under one source only


def test_a_test_written_differently_under_the_other_source_stays() -> None:
    tpch, online_retail = _manifest("tpch"), _manifest("online_retail")
    other_rows = copy.deepcopy(online_retail)
    other_rows["unit_tests"]["unit_test.rw.mart.test_mart"]["expect"] = {"rows": [{"a": 2}]}
    assert RULE.alike_unit_tests(tpch, other_rows) == {"test_loyalty"}
    other_sql = copy.deepcopy(online_retail)
    other_sql["nodes"]["model.rw.loyalty"]["raw_code"] = "select 2"
    assert RULE.alike_unit_tests(tpch, other_sql) == {"test_mart"}
    other_config = copy.deepcopy(online_retail)
    other_config["nodes"]["model.rw.mart"]["config"]["materialized"] = "incremental"
    assert RULE.alike_unit_tests(tpch, other_config) == {"test_loyalty"}


def _with_seed_tests(manifest: dict[str, Any], checksum: str = "a") -> dict[str, Any]:
    """The small project with two seeds and tests on them: on one seed, on both, on a seed
    and a model."""
    manifest = copy.deepcopy(manifest)
    for name in ("codes", "segments"):
        seed = _node("seed", name, [], column_types={"code": "string"})
        seed["checksum"] = {"name": "sha256", "checksum": checksum if name == "codes" else "b"}
        manifest["nodes"][seed["unique_id"]] = seed
    tests = [
        _node("test", "unique_codes_code", ["seed.rw.codes"], "{{ test_unique() }}"),
        _node("test", "both_seeds", ["seed.rw.codes", "seed.rw.segments"]),
        _node("test", "relationships_mart_code", ["model.rw.mart", "seed.rw.codes"]),
        _node("test", "switching_seed_test", ["seed.rw.segments"], macros=["macro.rw.outer"]),
    ]
    for test in tests:
        test["name"] = test["unique_id"].split(".")[-1]
        test["test_metadata"] = {"name": "unique", "kwargs": {"column_name": "code"}}
        manifest["nodes"][test["unique_id"]] = test
    return manifest


def test_seed_tests_alike_read_only_the_same_seeds() -> None:
    tpch, online_retail = (
        _with_seed_tests(_manifest("tpch")),
        _with_seed_tests(_manifest("online_retail")),
    )
    # the test on a model, and the one whose macro switches on the source, stay
    assert RULE.alike_seed_tests(tpch, online_retail) == {"unique_codes_code", "both_seeds"}
    other_seed = _with_seed_tests(_manifest("online_retail"), checksum="c")
    assert RULE.alike_seed_tests(tpch, other_seed) == set()
    other_arguments = copy.deepcopy(online_retail)
    other_arguments["nodes"]["test.rw.unique_codes_code"]["test_metadata"]["kwargs"] = {
        "column_name": "other"
    }
    assert RULE.alike_seed_tests(tpch, other_arguments) == {"both_seeds"}
    other_severity = copy.deepcopy(online_retail)
    other_severity["nodes"]["test.rw.both_seeds"]["config"]["severity"] = "warn"
    assert RULE.alike_seed_tests(tpch, other_severity) == {"unique_codes_code"}
