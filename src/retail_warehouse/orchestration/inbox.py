"""The inbox folder: which files are new extracts, and where they go once handled.

A new extract is a regular file directly in the inbox (not in ``processed/`` or
``rejected/``), not hidden and not a partial copy (``.part``, ``.tmp``, ``.crdownload``),
unchanged for the settle time. The names of the two folders are never extracts: a file
named ``processed`` or ``rejected`` is moved out of the way, into that folder with an
``.error.txt`` saying why, when the folder is first needed. An extract's key (name, size,
modification time) identifies it: the same bytes dropped again later are a new arrival,
which the loader then skips as already loaded.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")
"""Names a copy in progress usually has; such files are left until renamed."""

ERROR_SUFFIX = ".error.txt"

FOLDER_NAMES = ("processed", "rejected")
"""The inbox's own folders (``OrchestrationSettings.processed`` and ``.rejected``): never
taken for extracts."""


def extract_key(path: Path) -> str:
    """``<name>:<size>:<mtime_ns>``: one arrival of one file."""
    stat = path.stat()
    return f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"


def new_extracts(inbox: Path, settle_seconds: float = 0.0, now: float | None = None) -> list[Path]:
    """The extracts waiting in ``inbox``, oldest first (then by name); none if it is missing."""
    if not inbox.is_dir():
        return []
    now = time.time() if now is None else now
    found = []
    for path in inbox.iterdir():
        if path.name.startswith(".") or path.name.lower() in FOLDER_NAMES:
            continue
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                continue  # a folder, a FIFO, a device, a broken link: never an extract
        except OSError:
            continue
        if path.name.lower().endswith(PARTIAL_SUFFIXES):
            continue
        modified = path.stat().st_mtime
        if now - modified < settle_seconds:
            continue
        found.append((modified, path.name, path))
    return [path for _, _, path in sorted(found)]


def link_problem(path: Path) -> str | None:
    """Why an inbox file that is a symbolic link is not loaded (``None`` for a file): the
    inbox loads the files dropped into it, and a link made the orchestrator load whatever
    file it pointed to, anywhere it could read (another team's export, a secret kept as a
    CSV), as the loyalty feed refuses a link out of its folder."""
    if not path.is_symlink():
        return None
    return (
        f"not loaded: {path.name!r} is a symbolic link, not a file; the inbox loads only "
        "files dropped into it: copy the file itself into the inbox"
    )


def changed_since(path: Path, seen: str) -> str | None:
    """Why an inbox file is not the arrival ``seen`` (its key when the sensor took it, or
    before the load) any more, or ``None``: a copy that paused longer than the settle time
    was taken half-written, its first lines loaded, the file moved to processed/ while the
    copy went on writing into it, and the rest never loaded."""
    try:
        now = extract_key(path)
    except OSError:
        return f"{path.name} left the inbox before its run: nothing loaded"
    if not seen or now == seen:
        return None
    return (
        f"{path.name} changed since the sensor took it (still being copied?): it stays in the "
        "inbox, and the sensor starts a run for it once it is unchanged for "
        "RW_INBOX_SETTLE_SECONDS"
    )


def unseen(paths: Iterable[Path], cursor: str | None) -> tuple[list[Path], str]:
    """The paths whose key is not in ``cursor``, and the next cursor: the keys of every path
    given (a file that left the inbox is forgotten, so the cursor stays small)."""
    seen = set(json.loads(cursor)) if cursor else set()
    keys = {path: extract_key(path) for path in paths}
    fresh = [path for path, key in keys.items() if key not in seen]
    return fresh, json.dumps(sorted(keys.values()))


NAME_MAX = 255
"""The longest file name (bytes) of Linux file systems, when the folder does not say."""


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX


def _fitted_name(stem: str, tail: str, suffixes: str, limit: int) -> str:
    """``<stem><tail><suffixes>``, the stem (then the front of the suffixes) shortened until
    the name with ``.error.txt`` after it fits in ``limit`` bytes."""

    def size(name: str) -> int:
        return len(os.fsencode(name + ERROR_SUFFIX))

    while stem and size(stem + tail + suffixes) > limit:
        stem = stem[:-1]
    while suffixes and size(stem + tail + suffixes) > limit:
        suffixes = suffixes[1:]
    return stem + tail + suffixes


def _free_name(folder: Path, name: str, folder_fd: int | None = None) -> Path:
    """``folder/name``, or ``folder/<stem>.<n><suffixes>`` if that exists already; the stem
    shortened when the name, or its ``.error.txt``, would be longer than the file system
    takes (an inbox file of 246 to 255 bytes was loaded, then its move raised "File name
    too long": the run failed after the load, the file stayed in the inbox). With
    ``folder_fd``, names are looked up in that open folder."""
    limit = _name_max(folder)
    stem, dot, suffixes = name.partition(".")
    number = 0
    while True:
        candidate = folder / _fitted_name(
            stem, f".{number}" if number else "", dot + suffixes, limit
        )
        taken = (candidate.name, candidate.name + ERROR_SUFFIX)
        if not any(_exists(folder, each, folder_fd) for each in taken):
            return candidate
        number += 1


def _exists(folder: Path, name: str, folder_fd: int | None) -> bool:
    if folder_fd is None:
        return (folder / name).exists()
    try:
        os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _open_folder(folder: Path) -> int:
    """A descriptor of ``folder`` itself, never of what a link of that name points to: a
    sender who may rename entries of the inbox could swap the real folder for a link
    between ``_make_folder`` and a move (OSError then, nothing moved)."""
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)


def _move_into(path: Path, folder: Path, note: str | None = None) -> Path:
    """Move ``path`` into ``folder`` (made if needed) under a free name, through a
    descriptor of the folder, and write ``note`` beside it as ``<name>.error.txt``."""
    _make_folder(folder)
    folder_fd = _open_folder(folder)
    try:
        destination = _free_name(folder, path.name, folder_fd)
        os.rename(path, destination.name, dst_dir_fd=folder_fd)
        if note is not None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            descriptor = os.open(destination.name + ERROR_SUFFIX, flags, 0o644, dir_fd=folder_fd)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(note.rstrip() + "\n")
    finally:
        os.close(folder_fd)
    return destination


def _make_folder(folder: Path) -> None:
    """Create ``folder``; a file that has its name (an extract dropped as ``processed``) is
    moved into it, with an ``.error.txt`` saying why it was not loaded. So is a symbolic
    link of that name, even to a folder: whoever may write the inbox made ``rejected`` a
    link to any folder (``/etc/cron.d``, the project's macros, a venv's site-packages),
    and the next rejected extract, its name and bytes theirs, was moved there."""
    if folder.is_dir() and not folder.is_symlink():
        return
    if folder.exists() or folder.is_symlink():
        aside = folder.with_name(f".{folder.name}.{os.getpid()}.moving")  # hidden: no extract
        os.replace(folder, aside)
        folder.mkdir()
        moved = _free_name(folder, folder.name)
        os.replace(aside, moved)
        moved.with_name(moved.name + ERROR_SUFFIX).write_text(
            f"not loaded: a file named {folder.name!r} takes the name of the inbox's folder "
            f"{folder.name}/; it was moved into it. Rename it to load it.\n",
            encoding="utf-8",
        )
        return
    folder.mkdir(parents=True, exist_ok=True)


def move_to_processed(path: Path, processed: Path) -> Path:
    """Move a loaded extract to ``processed`` (never overwriting); returns its new path."""
    return _move_into(path, processed)


def reject(path: Path, rejected: Path, message: str) -> Path:
    """Move an extract that failed to ``rejected`` and write the error beside it as
    ``<file>.error.txt``; returns the file's new path."""
    return _move_into(path, rejected, message)


def loaded_note(moved: Path) -> str:
    """What ``processed/`` means, for the log and metadata of the load that moved a file
    there: the rows are in raw; publishing them is the build's job (docs/orchestration.md)."""
    return (
        f"{moved.name} is loaded into raw and moved to {moved}; this run's build publishes "
        "its rows, or, if that build fails, the next build that succeeds does"
    )


def unpublished_note(name: str) -> str:
    """Added to the failure of an inbox run's build: the file stays in ``processed/``
    (loading it again would be a no-op), and how its rows get published."""
    return (
        f"{name} stays in processed/: its rows are loaded into raw but not published yet; "
        "fix the cause, then build again (materialize all assets, run full_build or "
        "`retail-warehouse build`; the next inbox file's run builds too)"
    )
