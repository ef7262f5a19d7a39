"""One home for the row rules of a contracted model: its constraints (not null, primary key,
check). DuckDB and PostgreSQL enforce them as the table is written; on Spark, which enforces
none on parquet tables, the model's ``constraints_hold`` test checks the same constraints
(docs/decisions.md, "Constraints instead of repeated tests"). These checks read the YAML: each
contracted SQL model carries ``constraints_hold``, no rule is written twice (a not-null or
unique test beside the constraint that already enforces it), and a rule about one row at a
time is a check constraint, not a data test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
NOT_NULL = "not_null"
PRIMARY_KEY = "primary_key"
CHECK = "check"
# Data tests that judge each row alone: on a contracted model, a check constraint instead.
ROW_RULE_TESTS = ("accepted_range", "accepted_values", "expression_is_true")


def contracted_sql_models() -> Iterator[tuple[Path, dict[str, Any]]]:
    """(YAML file, model node) of every model with an enforced contract and a SQL file."""
    for path in sorted([*REPO.glob("models/**/*.yml"), *REPO.glob("python_models/**/*.yml")]):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for node in document.get("models", []):
            enforced = node.get("config", {}).get("contract", {}).get("enforced")
            if enforced and (path.parent / f"{node['name']}.sql").is_file():
                yield path, node


def data_test_names(tests: list[Any] | None) -> list[str]:
    """The names of a ``data_tests`` list (a name, or a mapping from the name to its arguments)."""
    return [next(iter(test)) if isinstance(test, dict) else str(test) for test in tests or []]


def key_columns(node: dict[str, Any]) -> set[str]:
    """The columns of the model's primary key (model-level or column-level constraint)."""
    keys = {
        column
        for constraint in node.get("constraints", [])
        if constraint["type"] == PRIMARY_KEY
        for column in constraint["columns"]
    }
    for column in node.get("columns", []):
        if any(one["type"] == PRIMARY_KEY for one in column.get("constraints", [])):
            keys.add(column["name"])
    return keys


def test_there_are_contracted_models_to_check() -> None:
    assert len(list(contracted_sql_models())) >= 40


def test_every_contracted_sql_model_has_its_constraints_checked_where_not_enforced() -> None:
    missing = [
        f"{path.relative_to(REPO)}: {node['name']}"
        for path, node in contracted_sql_models()
        if "constraints_hold" not in data_test_names(node.get("data_tests"))
    ]
    assert not missing, f"models without the constraints_hold test: {missing}"


def test_each_model_checked_declares_a_constraint() -> None:
    empty = [
        node["name"]
        for _, node in contracted_sql_models()
        if not key_columns(node)
        and not any(one["type"] == CHECK for one in node.get("constraints", []))
        and not any(
            one["type"] in (NOT_NULL, CHECK)
            for column in node.get("columns", [])
            for one in column.get("constraints", [])
        )
    ]
    assert not empty, f"constraints_hold on models with no constraint: {empty}"


def test_no_rule_is_both_a_constraint_and_a_test() -> None:
    twice = []
    for _, node in contracted_sql_models():
        keys = key_columns(node)
        for column in node.get("columns", []):
            name = column["name"]
            tests = data_test_names(column.get("data_tests"))
            not_null = name in keys or any(
                one["type"] == NOT_NULL for one in column.get("constraints", [])
            )
            if not_null and NOT_NULL in tests:
                twice.append(f"{node['name']}.{name}: not_null")
            if keys == {name} and "unique" in tests:
                twice.append(f"{node['name']}.{name}: unique")
        for test in node.get("data_tests") or []:
            if isinstance(test, dict) and "unique_combination_of_columns" in test:
                arguments = test["unique_combination_of_columns"].get("arguments", {})
                if set(arguments.get("combination_of_columns", [])) == keys:
                    twice.append(f"{node['name']}: unique_combination_of_columns of its key")
    assert not twice, f"rules written as a constraint and as a test: {twice}"


def kept_as_test(test: dict[str, Any]) -> bool:
    """Whether a row-rule test may stay a test: a warning (a constraint can only fail the
    model), or a var in the rule (a constraint's expression is not rendered). A condition
    (``where``) is part of the check instead: ``not (condition) or rule``."""
    body = next(iter(test.values())) or {}
    config = body.get("config") or {}
    return config.get("severity") == "warn" or "{{" in str(body.get("arguments"))


def test_rules_about_one_row_are_check_constraints() -> None:
    as_tests = []
    for _, node in contracted_sql_models():
        lists = [("", node.get("data_tests"))] + [
            (f".{column['name']}", column.get("data_tests")) for column in node.get("columns", [])
        ]
        for where, tests in lists:
            for test in tests or []:
                row_rule = isinstance(test, dict) and next(iter(test)) in ROW_RULE_TESTS
                if row_rule and not kept_as_test(test):
                    as_tests.append(f"{node['name']}{where}: {next(iter(test))}")
    assert not as_tests, f"row rules written as tests, not check constraints: {as_tests}"
