"""Find, download and read a raw Online Retail II file.

A source is a local path or an http(s) URL. URLs are downloaded once into a cache folder
(``data/`` by default) and reused. Four formats are accepted, recognised by their first bytes:

* CSV and gzip-compressed CSV, loaded as they are;
* the UCI workbook (XLSX) with the sheets "Year 2009-2010" and "Year 2010-2011", written to a
  temporary CSV in exactly the text form of the shared CSV;
* the UCI zip download, which holds the workbook (or a CSV): the inner file is extracted to a
  temporary folder and read as above.

``prepared_csv`` hides all of this: it yields a ``CsvInput`` whose header has been checked.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO

from python_calamine import CalamineWorkbook

from retail_warehouse.errors import LoadError
from retail_warehouse.validation import SOURCE_COLUMNS, check_header, parse_header_line

DEFAULT_SOURCE_URL = "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"
"""The official UCI download of Online Retail II (dataset 502, CC BY 4.0)."""

SOURCE_ENV_VAR = "ONLINE_RETAIL_SOURCE"
"""Environment variable that overrides the default source."""

DEFAULT_CACHE_DIR = Path("data")
"""Downloads are kept here, relative to the current directory (git-ignored)."""

XLSX_SHEETS: tuple[str, ...] = ("Year 2009-2010", "Year 2010-2011")
"""The workbook's sheets, read in this order."""

WORKBOOK_MEMBER = "online_retail_II.xlsx"
"""The workbook's name inside the UCI zip."""

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_CHUNK = 1 << 20


class _RowWriter(Protocol):
    """What ``csv.writer`` returns, as far as this module uses it."""

    def writerow(self, row: Iterable[object], /) -> object:
        """Write one row."""


class SourceFormat(StrEnum):
    """The kinds of file a source can be."""

    CSV = "csv"
    CSV_GZ = "csv.gz"
    XLSX = "xlsx"
    ZIP = "zip"


@dataclass(frozen=True)
class CsvInput:
    """A CSV file ready for a bulk loader, with its header already checked."""

    path: Path
    gzipped: bool
    display_name: str


# --- where the source is ---------------------------------------------------------------------


def resolve_source(
    option: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> str:
    """The source to load: the option if given, else ``$ONLINE_RETAIL_SOURCE``, else UCI's URL."""
    if option is not None and str(option) != "":
        return str(option)
    env = os.environ if env is None else env
    return env.get(SOURCE_ENV_VAR) or DEFAULT_SOURCE_URL


def is_url(source: str) -> bool:
    """True for an http or https URL, false for a local path."""
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


def cached_file_name(url: str) -> str:
    """The file name a download is cached under: the last part of the URL's path."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    return name if name not in ("", ".", "..") else "download"


def fetch(
    source: str,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    progress: TextIO | None = None,
) -> Path:
    """The local file of a source, downloading a URL into ``cache_dir`` unless already cached."""
    if not is_url(source):
        path = Path(source).expanduser()
        if not path.is_file():
            raise LoadError(f"{source}: no such file")
        return path
    destination = cache_dir / cached_file_name(source)
    if destination.is_file():
        return destination
    return download(source, destination, progress)


def download(url: str, destination: Path, progress: TextIO | None = None) -> Path:
    """Download ``url`` to ``destination`` through a temporary file renamed at the end."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".part", dir=destination.parent
    )
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = _content_length(response.headers.get("Content-Length"))
            done = _copy_with_progress(response, out, destination.name, total, progress)
        if total is not None and done != total:
            raise LoadError(f"cannot download {url}: got {done:,} of {total:,} bytes")
        os.replace(temp_name, destination)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise LoadError(f"cannot download {url}: {_reason(error)}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
    return destination


def _reason(error: Exception) -> str:
    """The useful part of a download error."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _content_length(value: str | None) -> int | None:
    """The Content-Length header as a number, or ``None`` when absent or unusable."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _copy_with_progress(
    response: BinaryIO, out: BinaryIO, name: str, total: int | None, progress: TextIO | None
) -> int:
    """Copy the response body to ``out``, reporting progress; returns the bytes copied."""
    stream = sys.stderr if progress is None else progress
    interactive = stream.isatty()
    done = 0
    last_shown = ""
    while chunk := response.read(_CHUNK):
        out.write(chunk)
        done += len(chunk)
        text = format_progress(name, done, total)
        if interactive:
            stream.write("\r" + text)
        elif _progress_step(done, total) != _progress_step(done - len(chunk), total):
            stream.write(text + "\n")
        last_shown = text
    final = format_progress(name, done, total)
    if interactive:
        stream.write("\r" + final + "\n")
    elif final != last_shown or done == 0:
        stream.write(final + "\n")
    stream.flush()
    return done


