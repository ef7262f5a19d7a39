"""DuckDB: build on a copy of the warehouse file, then replace the file in one ``os.replace``.

DuckDB cannot rename schemas, and one file is one database, so the unit that is swapped is the
file. Beside ``warehouse.duckdb`` the folder ``warehouse.generations/`` holds::

    shadow/warehouse.duckdb        the copy the build writes (kept after a failed build)
    previous-1/warehouse.duckdb    the generation published before the current one, ...
    rolled-back/warehouse.duckdb   what the last rollback replaced
    build.lock                     held (flock) by a build or rollback while it runs
    previous-0/, rolling-back/     for a moment during a publish or rollback (or after a
                                   kill there, until the next run repairs them: ``_repair``)

Every copy keeps the file name, because dbt-duckdb names the catalog after the file's stem and
writes it into view definitions: a file renamed to another stem would break its views.

A reader with an open connection keeps reading the file it opened (the old inode lives on, as
``previous-1`` or, once unlinked, until the reader closes it); a new connection opens the new
file. During the build this module holds the lock file and a read-only connection on the
published file, so no loader or other writer can change it while its copy is being built: a
load in between would otherwise be lost when the file is replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb

from retail_warehouse.engines.duckdb import check_duckdb_file, connect_error
from retail_warehouse.errors import ConfigError, RetailWarehouseError
from retail_warehouse.publish import (
    BUSY_HINT,
    Generation,
    PublishOutcome,
    QueryFunction,
    WarehouseBusyError,
)
from retail_warehouse.publish.keys import (
    DUCKDB_PRIMARY_KEYS,
    DUCKDB_TABLES,
    PRIMARY_KEY,
    Key,
    add_key_statement,
    declare,
    missing_keys,
)
from retail_warehouse.settings import Settings

SHADOW = "shadow"
ROLLED_BACK = "rolled-back"
ROLLING_BACK = "rolling-back"
PREVIOUS_PREFIX = "previous-"


@dataclass(frozen=True)
class DuckdbLayout:
    """Where the published file, its shadow and its previous generations are.

    The path is resolved once, here (symbolic links followed): the lock, the shadow, the
    generations and the ``os.replace`` of a publish or rollback all belong to the real file,
    so that two names of one warehouse (a link and its target) share one lock, and a publish
    through a link replaces the file it points to, not the link."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path).resolve())

    @property
    def folder(self) -> Path:
        """``<stem>.generations`` beside the published file."""
        return self.path.parent / f"{self.path.stem}.generations"

    @property
    def lock_path(self) -> Path:
        """The lock file a build (and a load) holds while it runs."""
        return self.folder / "build.lock"

    def slot(self, name: str) -> Path:
        """The file of one kept copy: ``<folder>/<name>/<file name>``."""
        return self.folder / name / self.path.name

    @property
    def shadow(self) -> Path:
        """The copy the build writes."""
        return self.slot(SHADOW)

    def previous(self) -> list[tuple[int, Path]]:
        """The previous generations on disk, newest (lowest number) first."""
        found: list[tuple[int, Path]] = []
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                number = entry.name.removeprefix(PREVIOUS_PREFIX)
                if entry.name.startswith(PREVIOUS_PREFIX) and number.isdigit():
                    file = entry / self.path.name
                    if file.is_file():
                        found.append((int(number), file))
        return sorted(found)


def wal_path(path: Path) -> Path:
    """DuckDB's write-ahead log beside a database file."""
    return path.with_name(path.name + ".wal")


def remove_database_file(path: Path) -> None:
    """Delete a database file and its write-ahead log, if there."""
    for file in (path, wal_path(path)):
        file.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _modified_at(path: Path) -> str:
    stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return stamp.isoformat(timespec="seconds")


@contextlib.contextmanager
def build_lock(layout: DuckdbLayout, *, shared: bool = False) -> Iterator[IO[str]]:
    """Hold the lock of a DuckDB warehouse: exclusive for a build or rollback, ``shared`` for
    a load (loads may run together; a build waits for none of them and is refused while one
    runs, and a load is refused while a build or rollback runs: a load during a build would
    be lost when the build publishes its copy). An ``flock`` on the lock file, released by
    the kernel when the process ends, however it ends. Nothing is created beside a file that
    is not a DuckDB warehouse (``ConfigError``)."""
    check_duckdb_file(layout.path)
    handle = _open_lock_file(layout)
    try:
        try:
            fcntl.flock(
                handle.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
            )
        except BlockingIOError:
            raise WarehouseBusyError(_busy_message(layout, handle, shared)) from None
        if not shared:  # the holder's line names the build; loads leave it as it is
            handle.seek(0)
            handle.truncate()
            handle.write(
                f"pid {os.getpid()} since {datetime.now(tz=UTC).isoformat(timespec='seconds')}"
            )
            handle.flush()
        yield handle
    finally:
        handle.close()


