"""A published build passes the newest published load to dbt as the var tested_through_load_id
(build.new_loads_test_args): the row tests of the line-level relations then read only later loads
through their ``where`` config. dbt is replaced by a runner that records its arguments and writes
the artifacts a passing run writes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.config.utils import parse_cli_vars
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_warehouse.build import (
    TESTED_THROUGH_VAR,
    DbtRun,
    new_loads_test_args,
    newest_published_load,
    run_build,
    with_dbt_var,
)
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.publish import QueryFunction
from retail_warehouse.settings import Settings


class FakePublisher:
    """Only what new_loads_test_args asks of a publisher: queries on the published warehouse."""

    def __init__(self, newest: int | None) -> None:
        self.newest = newest
        self.queried = False

    @contextlib.contextmanager
    def query_published(self) -> Iterator[QueryFunction | None]:
        self.queried = True
        if self.newest is None:
            yield None
            return

        def query(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            return ["x"], [(1,)] if "information_schema" in sql else [(self.newest,)]

        yield query


def _args(dbt_args: list[str], newest: int | None, env: dict[str, str] | None = None):
    publisher = FakePublisher(newest)
    echoed: list[str] = []
    result = new_loads_test_args(dbt_args, publisher, Settings(), env or {}, echoed.append)  # type: ignore[arg-type]
    return result, echoed, publisher


def _vars(args: list[str]) -> dict[str, Any]:
    """The vars dbt reads from these arguments (the last --vars)."""
    values = [
        args[index + 1] if arg == "--vars" else arg.removeprefix("--vars=")
        for index, arg in enumerate(args)
        if arg == "--vars" or arg.startswith("--vars=")
    ]
    return parse_cli_vars(values[-1]) if values else {}


def test_a_published_warehouse_sets_the_var_and_says_so() -> None:
    args, echoed, _ = _args(["--target-path", "t"], 41)
    assert _vars(args) == {TESTED_THROUGH_VAR: 41}
    assert args[:2] == ["--target-path", "t"]
    assert echoed == ["row tests of the line-level relations read the loads after 41"]


def test_nothing_published_tests_every_row() -> None:
    args, echoed, publisher = _args([], None)
    assert (args, echoed, publisher.queried) == ([], [], True)


@pytest.mark.parametrize(
    ("dbt_args", "env"),
    [
        (["--full-refresh"], {}),
        (["-f"], {}),
        ([], {"DBT_FULL_REFRESH": "True"}),
        ([], {"DBT_FULL_REFRESH": "1"}),
    ],
)
def test_a_full_refresh_tests_every_row(dbt_args: list[str], env: dict[str, str]) -> None:
    args, echoed, publisher = _args(dbt_args, 41, env)
    assert (args, echoed, publisher.queried) == (dbt_args, [], False)


@pytest.mark.parametrize(
    "user_vars",
    [
        ["--vars", "{schema_prefix: dev_, bi_role: ''}"],
        ["--vars={schema_prefix: dev_, bi_role: ''}"],
        ["--vars", "{bi_role: x}", "--vars", "schema_prefix: dev_\nbi_role: ''"],
    ],
)
def test_the_users_vars_are_kept(user_vars: list[str]) -> None:
    args, _, _ = _args(["--threads", "1", *user_vars], 7)
    assert _vars(args) == {"schema_prefix": "dev_", "bi_role": "", TESTED_THROUGH_VAR: 7}
    assert args[:2] == ["--threads", "1"]
    assert len(args) == 2 + len(user_vars)


@pytest.mark.parametrize(
    "user_vars",
    [
        ["--vars", "{tested_through_load_id: 3}"],
        ["--vars=tested_through_load_id: 3"],
        ["--vars", "{a: 1}", "--vars", "{tested_through_load_id: null}"],
    ],
)
def test_the_var_from_the_user_is_refused(user_vars: list[str]) -> None:
    with pytest.raises(RetailWarehouseError) as error:
        _args(user_vars, 7)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("retail-warehouse build sets the var tested_through_load_id itself")


@pytest.mark.parametrize("text", ["[1, 2]", "just words", "{a: [}"])
def test_vars_that_are_not_a_mapping_are_one_line(text: str) -> None:
    with pytest.raises(RetailWarehouseError) as error:
        _args(["--vars", text], 7)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("--vars ")


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    # what a user can type (dbt refuses surrogates and control characters in --vars)
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True), SCALARS))
def test_merged_vars_read_back_as_dbt_reads_them(user: dict[str, Any]) -> None:
    user.pop(TESTED_THROUGH_VAR, None)
    args = with_dbt_var(["--vars", json.dumps(user, ensure_ascii=False)], TESTED_THROUGH_VAR, 12)
    assert _vars(args) == {**user, TESTED_THROUGH_VAR: 12}


def _warehouse(path: Path, prefix: str, loads: list[int] | None) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create schema if not exists {prefix}marts")
        if loads is not None:
            connection.execute(
                f"create table {prefix}marts.fct_invoice_lines (load_id integer, x integer)"
            )
            for load in loads:
                connection.execute(
                    f"insert into {prefix}marts.fct_invoice_lines values (?, 1)", [load]
                )


@pytest.mark.parametrize(
    ("prefix", "loads", "expected"),
    [("", [3, 9, 4], 9), ("tpch_", [5], 5), ("", [], None), ("", None, None)],
)
def test_the_newest_published_load_of_the_fact(
    tmp_path: Path, prefix: str, loads: list[int] | None, expected: int | None
) -> None:
    path = tmp_path / "warehouse.duckdb"
    _warehouse(path, prefix, loads)
    _warehouse(path, "other_", [99])  # another prefix's warehouse in the same file
    with duckdb.connect(str(path), read_only=True) as connection:

        def query(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            return [], connection.execute(sql).fetchall()

        assert newest_published_load(query, prefix) == expected


def _runner(calls: list[list[str]]):
    def run(args: list[str], env: dict[str, str]) -> DbtRun:
        calls.append(args)
        target = Path("target")
        target.mkdir(exist_ok=True)
        results = [{"unique_id": "model.retail_warehouse.fct_invoice_lines", "status": "success"}]
        metadata = {"invocation_id": f"run-{len(calls)}", "generated_at": "2026-12-07T10:00:00Z"}
        artifact = {"metadata": metadata, "results": results}
        (target / "run_results.json").write_text(json.dumps(artifact))
        (target / "manifest.json").write_text(json.dumps({"nodes": {}}))
        return DbtRun(0, target)

    return run


def test_a_duckdb_build_reads_the_published_file_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("DBT_FULL_REFRESH", raising=False)
    settings = Settings(duckdb_path=tmp_path / "warehouse.duckdb")
    calls: list[list[str]] = []
    echoed: list[str] = []

    first = run_build("duckdb", settings, [], _runner(calls), echo=echoed.append)
    assert first.published
    assert "--vars" not in calls[-1]  # nothing published yet: every row tested

    _warehouse(settings.duckdb_path, "", [2, 6])
    run_build("duckdb", settings, ["--threads", "1"], _runner(calls), echo=echoed.append)
    assert calls[-1][:3] == ["build", "--target", "duckdb"]
    assert _vars(calls[-1]) == {TESTED_THROUGH_VAR: 6}
    assert "row tests of the line-level relations read the loads after 6" in echoed

    run_build("duckdb", settings, ["--full-refresh"], _runner(calls), echo=echoed.append)
    assert "--vars" not in calls[-1]
