"""The inbox folder and the orchestrator's settings (plain Python, no Dagster needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retail_warehouse.errors import ConfigError
from retail_warehouse.orchestration.inbox import (
    extract_key,
    loaded_note,
    move_to_processed,
    new_extracts,
    reject,
    unpublished_note,
    unseen,
)
from retail_warehouse.orchestration.settings import orchestration_from_env


def _file(path: Path, text: str = "x", mtime: float = 1_000_000.0) -> Path:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_new_extracts_oldest_first_without_partial_hidden_or_settling_files(
    tmp_path: Path,
) -> None:
    _file(tmp_path / "b.csv", mtime=2000.0)
    _file(tmp_path / "a.csv.gz", mtime=1000.0)
    _file(tmp_path / "c.csv", mtime=2000.0)
    _file(tmp_path / ".hidden.csv")
    _file(tmp_path / "copying.csv.part")
    _file(tmp_path / "fresh.csv", mtime=2995.0)
    (tmp_path / "processed").mkdir()
    _file(tmp_path / "processed" / "old.csv")
    found = new_extracts(tmp_path, settle_seconds=10, now=3000.0)
    assert [path.name for path in found] == ["a.csv.gz", "b.csv", "c.csv"]
    assert new_extracts(tmp_path / "missing") == []


def test_each_arrival_is_unseen_once(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.csv")
    fresh, cursor = unseen([first], None)
    assert fresh == [first]
    assert unseen([first], cursor)[0] == []
    second = _file(tmp_path / "b.csv")
    fresh, cursor = unseen([first, second], cursor)
    assert fresh == [second]
    # the same name arriving again (new contents or time) is a new arrival
    _file(first, "y", mtime=5000.0)
    assert unseen([first, second], cursor)[0] == [first]
    # a file that left the inbox is forgotten
    assert extract_key(second) not in unseen([first], cursor)[1]


def test_processed_and_rejected_never_overwrite(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    moved = move_to_processed(_file(inbox / "m.csv.gz"), inbox / "processed")
    again = move_to_processed(_file(inbox / "m.csv.gz"), inbox / "processed")
    assert (moved.name, again.name) == ("m.csv.gz", "m.1.csv.gz")
    rejected = reject(_file(inbox / "bad.csv"), inbox / "rejected", "bad.csv: line 2: no")
    assert rejected == inbox / "rejected" / "bad.csv"
    assert (inbox / "rejected" / "bad.csv.error.txt").read_text() == "bad.csv: line 2: no\n"
    assert reject(_file(inbox / "bad.csv"), inbox / "rejected", "again").name == "bad.1.csv"
    assert sorted(path.name for path in inbox.iterdir()) == ["processed", "rejected"]


def test_processed_means_loaded_and_a_failed_build_says_how_it_gets_published(
    tmp_path: Path,
) -> None:
    """processed/ holds files whose rows are in raw (loading one again is a no-op), whether
    or not a build has published them yet: the load's log and the failed build say so, and
    how to publish them (docs/orchestration.md, "The inbox")."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    moved = move_to_processed(_file(inbox / "m.csv"), inbox / "processed")
    note = loaded_note(moved)
    assert "m.csv is loaded into raw" in note
    assert str(moved) in note
    assert "if that build fails, the next build that succeeds" in note
    failed = unpublished_note("m.csv")
    assert failed.startswith("m.csv stays in processed/: its rows are loaded into raw")
    assert "not published yet" in failed
    assert "retail-warehouse build" in failed
    assert "\n" not in note + failed