def _progress_step(done: int, total: int | None) -> int:
    """Tenths of the file when its size is known, else steps of 10 MB; a new step prints."""
    if total:
        return done * 10 // total
    return done // 10_000_000


def format_progress(name: str, done: int, total: int | None) -> str:
    """``"downloading x.zip: 12,345,678 of 45,000,000 bytes (27%)"`` (no % if size unknown)."""
    if total:
        return f"downloading {name}: {done:,} of {total:,} bytes ({done * 100 // total}%)"
    return f"downloading {name}: {done:,} bytes"


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- what the file is ------------------------------------------------------------------------


def detect_format(head: bytes, zip_members: Iterable[str] = ()) -> SourceFormat:
    """The format from the first bytes of a file (and, for a zip, the names inside it).

    A zip holding ``xl/workbook.xml`` is a workbook; any other zip is an archive to unpack.
    Anything that is neither gzip nor zip is taken as CSV; its header check decides.
    """
    if head.startswith(_GZIP_MAGIC):
        return SourceFormat.CSV_GZ
    if head.startswith(_ZIP_MAGICS):
        if "xl/workbook.xml" in set(zip_members):
            return SourceFormat.XLSX
        return SourceFormat.ZIP
    return SourceFormat.CSV


def sniff_format(path: Path) -> SourceFormat:
    """The format of a local file (see ``detect_format``)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    members: list[str] = []
    if head.startswith(_ZIP_MAGICS):
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except zipfile.BadZipFile as error:
            raise LoadError(f"{path.name}: not a readable zip file ({error})") from error
    return detect_format(head, members)


def choose_zip_member(names: Sequence[str]) -> str | None:
    """The file to read from a zip: the UCI workbook, else the only .xlsx/.csv/.csv.gz."""
    candidates = [
        name
        for name in names
        if not name.endswith("/")
        and not name.startswith("__MACOSX/")
        and name.lower().endswith((".xlsx", ".csv", ".csv.gz"))
    ]
    for name in candidates:
        if name.rsplit("/", 1)[-1] == WORKBOOK_MEMBER:
            return name
    return candidates[0] if len(candidates) == 1 else None


# --- turning any source into a checked CSV ---------------------------------------------------


@contextlib.contextmanager
def prepared_csv(path: Path, display_name: str | None = None) -> Iterator[CsvInput]:
    """Yield a header-checked CSV for ``path``; temporary files are removed afterwards."""
    name = display_name or path.name
    source_format = sniff_format(path)
    if source_format in (SourceFormat.CSV, SourceFormat.CSV_GZ):
        gzipped = source_format is SourceFormat.CSV_GZ
        check_csv_file(path, gzipped, name)
        yield CsvInput(path=path, gzipped=gzipped, display_name=name)
        return
    with tempfile.TemporaryDirectory(prefix="retail_warehouse_") as temp_dir:
        if source_format is SourceFormat.XLSX:
            csv_path = Path(temp_dir) / (path.stem + ".csv")
            workbook_to_csv(path, csv_path, name)
            check_csv_file(csv_path, False, name)
            yield CsvInput(path=csv_path, gzipped=False, display_name=name)
            return
        inner = extract_zip_member(path, Path(temp_dir), name)
        if sniff_format(inner) is SourceFormat.ZIP:
            raise LoadError(f"{name}: holds another zip ({inner.name}); unpack it first")
        with prepared_csv(inner, f"{inner.name} in {name}") as prepared:
            yield prepared


def extract_zip_member(path: Path, folder: Path, display_name: str) -> Path:
    """Extract the workbook or CSV of a zip into ``folder`` and return its path."""
    with zipfile.ZipFile(path) as archive:
        member = choose_zip_member(archive.namelist())
        if member is None:
            listed = ", ".join(archive.namelist()[:10]) or "nothing"
            raise LoadError(
                f"{display_name}: expected {WORKBOOK_MEMBER} or one .csv file in the zip, "
                f"found {listed}"
            )
        target = folder / member.rsplit("/", 1)[-1]
        try:
            with archive.open(member) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise LoadError(f"{display_name}: cannot extract {member} ({error})") from error
    return target


def check_csv_file(path: Path, gzipped: bool, display_name: str) -> None:
    """Check that a CSV file has the expected header and at least one line after it."""
    try:
        with _open_binary(path, gzipped) as handle:
            first = handle.readline(1 << 16)
            second = handle.readline(1 << 16)
    except (OSError, EOFError, zlib.error) as error:
        what = "the gzip data is truncated or corrupt" if gzipped else "cannot read the file"
        raise LoadError(f"{display_name}: {what} ({error})") from error
    if not first:
        raise LoadError(f"{display_name}: the file is empty")
    try:
        header_text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError(f"{display_name}: line 1: the header is not valid UTF-8 text") from None
    check_header(parse_header_line(header_text), display_name)
    if not second:
        raise LoadError(f"{display_name}: no data rows after the header")


def _open_binary(path: Path, gzipped: bool) -> BinaryIO:
    """Open a file for reading bytes, decompressing gzip on the fly."""
    if gzipped:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


# --- the workbook ----------------------------------------------------------------------------


def normalise_cell(column: str, value: object) -> str:
    """The text of a workbook cell exactly as the shared CSV writes it.

    Whole floats become integer text (``489434.0`` -> ``"489434"``) except in Price, which
    is always the shortest float form (``6.95``, ``18.0``); date-times become
    ``YYYY-MM-DD HH:MM:SS`` (to the nearest second); empty cells become empty strings; text
    is kept as it is.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return _nearest_second(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d 00:00:00")
    if isinstance(value, int | float):
        return _number_text(column, value)
    return str(value)


def _nearest_second(value: dt.datetime) -> dt.datetime:
    """Round away the float noise of Excel serial dates (07:44:59.9999 is 07:45:00)."""
    return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)


