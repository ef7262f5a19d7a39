"""Starting dbt: which dbt, its environment, and a child process that an interrupted or
killed build stops with it.

``run_dbt_subprocess`` is the default ``DbtRunner`` of ``retail_warehouse.build`` (the
orchestrator passes its own, dagster-dbt's). dbt runs in a process group of its own, is
asked to die with the build (``prctl``), and on an interrupt gets SIGINT (it cancels its
queries), then SIGKILL; its output is relayed line by line, and a DuckDB lock conflict is
said in one line instead of dbt's tracebacks. Kept apart from the build, which decides what
dbt runs and what is published.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from retail_warehouse import project
from retail_warehouse.errors import ConfigError, RetailWarehouseError, WarehouseBusyError
from retail_warehouse.messages import find_duckdb_lock_conflict
from retail_warehouse.settings import integer_setting

DBT_THREADS_ENV = "RW_DBT_THREADS"
"""The number of models dbt builds at once (profiles.yml; default 2)."""


def dbt_executable() -> str:
    """The dbt of this environment (next to the running Python), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise RetailWarehouseError("dbt is not installed: run `make install`")
    return found


@dataclass(frozen=True)
class DbtRun:
    """How a dbt invocation ended: its exit status and the folder of its artifacts."""

    returncode: int
    target_path: Path


DbtRunner = Callable[[list[str], dict[str, str]], DbtRun]
"""Starts dbt with these arguments (``build --target ...``) and environment, and waits."""


def dbt_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for dbt: DBT_PROFILES_DIR defaults to ./profiles when it exists."""
    result = dict(os.environ if env is None else env)
    # profiles.yml reads it with as_number, which takes "1_0" and "1e1": refused here, once
    integer_setting(result, DBT_THREADS_ENV, 2, minimum=1)
    if "DBT_PROFILES_DIR" not in result and Path("profiles/profiles.yml").exists():
        result["DBT_PROFILES_DIR"] = str(Path("profiles").resolve())
    return result


def target_path(dbt_args: Sequence[str], env: Mapping[str, str]) -> Path:
    """Where dbt writes its artifacts: --target-path, else DBT_TARGET_PATH, else target/."""
    for index, arg in enumerate(dbt_args):
        if arg == "--target-path" and index + 1 < len(dbt_args):
            return Path(dbt_args[index + 1])
        if arg.startswith("--target-path="):
            return Path(arg.split("=", 1)[1])
    return Path(env.get("DBT_TARGET_PATH") or "target")


def relay_dbt_output(lines: Iterable[str], write: Callable[[str], object]) -> str | None:
    """Pass dbt's output lines to ``write`` as they come, and return the one-line message for
    a DuckDB lock conflict in it (``None`` when there is none). When dbt stops on the conflict
    (``Encountered an error:`` then DuckDB's lock error), that error and the tracebacks after
    it (over 200 lines) are held back: the message says it in one line."""
    conflict: str | None = None
    held: str | None = None
    for line in lines:
        if held is not None:
            stopped_on_lock = find_duckdb_lock_conflict(line)
            if stopped_on_lock is not None:
                return conflict or stopped_on_lock
            write(held)
            held = None
        if "Encountered an error:" in line:
            held = line
            continue
        conflict = conflict or find_duckdb_lock_conflict(line)
        write(line)
    if held is not None:
        write(held)
    return conflict


DBT_STOP_SECONDS = 15.0
"""How long an interrupted build waits for dbt to stop after SIGINT (dbt then cancels its
queries on the server) before it kills dbt's process group."""


PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when the thread that started it ends."""


def _die_with_parent() -> Callable[[], None] | None:
    """What the dbt child runs before dbt starts (Linux only): asks for SIGKILL when the build
    dies, so that a build killed with SIGKILL, which no handler sees, does not leave dbt
    writing either. libc is loaded here, in the build, so that the child only calls prctl."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def ask() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    return ask


def stop_process_group(
    process: subprocess.Popen[str], wait_seconds: float = DBT_STOP_SECONDS
) -> None:
    """Stop a child started in a process group of its own, and everything it started: SIGINT
    to the group (dbt cancels its running queries, as after Ctrl-C), its output read and
    dropped until it ends, SIGKILL to the group after ``wait_seconds`` or at a second
    interrupt, and the child reaped."""

    def signal_group(signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)

    try:
        signal_group(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=wait_seconds)
    finally:
        signal_group(signal.SIGKILL)  # what dbt left in its group, or dbt itself
        process.wait()


def check_project_folder(folder: Path | None = None) -> None:
    """Raise ``ConfigError`` unless ``folder`` (default: the current one), where the default
    runner starts dbt, holds ``dbt_project.yml``: from another folder the build copied the
    warehouse into a shadow, then dbt stopped with "No dbt_project.yml found"."""
    folder = Path.cwd() if folder is None else folder
    if not (folder / project.PROJECT_FILE).is_file():
        raise ConfigError(
            f"{folder} has no {project.PROJECT_FILE}: run the build from the dbt project's "
            "folder (cd to it first)"
        )


def run_dbt_subprocess(args: list[str], env: dict[str, str]) -> DbtRun:
    """The default runner: dbt as a child process, output to this terminal. Raises
    ``WarehouseBusyError`` (one line: the file and who holds it) when dbt fails because
    another process holds the DuckDB file, instead of dbt's traceback. dbt runs in a process
    group of its own, which an interrupt of the build (Ctrl-C, or SIGTERM under
    ``interrupts.terminate_as_interrupt``) stops before it goes on (``stop_process_group``):
    a killed build left dbt writing the shadow."""
    process = subprocess.Popen(
        [dbt_executable(), *args],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=_die_with_parent(),
    )
    try:
        assert process.stdout is not None
        conflict = relay_dbt_output(process.stdout, _write_through)
        for _ in process.stdout:  # dbt's held-back traceback: read to the end, not shown
            pass
        returncode = process.wait()
    except BaseException:
        stop_process_group(process)
        raise
    finally:
        if process.stdout is not None:
            process.stdout.close()
    if conflict is not None and returncode != 0:
        raise WarehouseBusyError(f"dbt stopped: {conflict}; nothing was published")
    return DbtRun(returncode, target_path(args, env))


def _write_through(line: str) -> None:
    """Show one line of dbt's output. A reader that went away (``build | head``, a log pipe
    that closed) ends the output, never the build: BrokenPipeError stopped the build after
    the reader's last line, with a traceback."""
    try:
        sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()


def discard_stdout() -> None:
    """Send what is still written to stdout (and Python's flush at exit) to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
