"""Every model and every column is described, and every model's description
states its grain first ("One row per ..."); every macro and each of its
arguments is described (macros/_macros.yml).

Reads the manifest of a `dbt parse` (the `manifest` fixture of conftest.py,
no warehouse needed), so SQL and Python models, doc() blocks and YAML in every folder
are covered exactly as dbt sees them. Columns a model has but its YAML does
not list are caught on the built warehouse instead
(tests/python/integration/test_bi_serving.py: every column of every mart has
a comment).
"""

from __future__ import annotations

import re
from typing import Any

GRAIN_PREFIX = "One row per"


def undocumented(manifest: dict[str, Any], project: str = "retail_warehouse") -> list[str]:
    """Problems with the descriptions of the project's models, one line each.

    A model needs a description starting with "One row per"; each column its
    YAML lists needs a non-empty description.
    """
    problems: list[str] = []
    for node in sorted(manifest["nodes"].values(), key=lambda node: node["unique_id"]):
        if node["resource_type"] != "model" or node["package_name"] != project:
            continue
        name = f"{node['name']} ({node['original_file_path']})"
        description = (node.get("description") or "").strip()
        if not description:
            problems.append(f"{name}: no model description")
        elif not description.startswith(GRAIN_PREFIX):
            problems.append(f"{name}: description does not start with {GRAIN_PREFIX!r}")
        if not node.get("columns"):
            problems.append(f"{name}: no columns listed in its YAML")
        for column in node.get("columns", {}).values():
            if not (column.get("description") or "").strip():
                problems.append(f"{name}: column {column['name']} has no description")
    return problems


def undescribed_macros(manifest: dict[str, Any], project: str = "retail_warehouse") -> list[str]:
    """Macros of the project's macros/ folder without a description, or with an
    argument (from the macro's signature) that the YAML does not describe."""
    problems: list[str] = []
    for macro in sorted(manifest["macros"].values(), key=lambda macro: macro["unique_id"]):
        if macro["package_name"] != project or not macro["original_file_path"].startswith(
            "macros/"
        ):
            continue
        name = f"{macro['name']} ({macro['original_file_path']})"
        if not (macro.get("description") or "").strip():
            problems.append(f"{name}: no description")
        described = {
            argument["name"]
            for argument in macro.get("arguments", [])
            if (argument.get("description") or "").strip()
        }
        for argument in _signature_arguments(macro["macro_sql"]):
            if argument not in described:
                problems.append(f"{name}: argument {argument} not described")
    return problems


def _signature_arguments(macro_sql: str) -> list[str]:
    """Argument names of the first `{% macro name(...) %}` in macro_sql."""
    match = re.search(r"{%-?\s*macro\s+\w+\s*\((.*?)\)\s*-?%}", macro_sql, re.DOTALL)
    assert match, f"no macro signature in {macro_sql[:80]!r}"
    return [part.split("=")[0].strip() for part in match.group(1).split(",") if part.strip()]


def _model(name: str, description: str, columns: dict[str, str]) -> dict[str, Any]:
    return {
        "unique_id": f"model.retail_warehouse.{name}",
        "resource_type": "model",
        "package_name": "retail_warehouse",
        "name": name,
        "original_file_path": f"models/{name}.sql",
        "description": description,
        "columns": {key: {"name": key, "description": value} for key, value in columns.items()},
    }


def test_undocumented_finds_every_kind_of_gap() -> None:
    manifest = {
        "nodes": {
            "a": _model("good", "One row per thing.", {"thing_id": "Key."}),
            "b": _model("no_grain", "Things, one per row.", {"thing_id": "Key."}),
            "c": _model("empty", "  ", {"thing_id": "Key."}),
            "d": _model("bare_column", "One row per day.", {"date_day": "", "x": "X."}),
            "e": _model("no_columns", "One row per day.", {}),
            "f": {**_model("other_package", "", {}), "package_name": "dbt"},
            "g": {**_model("a_test", "", {}), "resource_type": "test"},
        }
    }
    assert undocumented(manifest) == [
        "bare_column (models/bare_column.sql): column date_day has no description",
        "empty (models/empty.sql): no model description",
        "no_columns (models/no_columns.sql): no columns listed in its YAML",
        "no_grain (models/no_grain.sql): description does not start with 'One row per'",
    ]


def _macro(
    name: str, description: str, signature: str, arguments: dict[str, str]
) -> dict[str, Any]:
    return {
        "unique_id": f"macro.retail_warehouse.{name}",
        "package_name": "retail_warehouse",
        "name": name,
        "original_file_path": f"macros/{name}.sql",
        "description": description,
        "macro_sql": f"{{% macro {name}({signature}) -%}}\n  1\n{{%- endmacro %}}",
        "arguments": [{"name": key, "description": value} for key, value in arguments.items()],
    }


def test_undescribed_macros_finds_every_kind_of_gap() -> None:
    manifest = {
        "macros": {
            "a": _macro("good", "Does it.", "x, y=none", {"x": "X.", "y": "Y."}),
            "b": _macro("bare", "", "", {}),
            "c": _macro("half", "Does it.", "x,\n    scale=2", {"x": "X.", "scale": " "}),
            "d": {**_macro("dbt_own", "", "x", {}), "package_name": "dbt"},
            "e": {**_macro("a_test", "", "model", {}), "original_file_path": "tests/dbt/t.sql"},
        }
    }
    assert undescribed_macros(manifest) == [
        "bare (macros/bare.sql): no description",
        "half (macros/half.sql): argument scale not described",
    ]


def test_every_model_and_column_is_described(manifest: dict[str, Any]) -> None:
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) > 30, "the parse found too few models"
    problems = undocumented(manifest)
    assert not problems, "undocumented:\n" + "\n".join(problems)


def test_every_macro_and_argument_is_described(manifest: dict[str, Any]) -> None:
    macros = [m for m in manifest["macros"].values() if m["package_name"] == "retail_warehouse"]
    assert len(macros) > 20, "the parse found too few macros"
    problems = undescribed_macros(manifest)
    assert not problems, "undescribed (macros/_macros.yml):\n" + "\n".join(problems)


def test_overview_page_and_exposures_are_described(manifest: dict[str, Any]) -> None:
    overview = manifest["docs"].get("doc.retail_warehouse.__overview__")
    assert overview, "models/overview.md has no {% docs __overview__ %} block"
    assert "Cleaning rules" in overview["block_contents"]
    exposures = manifest["exposures"].values()
    assert exposures
    for exposure in exposures:
        assert exposure["description"].strip(), exposure["name"]
        assert exposure["owner"]["email"], exposure["name"]
        assert exposure["depends_on"]["nodes"], exposure["name"]


POSTGRES_MAX_IDENTIFIER = 63
"""PostgreSQL truncates longer names; dbt refuses a unit test whose relation name is longer."""


def test_unit_test_names_fit_a_postgres_relation(manifest: dict[str, Any]) -> None:
    # dbt names a unit test's temporary relation after the test: on PostgreSQL a longer name
    # fails that unit test at build time, which only a PostgreSQL build would show.
    too_long = sorted(
        test["name"]
        for test in manifest["unit_tests"].values()
        if len(test["name"]) > POSTGRES_MAX_IDENTIFIER
    )
    assert not too_long, f"unit test names over {POSTGRES_MAX_IDENTIFIER} characters: {too_long}"
