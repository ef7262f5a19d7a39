"""Every column people read (marts, monitoring and ml models) follows the
glossary's rule (docs/glossary.md): counts end in `_count`, ratios end in
`_rate` or `_share` (0..1), `_pct` only for `*_growth_pct`, no `_ratio` or
`avg_`, "segment" only for RFM segments, and none of the names renamed in
session 3 (the glossary's "Renamed in session 3" table, read from the page
itself) is back. And a table with a country code names the country: a
`country_name` column alongside or a declared foreign key to dim_countries
(docs/bi.md), the two facts excepted (dim_countries is built from them).

Reads the manifest of the `manifest` fixture (conftest.py: `dbt parse`, both
source systems), so every model and YAML column is covered as dbt sees it;
columns a model has but its YAML does not list are caught on the built
warehouse (tests/python/integration/test_bi_serving.py).
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
GLOSSARY = REPO / "docs" / "glossary.md"
RENAMED_HEADING = "## Renamed in session 3"

READ_MODEL_FOLDERS = ("models/marts/", "python_models/")
"""Where the models people and BI tools read live (schemas marts, monitoring, ml)."""
RFM_FOLDER = "models/marts/rfm/"
COUNTED = {"customers", "orders", "invoices", "members", "lines", "rows", "parts", "observations"}
"""Plural nouns of things counted: a column holding one must be a `_count`."""
RATIO_WORDS = {"share", "rate"}
COUNTRY_NAME_EXCEPTIONS = {"fct_invoices", "fct_invoice_lines"}
"""dim_countries is built from the facts: a foreign key to it would be a cycle."""


def renamed_columns(glossary: str) -> list[tuple[str, list[str]]]:
    """(old column name, model name patterns) of each row of the glossary's
    "Renamed in session 3" table; patterns may end in ``*``."""
    section = glossary.split(RENAMED_HEADING, 1)[1].split("\n## ", 1)[0]
    renamed: list[tuple[str, list[str]]] = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        models = re.sub(r"\([^)]*\)", "", cells[1])
        patterns = [name.strip().removeprefix("monitoring.") for name in models.split(",")]
        for old in re.findall(r"`([a-z0-9_]+)`", cells[0]):
            renamed.append((old, [pattern for pattern in patterns if pattern]))
    return renamed


def _name_problems(name: str, in_rfm_model: bool) -> list[str]:
    """Why one column name breaks the rule (empty when it follows it)."""
    tokens = name.split("_")
    problems = []
    is_flag = tokens[0] in {"is", "has"}
    if COUNTED & set(tokens) and not is_flag and not name.endswith("_count"):
        problems.append("a count must end in _count")
    if "pct" in tokens and not (tokens[-1] == "pct" and "growth" in tokens):
        problems.append("_pct only for *_growth_pct; ratios are 0..1 (_rate/_share)")
    if "ratio" in tokens:
        problems.append("a ratio is _rate or _share (0..1), a multiple times_<baseline>")
    if RATIO_WORDS & set(tokens[:-1]) and tokens[-1] not in RATIO_WORDS | {"count"}:
        problems.append("_rate/_share go at the end of the name")
    if "avg" in tokens:
        problems.append("average is spelled out (average_order_value)")
    if name == "revenue":
        problems.append("say which revenue (net_revenue, gross_sales)")
    if "segment" in tokens and not in_rfm_model and "rfm" not in tokens:
        problems.append('"segment" is the RFM segment only (clusters, evaluation_group)')
    return problems


def vocabulary_problems(
    manifest: dict[str, Any],
    renamed: list[tuple[str, list[str]]],
    project: str = "retail_warehouse",
) -> list[str]:
    """One line per column of a read model (marts, monitoring, ml) that breaks the
    glossary's rule or carries a name the glossary lists as renamed."""
    problems: list[str] = []
    for node in sorted(manifest["nodes"].values(), key=lambda node: node["unique_id"]):
        path = node.get("original_file_path", "")
        if (
            node["resource_type"] != "model"
            or node["package_name"] != project
            or not path.startswith(READ_MODEL_FOLDERS)
        ):
            continue
        for column in node.get("columns", {}):
            for problem in _name_problems(column, path.startswith(RFM_FOLDER)):
                problems.append(f"{node['name']}.{column}: {problem}")
            for old, patterns in renamed:
                if column == old and any(fnmatch.fnmatch(node["name"], p) for p in patterns):
                    problems.append(f"{node['name']}.{column}: renamed in session 3 (glossary)")
    return problems


