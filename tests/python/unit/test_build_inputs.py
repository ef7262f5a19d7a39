"""The project fingerprint a published build records (build_inputs.project_fingerprint):
every input of a build besides the raw tables changes it, and nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail_warehouse import build_inputs


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dbt_project.yml").write_text(
        "name: shop\nmodel-paths: [models]\nmacro-paths: [macros]\n", encoding="utf-8"
    )
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "sales.sql").write_text("select 1 as one\n", encoding="utf-8")
    (tmp_path / "macros").mkdir()
    (tmp_path / "notes").mkdir()  # not a dbt folder
    monkeypatch.setattr(build_inputs, "project_dir", lambda: tmp_path)
    return tmp_path


ENV = {"RW_SALES_SOURCE": "online_retail", "DBT_PROFILES_DIR": "/nowhere"}


def _fingerprint(args: tuple[str, ...] = (), env: dict[str, str] = ENV) -> str:
    return build_inputs.project_fingerprint("duckdb", args, env)


def test_the_same_project_has_the_same_fingerprint(project: Path) -> None:
    first = _fingerprint()
    (project / "notes" / "todo.txt").write_text("not built", encoding="utf-8")
    assert _fingerprint() == first
    assert _fingerprint(env={**ENV, "RW_DBT_THREADS": "2"}) == first
    assert len(first) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda project: (project / "models" / "sales.sql").write_text("select 2 as one\n"),
        lambda project: (project / "macros" / "new.sql").write_text(
            "{% macro m() %}{% endmacro %}"
        ),
        lambda project: (project / "models" / "sales.sql").rename(project / "models" / "s.sql"),
        lambda project: (project / "dbt_project.yml").write_text(
            "name: shop\nmodel-paths: [models]\nmacro-paths: [macros]\nvars: {a: 1}\n"
        ),
    ],
    ids=["model edited", "macro added", "model renamed", "dbt_project.yml"],
)
def test_a_changed_project_file_changes_it(project: Path, change: object) -> None:
    first = _fingerprint()
    change(project)  # type: ignore[operator]
    assert _fingerprint() != first


def test_options_source_and_target_change_it(project: Path) -> None:
    first = _fingerprint()
    assert _fingerprint(("--vars", "{rfm_definition: classic}")) != first
    assert _fingerprint(env={**ENV, "RW_SALES_SOURCE": "tpch"}) != first
    assert build_inputs.project_fingerprint("postgres", (), ENV) != first


def test_the_package_code_is_part_of_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _fingerprint()
    monkeypatch.setattr(build_inputs, "_package_files", lambda: [project / "models" / "sales.sql"])
    assert _fingerprint() != first
