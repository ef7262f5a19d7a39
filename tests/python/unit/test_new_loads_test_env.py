"""A published build passes the newest published load to dbt in the environment variable
RW_TESTED_THROUGH_LOAD_ID (build.new_loads_test_env), the default of the var
tested_through_load_id: the row tests of the line-level relations then read only later loads
through their ``where`` config. An environment variable, not ``--vars``, so that dbt parses
only the YAML files that read it again, not the whole project. dbt is replaced by a runner that
records its arguments and environment and writes the artifacts a passing run writes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from retail_warehouse.build import (
    TESTED_THROUGH_ENV,
    new_loads_test_env,
    newest_published_load,
    run_build,
)
from retail_warehouse.dbt_process import DbtRun
from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.publish import QueryFunction
from retail_warehouse.settings import Settings


class FakePublisher:
    """Only what new_loads_test_env asks of a publisher: queries on the published warehouse."""

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


def _env(dbt_args: list[str], newest: int | None, env: dict[str, str] | None = None):
    publisher = FakePublisher(newest)
    echoed: list[str] = []
    result = new_loads_test_env(dbt_args, publisher, Settings(), env or {}, echoed.append)  # type: ignore[arg-type]
    return result, echoed, publisher


def test_a_published_warehouse_sets_the_variable_and_says_so() -> None:
    result, echoed, _ = _env(["--target-path", "t"], 41)
    assert result == {TESTED_THROUGH_ENV: "41"}
    assert echoed == ["row tests of the line-level relations read the loads after 41"]


def test_nothing_published_tests_every_row() -> None:
    result, echoed, publisher = _env([], None)
    assert (result, echoed, publisher.queried) == ({TESTED_THROUGH_ENV: ""}, [], True)


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
    result, echoed, publisher = _env(dbt_args, 41, env)
    assert (result, echoed, publisher.queried) == ({TESTED_THROUGH_ENV: ""}, [], False)


@pytest.mark.parametrize(
    "user_vars",
    [
        ["--vars", "{schema_prefix: dev_, bi_role: ''}"],
        ["--vars={schema_prefix: dev_, bi_role: ''}"],
        ["--vars", "{bi_role: x}", "--vars", "schema_prefix: dev_\nbi_role: ''"],
    ],
)
def test_the_users_other_vars_are_taken(user_vars: list[str]) -> None:
    result, _, _ = _env(["--threads", "1", *user_vars], 7)
    assert result == {TESTED_THROUGH_ENV: "7"}


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
        _env(user_vars, 7)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("retail-warehouse build sets the var tested_through_load_id itself")


@pytest.mark.parametrize("text", ["[1, 2]", "just words", "{a: [}"])
def test_vars_that_are_not_a_mapping_are_one_line(text: str) -> None:
    with pytest.raises(RetailWarehouseError) as error:
        _env(["--vars", text], 7)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("--vars ")


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


def _runner(calls: list[tuple[list[str], dict[str, str]]]):
    def run(args: list[str], env: dict[str, str]) -> DbtRun:
        calls.append((args, env))
        target = Path("target")
        target.mkdir(exist_ok=True)
        results = [{"unique_id": "model.retail_warehouse.fct_invoice_lines", "status": "success"}]
        metadata = {"invocation_id": f"run-{len(calls)}", "generated_at": "2026-12-07T10:00:00Z"}
        artifact = {"metadata": metadata, "results": results}
        (target / "run_results.json").write_text(json.dumps(artifact))
        (target / "manifest.json").write_text(json.dumps({"nodes": {}}))
        return DbtRun(0, target)

    return run


@pytest.fixture
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("DBT_FULL_REFRESH", raising=False)
    # exported by someone: a build always sets its own value
    monkeypatch.setenv(TESTED_THROUGH_ENV, "99")


@pytest.mark.usefixtures("_in_tmp")
def test_a_duckdb_build_reads_the_published_file_it_holds(tmp_path: Path) -> None:
    settings = Settings(duckdb_path=tmp_path / "warehouse.duckdb")
    calls: list[tuple[list[str], dict[str, str]]] = []
    echoed: list[str] = []

    first = run_build("duckdb", settings, [], _runner(calls), echo=echoed.append)
    assert first.published
    args, env = calls[-1]
    assert env[TESTED_THROUGH_ENV] == ""  # nothing published yet: every row tested
    assert "--vars" not in args

    _warehouse(settings.duckdb_path, "", [2, 6])
    user = ["--threads", "1", "--vars", "{bi_role: x}"]
    run_build("duckdb", settings, user, _runner(calls), echo=echoed.append)
    args, env = calls[-1]
    assert args[:3] == ["build", "--target", "duckdb"]
    assert args[-len(user) :] == user  # the user's arguments as given, no var added
    assert env[TESTED_THROUGH_ENV] == "6"
    assert "row tests of the line-level relations read the loads after 6" in echoed

    run_build("duckdb", settings, ["--full-refresh"], _runner(calls), echo=echoed.append)
    args, env = calls[-1]
    assert env[TESTED_THROUGH_ENV] == ""
    assert "--vars" not in args


@pytest.mark.usefixtures("_in_tmp")
def test_a_build_in_place_tests_every_row(tmp_path: Path) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    settings = Settings(spark_dir=tmp_path / "spark")
    run_build("spark", settings, [], _runner(calls), echo=lambda line: None)
    [(args, env)] = calls
    assert env[TESTED_THROUGH_ENV] == ""
    assert "--vars" not in args
