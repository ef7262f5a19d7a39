"""Signals: Ctrl-C (SIGINT) held from a load's commit on, SIGTERM turned into an interrupt.

Ctrl-C (SIGINT) from a load's commit on: the load is in, so the command finishes it.

Python raises ``KeyboardInterrupt`` at the first instruction after a signal, which may be
the one right after the database's commit returned: the command then said "interrupted"
though the load was complete. A load runs in ``with CommitGuard() as guard`` and calls
``guard.hold()`` right before its commit; from then until the block ends (the load has closed
the warehouse and let go of its lock) a SIGINT is only recorded, and the result says it
came.

A build (``terminate_as_interrupt``) takes SIGTERM as it takes Ctrl-C: it stops dbt's process
group, discards the shadow and exits with one line (``retail_warehouse.build``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any


class CommitGuard:
    """Holds SIGINT from the commit of a load to its end (main thread only: signal handlers
    can be set nowhere else, and only the main thread receives ``KeyboardInterrupt``); a
    build's publish holds SIGTERM too (``signals``)."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGINT,)) -> None:
        self.received = False
        """Whether a held signal came while held."""
        self._signals = signals
        self._previous: dict[int, Any] = {}
        self._holding = False

    def __enter__(self) -> CommitGuard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def hold(self) -> None:
        """From now on a SIGINT is recorded, not raised (call right before the commit)."""
        if self._holding or threading.current_thread() is not threading.main_thread():
            return
        for signum in self._signals:
            self._previous[signum] = signal.signal(signum, self._record)
        self._holding = True

    def release(self) -> None:
        """Put back the handlers that were there before ``hold``."""
        if self._holding:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)
            self._previous = {}
            self._holding = False

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self.received = True


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as a ``KeyboardInterrupt`` so that what cleans up
    after Ctrl-C (stopping dbt, discarding a build's shadow, letting go of the locks) cleans up
    after ``kill`` too: Python's default for SIGTERM ends the process at once, and a killed
    ``retail-warehouse build`` left its dbt running, writing the shadow."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises ``Terminated`` (main thread only; elsewhere nothing
    changes); the handler before it is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """The shell's status for a command ended by a signal: 128 + its number (130 for Ctrl-C,
    143 for SIGTERM)."""
    signum = interrupt.signum if isinstance(interrupt, Terminated) else signal.SIGINT
    return 128 + int(signum)
