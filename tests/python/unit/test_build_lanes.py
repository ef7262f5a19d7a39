"""The two lanes of a published build (build.run_build, docs/ml.md "Two lanes"): which dbt
runs a build starts, with which selection, and what it reports. dbt is replaced by a runner
that writes what a real run writes: the artifacts, and the registry and training status
tables into the DuckDB shadow file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from retail_warehouse.build import (
    TRAINING_SELECTOR,
    run_build,
)
from retail_warehouse.build_inputs import FINGERPRINT_ENV
from retail_warehouse.dbt_process import DbtRun
from retail_warehouse.ml import MODEL_VERSION
from retail_warehouse.settings import Settings

LANE = ("ml_model_registry", "ml_model_evaluation", "ml_repeat_drivers", "ml_model_gains")
MODELS = ("fct_invoices", "ml_customer_predictions", "ml_model_training_status", *LANE)


def _manifest() -> dict[str, object]:
    nodes = {
        f"model.retail_warehouse.{name}": {
            "resource_type": "model",
            "name": name,
            "alias": name,
            "schema": "ml" if name.startswith("ml_") else "marts",
            "tags": ["training"] if name in LANE else [],
            "relation_name": f'"{"ml" if name.startswith("ml_") else "marts"}"."{name}"',
        }
        for name in MODELS
    }
    return {"nodes": nodes}


class FakeDbt:
    """Writes a run's artifacts and, into the shadow file, the registry (when the run
    builds the training lane) and the training status ``due`` says."""

    def __init__(self, tmp_path: Path, due: bool = False, fail: bool = False) -> None:
        self.tmp_path = tmp_path
        self.due = due
        self.fail = fail
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, args: list[str], env: dict[str, str]) -> DbtRun:
        self.calls.append((args, dict(env)))
        selection = args[args.index("--exclude") :][:2] if "--exclude" in args else []
        selection = selection or (args[args.index("--select") :][:2] if "--select" in args else [])
        if selection[:1] == ["--exclude"]:
            built = [name for name in MODELS if name not in LANE]
        elif selection[:1] == ["--select"]:
            built = [*LANE, "ml_customer_predictions", "ml_model_training_status"]
        else:
            built = list(MODELS)
        with duckdb.connect(env["DUCKDB_PATH"]) as connection:
            connection.execute("create schema if not exists ml")
            if "ml_model_registry" in built:
                connection.execute(
                    "create or replace table ml.ml_model_registry as select "
                    f"'{MODEL_VERSION}' as model_version, timestamp '2026-01-01' as trained_at"
                )
            connection.execute("create schema if not exists raw")
            connection.execute(
                "create table if not exists raw.load_log (load_id integer, status varchar)"
            )
            connection.execute("create schema if not exists monitoring")
            connection.execute(  # what models/marts/monitoring/mart_build_inputs.sql records
                "create or replace table monitoring.mart_build_inputs as select"
                f" '{env.get(FINGERPRINT_ENV, '')}' as project_fingerprint,"
                " max(load_id) as newest_load_id, count(*) as succeeded_load_count"
                " from raw.load_log where status = 'succeeded'"
            )
            connection.execute(
                "create or replace table ml.ml_model_training_status as select "
                f"{'true' if self.due and 'ml_model_registry' not in built else 'false'}"
                " as is_training_due, 30 as days_of_data_since_training,"
                " 28 as retrain_after_days"
            )
        target = self.tmp_path / "target"
        target.mkdir(exist_ok=True)
        status = "error" if self.fail else "success"
        results = [
            {"unique_id": f"model.retail_warehouse.{name}", "status": status, "message": ""}
            for name in built
        ]
        metadata = {
            "invocation_id": f"run-{len(self.calls)}",
            "generated_at": "2026-01-01T00:00:00Z",
        }
        (target / "run_results.json").write_text(
            json.dumps({"metadata": metadata, "elapsed_time": 1.0, "results": results})
        )
        (target / "manifest.json").write_text(json.dumps(_manifest()))
        return DbtRun(1 if self.fail else 0, target)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    return Settings(duckdb_path=tmp_path / "warehouse.duckdb")


def _build(settings: Settings, dbt: FakeDbt, **options: object) -> tuple[object, list[str]]:
    echoed: list[str] = []
    result = run_build("duckdb", settings, echo=echoed.append, runner=dbt, **options)
    return result, echoed


def _selections(dbt: FakeDbt) -> list[list[str]]:
    return [
        [arg for arg in args if arg in ("--exclude", "--select") or ":" in arg]
        for args, _ in dbt.calls
    ]


def test_the_first_build_trains_in_one_run(settings: Settings, tmp_path: Path) -> None:
    dbt = FakeDbt(tmp_path)
    result, echoed = _build(settings, dbt)
    assert result.published and result.training == "no model registry yet"
    assert _selections(dbt) == [[]]
    assert "models trained: no model registry yet" in echoed[0]


def test_a_refresh_leaves_the_training_lane_out(settings: Settings, tmp_path: Path) -> None:
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1)  # something new to build
    dbt = FakeDbt(tmp_path)
    result, echoed = _build(settings, dbt)
    assert result.published and result.training == ""
    assert _selections(dbt) == [["--exclude", TRAINING_SELECTOR]]
    assert result.audit.unbuilt == ()  # the lane left out is not "unbuilt"
    assert "scored with the registry's" in echoed[0]


def test_a_refresh_that_finds_training_due_trains_in_a_second_run(
    settings: Settings, tmp_path: Path
) -> None:
    # the safety net: the fake's published training status has no trained_through_date,
    # so the dates cannot be read before the run (training_foreseen says None)
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1)  # something new to build
    dbt = FakeDbt(tmp_path, due=True)
    result, _ = _build(settings, dbt)
    assert result.published
    assert result.training.startswith("30 days of data since the models were trained")
    assert _selections(dbt) == [
        ["--exclude", TRAINING_SELECTOR],
        ["--select", f"{TRAINING_SELECTOR}+"],
    ]
    assert dbt.calls[1][1]["DUCKDB_PATH"] == dbt.calls[0][1]["DUCKDB_PATH"]  # the same shadow
    assert result.audit.node_count == 3 + len(LANE) + 2  # each run's nodes
    assert "train" in result.seconds


@pytest.mark.parametrize(
    ("options", "dbt_args", "reason"),
    [
        ({"train": True}, [], "asked for (retail-warehouse train)"),
        ({}, ["--full-refresh"], "--full-refresh"),
    ],
)
def test_train_and_full_refresh_train_in_one_run(
    settings: Settings,
    tmp_path: Path,
    options: dict[str, object],
    dbt_args: list[str],
    reason: str,
) -> None:
    _build(settings, FakeDbt(tmp_path))
    dbt = FakeDbt(tmp_path)
    result, _ = _build(settings, dbt, dbt_args=dbt_args, **options)
    assert result.training == reason
    assert _selections(dbt) == [[]]


def test_a_registry_of_another_model_version_is_trained_again(
    settings: Settings, tmp_path: Path
) -> None:
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1)  # something new to build
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        connection.execute("update ml.ml_model_registry set model_version = 'ml-0.0.1'")
    dbt = FakeDbt(tmp_path)
    result, _ = _build(settings, dbt)
    assert result.training.startswith("the registry's models are of model version ml-0.0.1")
    assert _selections(dbt) == [[]]


def test_a_failed_refresh_does_not_train_or_publish(settings: Settings, tmp_path: Path) -> None:
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1)  # something new to build
    dbt = FakeDbt(tmp_path, due=True, fail=True)
    result, _ = _build(settings, dbt)
    assert not result.published
    assert len(dbt.calls) == 1


def test_the_cli_train_command_asks_for_training(monkeypatch: pytest.MonkeyPatch) -> None:
    from retail_warehouse import cli

    asked: list[bool] = []
    monkeypatch.setattr(
        cli, "run_build", lambda *args, **kwargs: asked.append(kwargs["train"]) or _Done()
    )
    assert cli.main(["train"]) == 0
    assert cli.main(["build"]) == 0
    assert asked == [True, False]


class _Done:
    exit_code = 0


def test_dagster_gets_each_asset_once_when_a_build_trains_after_its_refresh() -> None:
    pytest.importorskip("dagster")
    from dagster import AssetCheckResult, AssetKey, Output

    from retail_warehouse.orchestration.location import last_event_per_asset

    first, second = Output(1, output_name="registry"), Output(2, output_name="registry")
    other = Output(3, output_name="fct_invoices")

    def check(name: str, passed: bool) -> AssetCheckResult:
        return AssetCheckResult(passed=passed, check_name=name, asset_key=AssetKey("registry"))

    not_null, unique, not_null_again = (
        check("not_null", True),
        check("unique", True),
        check("not_null", False),
    )
    kept = last_event_per_asset([first, other, not_null, unique, second, not_null_again])
    assert kept == [other, unique, second, not_null_again]


def _load(settings: Settings, load_id: int, status: str = "succeeded") -> None:
    """A load recorded in the published file's load log."""
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        connection.execute("insert into raw.load_log values (?, ?)", [load_id, status])


