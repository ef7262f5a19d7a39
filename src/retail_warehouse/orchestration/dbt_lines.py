"""dbt's JSON log lines as dagster-dbt reads them, with text printed in front split off.

dagster-dbt turns each line dbt writes to its standard output into Dagster events (asset
materializations, asset check results). A line that is not JSON is passed on as text, and
the event it held is lost. On PostgreSQL, dbt-pybridge reports each Python model's write
with ``print``, which writes its text and its newline in two calls; when another dbt thread
logs between the two, the text lands in front of that thread's JSON line, and the test
result or model the line reported never reaches Dagster (one asset check in 493 went
missing this way in CI). :class:`SplitPrintedText` wraps the process's standard output so
such a line is read as two: the printed text, then dbt's line.
"""

import contextlib
import json
from collections.abc import Iterator
from types import TracebackType
from typing import IO


def split_printed_text(line: bytes) -> list[bytes]:
    """``line`` as the lines it was written as: text printed in front of a dbt JSON log line
    becomes a line of its own (ending in a newline, as ``print`` would have ended it). A
    line that starts as JSON, or holds no JSON object after its text, is kept whole."""
    if line.startswith(b"{"):
        return [line]
    start = line.find(b"{")
    while start > 0:
        with contextlib.suppress(ValueError):
            if isinstance(json.loads(line[start:]), dict):
                return [line[:start] + b"\n", line[start:]]
        start = line.find(b"{", start + 1)
    return [line]


class SplitPrintedText:
    """A process's standard output, read line by line through :func:`split_printed_text`;
    closing it closes the wrapped stream."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    @property
    def closed(self) -> bool:
        return self._stream.closed

    def __iter__(self) -> Iterator[bytes]:
        for line in self._stream:
            yield from split_printed_text(line)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> "SplitPrintedText":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
