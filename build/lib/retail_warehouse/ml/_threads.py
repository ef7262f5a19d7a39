"""Run the estimators on one thread: on a small, shared machine OpenMP threads spin and
slow the fits down, and a fixed thread count keeps the results independent of the host."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")


def single_threaded(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``function`` to run with BLAS and OpenMP limited to one thread."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return wrapper
