"""What the inbox's load step does with a file that is not a settled, dropped file
(hostile7): a copy that goes on after the sensor took it, and a symbolic link. The raw
asset only (no dbt build), on a DuckDB file of its own; needs the orchestration extra and
one `dbt parse` (the asset graph)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

dagster = pytest.importorskip("dagster", reason="the orchestration extra is not installed")

from dagster import DagsterInstance  # noqa: E402
from inbox_flow import tick  # noqa: E402
from raw_files import ROWS, SHEET_1, SHEET_2, csv_text, write_csv  # noqa: E402
from warehouse_helpers import REPO  # noqa: E402

from retail_warehouse.orchestration.location import (  # noqa: E402
    RAW_ASSET_KEY,
    build_definitions,
)
from retail_warehouse.orchestration.settings import (  # noqa: E402
    OrchestrationSettings,
    orchestration_from_env,
)


@pytest.fixture(scope="module")
def orchestrator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("arrivals")
    settings = orchestration_from_env(
        {
            "RW_INBOX": str(work / "inbox"),
            "RW_INBOX_SETTLE_SECONDS": "0",
            "RW_DBT_PROJECT_DIR": str(REPO),
            "DBT_TARGET": "duckdb",
        }
    )
    settings.inbox.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch, DagsterInstance.ephemeral() as instance:
        patch.setenv("DUCKDB_PATH", str(work / "warehouse.duckdb"))
        yield {"settings": settings, "defs": build_definitions(settings), "instance": instance}


def _run(orchestrator: dict[str, Any], name: str) -> Any:
    """Tick the sensor, then run the raw asset of the request for inbox file ``name``."""
    defs, instance = orchestrator["defs"], orchestrator["instance"]
    requests = tick(defs, instance, None).run_requests
    (request,) = [each for each in requests if each.tags["inbox_file"] == name]
    return request, lambda: dagster.materialize(
        [defs.get_assets_def(RAW_ASSET_KEY)],
        run_config=request.run_config,
        instance=instance,
        raise_on_error=False,
    )


def _raw_rows() -> int:
    if not Path(os.environ["DUCKDB_PATH"]).exists():
        return 0
    with duckdb.connect(os.environ["DUCKDB_PATH"], read_only=True) as connection:
        tables = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'invoice_lines'"
        ).fetchone()
        if not tables or not tables[0]:
            return 0
        (count,) = connection.execute("select count(*) from raw.invoice_lines").fetchone() or (0,)
        return int(count)


def _failure(result: Any) -> str:
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    return str(failure.step_failure_data.user_failure_data.description)


def test_a_file_still_being_copied_is_left_for_the_sensor(
    orchestrator: dict[str, Any],
) -> None:
    """A copy that pauses longer than the settle time was taken half-written: its first
    lines loaded, the file moved to processed/ while the copy went on writing into it, and
    the rest was never loaded. A file that changed since the sensor took it stays in the
    inbox, nothing loaded; taken again once settled, it loads whole."""
    settings: OrchestrationSettings = orchestrator["settings"]
    path = write_csv(settings.inbox / "extract_growing.csv", SHEET_1)
    before = _raw_rows()
    _, run = _run(orchestrator, "extract_growing.csv")
    path.write_text(csv_text(ROWS), encoding="utf-8")  # the copy goes on: SHEET_2 arrives
    result = run()
    assert not result.success
    assert "changed since the sensor took it" in _failure(result)
    assert path.is_file() and not (settings.processed / path.name).exists()
    assert _raw_rows() == before
    _, run = _run(orchestrator, "extract_growing.csv")
    assert run().success
    assert _raw_rows() == before + len(SHEET_1) + len(SHEET_2)
    assert (settings.processed / "extract_growing.csv").is_file()


def test_a_symbolic_link_is_rejected_unread(orchestrator: dict[str, Any], tmp_path: Path) -> None:
    """A link in the inbox made the orchestrator load the file it pointed to, anywhere it
    could read; the loyalty feed refuses a link out of its folder. Rejected with its
    reason, nothing loaded, the file it points to untouched."""
    settings: OrchestrationSettings = orchestrator["settings"]
    elsewhere = write_csv(tmp_path / "someone_elses_export.csv", SHEET_2)
    (settings.inbox / "linked.csv").symlink_to(elsewhere)
    before = _raw_rows()
    _, run = _run(orchestrator, "linked.csv")
    result = run()
    assert not result.success
    assert "is a symbolic link, not a file" in _failure(result)
    assert _raw_rows() == before
    assert (settings.rejected / "linked.csv").is_symlink()
    note = (settings.rejected / "linked.csv.error.txt").read_text(encoding="utf-8")
    assert "copy the file itself into the inbox" in note
    assert elsewhere.read_text(encoding="utf-8") == csv_text(SHEET_2)


def test_a_file_that_changes_while_it_is_loaded_stays_for_the_sensor(
    orchestrator: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy goes on while the load reads: the lines read are loaded, but the file is
    not moved to processed/ (where the rest would never be loaded): it stays in the inbox,
    and taken again it loads whole (the lines loaded twice are duplicates for the
    cleaning)."""
    from retail_warehouse.orchestration import location

    settings: OrchestrationSettings = orchestrator["settings"]
    path = write_csv(settings.inbox / "extract_written_on.csv", SHEET_1)
    real_load = location.load

    def load_while_the_copy_goes_on(*args: Any, **kwargs: Any) -> Any:
        result = real_load(*args, **kwargs)
        # other bytes than the first test's whole file, which the loader would skip
        path.write_text(csv_text(SHEET_1 + SHEET_2[::-1]), encoding="utf-8")
        return result

    before = _raw_rows()
    _, run = _run(orchestrator, "extract_written_on.csv")
    monkeypatch.setattr(location, "load", load_while_the_copy_goes_on)
    result = run()
    monkeypatch.undo()
    assert not result.success
    assert "changed while it was loaded" in _failure(result)
    assert path.is_file() and not (settings.processed / path.name).exists()
    assert _raw_rows() == before + len(SHEET_1)
    _, run = _run(orchestrator, "extract_written_on.csv")
    assert run().success
    assert _raw_rows() == before + len(SHEET_1) + len(ROWS)
    assert (settings.processed / "extract_written_on.csv").is_file()