def test_files_named_like_the_folders_are_not_extracts_and_do_not_block_them(
    tmp_path: Path,
) -> None:
    """Issue 27: an inbox file named ``processed`` was an extract, and moving any extract
    then raised FileExistsError. The folder names are never extracts, nor is anything but
    a regular file; such a file is moved into its folder with a note when it is needed."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _file(inbox / "processed", "stray")
    _file(inbox / "rejected", "stray")
    _file(inbox / "a.csv")
    os.mkfifo(inbox / "pipe.csv")
    assert [path.name for path in new_extracts(inbox, now=2_000_000.0)] == ["a.csv"]
    assert move_to_processed(inbox / "a.csv", inbox / "processed") == inbox / "processed" / "a.csv"
    assert (inbox / "processed" / "processed").read_text(encoding="utf-8") == "stray"
    note = (inbox / "processed" / "processed.error.txt").read_text(encoding="utf-8")
    assert note.startswith("not loaded: a file named 'processed'")
    _file(inbox / "b.csv")
    assert reject(inbox / "b.csv", inbox / "rejected", "no") == inbox / "rejected" / "b.csv"
    assert (inbox / "rejected" / "rejected").read_text(encoding="utf-8") == "stray"
    assert sorted(path.name for path in inbox.iterdir()) == ["pipe.csv", "processed", "rejected"]


def test_settings_defaults_and_values(tmp_path: Path) -> None:
    settings = orchestration_from_env({"RW_DBT_PROJECT_DIR": str(tmp_path)})
    assert settings.inbox == tmp_path / "inbox"
    assert settings.processed == tmp_path / "inbox" / "processed"
    assert settings.rejected == tmp_path / "inbox" / "rejected"
    assert (settings.quarantine, settings.full_build_enabled) == (False, False)
    assert settings.full_build_cron == "0 3 * * *"
    assert (settings.interval_seconds, settings.settle_seconds, settings.target) == (
        30,
        10.0,
        "duckdb",
    )
    custom = orchestration_from_env(
        {
            "RW_DBT_PROJECT_DIR": str(tmp_path),
            "RW_INBOX": "drop",
            "RW_INBOX_QUARANTINE": "true",
            "RW_FULL_BUILD_CRON": "15 2 * * *",
            "RW_INBOX_INTERVAL_SECONDS": "5",
            "DBT_TARGET": "postgres",
        }
    )
    assert custom.inbox == tmp_path / "drop"
    assert custom.quarantine and custom.full_build_enabled
    assert (custom.full_build_cron, custom.interval_seconds, custom.target) == (
        "15 2 * * *",
        5,
        "postgres",
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RW_INBOX_QUARANTINE", "maybe", "must be true or false"),
        ("RW_INBOX_SETTLE_SECONDS", "soon", "must be a number"),
        ("RW_INBOX_INTERVAL_SECONDS", "-1", "must not be negative"),
        ("RW_FULL_BUILD_CRON", "daily", "five-field cron"),
        # hostile5: five fields but no cron; Dagster refused it naming the schedule only
        ("RW_TRAINING_CRON", "99 99 * * *", "RW_TRAINING_CRON must be a five-field cron"),
        ("RW_FULL_BUILD_CRON", "0 4 * * funday", "RW_FULL_BUILD_CRON must be a five-field cron"),
        ("DBT_TARGET", "spark", "DBT_TARGET must be one of"),
    ],
)
def test_bad_settings_say_which(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        orchestration_from_env({name: value})


@pytest.mark.parametrize("stem", ["a" * 251, "é" * 125, "x." + "b" * 249])
def test_a_long_name_is_moved_and_rejected_with_its_note(tmp_path: Path, stem: str) -> None:
    """hostile7: a file named with 246 to 255 bytes (the most a name may have) was loaded,
    then moving it raised "File name too long" (its `.error.txt`, or its `.1` when the name
    was taken): the run failed after the load and the file stayed in the inbox; a rejected
    one lost its reason. The name is shortened to fit, the suffix kept."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = stem + ".csv" if len(os.fsencode(stem + ".csv")) <= 255 else stem
    moved = [
        move_to_processed(_file(inbox / name), inbox / "processed"),
        move_to_processed(_file(inbox / name), inbox / "processed"),
        reject(_file(inbox / name), inbox / "rejected", "bad: line 2"),
        reject(_file(inbox / name), inbox / "rejected", "bad: line 3"),
    ]
    assert len({path.name for path in moved[:2]}) == 2 and len({p.name for p in moved[2:]}) == 2
    for path in moved:
        assert path.is_file() and len(os.fsencode(path.name + ".error.txt")) <= 255
        assert path.name.endswith(name[-4:])
    assert (moved[3].parent / (moved[3].name + ".error.txt")).read_text() == "bad: line 3\n"
    assert sorted(path.name for path in inbox.iterdir()) == ["processed", "rejected"]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400", "infinity"])
@pytest.mark.parametrize(
    "name", ["RW_INBOX_SETTLE_SECONDS", "RW_INBOX_INTERVAL_SECONDS", "RW_INBOX_BUSY_WAIT_SECONDS"]
)
def test_seconds_that_are_not_finite_are_refused(name: str, value: str) -> None:
    """hostile7: `nan` passed the `< 0` check: a settle time of nan took every file at once
    (`age < nan` is never true), `inf` (or 1e400) never took one, and an interval of inf
    raised OverflowError instead of a message."""
    with pytest.raises(ConfigError, match=f"{name} must be a finite number of seconds"):
        orchestration_from_env({name: value})


def test_a_link_named_like_a_folder_never_takes_an_extract_elsewhere(tmp_path: Path) -> None:
    """hostile7: `ln -s /etc/cron.d inbox/rejected` (or any folder the orchestrator may write),
    then a file `evil` that fails to load: the extract, its name and bytes chosen by whoever
    wrote the inbox, was moved into the link's folder. The link is moved aside into a real
    folder of that name, with a note, as a file of that name is."""
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    elsewhere.mkdir()
    (inbox / "rejected").symlink_to(elsewhere)
    (inbox / "processed").symlink_to(elsewhere, target_is_directory=True)
    rejected = reject(_file(inbox / "evil", "* * * * * root sh -c id"), inbox / "rejected", "no")
    moved = move_to_processed(_file(inbox / "good.csv"), inbox / "processed")
    assert list(elsewhere.iterdir()) == []
    for folder, path in ((inbox / "rejected", rejected), (inbox / "processed", moved)):
        assert folder.is_dir() and not folder.is_symlink()
        assert path.parent == folder and path.is_file() and not path.is_symlink()
        assert (folder / folder.name).is_symlink()  # the link, set aside with its note
        note = (folder / f"{folder.name}.error.txt").read_text(encoding="utf-8")
        assert note.startswith(f"not loaded: a file named {folder.name!r}")


def test_a_folder_swapped_for_a_link_after_the_check_takes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hostile7: a sender who may rename entries of the inbox could swap `rejected/` for a
    link to another folder between the check of the folder and the move (the race left by
    the fix above). The move goes through a descriptor of the folder opened without
    following links: it fails, the extract stays in the inbox, nothing lands elsewhere."""
    from retail_warehouse.orchestration import inbox as inbox_module

    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    elsewhere.mkdir()
    real_make_folder = inbox_module._make_folder

    def make_then_swap(folder: Path) -> None:
        real_make_folder(folder)
        folder.rename(folder.with_name(".swapped"))
        folder.symlink_to(elsewhere)

    monkeypatch.setattr(inbox_module, "_make_folder", make_then_swap)
    extract = _file(inbox / "evil", "* * * * * root sh -c id")
    with pytest.raises(OSError):
        reject(extract, inbox / "rejected", "no")
    assert list(elsewhere.iterdir()) == []
    assert extract.read_text(encoding="utf-8") == "* * * * * root sh -c id"