def test_a_refresh_with_nothing_new_builds_nothing(settings: Settings, tmp_path: Path) -> None:
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1)
    _build(settings, FakeDbt(tmp_path))
    published = settings.duckdb_path.stat().st_mtime_ns
    dbt = FakeDbt(tmp_path)
    result, echoed = _build(settings, dbt)
    assert dbt.calls == []
    assert result.up_to_date and result.exit_code == 0 and not result.published
    assert echoed == [
        "nothing to build: the published warehouse holds every load, through load 1, built by "
        "this project with these options (retail-warehouse build --full-refresh rebuilds it "
        "anyway)"
    ]
    assert settings.duckdb_path.stat().st_mtime_ns == published  # not even copied


@pytest.mark.parametrize("status", ["failed", "skipped", "started"])
def test_a_load_that_changed_no_raw_table_is_nothing_new(
    settings: Settings, tmp_path: Path, status: str
) -> None:
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1, status)
    dbt = FakeDbt(tmp_path)
    result, _ = _build(settings, dbt)
    assert result.up_to_date and dbt.calls == []


def test_a_new_load_is_built(settings: Settings, tmp_path: Path) -> None:
    _build(settings, FakeDbt(tmp_path))
    _load(settings, 1)
    dbt = FakeDbt(tmp_path)
    result, _ = _build(settings, dbt)
    assert result.published and not result.up_to_date and len(dbt.calls) == 1


