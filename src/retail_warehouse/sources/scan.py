"""One pass over a CSV's bytes before either engine reads it, so that both read it alike.

The bulk readers disagree on a few things (a blank line, a NUL byte, a trailing blank line,
line endings), and they count rows, not lines. This scan applies one rule to each, on both
engines, and numbers everything by physical line (a line ends with LF; line 1 is the header):

* a **lone carriage return** (CR not followed by LF, old Mac line endings) fails the file;
* a **NUL byte** fails the file at its line and column (quarantine mode sets the row aside);
* a **blank line** between data lines fails at its line (quarantine mode sets it aside);
  blank lines at the **end** of the file are ignored on both engines;
* a quoted value may span lines; ``ScannedCsv.line_of_row`` maps a data row to the line it
  starts on, so messages name physical lines even after such a value;
* a line holding only ``\\.`` fails at its line ("expected N columns, found 1", as DuckDB
  says): PostgreSQL's ``COPY`` reads it as the end of the data, even in CSV format, and would
  silently drop every line after it;
* **quotes** follow one rule (RFC 4180, which PostgreSQL and DuckDB read differently when it
  is broken): a ``"`` inside a value that does not start with one, text after a closing
  quote, or a quote never closed fails at its line and column (DuckDB kept ``x"y`` as it is,
  PostgreSQL opened a quoted value there);
* **line endings** are those of the header: a record ending in LF in a file whose header
  ends in CRLF (or the reverse) fails at its line (both engines refuse mixed endings,
  DuckDB without naming a line); a line break inside a quoted value may be either;
* a record ending in ``,`` or ``"`` with **fields beyond the header's** fails at its line
  ("expected 8 columns, found 9"): DuckDB drops empty fields at the end of a line, where
  PostgreSQL refuses them (any other field count is refused by both engines, and then
  counted by ``wrong_field_count``);
* a **line longer than** ``MAX_LINE_BYTES`` (or a record, lines joined by a quoted value)
  fails the file at its line, found while reading in chunks, before the line is in memory or
  an engine reads it.

It also reports progress for large files (rows and bytes read) on a terminal or a log.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import gzip
import io
import itertools
import re
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from retail_warehouse.errors import LoadError
from retail_warehouse.inputs import CsvInput, open_input
from retail_warehouse.messages import (
    column_count_problem,
    is_column_count_error,
    problem_message,
    read_error_cause,
)
from retail_warehouse.sources.files import CHUNK

MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest line (or record: lines joined by a quoted value) any source file may have,
16 MiB: the longest value any source accepts is 4,000 characters, so a longer line is a
broken file (a missing line break, a quote never closed, not a text file at all). Checked
while reading in chunks, so such a line is never held in memory (a 400 MB line took 1.66 GB
before this limit). At least ``CHUNK``, which ``_quick_scan`` relies on."""

PROGRESS_EVERY_BYTES = 50_000_000
"""Progress lines are written every this many bytes read (and once at the end), when the
file is at least this large."""


@dataclass(frozen=True)
class Record:
    """One CSV record: the physical lines it spans, joined (line ends included)."""

    row_number: int
    """Data row number (1 = the first record after the header), counting blank rows set aside."""
    line: int
    """The physical line the record starts on."""
    raw: bytes


