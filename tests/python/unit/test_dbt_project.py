"""dbt_project.yml says each source switch once: the first ``+enabled`` of a kind names it
with a YAML anchor and the others repeat it by alias, so the models, sources and tests of a
source system cannot come to disagree on when they are built."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[3] / "dbt_project.yml"


def test_each_enabled_expression_is_written_once() -> None:
    text = PROJECT.read_text(encoding="utf-8")
    written = Counter(re.findall(r"\+enabled: (?:&\w+ )?(\"\{\{.*\}\}\")", text))
    assert written, "no +enabled expression found"
    assert [expression for expression, count in written.items() if count > 1] == []


def test_aliases_resolve_to_the_switch() -> None:
    project = yaml.safe_load(PROJECT.read_text(encoding="utf-8"))
    models = project["models"]["retail_warehouse"]
    tpch = models["staging"]["tpch"]["+enabled"]
    online_retail = models["staging"]["online_retail"]["+enabled"]
    assert "== 'tpch'" in tpch and "== 'online_retail'" in online_retail
    for section in ("sources", "data_tests"):
        staging = project[section]["retail_warehouse"]["staging"]
        assert staging["tpch"]["+enabled"] == tpch
        assert staging["online_retail"]["+enabled"] == online_retail
    assert models["intermediate"]["tpch"]["+enabled"] == tpch
    assert models["intermediate"]["online_retail"]["+enabled"] == online_retail
