"""Publishing a DuckDB warehouse file: generations, rollback, locks and open readers, on small
files (no dbt; the whole build is in test_published_build.py)."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warehouse_helpers import hold_duckdb, refused_rollback

from retail_warehouse.errors import ConfigError, RetailWarehouseError
from retail_warehouse.publish import WarehouseBusyError
from retail_warehouse.publish import duckdb as duckdb_publish
from retail_warehouse.publish.duckdb import (
    DuckdbLayout,
    DuckdbPublisher,
    publish_file,
    rollback_file,
)
from retail_warehouse.publish.keys import FOREIGN_KEY, PRIMARY_KEY, Key


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


def _constraints(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select table_name, constraint_type, constraint_column_names from duckdb_constraints()"
            " where constraint_type in ('PRIMARY KEY', 'FOREIGN KEY') order by 1, 2"
        ).fetchall()


def test_publish_declares_the_primary_keys_the_shadow_lacks(tmp_path: Path) -> None:
    """alter table ... add primary key on the shadow before it is published (no copy); no
    foreign key (DuckDB cannot add one to an existing table); a second publish adds nothing."""
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    keys = [
        Key("marts", "version", PRIMARY_KEY, ("v",)),
        Key("marts", "other", FOREIGN_KEY, ("v",), ("marts", "version"), ("v",)),
        Key("marts", "absent", PRIMARY_KEY, ("v",)),
    ]
    with publisher.hold():
        shadow = Path(publisher.prepare_shadow()["DUCKDB_PATH"])
        _write(shadow, 2)
        with duckdb.connect(str(shadow)) as connection:
            connection.execute("create table marts.other as select 2 as v")
        outcome = publisher.publish([], 1, keys)
    assert _version(path) == 2
    assert _constraints(path) == [("version", "PRIMARY KEY", ["v"])]
    assert outcome.seconds > 0
    with publisher.hold():
        publisher.prepare_shadow()
        publisher.publish([], 1, keys)
    assert _constraints(path) == [("version", "PRIMARY KEY", ["v"])]


def test_the_shadow_drops_the_tables_an_older_build_gave_foreign_keys(tmp_path: Path) -> None:
    """Builds before keys moved to the publish step created marts with foreign keys: dbt could
    not replace the tables they reference, so the shadow goes without them (dbt builds them)."""
    path = tmp_path / "warehouse.duckdb"
    _write(path, 1)
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table marts.dim_countries (code varchar primary key);"
            " create table marts.dim_customers (id integer primary key,"
            "  code varchar references marts.dim_countries (code));"
            " create table marts.mart_rfm (id integer references marts.dim_customers (id))"
        )
    publisher = DuckdbPublisher(path)
    with publisher.hold():
        shadow = Path(publisher.prepare_shadow()["DUCKDB_PATH"])
        with duckdb.connect(str(shadow)) as connection:
            assert connection.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall() == [("dim_countries",), ("version",)]
            connection.execute("create or replace table marts.dim_countries as select 'GB' as code")
        publisher.publish([], 1)
    assert _constraints(path) == []
    assert _version(path) == 1


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


def test_a_link_to_the_warehouse_shares_its_lock_and_publishes_the_real_file(
    tmp_path: Path,
) -> None:
    """Hostile round 27, item 7: the lock was keyed on the unresolved path, so a build through
    ``sym/link.duckdb`` did not see a rollback of ``real/wh.duckdb``, and its publish replaced
    the link itself."""
    real = tmp_path / "real" / "wh.duckdb"
    _write(real, 1)
    link = tmp_path / "sym" / "link.duckdb"
    link.parent.mkdir()
    link.symlink_to(real)
    through_link, direct = DuckdbPublisher(link), DuckdbPublisher(real)
    with direct.hold(), pytest.raises(WarehouseBusyError), through_link.hold_for_load():
        pass
    assert not (tmp_path / "sym" / "link.generations").exists()
    _build(through_link, 2)
    assert link.is_symlink(), "the publish replaced the real file, not the link"
    assert _version(real) == 2
    assert [(number, _version(file)) for number, file in direct.layout.previous()] == [(1, 1)]


@pytest.mark.parametrize("blocked", ["generations folder is a file", "lock file is a folder"])
def test_a_blocked_lock_path_is_one_line(tmp_path: Path, blocked: str) -> None:
    """Hostile round 27, item 15: a file where the generations folder goes, or a folder where
    the lock file goes, raised FileExistsError / IsADirectoryError (a traceback, exit 1)."""
    path = tmp_path / "w.duckdb"
    _write(path, 1)
    publisher = DuckdbPublisher(path)
    if blocked == "generations folder is a file":
        publisher.layout.folder.write_text("not a folder")
    else:
        publisher.layout.lock_path.mkdir(parents=True)
    for hold in (publisher.hold, publisher.hold_for_load):
        with pytest.raises(ConfigError) as caught, hold():
            pass
        message = str(caught.value)
        assert "\n" not in message
        assert str(publisher.layout.folder) in message


def test_a_build_never_replaces_a_file_that_is_not_a_duckdb_warehouse(tmp_path: Path) -> None:
    """Hostile round 27, item 6: DUCKDB_PATH naming a CSV file: the build copied it as its
    shadow and would have replaced it; now the lock refuses it before anything is created."""
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    publisher = DuckdbPublisher(path)
    for hold in (publisher.hold, publisher.hold_for_load):
        with pytest.raises(ConfigError, match="is not a DuckDB database file"), hold():
            pass
    with pytest.raises(ConfigError, match="is not a DuckDB database file"):
        publisher.rollback()
    assert path.read_text() == "a,b\n1,2\n"
    assert not publisher.layout.folder.exists()


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


# Kills between filesystem calls: publish and rollback are crash-consistent at every step.


class _Killed(BaseException):
    """The process died here (a BaseException, so no ``suppress(OSError)`` or ``except
    Exception`` in the code under test can swallow it)."""


FILESYSTEM_CALLS = ("link", "replace", "rename", "unlink", "remove", "rmdir", "mkdir")
"""The calls that change a folder (``Path.unlink``, ``rmdir`` and ``mkdir`` go through them)."""


def _run_killed_at(
    monkeypatch: pytest.MonkeyPatch, call: int, operation: Callable[[], object]
) -> bool:
    """Run ``operation`` with the process "killed" just before its ``call``-th filesystem
    call (1 is before the first); True when it died, False when it ran to the end first."""
    made = 0

    def dying(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call_or_die(*args: Any, **kwargs: Any) -> Any:
            nonlocal made
            made += 1
            if made == call:
                raise _Killed(name)
            return real(*args, **kwargs)

        return call_or_die

    with monkeypatch.context() as patch:
        for name in FILESYSTEM_CALLS:
            patch.setattr(os, name, dying(name, getattr(os, name)))
        try:
            operation()
        except _Killed:
            return True
    return False


@dataclass(frozen=True)
class _Listed:
    """What ``generations`` says, as versions: published, previous (newest first), rolled back,
    shadow."""

    published: int | None
    previous: tuple[int, ...]
    rolled_back: int | None
    shadow: int | None


def _listed(path: Path) -> _Listed:
    """``generations`` of the warehouse, checked: the published file opens and is whole, and
    no two generations listed are one file (a hard link of another)."""
    generations = list(DuckdbPublisher(path).generations())
    inodes = [Path(generation.location).stat().st_ino for generation in generations]
    assert len(set(inodes)) == len(inodes), f"two generations are one file: {generations}"
    names = [generation.name for generation in generations]
    previous = [name for name in names if name.startswith("previous-")]
    assert previous == [f"previous-{number}" for number in range(1, len(previous) + 1)]
    versions = {generation.name: _made(Path(generation.location)) for generation in generations}
    return _Listed(
        published=versions.get("published"),
        previous=tuple(versions[name] for name in previous),
        rolled_back=versions.get("rolled-back"),
        shadow=versions.get("shadow"),
    )


VERSIONS = (2, 3, 4, 5, 6, 9)
"""The versions of the warehouse files the kill tests place: each has as many loads."""


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """No load notes in rollbacks (two DuckDB connections each, most of a kill test's time;
    ``test_rollback_names_the_loads_it_undoes`` checks them)."""
    monkeypatch.setattr(duckdb_publish, "_loads", lambda path: {})


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """One file of each version, written once: the kill tests copy them (DuckDB would take
    longer to write them for each of the hundred states)."""
    folder = tmp_path_factory.mktemp("versions")
    files = {version: folder / f"{version}" / "warehouse.duckdb" for version in VERSIONS}
    for version, file in files.items():
        _write(file, version, loads=version)
    _MADE.update({file.read_bytes(): version for version, file in files.items()})
    return files


_MADE: dict[bytes, int] = {}
"""The bytes of each file ``made`` -> its version (filled by the fixture)."""


def _made(path: Path) -> int:
    """Which of the files ``made`` this one is, byte for byte (so it is whole)."""
    return _MADE[path.read_bytes()]


def _place(made: dict[int, Path], version: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made[version], path)


def _warehouse(made: dict[int, Path], folder: Path, previous: Sequence[int]) -> DuckdbLayout:
    """Published version 4, the given previous versions, a rolled-back 9 and a shadow 5."""
    layout = DuckdbLayout(folder / "warehouse.duckdb")
    _place(made, 4, layout.path)
    for number, version in enumerate(previous, start=1):
        _place(made, version, layout.slot(f"previous-{number}"))
    _place(made, 9, layout.slot("rolled-back"))
    _place(made, 5, layout.shadow)
    return layout


def _rolled_back(state: _Listed) -> _Listed:
    """What a rollback from ``state`` gives: its previous-1 published, what was published
    rolled back, the others moved up."""
    return _Listed(state.previous[0], state.previous[1:], state.published, state.shadow)


def _check_rollback_from(path: Path, before: _Listed) -> None:
    """A rollback from the state ``before`` restores its previous-1, or refuses and changes
    nothing when none is kept."""
    if not before.previous:
        with pytest.raises(RetailWarehouseError, match="no previous generation"):
            rollback_file(DuckdbLayout(path))
        assert _listed(path) == before
        return
    rollback_file(DuckdbLayout(path))
    assert _listed(path) == _rolled_back(before)


def _check_publish_from(path: Path, before: _Listed, made: dict[int, Path], keep: int) -> None:
    """A publish of a new shadow (version 6) from the state ``before`` keeps what was
    published and the previous generations, newest first, up to ``keep``."""
    _place(made, 6, DuckdbLayout(path).shadow)
    publish_file(DuckdbLayout(path), keep)
    kept = (before.published, *before.previous)[:keep]
    assert _listed(path) == _Listed(6, kept, before.rolled_back, None)


def _killed(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    setup: Callable[[Path], DuckdbLayout],
    operation: Callable[[DuckdbLayout], object],
) -> Iterator[tuple[int, _Listed, _Listed, Path]]:
    """For call = 1, 2, ... until ``operation`` runs to its end: a warehouse made by ``setup``
    in a folder of its own, its generations before, ``operation`` killed before that
    filesystem call, its generations after, and the folder. The last is the run that ended."""
    call = 0
    while True:
        call += 1
        layout = setup(tmp_path / f"k{call}")
        before = _listed(layout.path)
        died = _run_killed_at(monkeypatch, call, functools.partial(operation, layout))
        yield call, before, _listed(layout.path), layout.path
        if not died:
            return


@pytest.mark.parametrize("keep", [1, 2, 3])
@pytest.mark.usefixtures("quick")
def test_a_publish_killed_between_any_two_filesystem_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: dict[int, Path], keep: int
) -> None:
    """Published 4, previous [3, 2], shadow 5: after a kill anywhere in the publish, 4 is still
    published with everything as it was, or 5 is with [4, 3, 2] (cut to ``keep`` once it
    ends), and the next rollback or publish does what ``generations`` says it will."""

    def setup(folder: Path) -> DuckdbLayout:
        return _warehouse(made, folder, previous=(3, 2))

    def publish(layout: DuckdbLayout) -> None:
        publish_file(layout, keep)

    for call, before, state, path in _killed(monkeypatch, tmp_path, setup, publish):
        context = f"killed before filesystem call {call}: {state}"
        if state.published == before.published:
            assert state == before, context
        else:
            newer = (before.published, *before.previous)
            assert state.published == before.shadow, context
            assert keep <= len(state.previous), context
            assert state.previous == newer[: len(state.previous)], context
            assert (state.rolled_back, state.shadow) == (before.rolled_back, None), context
        _check_rollback_from(path, state)
        again = setup(tmp_path / f"again{call}")
        _run_killed_at(monkeypatch, call, functools.partial(publish, again))
        assert _listed(again.path) == state
        _check_publish_from(again.path, state, made, keep)
    assert call > 4, "the publish made fewer filesystem calls than expected"
    assert state == _Listed(5, (4, 3, 2)[:keep], 9, None)


@pytest.mark.parametrize("previous", [(3, 2), (3,)])
@pytest.mark.usefixtures("quick")
def test_a_rollback_killed_between_any_two_filesystem_calls(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    made: dict[int, Path],
    previous: tuple[int, ...],
) -> None:
    """Published 4, rolled back 9: after a kill anywhere in a rollback, 4 is still published
    with everything as it was (the earlier rolled-back 9 too), or 3 is with 4 rolled back; the
    next rollback restores the generation before that, or refuses."""

    def setup(folder: Path) -> DuckdbLayout:
        return _warehouse(made, folder, previous=previous)

    for call, before, state, path in _killed(monkeypatch, tmp_path, setup, rollback_file):
        context = f"killed before filesystem call {call}: {state}"
        assert state in (before, _rolled_back(before)), context
        _check_rollback_from(path, state)
    assert call > 2, "the rollback made fewer filesystem calls than expected"
    assert state == _Listed(3, previous[1:], 4, 5)


@pytest.mark.parametrize("first", ["publish", "rollback"])
@pytest.mark.usefixtures("quick")
def test_the_repair_of_a_killed_run_can_be_killed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: dict[int, Path], first: str
) -> None:
    """A publish or rollback killed at each call, then the rollback that repairs what it left
    killed at each call: the generations are still those listed after the first kill, or
    those of a whole rollback from there."""

    def operation(layout: DuckdbLayout) -> None:
        if first == "publish":
            publish_file(layout, 2)
        else:
            rollback_file(layout)

    for call, _, crashed, _ in _killed(
        monkeypatch, tmp_path, lambda folder: _warehouse(made, folder, (3, 2)), operation
    ):

        def setup(folder: Path, call: int = call) -> DuckdbLayout:
            layout = _warehouse(made, folder, (3, 2))
            _run_killed_at(monkeypatch, call, functools.partial(operation, layout))
            return layout

        for second, _, state, path in _killed(
            monkeypatch, tmp_path / f"first{call}", setup, rollback_file
        ):
            context = f"killed before calls {call} then {second}: {crashed} -> {state}"
            assert state in (crashed, _rolled_back(crashed)), context
            _check_rollback_from(path, state)


def test_a_publish_or_rollback_killed_by_sigkill(tmp_path: Path, made: dict[int, Path]) -> None:
    """The same with a real SIGKILL, in a child process, right after the hard link and right
    after the replace of a publish and of a rollback."""
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from retail_warehouse.publish.duckdb import DuckdbLayout, publish_file, rollback_file\n"
        "operation, name, path = sys.argv[1:]\n"
        "real = getattr(os, name)\n"
        "def then_die(*args, **kwargs):\n"
        "    real(*args, **kwargs)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "setattr(os, name, then_die)\n"
        "layout = DuckdbLayout(Path(path))\n"
        "publish_file(layout, 2) if operation == 'publish' else rollback_file(layout)\n"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": str(Path(publish_file.__code__.co_filename).parents[2]),
    }
    for operation in ("publish", "rollback"):
        for name in ("link", "replace"):
            layout = _warehouse(made, tmp_path / f"{operation}-{name}", previous=(3, 2))
            before = _listed(layout.path)
            child = subprocess.run(
                [sys.executable, "-c", script, operation, name, str(layout.path)],
                env=environment,
                check=False,
            )
            assert child.returncode == -signal.SIGKILL
            state = _listed(layout.path)
            if operation == "rollback":
                done = _rolled_back(before)
            else:
                done = _Listed(5, (4, 3, 2), 9, None)  # killed before it drops generations
            assert state == (before if name == "link" else done), (operation, name)
            _check_rollback_from(layout.path, state)


def test_a_rollback_never_reports_restoring_the_published_file_itself(
    tmp_path: Path, made: dict[int, Path]
) -> None:
    """The state today's publish left when killed between its hard link and its replace:
    ``previous-1`` is a second name of the published file. A rollback must not say "rolled
    back" and change nothing: it restores the generation before (or refuses when there is
    none), and keeps the earlier rolled-back generation until it has really rolled back."""
    layout = _warehouse(made, tmp_path / "two", previous=(3,))
    os.rename(layout.slot("previous-1").parent, layout.slot("previous-2").parent)
    layout.slot("previous-1").parent.mkdir()
    os.link(layout.path, layout.slot("previous-1"))
    assert _listed(layout.path) == _Listed(4, (3,), 9, 5), "generations lists the link"
    rollback_file(layout)
    assert _listed(layout.path) == _Listed(3, (), 4, 5)

    layout = _warehouse(made, tmp_path / "one", previous=())
    layout.slot("previous-1").parent.mkdir()
    os.link(layout.path, layout.slot("previous-1"))
    with pytest.raises(RetailWarehouseError, match="no previous generation"):
        rollback_file(layout)
    assert _listed(layout.path) == _Listed(4, (), 9, 5)


def test_a_rollback_after_the_first_build_refuses(tmp_path: Path) -> None:
    """Issue 27: the first build kept the file it replaced, which only a load had written
    (raw tables only), as ``previous-1``, and ``retail-warehouse rollback`` then "rolled back"
    to it: exit 0 and BI read a warehouse without marts. No build published that file, so
    there is no earlier generation: the rollback refuses, exit 2 and one line, as on
    PostgreSQL (test_publish_postgres.py), and changes nothing."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:  # what `retail-warehouse load` leaves
        connection.execute("create schema raw")
        connection.execute("create table raw.load_log as select 1 as load_id")
    publisher = DuckdbPublisher(path)
    _build(publisher, 1)
    assert [generation.name for generation in publisher.generations()] == ["published"]
    before = path.read_bytes()
    line = refused_rollback("duckdb", {**os.environ, "DUCKDB_PATH": str(path)})
    assert line.startswith(f"error: no previous generation of {path} is kept"), line
    assert path.read_bytes() == before
    assert _version(path) == 1