@dataclass
class ScannedCsv:
    """What the scan learned about a file."""

    precise: bool = True
    """False for the quick scan, which assumes one record per line (see ``scan_input``)."""
    rows: int = 0
    """Data records (blank middle lines count as records: they are rows set aside)."""
    data_bytes: int = 0
    """Bytes (decompressed) up to the end of the last non-blank line: what a reader loads."""
    header_bytes: int = 0
    """Bytes of the header line."""
    trailing_blank_lines: bool = False
    """True when the file ends with blank lines (ignored)."""
    blank_rows: list[int] = field(default_factory=list)
    """Rows that are blank lines between data lines (a problem unless set aside)."""
    nul_rows: list[tuple[int, int, str | None]] = field(default_factory=list)
    """(row, line, column) of records holding a NUL byte."""
    line_problems: list[tuple[int, int, str | None, str]] = field(default_factory=list)
    """(row, line, column, problem) of records no engine may read its own way: a line holding
    only ``\\.`` (PostgreSQL's end of data), quotes that break the rule."""
    _shifts: list[tuple[int, int]] = field(default_factory=list)
    """(row, line - row): where a row stops being on line ``row + 1`` (after a multi-line
    quoted value)."""

    def raise_first_problem(self, csv_input: CsvInput) -> None:
        """Fail on the first blank middle line, NUL byte or line no engine may read its own
        way (a normal load), at its place in the file the user gave."""
        place = csv_input.place
        problems = [
            (place(row, self.line_of_row(row)), None, BLANK_LINE) for row in self.blank_rows
        ]
        problems += [(place(row, line), column, NUL_BYTE) for row, line, column in self.nul_rows]
        problems += [
            (place(row, line), column, why) for row, line, column, why in self.line_problems
        ]
        if problems:
            line, column, reason = min(problems, key=lambda problem: problem[0])
            raise LoadError(
                problem_message(csv_input.display_name, line, column, reason, csv_input.position)
            )

    def trimmed(self, csv_input: CsvInput, folder: Path) -> CsvInput:
        """The input without its trailing blank lines, copied into ``folder`` when it has
        some (the engines disagree about them; after this both read the same rows)."""
        if not self.trailing_blank_lines:
            return csv_input
        path = folder / "trimmed.csv"
        left = self.header_bytes + self.data_bytes
        with open_input(csv_input) as source, path.open("wb") as out:
            while left > 0 and (chunk := source.read(min(CHUNK, left))):
                out.write(chunk)
                left -= len(chunk)
        return dataclasses.replace(csv_input, path=path, gzipped=False)

    def line_of_row(self, row_number: int) -> int:
        """The physical line on which a data row starts."""
        index = bisect.bisect_right(self._shifts, (row_number, sys.maxsize)) - 1
        offset = self._shifts[index][1] if index >= 0 else 1
        return row_number + offset


def long_line_problem(limit: int = MAX_LINE_BYTES) -> str:
    """The problem of a line longer than ``limit`` bytes."""
    return (
        f"the line is longer than {limit:,} bytes, the longest accepted (a missing line "
        "break or quote, or not a text file?)"
    )


def bounded_lines(
    handle: BinaryIO, file_name: str, first_line: int = 1, limit: int = MAX_LINE_BYTES
) -> Iterator[bytes]:
    """The lines of ``handle`` (line ends kept; the first is line ``first_line``), failing
    at a line longer than ``limit`` bytes before more than ``limit`` bytes of it are read."""
    line = first_line
    while raw := handle.readline(limit + 1):
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise LineError(file_name, line, long_line_problem(limit))
        yield raw
        line += 1


def records(
    lines: Iterator[bytes], file_name: str = "the file", limit: int = MAX_LINE_BYTES
) -> Iterator[Record]:
    """Group the physical data lines (after the header) into records: a line ending inside a
    quoted value continues on the next. Quotes are counted, so ``""`` (an escaped quote)
    never changes whether a value is open. A record longer than ``limit`` bytes (a quote
    never closed gathers the rest of the file) fails at the line it starts on."""
    pending: list[bytes] = []
    size = 0
    open_quote = False
    start = 2
    line = 1
    row = 0
    for raw in lines:
        line += 1
        if not pending:
            start = line
            size = 0
        size += len(raw)
        if size > limit:
            raise LineError(file_name, start, long_line_problem(limit))
        pending.append(raw)
        if raw.count(b'"') % 2:
            open_quote = not open_quote
        if not open_quote:
            row += 1
            yield Record(row, start, b"".join(pending))
            pending = []
    if pending:
        row += 1
        yield Record(row, start, b"".join(pending))


def is_blank(raw: bytes) -> bool:
    """A line with nothing but its line end."""
    return raw in (b"\n", b"\r\n", b"")


def lone_cr_line(raw: bytes, first_line: int) -> int | None:
    """The physical line of a CR not followed by LF in a record, if any."""
    body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
    position = body.find(b"\r")
    while position != -1:
        if body[position + 1 : position + 2] != b"\n":
            return first_line + body.count(b"\n", 0, position)
        position = body.find(b"\r", position + 1)
    if raw.endswith(b"\r"):
        return first_line + raw.count(b"\n")
    return None


def nul_column(raw: bytes, columns: Sequence[str]) -> str | None:
    """The column whose value holds the first NUL byte, when the record splits into the
    columns (read as Latin-1, so that any byte is a character)."""
    text = raw.decode("latin-1").replace("\x00", "\ufffd").rstrip("\r\n")
    try:
        fields = next(csv.reader([text]), [])
    except csv.Error:
        return None
    if len(fields) != len(columns):
        return None
    found = (column for column, value in zip(columns, fields, strict=True) if "\ufffd" in value)
    return next(found, None)


