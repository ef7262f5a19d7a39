"""Publishing a DuckDB warehouse file: generations, rollback, locks and open readers, on small
files (no dbt; the whole build is in test_published_build.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from warehouse_helpers import hold_duckdb

from retail_warehouse.errors import RetailWarehouseError
from retail_warehouse.publish import WarehouseBusyError
from retail_warehouse.publish.duckdb import (
    DuckdbLayout,
    DuckdbPublisher,
    publish_file,
    rollback_file,
)


def _write(path: Path, version: int, loads: int = 1) -> None:
    """A database whose marts say which version it is, with a load log of ``loads`` loads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("create schema if not exists raw")
        connection.execute(f"create or replace table marts.version as select {version} as v")
        connection.execute(
            "create or replace table raw.load_log as select range + 1 as load_id, "
            "'file_' || (range + 1) || '.csv' as source_file, 'succeeded' as status "
            f"from range({loads})"
        )


def _version(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute("select v from marts.version").fetchone()
    assert row is not None
    return int(row[0])


def _build(publisher: DuckdbPublisher, version: int, keep: int = 1, loads: int = 1) -> None:
    """What run_build does around dbt, with dbt replaced by one table write."""
    with publisher.hold():
        env = publisher.prepare_shadow()
        _write(Path(env["DUCKDB_PATH"]), version, loads)
        publisher.publish([], keep)


def test_publish_keeps_previous_generations_and_rollback_restores(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    layout = publisher.layout
    for version in (2, 3, 4):
        _build(publisher, version, keep=2)
    assert _version(path) == 4
    assert [(number, _version(file)) for number, file in layout.previous()] == [(1, 3), (2, 2)]
    assert not layout.shadow.exists()
    assert [generation.name for generation in publisher.generations()] == [
        "published",
        "previous-1",
        "previous-2",
    ]

    outcome = publisher.rollback()
    assert _version(path) == 3
    assert [(number, _version(file)) for number, file in layout.previous()] == [(1, 2)]
    assert _version(layout.slot("rolled-back")) == 4
    assert outcome.published.location == str(path)
    publisher.rollback()
    assert _version(path) == 2
    with pytest.raises(RetailWarehouseError, match="no previous generation"):
        publisher.rollback()
    assert _version(path) == 2


def test_keep_zero_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    _build(publisher, 2, keep=1)
    _build(publisher, 3, keep=0)
    assert _version(path) == 3
    assert publisher.layout.previous() == []


def test_the_copy_keeps_the_file_name_so_views_still_resolve(tmp_path: Path) -> None:
    """dbt-duckdb writes the catalog (the file's stem) into views: the shadow must have the same
    stem, or the published file's views would point at a catalog that does not exist."""
    path = tmp_path / "stepwise.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    with publisher.hold():
        shadow = Path(publisher.prepare_shadow()["DUCKDB_PATH"])
        assert shadow.name == path.name
        with duckdb.connect(str(shadow)) as connection:
            connection.execute("create view marts.v as select v from stepwise.marts.version")
        publisher.publish([], 1)
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("select v from marts.v").fetchall() == [(1,)]


def test_an_open_reader_keeps_its_generation(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb\n"
            "c = duckdb.connect(sys.argv[1], read_only=True)\n"
            "print(c.execute('select v from marts.version').fetchone()[0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(c.execute('select v from marts.version').fetchone()[0], flush=True)\n",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    assert reader.stdout.readline().strip() == "1"
    _build(publisher, 2, keep=0)  # a reader does not stop the build, and nothing keeps v1
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "1", "the open connection saw another file"
    assert reader.wait(timeout=30) == 0
    assert _version(path) == 2, "a new connection opens the new file"


def test_one_build_at_a_time_and_writers_are_kept_out(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    first, second = DuckdbPublisher(path), DuckdbPublisher(path)
    with first.hold():
        first.prepare_shadow()  # from here on the published file is held
        with (
            pytest.raises(WarehouseBusyError, match="a build or rollback of"),
            second.hold(),
        ):
            pass
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(path))  # a loader cannot write while the build holds the file
        with duckdb.connect(str(path), read_only=True) as reader:  # BI can still read
            assert reader.execute("select v from marts.version").fetchall() == [(1,)]
    with second.hold():
        pass


def test_a_writer_holding_the_file_stops_the_build(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    with (
        hold_duckdb(path),
        pytest.raises(WarehouseBusyError, match="in use by another process"),
        publisher.hold(),
    ):
        publisher.prepare_shadow()


def test_rollback_names_the_loads_it_undoes(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1, loads=1)
    publisher = DuckdbPublisher(path)
    _build(publisher, 2, loads=2)
    outcome = publisher.rollback()
    assert len(outcome.notes) == 1
    assert "loads undone" in outcome.notes[0]
    assert "2 (file_2.csv)" in outcome.notes[0]


def test_generations_are_renumbered_in_order_after_gaps(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    layout = DuckdbLayout(path)
    _write(path, 9)
    _write(layout.slot("previous-3"), 3)
    _write(layout.slot("previous-7"), 2)
    _write(layout.shadow, 10)
    publish_file(layout, keep=3)
    assert [(number, _version(file)) for number, file in layout.previous()] == [
        (1, 9),
        (2, 3),
        (3, 2),
    ]
    rollback_file(layout)
    assert _version(path) == 9
    assert [(number, _version(file)) for number, file in layout.previous()] == [(1, 3), (2, 2)]
