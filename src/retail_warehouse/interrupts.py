"""Ctrl-C (SIGINT) from a load's commit on: the load is in, so the command finishes it.

Python raises ``KeyboardInterrupt`` at the first instruction after a signal, which may be
the one right after the database's commit returned: the command then said "interrupted"
though the load was complete. A load runs in ``with CommitGuard() as guard`` and calls
``guard.hold()`` right before its commit; from then until the block ends (the load has closed
the warehouse and let go of its lock) a SIGINT is only recorded, and the result says it
came.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class CommitGuard:
    """Holds SIGINT from the commit of a load to its end (main thread only: signal handlers
    can be set nowhere else, and only the main thread receives ``KeyboardInterrupt``)."""

    def __init__(self) -> None:
        self.received = False
        """Whether a SIGINT came while held."""
        self._previous: Any = None
        self._holding = False

    def __enter__(self) -> CommitGuard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def hold(self) -> None:
        """From now on a SIGINT is recorded, not raised (call right before the commit)."""
        if self._holding or threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGINT, self._record)
        self._holding = True

    def release(self) -> None:
        """Put back the SIGINT handler that was there before ``hold``."""
        if self._holding:
            signal.signal(signal.SIGINT, self._previous)
            self._holding = False

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