LONE_CR = (
    "a carriage return (CR) without a line feed: the file has old Mac line endings "
    "or a stray CR; save it with LF or CRLF line endings"
)


def lone_cr_message(file_name: str, line: int, position: str = "line") -> str:
    """The message for a carriage return without a line feed (in a Parquet file, a value
    holding one: the row is refused as a CSV's line would be)."""
    if position == "row":
        problem = "a value holds a carriage return (CR) without a line feed"
    else:
        problem = LONE_CR
    return problem_message(file_name, line, None, problem, position)


class LineError(LoadError):
    """A file refused at one line: the message, and its parts for a caller that words the
    place its own way (``first_line_problem``)."""

    def __init__(self, file_name: str, line: int, problem: str) -> None:
        super().__init__(problem_message(file_name, line, None, problem))
        self.line = line
        self.problem = problem


def first_line_problem(
    data: bytes, columns: Sequence[str], limit: int = MAX_LINE_BYTES
) -> tuple[int, str | None, str] | None:
    """The first ``(line, column, problem)`` by which a load refuses a CSV's lines, for a CSV
    held in memory that is no file (the API's CSV batches), so that it refuses what a load
    refuses by the same rules: a lone CR, a line over ``limit`` bytes, a blank line between
    data lines, a NUL byte, a line only ``\\.``, broken quotes, mixed line endings, empty
    fields beyond the header's. ``data`` starts with the header line; ``columns`` names the
    fields; ``None`` when it breaks none of them."""
    handle = io.BytesIO(data)
    header = handle.readline()
    if (cr_line := lone_cr_line(header, 1)) is not None:
        return cr_line, None, LONE_CR
    if len(header) > limit:
        return 1, None, long_line_problem(limit)
    try:
        scanned = scan_csv(bounded_lines(handle, "", 2, limit), "", columns, header=header)
    except LineError as error:
        return error.line, None, error.problem
    problems = [(scanned.line_of_row(row), None, BLANK_LINE) for row in scanned.blank_rows]
    problems += [(line, column, NUL_BYTE) for _, line, column in scanned.nul_rows]
    problems += [(line, column, why) for _, line, column, why in scanned.line_problems]
    return min(problems, key=lambda problem: problem[0], default=None)


BLANK_LINE = "the line is empty (a blank line between data lines)"
_END_OF_DATA_LINE = re.compile(rb"^\\\.\r?$", re.MULTILINE)


def line_ending(raw: bytes) -> str | None:
    """``CRLF`` or ``LF``: how a line (or record) ends; ``None`` without a line end."""
    if raw.endswith(b"\r\n"):
        return "CRLF"
    return "LF" if raw.endswith(b"\n") else None


def mixed_endings_problem(found: str, expected: str, first: str = "the header") -> str:
    """The problem of a line that does not end as the header (``first``) does."""
    return (
        f"the line ends with {found} where {first} ends with {expected} (mixed line "
        "endings): save the file with one kind of line ending"
    )


def _may_have_empty_fields_at_end(raw: bytes) -> bool:
    """Whether a record ends in ``,`` or ``"``: the ends that may hide empty fields beyond
    the header's, which DuckDB drops silently (``field_count`` then says)."""
    return raw.rstrip(b"\r\n").endswith((b",", b'"'))


def field_count(raw: bytes) -> int:
    """The number of fields of one record (line ends included or not), counted, never
    shown: commas when it holds no quote, else as ``csv`` splits it (read as Latin-1, so
    that any byte is a character)."""
    body = raw.rstrip(b"\r\n")
    if b'"' not in body:
        return body.count(b",") + 1
    try:
        return len(next(csv.reader(io.StringIO(body.decode("latin-1"), newline="")), []))
    except csv.Error:
        return 0


def is_end_of_data_marker(raw: bytes) -> bool:
    """A record that is only ``\\.`` (and its line end): PostgreSQL's ``COPY`` reads it as
    the end of the data, even in CSV format, and ignores every line after it."""
    return raw.rstrip(b"\r\n") == b"\\."


def end_of_data_problem(columns: Sequence[str]) -> str:
    """The problem of a line holding only ``\\.`` (DuckDB's words for a one-field line)."""
    return (
        f"expected {len(columns)} columns, found 1 (a line holding only '\\.', which "
        "PostgreSQL reads as the end of the data)"
    )


