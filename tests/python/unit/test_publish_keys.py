"""The keys the publish step declares (src/retail_warehouse/publish/keys.py, docs/bi.md): read
from the manifest, and the statements that declare the missing ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.publish.keys import (
    FOREIGN_KEY,
    PRIMARY_KEY,
    Key,
    add_key_statement,
    declare,
    declared_keys,
    keys_of_models,
    missing_keys,
)


def _node(name: str, columns: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "name": name,
        "schema": "marts",
        "alias": name,
        "patch_path": f"retail_warehouse://models/marts/{name}.yml",
        "constraints": [],
        "columns": {
            column: {"name": column, "constraints": [], "config": {"meta": {}}, **spec}
            for column, spec in columns.items()
        },
        **extra,
    }


def _foreign_key(to: object, to_columns: object) -> dict[str, Any]:
    return {"config": {"meta": {"foreign_key": {"to": to, "to_columns": to_columns}}}}


DIMENSION = _node(
    "dim_countries", {"country_code": {"constraints": [{"type": "primary_key", "columns": []}]}}
)


def test_primary_keys_from_constraints_and_foreign_keys_from_meta(tmp_path: Path) -> None:
    mart = _node(
        "mart_country_monthly",
        {"country_code": _foreign_key("dim_countries", ["country_code"]), "month": {}},
        constraints=[{"type": "primary_key", "columns": ["country_code", "month"]}],
    )
    manifest = tmp_path / "manifest.json"
    nodes = {"model.a": mart, "model.b": DIMENSION, "test.x": {"resource_type": "test"}}
    manifest.write_text(json.dumps({"nodes": nodes}))
    assert declared_keys(manifest) == [
        Key("marts", "mart_country_monthly", PRIMARY_KEY, ("country_code", "month")),
        Key("marts", "dim_countries", PRIMARY_KEY, ("country_code",)),
        Key(
            "marts",
            "mart_country_monthly",
            FOREIGN_KEY,
            ("country_code",),
            ("marts", "dim_countries"),
            ("country_code",),
        ),
    ]
    assert declared_keys(tmp_path / "absent.json") == []


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        ({"config": {"meta": {"foreign_key": "dim_countries"}}}, "must be {to: <model>"),
        (_foreign_key("dim_country", ["country_code"]), "to 'dim_country' names no model"),
        (_foreign_key("dim_countries", ["code"]), "to_columns ['code'] must name one column"),
        (_foreign_key("dim_countries", "country_code"), "must name one column of dim_countries"),
    ],
)
def test_a_malformed_foreign_key_names_its_file_model_and_column(
    declared: dict[str, Any], problem: str
) -> None:
    mart = _node("mart_x", {"country_code": declared})
    with pytest.raises(RetailWarehouseError) as raised:
        keys_of_models([mart, DIMENSION])
    message = str(raised.value)
    assert message.startswith("models/marts/mart_x.yml: model mart_x, column country_code: ")
    assert problem in message
    assert "\n" not in message


def test_every_foreign_key_is_meta_and_references_a_declared_primary_key(
    manifest: dict[str, Any],
) -> None:
    """A foreign key as a dbt constraint would be created with the table, and then stop the
    next build: DuckDB cannot replace a referenced table, and neither engine lets an
    incremental model delete a referenced row (docs/decisions.md)."""
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    constrained = [
        f"{node['name']}.{name}"
        for node in models
        for name, column in node["columns"].items()
        for constraint in column["constraints"]
        if constraint["type"] == "foreign_key"
    ] + [
        node["name"]
        for node in models
        for constraint in node["constraints"]
        if constraint["type"] == "foreign_key"
    ]
    assert constrained == [], "declare foreign keys as config: meta: foreign_key (docs/bi.md)"
    keys = keys_of_models(models)
    primary = {(key.schema, key.table): key.columns for key in keys if key.kind == PRIMARY_KEY}
    foreign = [key for key in keys if key.kind == FOREIGN_KEY]
    assert len(foreign) >= 12
    assert keys == sorted(keys, key=lambda key: key.kind != PRIMARY_KEY), "primary keys first"
    for key in foreign:
        assert key.referenced is not None
        assert primary.get(key.referenced) == key.referenced_columns, key.describe()
        assert key.referenced[0] == key.schema, f"{key.describe()}: DuckDB refuses across schemas"


PK = Key("marts", "dim_countries", PRIMARY_KEY, ("country_code",))
FK = Key("marts", "mart_x", FOREIGN_KEY, ("country_code",), ("marts", "dim_countries"), ("code",))
ML_PK = Key("ml", "ml_scores", PRIMARY_KEY, ("customer_id",))


def test_missing_keys_are_those_of_existing_tables_the_catalogue_lacks() -> None:
    tables = [("marts", "dim_countries"), ("marts", "mart_x"), ("ml", "ml_scores")]
    assert missing_keys([PK, ML_PK, FK], tables, []) == [PK, ML_PK, FK]
    # a contract made the primary key (under dbt's name); the foreign key is already there
    catalogued = [
        ("marts", "dim_countries", PRIMARY_KEY, ["country_code"], None, None, None),
        ("marts", "mart_x", FOREIGN_KEY, ["country_code"], "marts", "dim_countries", ["code"]),
    ]
    assert missing_keys([PK, ML_PK, FK], tables, catalogued) == [ML_PK]
    # a table that is not there (a view, a disabled model), or a referenced one that is not
    assert missing_keys([PK, ML_PK, FK], [("marts", "mart_x")], []) == []
    # DuckDB: primary keys only
    assert missing_keys([PK, FK], tables, [], kinds=(PRIMARY_KEY,)) == [PK]


def test_key_statements_quote_names_and_defer_foreign_keys() -> None:
    assert add_key_statement(PK) == (
        'alter table "marts"."dim_countries" add primary key ("country_code")'
    )
    assert add_key_statement(FK, deferrable=True) == (
        'alter table "marts"."mart_x" add foreign key ("country_code") references '
        '"marts"."dim_countries" ("code") deferrable initially deferred'
    )


def test_a_key_that_cannot_be_declared_is_one_line() -> None:
    def execute(statement: str) -> list[tuple[Any, ...]]:
        raise ValueError(f"insert or update violates foreign key constraint\nDETAIL: {statement}")

    with pytest.raises(RetailWarehouseError) as raised:
        declare(execute, FK, add_key_statement(FK), "PostgreSQL schema marts__shadow")
    assert str(raised.value) == (
        "cannot declare the foreign key marts.mart_x (country_code) -> marts.dim_countries "
        "(code) in PostgreSQL schema marts__shadow: insert or update violates foreign key "
        "constraint; nothing was published"
    )
