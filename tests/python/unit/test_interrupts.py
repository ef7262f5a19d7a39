"""CommitGuard: Ctrl-C (SIGINT) held from a load's commit to its end."""

from __future__ import annotations

import signal
import threading

import pytest

from retail_warehouse.interrupts import CommitGuard


def test_a_held_interrupt_is_recorded_and_the_handler_put_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), CommitGuard():
        signal.raise_signal(signal.SIGINT)  # not held yet: Python's own handler
    with CommitGuard() as guard:
        guard.hold()
        signal.raise_signal(signal.SIGINT)
        guard.hold()  # a second hold keeps the first one's handler to put back
    assert guard.received
    assert signal.getsignal(signal.SIGINT) is before


def test_outside_the_main_thread_nothing_is_held() -> None:
    guards: list[CommitGuard] = []

    def hold() -> None:
        with CommitGuard() as guard:
            guard.hold()  # signal.signal would raise ValueError here
            guards.append(guard)

    thread = threading.Thread(target=hold)
    thread.start()
    thread.join()
    assert len(guards) == 1 and not guards[0].received