NUL_BYTE = "the text holds a NUL byte (0x00)"
STRAY_QUOTE = (
    "a '\"' inside a value that is not quoted: quote the whole value and double each '\"' in it"
)
TEXT_AFTER_QUOTE = "text after the closing '\"' of a quoted value: double each '\"' inside it"
UNCLOSED_QUOTE = "a quoted value is not closed (a '\"' is missing)"
_GOOD_QUOTED_LINE = re.compile(
    rb'(?:"(?:[^"\n]|"")*"|[^,"\n]*)(?:,(?:"(?:[^"\n]|"")*"|[^,"\n]*))*\r?'
)
"""A line whose quotes follow the rule and close on the line (the quick scan's test)."""


def quote_problem(raw: bytes, columns: Sequence[str]) -> tuple[int, str | None, str] | None:
    """Where the quotes of a record break the rule, as (line within the record, column,
    problem): a ``"`` inside a value that does not start with one, text after a closing
    quote, or a quote never closed. ``None`` when they follow it."""
    text = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
    position = 0
    index = 0
    while True:
        if text.startswith(b'"', position):
            end = position + 1
            while (end := text.find(b'"', end)) != -1 and text.startswith(b'"', end + 1):
                end += 2
            if end == -1:
                return _quote_place(raw, position, index, columns, UNCLOSED_QUOTE)
            position = end + 1
            if position < len(text) and not text.startswith(b",", position):
                return _quote_place(raw, position, index, columns, TEXT_AFTER_QUOTE)
        else:
            comma = text.find(b",", position)
            stop = len(text) if comma == -1 else comma
            quote = text.find(b'"', position, stop)
            if quote != -1:
                return _quote_place(raw, quote, index, columns, STRAY_QUOTE)
            position = stop
        if position >= len(text):
            return None
        position += 1
        index += 1


def _quote_place(
    raw: bytes, position: int, index: int, columns: Sequence[str], problem: str
) -> tuple[int, str | None, str]:
    column = columns[index] if index < len(columns) else None
    return raw.count(b"\n", 0, position), column, problem


def scan_csv(
    handle: Iterator[bytes],
    file_name: str,
    columns: Sequence[str],
    progress: TextIO | None = None,
    total_bytes: int | None = None,
    csv_input: CsvInput | None = None,
    header: bytes | None = None,
) -> ScannedCsv:
    """Scan the lines after the header (``handle`` is positioned after it). Fails on a lone
    CR (at its place in ``csv_input``, when given); records NUL bytes and blank middle lines
    for the caller to fail on or set aside. ``data_bytes`` counts from the first data line.
    ``header`` (the header line, when known) says which line ending every record must have."""
    ending = line_ending(header) if header else None
    scanned = ScannedCsv()
    meter = _Progress(file_name, progress, total_bytes)
    pending_blank: list[Record] = []
    position = 0
    for record in records(handle, file_name):
        position += len(record.raw)
        meter.update(record.row_number, position)
        cr_line = lone_cr_line(record.raw, record.line)
        if cr_line is not None:
            if csv_input is None:
                raise LineError(file_name, cr_line, LONE_CR)
            place = csv_input.place(record.row_number, cr_line)
            raise LoadError(lone_cr_message(file_name, place, csv_input.position))
        if record.line != record.row_number + 1 and (
            not scanned._shifts or scanned._shifts[-1][1] != record.line - record.row_number
        ):  # a blank row too: it was placed a line early after a value over two lines
            scanned._shifts.append((record.row_number, record.line - record.row_number))
        if is_blank(record.raw):
            pending_blank.append(record)
            continue
        scanned.blank_rows += [blank.row_number for blank in pending_blank]
        pending_blank = []
        if b"\x00" in record.raw:
            column = nul_column(record.raw, columns)
            scanned.nul_rows.append((record.row_number, record.line, column))
        if is_end_of_data_marker(record.raw):
            problem = end_of_data_problem(columns)
            scanned.line_problems.append((record.row_number, record.line, None, problem))
        if b'"' in record.raw and (found := quote_problem(record.raw, columns)):
            offset, column, problem = found
            scanned.line_problems.append((record.row_number, record.line + offset, column, problem))
        if ending and (found_ending := line_ending(record.raw)) not in (ending, None):
            last_line = record.line + record.raw.count(b"\n") - 1
            problem = mixed_endings_problem(found_ending, ending)
            scanned.line_problems.append((record.row_number, last_line, None, problem))
        if _may_have_empty_fields_at_end(record.raw):
            count = field_count(record.raw)
            if count > len(columns):
                problem = column_count_problem(len(columns), count)
                scanned.line_problems.append((record.row_number, record.line, None, problem))
        scanned.rows = record.row_number
        scanned.data_bytes = position
    scanned.trailing_blank_lines = bool(pending_blank)
    meter.finish(scanned.rows, position)
    return scanned