@pytest.mark.parametrize(
    ("options", "dbt_args"),
    [
        ({"train": True}, []),
        ({}, ["--full-refresh"]),
        ({}, ["--vars", "{rfm_definition: classic}"]),  # other options: another project
    ],
)
def test_asked_for_or_built_otherwise_it_is_built(
    settings: Settings, tmp_path: Path, options: dict[str, object], dbt_args: list[str]
) -> None:
    _build(settings, FakeDbt(tmp_path))
    dbt = FakeDbt(tmp_path)
    result, _ = _build(settings, dbt, dbt_args=dbt_args, **options)
    assert result.published and len(dbt.calls) == 1


def test_a_build_by_plain_dbt_is_never_up_to_date(settings: Settings, tmp_path: Path) -> None:
    _build(settings, FakeDbt(tmp_path))
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        connection.execute("update monitoring.mart_build_inputs set project_fingerprint = 'none'")
    dbt = FakeDbt(tmp_path)
    _build(settings, dbt)
    assert len(dbt.calls) == 1


def _published_status_and_raw(
    settings: Settings, trained_through: str, raw_dates: list[str], table: str = "invoice_lines"
) -> None:
    """The published training status (models trained through ``trained_through``, the data
    too) and a new load whose raw rows are dated ``raw_dates``."""
    with duckdb.connect(str(settings.duckdb_path)) as connection:
        connection.execute(
            "create or replace table ml.ml_model_training_status as select"
            f" date '{trained_through}' as trained_through_date,"
            f" date '{trained_through}' as newest_invoice_date,"
            " false as is_training_due, 0 as days_of_data_since_training,"
            " 28 as retrain_after_days"
        )
        connection.execute(f"create table raw.{table} (invoice_date varchar, load_id integer)")
        connection.executemany(
            f"insert into raw.{table} values (?, 1)", [[date] for date in raw_dates]
        )
    _load(settings, 1)


def test_a_load_a_month_past_the_models_trains_in_one_run(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RW_SALES_SOURCE", raising=False)
    _build(settings, FakeDbt(tmp_path))
    _published_status_and_raw(settings, "2011-10-31", ["2011-11-01 08:26", "2011-11-30 17:37"])
    dbt = FakeDbt(tmp_path, due=True)  # the status would say so after a refresh, too late
    result, echoed = _build(settings, dbt)
    assert result.published
    assert result.training == (
        "30 days of data since the models were trained (ml_retrain_after_days: 28)"
    )
    assert _selections(dbt) == [[]]  # one dbt run, the training lane included
    assert "train" not in result.seconds
    assert "models trained: 30 days of data since the models were trained" in echoed[0]


@pytest.mark.parametrize(
    ("raw_dates", "dbt_args"),
    [
        (["2011-11-27 23:59"], []),  # 27 days
        (["2011-11-30 17:37"], ["--vars", "{ml_retrain_after_days: 31}"]),
    ],
)
def test_a_load_short_of_ml_retrain_after_days_scores_in_one_run(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    raw_dates: list[str],
    dbt_args: list[str],
) -> None:
    monkeypatch.delenv("RW_SALES_SOURCE", raising=False)
    _build(settings, FakeDbt(tmp_path), dbt_args=dbt_args)
    _published_status_and_raw(settings, "2011-10-31", raw_dates)
    dbt = FakeDbt(tmp_path)
    result, _ = _build(settings, dbt, dbt_args=dbt_args)
    assert result.published and result.training == ""
    assert [selection[:2] for selection in _selections(dbt)] == [["--exclude", TRAINING_SELECTOR]]


def test_the_newest_raw_invoice_date_of_tpch_counts_credit_notes_of_returns(
    tmp_path: Path,
) -> None:
    from retail_warehouse.build import newest_raw_invoice_date

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("create schema raw")
        connection.execute(
            "create table raw.tpch_orders (o_orderdate varchar, load_id integer);"
            "insert into raw.tpch_orders values ('1998-07-31', 2), ('1998-08-02', 1);"
            "create table raw.tpch_lineitem"
            " (l_receiptdate varchar, l_returnflag varchar, load_id integer);"
            "insert into raw.tpch_lineitem values"
            " ('1998-08-20', 'R', 2), ('1998-09-30', 'N', 2), ('1998-10-01', 'R', 1)"
        )

        def query(sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
            cursor = connection.execute(sql)
            return [column[0] for column in cursor.description or []], cursor.fetchall()

        assert newest_raw_invoice_date(query, "", "tpch", 1) == dt.date(1998, 8, 20)
        assert newest_raw_invoice_date(query, "", "tpch", None) == dt.date(1998, 10, 1)
        assert newest_raw_invoice_date(query, "", "online_retail", None) is None
