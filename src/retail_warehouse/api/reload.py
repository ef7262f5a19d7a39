"""Serving one snapshot while the next is read.

A :class:`SnapshotHolder` holds the snapshot the API serves. ``current()`` returns it at
once; when a check is due (every ``check_seconds``) it only *starts* a background thread,
which asks whether the warehouse changed and, if so, reads it and swaps the new snapshot in
with one reference assignment. Requests never wait for a reload (reading a build takes
about 1 s on the full data), so a publish costs no latency. A read that fails keeps the
served snapshot: the error is logged (once per distinct message), kept in ``error`` for
``/health``, and the read is tried again at the next check. Only while nothing is served
yet does a request wait for the read, at most ``timeout_seconds``, and then fail with
:class:`WarehouseUnavailable` (answered with 503).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class WarehouseUnavailable(Exception):
    """The warehouse cannot be served now; the message says why (answered with 503)."""


@dataclass
class SnapshotHolder(Generic[T]):
    """The served snapshot and its reload off the request path.

    ``load()`` reads the warehouse and returns (its identity, the snapshot), raising
    WarehouseUnavailable when it cannot; ``changed(identity)`` says whether the warehouse
    is no longer the one of that identity.
    """

    load: Callable[[], tuple[Any, T]]
    changed: Callable[[Any], bool]
    check_seconds: float = 1.0
    timeout_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _value: T | None = None
    _identity: Any = None
    _error: str | None = None
    _checked_at: float = float("-inf")
    _worker: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    """Guards the fields above; held only to read or assign them, never during a read."""
    _reloading: threading.Lock = field(default_factory=threading.Lock)
    """Held for a whole check and read: one at a time."""

    @property
    def error(self) -> str | None:
        """Why the last read failed (the served snapshot, if any, is older), else None."""
        return self._error

    def current(self) -> T:
        """The snapshot to serve now; starts a background check when one is due."""
        with self._lock:
            value, worker = self._value, self._worker
            if worker is None and self.clock() - self._checked_at >= self.check_seconds:
                worker = self._worker = threading.Thread(
                    target=self._work, name="snapshot-reload", daemon=True
                )
                worker.start()
        if value is not None:
            return value
        if worker is not None:
            worker.join(self.timeout_seconds)
        with self._lock:
            if self._value is not None:
                return self._value
            raise WarehouseUnavailable(self._error or "the warehouse is being read; retry shortly")

    def wait(self, timeout: float) -> bool:
        """Wait for the background check under way, if any; True when none runs now."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return self._worker is None or not self._worker.is_alive()

    def refresh_if_changed(self) -> bool:
        """Check the warehouse in this thread and, if it changed (or nothing is served yet),
        read it and swap it in; True when a new snapshot was swapped in."""
        with self._reloading:
            with self._lock:
                value, identity = self._value, self._identity
            try:
                if value is not None and not self.changed(identity):
                    self._record(None)
                    return False
                identity, value = self.load()
            except WarehouseUnavailable as error:
                self._record(str(error))
                return False
            except Exception as error:  # a thread of its own: nobody else would see it
                message = f"the warehouse could not be read: {type(error).__name__}: {error}"
                self._record(message, unexpected=True)
                return False
            with self._lock:
                self._value, self._identity = value, identity
            self._record(None)
            log.info("serving a new snapshot of the warehouse")
            return True

    def _record(self, error: str | None, unexpected: bool = False) -> None:
        """Keep the outcome of a check; log an error unless it is the one already kept (an
        unexpected one always, with its traceback)."""
        with self._lock:
            previous, self._error = self._error, error
            self._checked_at = self.clock()
            serving = self._value is not None
        if error is not None and (error != previous or unexpected):
            kept = "; still serving the snapshot read before" if serving else ""
            log.warning("%s%s", error, kept, exc_info=unexpected)

    def _work(self) -> None:
        try:
            self.refresh_if_changed()
        finally:
            with self._lock:
                self._worker = None