class _Progress:
    """Rows and bytes read, for files of at least ``PROGRESS_EVERY_BYTES``."""

    def __init__(self, name: str, stream: TextIO | None, total: int | None) -> None:
        self.name = name
        self.stream = sys.stderr if stream is None else stream
        self.total = total
        self.shown = False
        self.next_at = PROGRESS_EVERY_BYTES
        self.interactive = self.stream.isatty()

    def _text(self, rows: int, done: int) -> str:
        share = f" ({done * 100 // self.total}%)" if self.total else ""
        return f"reading {self.name}: {rows:,} rows, {done:,} bytes{share}"

    def update(self, rows: int, done: int) -> None:
        if done < self.next_at:
            return
        self.next_at = done + PROGRESS_EVERY_BYTES
        text = self._text(rows, done)
        self.stream.write("\r" + text if self.interactive else text + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self, rows: int, done: int) -> None:
        if not self.shown:
            return
        text = self._text(rows, done)
        self.stream.write("\r" + text + "\n" if self.interactive else text + "\n")
        self.stream.flush()


def scan_input(
    csv_input: CsvInput, columns: Sequence[str], progress: TextIO | None = None
) -> ScannedCsv:
    """Scan a header-checked CSV. A quick pass in chunks (C-speed byte counts) covers the
    usual file: one record per line, no NUL, no CR without LF, no blank line. Anything else
    gets the precise record-by-record scan (``scan_csv``). A quick result is ``precise=False``:
    if the engine then reads another number of rows than there are lines (a quoted value
    spanning lines), call ``rescan``."""
    total = None if csv_input.gzipped else csv_input.path.stat().st_size
    try:
        with open_input(csv_input) as handle:
            header = handle.readline(MAX_LINE_BYTES + 1)
            quick = _quick_scan(
                handle, csv_input.display_name, progress, total, header, len(columns)
            )
            if quick is not None:
                quick.header_bytes = len(header)
                return quick
        return rescan(csv_input, columns, progress)
    except (OSError, EOFError, zlib.error) as error:
        what = "the gzip data is truncated or corrupt" if csv_input.gzipped else "cannot read it"
        cause = read_error_cause(error)
        raise LoadError(f"{csv_input.display_name}: {what} ({cause})") from error


def rescan(
    csv_input: CsvInput, columns: Sequence[str], progress: TextIO | None = None
) -> ScannedCsv:
    """The precise scan (see ``scan_csv``) of a header-checked CSV."""
    total = None if csv_input.gzipped else csv_input.path.stat().st_size
    name = csv_input.display_name
    with open_input(csv_input) as handle:
        header = handle.readline(MAX_LINE_BYTES + 1)
        lines = bounded_lines(handle, name, 2)
        scanned = scan_csv(lines, name, columns, progress, total, csv_input, header)
    scanned.header_bytes = len(header)
    return scanned


def _quick_scan(
    handle: BinaryIO,
    name: str,
    progress: TextIO | None,
    total: int | None,
    header: bytes,
    columns: int,
) -> ScannedCsv | None:
    """Count the data lines in chunks; ``None`` when anything needs the precise scan (a
    line ending unlike the header's among them). Fails at a line longer than
    ``MAX_LINE_BYTES``: ``run`` counts the bytes of the line still open at the end of a
    chunk; a line inside one chunk is shorter than ``CHUNK``."""
    done = len(header)
    crlf = header.endswith(b"\r\n")
    meter = _Progress(name, progress, total)
    lines = 0
    size = 0
    run = 0
    last = b"\n"
    open_line = _OpenLine()
    while chunk := handle.read(CHUNK):
        first_end = chunk.find(b"\n")
        if run + (len(chunk) if first_end == -1 else first_end) > MAX_LINE_BYTES:
            raise LoadError(problem_message(name, lines + 2, None, long_line_problem()))
        run = run + len(chunk) if first_end == -1 else len(chunk) - chunk.rfind(b"\n") - 1
        joined = last + chunk  # a pair split across two chunks is still seen
        if (
            b"\x00" in chunk
            or joined.count(b"\r") != joined.count(b"\r\n") + (joined.endswith(b"\r"))
            or b"\n\n" in joined
            or b"\n\r\n" in joined
            or (_BARE_LF.search(joined) is not None if crlf else b"\r" in chunk)
        ):
            return None
        if not open_line.take(chunk, first_end, columns):
            return None
        lines += chunk.count(b"\n")
        size += len(chunk)
        last = chunk[-2:]
        meter.update(lines, done + size)
    if last.endswith(b"\r") or not open_line.finish(columns):
        return None  # a CR at the very end, without LF; a last line to look at closely
    if size and not last.endswith(b"\n"):
        lines += 1  # a last line without a line end
    meter.finish(lines, done + size)
    return ScannedCsv(rows=lines, data_bytes=size, precise=False)


