"""CommitGuard: Ctrl-C (SIGINT) held from a load's commit to its end."""

from __future__ import annotations

import signal
import threading

import pytest

from retail_warehouse.interrupts import CommitGuard, Terminated, exit_status, terminate_as_interrupt


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


def test_sigterm_is_an_interrupt_within_the_block() -> None:
    """A build takes SIGTERM as it takes Ctrl-C (issue 27: Python's default ended it at once
    and left dbt running); the status is the shell's, 128 + the signal."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as raised, terminate_as_interrupt():
        signal.raise_signal(signal.SIGTERM)
    assert isinstance(raised.value, KeyboardInterrupt)
    assert raised.value.args == ("SIGTERM",)
    assert exit_status(raised.value) == 143
    assert exit_status(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_publish_holds_sigterm_and_sigint_until_it_ends() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with terminate_as_interrupt(), CommitGuard((signal.SIGINT, signal.SIGTERM)) as guard:
        guard.hold()
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
    assert guard.received
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