def _number_text(column: str, value: float) -> str:
    """Numbers: float repr for Price, integer text for whole numbers elsewhere."""
    if column == "Price":
        return repr(float(value))
    if isinstance(value, int):
        return str(value)
    return str(int(value)) if value.is_integer() else repr(value)


def normalise_row(row: Sequence[object]) -> list[str]:
    """The eight CSV fields of a workbook row (short rows are padded with empty fields)."""
    cells = list(row[: len(SOURCE_COLUMNS)])
    cells += [""] * (len(SOURCE_COLUMNS) - len(cells))
    pairs = zip(SOURCE_COLUMNS, cells, strict=True)
    return [normalise_cell(column, cell) for column, cell in pairs]


def trim_trailing_empty(row: Sequence[object]) -> list[object]:
    """The row without its trailing empty cells."""
    cells = list(row)
    while cells and (cells[-1] is None or cells[-1] == ""):
        cells.pop()
    return cells


def workbook_to_csv(workbook_path: Path, csv_path: Path, display_name: str) -> int:
    """Write both sheets of the workbook, in order, to one CSV; returns the data rows written."""
    try:
        workbook = CalamineWorkbook.from_path(str(workbook_path))
    except Exception as error:  # calamine raises its own error types for unreadable files
        raise LoadError(f"{display_name}: cannot read the workbook ({error})") from error
    missing = [sheet for sheet in XLSX_SHEETS if sheet not in workbook.sheet_names]
    if missing:
        raise LoadError(
            f"{display_name}: sheet {missing[0]!r} not found "
            f"(the workbook has {', '.join(map(repr, workbook.sheet_names))})"
        )
    rows_written = 0
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SOURCE_COLUMNS)
        for sheet_name in XLSX_SHEETS:
            sheet_label = f"{display_name} (sheet {sheet_name!r})"
            rows = workbook.get_sheet_by_name(sheet_name).iter_rows()
            rows_written = _write_sheet(rows, writer, sheet_label, display_name, rows_written)
    return rows_written


def _write_sheet(
    rows: Iterator[list[object]],
    writer: _RowWriter,
    sheet_label: str,
    display_name: str,
    rows_before: int,
) -> int:
    """Check a sheet's header, then write its data rows; returns the running row count."""
    header = next(rows, None)
    if header is None:
        raise LoadError(f"{sheet_label}: the sheet is empty")
    check_header([normalise_cell("", cell) for cell in trim_trailing_empty(header)], sheet_label)
    count = rows_before
    pending_empty = 0
    for row in rows:
        cells = trim_trailing_empty(row)
        if not cells:
            pending_empty += 1  # empty rows count only if data follows them
            continue
        for _ in range(pending_empty):
            count += 1
            writer.writerow([""] * len(SOURCE_COLUMNS))
        pending_empty = 0
        count += 1
        if len(cells) > len(SOURCE_COLUMNS):
            raise LoadError(
                f"{display_name}: line {count + 1}, column {len(SOURCE_COLUMNS) + 1}: "
                f"unexpected value {cells[len(SOURCE_COLUMNS)]!r} after the last column "
                f"({sheet_label})"
            )
        writer.writerow(normalise_row(cells))
    return count