def _open_lock_file(layout: DuckdbLayout) -> IO[str]:
    """Open (create) the lock file; ``ConfigError`` in one line when its place is taken by
    something else (a file named like the generations folder, a folder named like the lock
    file) or cannot be written."""
    try:
        layout.folder.mkdir(parents=True, exist_ok=True)
        if not layout.folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder")
    except OSError as error:
        raise ConfigError(
            f"cannot use {layout.folder} for the generations and the build lock of "
            f"{layout.path}: {error.strerror or error} (move it away)"
        ) from None
    try:
        return layout.lock_path.open("a+", encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"cannot open the build lock {layout.lock_path}: {error.strerror or error} "
            "(it must be a regular file, or absent)"
        ) from None


def _busy_message(layout: DuckdbLayout, handle: IO[str], shared: bool) -> str:
    """Who holds the lock: loads (an exclusive request failed where a shared one succeeds),
    else a build or rollback, named by the line it wrote in the lock file."""
    if not shared:
        probe = layout.lock_path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(probe.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            return f"a load into {layout.path} is running; {BUSY_HINT}"
        except BlockingIOError:
            pass
        finally:
            probe.close()
    handle.seek(0)
    holder = handle.read().strip() or "another process"
    return f"a build or rollback of {layout.path} is running ({holder}); {BUSY_HINT}"


def _checkpoint(path: Path) -> None:
    """Fold a leftover write-ahead log into the file (needs the file to itself)."""
    try:
        connection = duckdb.connect(str(path))
    except duckdb.Error as error:
        raise connect_error(path, error) from error
    try:
        connection.execute("checkpoint")
    finally:
        connection.close()


@dataclass
class HeldFile:
    """The published file, held against writers while a build copies and replaces it:
    DuckDB's read-only connection (its POSIX read lock keeps any writing process out;
    readers may still open the file) and a descriptor the copy reads through.

    POSIX drops every lock a process holds on a file as soon as the process closes any
    descriptor of that file. A copy that opens and closes the file itself (``shutil``'s)
    therefore released the connection's lock: a load made during the build got the file
    and was lost when the build published its copy. The copy reads through ``descriptor``,
    which stays open until the build lets go."""

    connection: duckdb.DuckDBPyConnection
    descriptor: int

    def close(self) -> None:
        """Let go of the file (both handles; closing either releases the lock)."""
        self.connection.close()
        os.close(self.descriptor)


def open_published_file(path: Path) -> HeldFile | None:
    """Hold the published file read-only for a build so that no writer (a load, a notebook)
    can change it; ``None`` when the file does not exist yet."""
    check_duckdb_file(path)  # never replace a file that is not a DuckDB warehouse
    if not path.exists():
        return None
    if wal_path(path).exists():
        _checkpoint(path)
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise connect_error(path, error) from error
    return HeldFile(connection, os.open(path, os.O_RDONLY))


def _copy_descriptor(source: int, destination: Path) -> None:
    """Copy everything readable from ``source`` (an open descriptor, left open) to a new
    file at ``destination``, durably."""
    size = os.fstat(source).st_size
    with destination.open("wb") as out:
        offset = 0
        while offset < size:
            sent = os.sendfile(out.fileno(), source, offset, size - offset)
            if sent == 0:
                break
            offset += sent
        out.flush()
        os.fsync(out.fileno())


def copy_database(source: Path, destination: Path, source_descriptor: int | None = None) -> None:
    """Copy a database file (and a write-ahead log, if any) to a fresh file at
    ``destination``, replacing what was there: a process still writing the old file (an
    orphaned build) keeps its own inode and never touches the new one. A build passes the
    descriptor it holds the file with (``HeldFile``), so that the copy does not release its
    lock."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_database_file(destination)
    partial = destination.with_name(destination.name + ".partial")
    if source_descriptor is None:
        shutil.copyfile(source, partial)
    else:
        _copy_descriptor(source_descriptor, partial)
    os.replace(partial, destination)
    if wal_path(source).exists():
        shutil.copyfile(wal_path(source), wal_path(destination))


def _file_id(path: Path) -> tuple[int, int] | None:
    """The identity of the file at ``path`` (two names of one file, hard links, share it);
    ``None`` when there is none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _kept_previous(layout: DuckdbLayout) -> list[tuple[int, Path]]:
    """The previous generations, newest first: the ``previous-<n>`` files in number order,
    less any that is a second name of the published file or of a newer generation. Such a
    name is what a publish killed between its hard link and its replace leaves: that publish
    did not happen, so the name is no generation (the next publish or rollback removes it)."""
    seen = {_file_id(layout.path)}
    kept: list[tuple[int, Path]] = []
    for number, file in layout.previous():
        identity = _file_id(file)
        if identity is not None and identity not in seen:
            seen.add(identity)
            kept.append((number, file))
    return kept


def _rolled_back_file(layout: DuckdbLayout) -> Path | None:
    """What the last rollback replaced: ``rolling-back`` when a rollback was killed after its
    replace (it holds the file that was published), else ``rolled-back``; never a second name
    of the published file (a rollback killed before its replace)."""
    published = _file_id(layout.path)
    for name in (ROLLING_BACK, ROLLED_BACK):
        file = layout.slot(name)
        identity = _file_id(file)
        if identity is not None and identity != published:
            return file
    return None


def _drop_slot(file: Path) -> None:
    """Delete one kept copy: its write-ahead log first (a log left beside a file that is
    later linked or renamed there would be replayed into it), then the file, then its
    folder."""
    wal_path(file).unlink(missing_ok=True)
    file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        file.parent.rmdir()


def _renumber(layout: DuckdbLayout, generations: Sequence[tuple[int, Path]], first: int) -> None:
    """Rename the folders of the previous generations (``(number, file)``, newest first) to
    ``previous-<first>``, ``previous-<first + 1>``, ...: those that move down go first,
    lowest first, then those that move up, highest first. No rename then overwrites a
    generation or passes over another, so after a kill between two renames the numbers are
    still in the generations' order (with at most a gap, closed by the next run)."""
    moves = [(number, file, first + index) for index, (number, file) in enumerate(generations)]
    down = [move for move in moves if move[2] < move[0]]
    up = [move for move in reversed(moves) if move[2] > move[0]]
    for _, file, target in down + up:
        destination = layout.slot(f"{PREVIOUS_PREFIX}{target}")
        if destination.exists():  # cannot happen for an order-keeping renumbering
            raise RetailWarehouseError(f"cannot renumber the generations in {layout.folder}")
        if destination.parent.exists():
            _drop_slot(destination)  # an empty folder (or a log alone) left by a kill
        os.rename(file.parent, destination.parent)


def _repair(layout: DuckdbLayout) -> None:
    """Finish or undo what a killed publish or rollback left, so that every name in the
    folder is what it says (docs/publishing.md, "Killed builds"):

    - ``rolling-back`` that is the published file: the rollback did not happen, delete the
      name; otherwise it did, and the file becomes ``rolled-back``;
    - ``rolled-back`` or a ``previous-<n>`` that is the published file (or a newer previous
      one): a second name left by a kill before a replace, deleted; empty slot folders too;
    - the previous generations renumbered 1, 2, ... (a publish killed after its replace left
      the file it replaced as ``previous-0``).
    """
    published = _file_id(layout.path)
    rolling = layout.slot(ROLLING_BACK)
    rolling_id = _file_id(rolling)
    if rolling_id is not None and rolling_id == published:
        _drop_slot(rolling)
    _keep_rolled_back(layout)
    rolled_back = layout.slot(ROLLED_BACK)
    if rolled_back.exists() and _file_id(rolled_back) == published:
        _drop_slot(rolled_back)
    kept = _kept_previous(layout)
    kept_files = {file for _, file in kept}
    if layout.folder.is_dir():
        for entry in sorted(layout.folder.iterdir()):
            file = entry / layout.path.name
            numbered = entry.name.removeprefix(PREVIOUS_PREFIX).isdigit()
            if entry.name.startswith(PREVIOUS_PREFIX) and numbered and file not in kept_files:
                _drop_slot(file)
    _renumber(layout, kept, first=1)


def _keep_rolled_back(layout: DuckdbLayout) -> None:
    """After a rollback's replace: what it replaced (``rolling-back``) becomes
    ``rolled-back``, replacing the one of the rollback before."""
    rolling, rolled_back = layout.slot(ROLLING_BACK), layout.slot(ROLLED_BACK)
    if rolling.exists():
        rolled_back.parent.mkdir(parents=True, exist_ok=True)
        wal_path(rolled_back).unlink(missing_ok=True)
        os.replace(rolling, rolled_back)
    if rolling.parent.exists():
        _drop_slot(rolling)


def _swap_in(layout: DuckdbLayout, incoming: Path, second_name: Path | None) -> None:
    """Put ``incoming`` (the shadow, or a previous generation) where BI reads: first the
    published file, if there is one, gets ``second_name`` too (a hard link, no copy; ``None``
    keeps no second name), then one ``os.replace``, made durable by an fsync of the folder;
    ``incoming``'s emptied slot folder goes. The publish and the rollback are this same swap,
    so a kill leaves the same states, which ``_repair`` completes or undoes."""
    if second_name is not None and layout.path.exists():
        second_name.parent.mkdir(parents=True, exist_ok=True)
        os.link(layout.path, second_name)
    os.replace(incoming, layout.path)
    _fsync_folder(layout.path.parent)
    with contextlib.suppress(OSError):
        incoming.parent.rmdir()


def publish_file(layout: DuckdbLayout, keep: int) -> PublishOutcome:
    """Make the shadow the published file: the published file gets a second name,
    ``previous-0`` (a hard link, no copy), one ``os.replace`` puts the shadow in place, then
    the generations beyond ``keep`` are deleted and the rest renumbered (``previous-0``
    becomes ``previous-1``). A kill at any point leaves a state ``_repair`` completes or
    undoes: until the replace the second name is the published file itself, and nothing kept
    has been deleted yet."""
    started = time.perf_counter()
    shadow = layout.shadow
    if wal_path(shadow).exists():
        _checkpoint(shadow)
    _repair(layout)
    _swap_in(layout, shadow, layout.slot(f"{PREVIOUS_PREFIX}0") if keep > 0 else None)
    previous = layout.previous()
    for _, file in reversed(previous[keep:]):  # the oldest first
        _drop_slot(file)
    _renumber(layout, previous[:keep], first=1)
    return PublishOutcome(
        seconds=time.perf_counter() - started,
        published=Generation("published", str(layout.path), _modified_at(layout.path)),
        kept=tuple(_previous_generations(layout)),
    )


def was_built(path: Path) -> bool:
    """Whether the DuckDB file ``path`` is a generation a build published: it holds a schema
    besides ``main`` and the raw ones. The first publish keeps the file it replaces as
    ``previous-1`` too, and a file that was only loaded into holds raw tables only: that is
    no generation, and no rollback restores it (as on PostgreSQL, ``publish.postgres.
    is_generation``). A file that cannot be read counts as built (the rollback then says
    what is wrong with it)."""
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            rows = connection.execute(
                "select schema_name from information_schema.schemata "
                "where catalog_name = current_database()"
            ).fetchall()
    except duckdb.Error:
        return True
    return any(name != "main" and not str(name).endswith("raw") for (name,) in rows)


def _previous_generations(layout: DuckdbLayout) -> Iterator[Generation]:
    """The previous generations, named by rank: ``previous-1`` is what a rollback restores,
    whatever number its folder has after a killed run (a file no build published is none:
    ``was_built``)."""
    kept = [(number, file) for number, file in _kept_previous(layout) if was_built(file)]
    for rank, (_, file) in enumerate(kept, start=1):
        generation = _generation(f"{PREVIOUS_PREFIX}{rank}", file)
        if generation is not None:
            yield generation


def _generation(name: str, file: Path) -> Generation | None:
    """One generation on disk, ``None`` when its file is not there (any more: the listing
    takes no lock, and a build may rename it meanwhile)."""
    try:
        return Generation(name, str(file), _modified_at(file))
    except FileNotFoundError:
        return None


def _loads(path: Path) -> dict[int, str]:
    """Succeeded loads recorded in a file's load log: load id -> source file."""
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            rows = connection.execute(
                "select load_id, source_file from raw.load_log where status = 'succeeded'"
            ).fetchall()
    except duckdb.Error:
        return {}
    return {int(load_id): str(source_file) for load_id, source_file in rows}


def rollback_file(layout: DuckdbLayout) -> PublishOutcome:
    """Publish the newest previous generation again: the published file gets a second name,
    ``rolling-back``, one ``os.replace`` puts ``previous-1`` in place, then ``rolling-back``
    becomes ``rolled-back`` (replacing an older one) and the older generations move up. A kill
    at any point leaves a state ``_repair`` completes or undoes. The file holds the raw data
    too, so loads made after that generation was built are undone: the notes name them."""
    started = time.perf_counter()
    _repair(layout)
    previous = layout.previous()
    if not previous or not was_built(previous[0][1]):
        raise RetailWarehouseError(
            f"no previous generation of {layout.path} is kept in {layout.folder}: nothing to "
            "roll back to (none before the first build; RW_KEEP_GENERATIONS, default 1, sets "
            "how many a build keeps)"
        )
    _, restored = previous[0]
    notes: list[str] = []
    if layout.path.exists():
        undone = sorted(set(_loads(layout.path).items()) - set(_loads(restored).items()))
        if undone:
            names = ", ".join(f"{load_id} ({source})" for load_id, source in undone)
            notes.append(
                f"loads undone (they were loaded after this generation was built): {names}; "
                "load those files again to have them"
            )
    _swap_in(layout, restored, layout.slot(ROLLING_BACK))
    _keep_rolled_back(layout)
    _renumber(layout, layout.previous(), first=1)
    return PublishOutcome(
        seconds=time.perf_counter() - started,
        published=Generation("published", str(layout.path), _modified_at(layout.path)),
        kept=tuple(_previous_generations(layout)),
        notes=tuple(notes),
    )


def _query(
    connection: duckdb.DuckDBPyConnection, sql: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one query: (column names, rows)."""
    cursor = connection.execute(sql)
    columns = [column[0] for column in cursor.description or []]
    return columns, cursor.fetchall()


def declare_primary_keys(path: Path, keys: Sequence[Key]) -> list[Key]:
    """Add the declared primary keys the tables of the file at ``path`` lack (``alter table
    ... add primary key``: an index is built, nothing is copied); return them. Foreign keys are
    left out: DuckDB cannot add one to an existing table (docs/bi.md)."""
    if not any(key.kind == PRIMARY_KEY for key in keys):
        return []
    with duckdb.connect(str(path)) as connection:

        def execute(statement: str) -> list[tuple[Any, ...]]:
            return connection.execute(statement).fetchall()

        missing = missing_keys(
            keys, execute(DUCKDB_TABLES), execute(DUCKDB_PRIMARY_KEYS), kinds=(PRIMARY_KEY,)
        )
        for key in missing:
            declare(execute, key, add_key_statement(key), str(path))
    return missing


def drop_foreign_key_tables(path: Path) -> list[str]:
    """Drop the tables that carry a foreign key from the file at ``path`` (referencing tables
    first); return their names. Builds before keys were declared at publish created report
    marts and ``dim_customers`` with foreign keys, and DuckDB will not replace a table a
    foreign key references nor delete a referenced row: dbt builds the dropped tables again
    (an incremental one whole, once). Nothing to do for a file this package built since."""
    dropped: list[str] = []
    with duckdb.connect(str(path)) as connection:
        while True:
            references = connection.execute(
                "select schema_name, table_name, referenced_table from duckdb_constraints()"
                " where database_name = current_database() and constraint_type = 'FOREIGN KEY'"
            ).fetchall()
            if not references:
                return dropped
            referenced = {(schema, table) for schema, _, table in references}
            free = sorted({(schema, table) for schema, table, _ in references} - referenced)
            if not free:  # a cycle of foreign keys: not something dbt can create
                raise RetailWarehouseError(f"cannot drop the foreign keys of {path}: a cycle")
            for schema, table in free:
                connection.execute(f'drop table "{schema}"."{table}"')
                dropped.append(f"{schema}.{table}")


class DuckdbPublisher:
    """``Publisher`` for a DuckDB warehouse file."""

    def __init__(self, path: Path) -> None:
        self.layout = DuckdbLayout(path)
        self._published: HeldFile | None = None

    def _let_go(self) -> None:
        """Let go of the published file."""
        if self._published is not None:
            self._published.close()
            self._published = None

    def _hold_published(self) -> None:
        """Hold the published file read-only (once: closing a second connection to it would
        drop the build's lock on it, ``HeldFile``)."""
        if self._published is None:
            self._published = open_published_file(self.layout.path)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """The build lock (the published file is held from ``prepare_shadow`` on)."""
        with build_lock(self.layout):
            try:
                yield
            finally:
                self._let_go()

    def hold_for_load(self) -> contextlib.AbstractContextManager[object]:
        """The lock a load holds: shared with other loads, refused while a build or rollback
        runs (``WarehouseBusyError``)."""
        return build_lock(self.layout, shared=True)

    def prepare_shadow(self) -> dict[str, str]:
        """Hold the published file read-only, and copy it (with its raw data and incremental
        tables) to the shadow file; dbt builds that file. The copy loses the tables an older
        build gave foreign keys (``drop_foreign_key_tables``)."""
        self._hold_published()
        if self._published is not None:
            copy_database(self.layout.path, self.layout.shadow, self._published.descriptor)
            drop_foreign_key_tables(self.layout.shadow)
        else:
            self.layout.shadow.parent.mkdir(parents=True, exist_ok=True)
            remove_database_file(self.layout.shadow)
        return {"DUCKDB_PATH": str(self.layout.shadow)}

    def prepare_schemas(
        self, shadow_schemas: Sequence[str], carried: Sequence[tuple[str, str]]
    ) -> list[str]:
        """Nothing to do: the shadow file is a copy of every published table."""
        del shadow_schemas, carried
        return []

    def shadow_settings(self, settings: Settings) -> Settings:
        """The settings with the shadow file as the warehouse."""
        return dataclasses.replace(settings, duckdb_path=self.layout.shadow)

    def shadow_location(self, shadow_schemas: Sequence[str]) -> str:
        """The shadow file."""
        del shadow_schemas  # the whole file is the shadow
        return f"the DuckDB file {self.layout.shadow}"

    @contextlib.contextmanager
    def query_shadow(self) -> Iterator[QueryFunction]:
        """Read-only queries on the shadow file (each raises if the file cannot be opened,
        e.g. when dbt stopped before creating it)."""
        try:
            connection: duckdb.DuckDBPyConnection | None = duckdb.connect(
                str(self.layout.shadow), read_only=True
            )
            problem: duckdb.Error | None = None
        except duckdb.Error as error:
            connection, problem = None, error

        def query(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            if connection is None:
                raise RetailWarehouseError(f"cannot open {self.layout.shadow}: {problem}")
            return _query(connection, sql)

        try:
            yield query
        finally:
            if connection is not None:
                connection.close()

    @contextlib.contextmanager
    def query_published(self) -> Iterator[QueryFunction | None]:
        """Queries on the published file through the read-only connection the build holds
        from the first query or ``prepare_shadow`` on (a second connection, once closed, would
        drop the build's lock on the file: ``HeldFile``); ``None`` when there is no published
        file."""
        self._hold_published()
        held = self._published
        if held is None:
            yield None
            return
        yield lambda sql: _query(held.connection, sql)

    def discard_shadow_access(self, shadow_schemas: Sequence[str]) -> None:
        """Readers open the published file, not the shadow: only let go of the published
        file."""
        del shadow_schemas
        self._let_go()

    def discard_shadow(self, shadow_schemas: Sequence[str]) -> None:
        """Delete the shadow file (and its log and folder) and let go of the published file."""
        del shadow_schemas
        self._let_go()
        _drop_slot(self.layout.shadow)

    def publish(
        self, shadow_schemas: Sequence[str], keep: int, keys: Sequence[Key] = ()
    ) -> PublishOutcome:
        """Declare the primary keys of ``keys`` the shadow lacks, then replace the published
        file by the shadow."""
        del shadow_schemas  # the whole file is published
        try:
            started = time.perf_counter()
            declare_primary_keys(self.layout.shadow, keys)
            outcome = publish_file(self.layout, keep)
            return dataclasses.replace(outcome, seconds=time.perf_counter() - started)
        finally:
            self._let_go()

    def rollback(self) -> PublishOutcome:
        """Publish ``previous-1`` again, under the build lock, holding the published file
        against writers."""
        with self.hold():
            self._published = open_published_file(self.layout.path)
            return rollback_file(self.layout)

    def generations(self) -> Iterator[Generation]:
        """Published, previous (newest first), rolled back, shadow: those on disk, without
        the second names a killed publish or rollback leaves (see ``_repair``)."""
        check_duckdb_file(self.layout.path)  # a missing folder is a typo, not "none yet"
        published = _generation("published", self.layout.path)
        if published is not None:
            yield published
        yield from _previous_generations(self.layout)
        rolled_back = _rolled_back_file(self.layout)
        for name, file in ((ROLLED_BACK, rolled_back), (SHADOW, self.layout.shadow)):
            generation = None if file is None else _generation(name, file)
            if generation is not None:
                yield generation