class _OpenLine:
    """The quick scan's view of whole lines across chunks: complete lines go to
    ``_needs_precise_scan``; the start of the line still open at a chunk's end is kept, up to
    ``CARRIED_BYTES`` (a longer line is never only ``\\.``; only whether it holds a quote is
    remembered), so a long line is never held in memory."""

    CARRIED_BYTES = 1 << 16

    def __init__(self) -> None:
        self.carry = b""
        self.long = False
        self.long_quoted = False
        self.tail = b""
        """The last two bytes of a long line seen so far (does it end in ``,`` or ``"``?)."""

    def _keep(self, rest: bytes) -> None:
        self.long = len(rest) > self.CARRIED_BYTES
        self.long_quoted = self.long and b'"' in rest
        self.carry = b"" if self.long else rest
        self.tail = rest[-2:]

    def take(self, chunk: bytes, first_end: int, columns: int) -> bool:
        """Take the next chunk (``first_end``: its first LF, or -1); False when the precise
        scan is needed."""
        if first_end == -1:
            if self.long:
                self.long_quoted = self.long_quoted or b'"' in chunk
                self.tail = (self.tail + chunk)[-2:]
            else:
                self._keep(self.carry + chunk)
            return True
        cut = chunk.rfind(b"\n") + 1
        if self.long:
            if self.long_quoted or b'"' in chunk[:first_end]:
                return False
            if _may_have_empty_fields_at_end(self.tail + chunk[:first_end]):
                return False  # a long line ending in ',': counted by the precise scan
            complete = chunk[first_end + 1 : cut]
        else:
            complete = self.carry + chunk[:cut]
        if _needs_precise_scan(complete, columns):
            return False
        self._keep(chunk[cut:])
        return True

    def finish(self, columns: int) -> bool:
        """The last line (without a line end); False when the precise scan is needed."""
        if self.long:
            return not self.long_quoted and not _may_have_empty_fields_at_end(self.tail)
        return not _needs_precise_scan(self.carry, columns)


_BARE_LF = re.compile(rb"[^\r]\n")
"""An LF without a CR before it (a line ending unlike a CRLF header's)."""
_ENDS_IN_COMMA_OR_QUOTE = re.compile(rb'^[^\n]*[,"]\r?$', re.MULTILINE)
"""A line ending in ``,`` or ``"``, whose fields the quick scan counts."""


def _needs_precise_scan(lines: bytes, columns: int) -> bool:
    """Whether complete lines hold something the quick scan leaves to ``scan_csv``: a line
    that is only ``\\.``, a line whose quotes break the rule or do not close on it, or a
    line ending in ``,`` or ``"`` with more than ``columns`` fields."""
    if b"\\." in lines and _END_OF_DATA_LINE.search(lines) is not None:
        return True
    if (
        b",\n" in lines
        or b'"\n' in lines
        or b",\r\n" in lines
        or b'"\r\n' in lines
        or (lines.endswith((b",", b'"')))
    ) and any(field_count(found[0]) > columns for found in _ENDS_IN_COMMA_OR_QUOTE.finditer(lines)):
        return True
    if b'"' not in lines:
        return False
    return any(
        b'"' in line and _GOOD_QUOTED_LINE.fullmatch(line) is None for line in lines.split(b"\n")
    )