def unnamed_country_codes(manifest: dict[str, Any], project: str = "retail_warehouse") -> list[str]:
    """Read models with a country_code but neither a country_name column nor a declared
    foreign key from country_code to dim_countries (the facts excepted)."""
    problems = []
    for node in sorted(manifest["nodes"].values(), key=lambda node: node["unique_id"]):
        path = node.get("original_file_path", "")
        columns = node.get("columns", {})
        if (
            node["resource_type"] != "model"
            or node["package_name"] != project
            or not path.startswith(READ_MODEL_FOLDERS)
            or "country_code" not in columns
            or node["name"] in COUNTRY_NAME_EXCEPTIONS
        ):
            continue
        meta = columns["country_code"].get("config", {}).get("meta", {})
        declared = meta.get("foreign_key", {}).get("to") == "dim_countries"
        if "country_name" not in columns and not declared:
            problems.append(node["name"])
    return problems


def _model(name: str, path: str, columns: list[str]) -> dict[str, Any]:
    return {
        "unique_id": f"model.retail_warehouse.{name}",
        "resource_type": "model",
        "package_name": "retail_warehouse",
        "name": name,
        "original_file_path": path,
        "columns": {column: {"name": column} for column in columns},
    }


def test_vocabulary_problems_finds_every_old_form() -> None:
    renamed = [("conversion_from_previous_step", ["mart_purchase_ladder"]), ("segment", ["ml_*"])]
    old = [
        "invoices_placed",
        "customers",
        "members_to_date",
        "share_of_raw_lines_pct",
        "line_count_ratio",
        "share_lines_excluded",
        "avg_order_value",
        "revenue",
        "training_rows",
        "conversion_from_previous_step",
    ]
    new = [
        "order_count",
        "has_invoices",
        "net_revenue_growth_12m_pct",
        "cumulative_revenue_share",
        "times_recent_average",
        "revenue_growth_rate",
    ]
    manifest = {
        "nodes": {
            "a": _model("mart_purchase_ladder", "models/marts/customers/x.sql", old + new),
            "b": _model("ml_model_evaluation", "python_models/ml/x.py", ["segment"]),
            "c": _model("mart_rfm_segments", "models/marts/rfm/x.sql", ["segment"]),
            "d": _model("stg_x", "models/staging/x.sql", ["customers"]),
        }
    }
    problems = vocabulary_problems(manifest, renamed)
    flagged = {line.split(":")[0] for line in problems}
    assert flagged == {f"mart_purchase_ladder.{name}" for name in old} | {
        "ml_model_evaluation.segment"
    }
    assert "ml_model_evaluation.segment: renamed in session 3 (glossary)" in problems


def test_glossary_lists_the_renames() -> None:
    renamed = dict(renamed_columns(GLOSSARY.read_text()))
    assert len(renamed) > 30, "the glossary's renamed table was not found"
    assert renamed["invoices_placed"] == [
        "mart_sales_monthly",
        "mart_sales_daily",
        "mart_country_monthly",
        "mart_country_performance",
    ]
    assert renamed["line_count_ratio"] == ["mart_load_quality"]


def test_column_names_follow_the_glossary(manifest: dict[str, Any]) -> None:
    problems = vocabulary_problems(manifest, renamed_columns(GLOSSARY.read_text()))
    assert not problems, "columns breaking docs/glossary.md:\n" + "\n".join(problems)


def test_unnamed_country_codes_needs_a_name_or_a_key() -> None:
    keyed = _model("keyed", "models/marts/x.sql", ["country_code"])
    keyed["columns"]["country_code"]["config"] = {
        "meta": {"foreign_key": {"to": "dim_countries", "to_columns": ["country_code"]}}
    }
    manifest = {
        "nodes": {
            "a": _model("bare", "models/marts/x.sql", ["country_code", "region"]),
            "b": _model("named", "models/marts/x.sql", ["country_code", "country_name"]),
            "c": keyed,
            "d": _model("fct_invoices", "models/marts/core/x.sql", ["country_code"]),
        }
    }
    assert unnamed_country_codes(manifest) == ["bare"]


def test_country_codes_come_with_their_names(manifest: dict[str, Any]) -> None:
    assert not unnamed_country_codes(manifest), "country_code without a name or key (docs/bi.md)"