def wrong_field_count(csv_input: CsvInput, expected: int) -> tuple[int, int] | None:
    """(line, fields) of the first data record of a comma CSV whose field count is not
    ``expected``, its line in the file the user gave; ``None`` when there is none. Read
    again only after an engine refused the file for a field count (DuckDB counts records,
    not lines; PostgreSQL says only "more" or "fewer"), up to that record. Fields are
    counted, never shown."""
    name = csv_input.display_name
    offset = csv_input.header_lines - 1
    with open_input(csv_input) as handle:
        handle.readline(MAX_LINE_BYTES + 1)
        for record in records(bounded_lines(handle, name, 2), name):
            if is_blank(record.raw):
                continue
            text = record.raw.decode("latin-1").rstrip("\r\n")
            try:
                fields = next(csv.reader(io.StringIO(text, newline="")), [])
            except csv.Error:
                continue
            if len(fields) != expected:
                return record.line + offset, len(fields)
    return None


def field_count_message(csv_input: CsvInput, expected: int, engine_message: str) -> str | None:
    """The loader's message for a CSV an engine refused for a field count: the real line
    and count, found by ``wrong_field_count``; ``None`` when the error is another one or
    the file shows no such line (then the engine's words are used)."""
    if not is_column_count_error(engine_message):
        return None
    try:
        found = wrong_field_count(csv_input, expected)
    except (OSError, EOFError, zlib.error, LoadError):
        return None  # the engine's words, then
    if found is None:
        return None
    line, count = found
    return problem_message(
        csv_input.display_name, line, None, column_count_problem(expected, count)
    )


# --- why a bulk reader refused a text file ---------------------------------------------------

_ENGINE_LINE = re.compile(r"CSV Error on Line: (\d+)")
_ENGINE_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded")


def read_problem(
    path: Path, file_name: str, columns: Sequence[str], delimiter: str, engine_message: str
) -> str | None:
    """The loader's message for a text file (plain or ``.gz``, ``delimiter``-separated, with
    ``columns``) that DuckDB's ``read_csv`` refused, when the cause is one the loader names
    itself: a line too long (at the line DuckDB gives), a comma line with another number of
    fields (``field_count_message``), or text that is not UTF-8 (the first such line, found
    by reading the file again in bounded lines, and its column). ``None`` for anything
    else."""
    if delimiter == ",":
        gzipped = path.name.lower().endswith(".gz")
        counted = field_count_message(
            CsvInput(path, gzipped, file_name), len(columns), engine_message
        )
        if counted:
            return counted
    too_long = _ENGINE_TOO_LONG.search(engine_message)
    line = _ENGINE_LINE.search(engine_message)
    if too_long and line:
        problem = long_line_problem(int(too_long.group(1)))
        return problem_message(file_name, int(line.group(1)), None, problem)
    if "invalid unicode" not in engine_message.lower():
        return None
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:  # type: ignore[operator]
        return utf8_problem(handle, file_name, columns, delimiter)


def utf8_problem(
    handle: BinaryIO, file_name: str, columns: Sequence[str], delimiter: str = ","
) -> str | None:
    """The message for the first record of a file (``handle`` at its start) that is not
    UTF-8, with the physical line it starts on and its column; ``None`` if all is UTF-8.
    Found by reading the file, never from an engine's line count (DuckDB counts a quoted
    value spanning lines differently)."""
    lines = bounded_lines(handle, file_name)
    if delimiter == "|":  # no quoting: a record is a line
        found = ((number, raw) for number, raw in enumerate(lines, start=1))
    else:
        header = next(lines, b"")
        found = itertools.chain(
            [(1, header)], ((record.line, record.raw) for record in records(lines, file_name))
        )
    for number, raw in found:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            column = _utf8_error_field(raw, columns, delimiter) if number > 1 else None
            problem = (
                f"the text is not valid UTF-8 (byte 0x{raw[error.start]:02x}; a Latin-1 export?)"
            )
            return problem_message(file_name, number, column, problem)
    return None


def _utf8_error_field(raw: bytes, columns: Sequence[str], delimiter: str) -> str | None:
    """The column of the first field of a line that is not UTF-8 (the line read as Latin-1,
    where every byte is a character; a ``|`` file has no quoting)."""
    quoting = csv.QUOTE_NONE if delimiter == "|" else csv.QUOTE_MINIMAL
    text = raw.decode("latin-1").rstrip("\r\n")
    try:
        fields = next(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting), []
        )
    except csv.Error:
        return None
    for index, value in enumerate(fields[: len(columns)]):
        try:
            value.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return columns[index]
    return None
