"""Getting a source file onto this machine and recognising what it is, for any source system.

A source is a local path or an http(s) URL. URLs are downloaded once into a cache folder
(``data/`` by default) and reused. The format is recognised by the first bytes, never by the
name: gzip, zip (a workbook when it holds ``xl/workbook.xml``) or else CSV. The file ready
for a loader is a ``CsvInput`` (``retail_warehouse.inputs``, shared with the engines).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import stat
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, TextIO

from retail_warehouse.errors import LoadError, escape_unprintable
from retail_warehouse.messages import problem_message

DEFAULT_CACHE_DIR = Path("data")
"""Downloads are kept here, relative to the current directory (git-ignored)."""

CHUNK = 1 << 20
"""Bytes read at a time when copying or hashing."""

MAX_ZIP_MEMBER_BYTES = 1 << 30
"""The largest file (uncompressed) taken from a zip, 1 GiB: a zip is unpacked into a
temporary folder before it is read, so a small zip of many gigabytes (a zip bomb, or a
mistaken export) must not fill the disk. The UCI workbook is 45 MB and its CSV about 90 MB;
a larger file is loaded as it is or gzipped (``.csv.gz`` is read as a stream, never copied)."""

GZIP_MAGIC = b"\x1f\x8b"
"""The first two bytes of a gzip file."""
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


class SourceFormat(StrEnum):
    """The kinds of file a source can be."""

    CSV = "csv"
    CSV_GZ = "csv.gz"
    XLSX = "xlsx"
    ZIP = "zip"


# --- where the file is -----------------------------------------------------------------------


def is_url(source: str) -> bool:
    """True for an http or https URL, false for a local path."""
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


def refuse_url_credentials(source: str) -> None:
    """Refuse an http(s) URL that holds a user name or password (``http://user:pw@host/``):
    the download cannot use them (urllib took ``user:pw@host`` for the host name) and the
    message and ``load_log`` would have kept the password in clear. The message names the
    URL without them."""
    if not is_url(source):
        return
    parts = urllib.parse.urlsplit(source)
    if parts.username is None and parts.password is None:
        return
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    shown = urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))
    raise LoadError(
        f"{shown}: the URL holds a user name or password, which the loader does not send "
        "(and would not store in load_log); download the file and load it from disk"
    )


_UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9 ._+()-]")

MAX_CACHED_NAME_CHARACTERS = 200
"""The longest cached file name (its end, extension included): a file name has at most 255
bytes, and a longer last part of a URL failed with 'File name too long'."""


def cached_file_name(url: str) -> str:
    """The file name a download is cached under: the last part of the URL's path, decoded,
    with every character that could leave a folder or confuse a shell replaced by ``_``
    (so never ``/``, ``\\``, ``..`` or an absolute path)."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name.rsplit("/", 1)[-1])
    name = name[-MAX_CACHED_NAME_CHARACTERS:].lstrip(". ")
    return name or "download"


def cache_path(url: str, cache_dir: Path) -> Path:
    """Where a URL is cached: ``<cache_dir>/<first 16 hex of sha256(url)>/<file name>``.

    Keyed on the whole URL (query included), so two URLs never share a copy; the path is
    checked to lie inside ``cache_dir`` whatever the URL holds.
    """
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    path = cache_dir / key / cached_file_name(url)
    if not path.resolve().is_relative_to(cache_dir.resolve()):
        raise LoadError(f"{url}: the cache path {path} would lie outside {cache_dir}")
    return path


def source_file_name(source: str) -> str:
    """The file name recorded for a source: the path's base name or the cached download's,
    with anything not printable escaped (``errors.escape_unprintable``)."""
    return escape_unprintable(cached_file_name(source) if is_url(source) else Path(source).name)


PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
"""Folders of the kernel's pseudo-files: they look like files but are not data (their size
is 0 or a page, their contents are the machine's state), so nothing under them is loaded."""

NOT_REGULAR = (
    "not a regular file (a pipe, a device or a file of /proc or /sys is never loaded; copy "
    "the data into a file)"
)


def check_regular_file(path: Path, shown: str | None = None) -> None:
    """Raise ``LoadError`` unless ``path`` is a regular file (links followed) outside the
    kernel's pseudo-filesystems: a folder, a FIFO, a device or ``/proc/self/environ`` is
    refused before a byte of it is read, so its contents never reach a message."""
    shown = str(path) if shown is None else shown
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise LoadError(f"{shown}: no such file") from None
    except OSError as error:
        raise LoadError(f"{shown}: cannot read it ({error.strerror or error})") from None
    if stat.S_ISDIR(mode):
        raise LoadError(f"{shown}: is a folder, not a file; give the file inside it")
    resolved = path.resolve()
    if not stat.S_ISREG(mode) or any(
        resolved.is_relative_to(folder) for folder in PSEUDO_FILESYSTEMS
    ):
        raise LoadError(f"{shown}: {NOT_REGULAR}")


def folder_file(
    folder: Path, stem: str, suffixes: Sequence[str], *, links_outside: bool = False
) -> Path | None:
    """The one file ``<stem><suffix>`` of a source folder (a TPC-H table, a loyalty feed's
    ``customers``), or ``None`` when there is none.

    Refused with ``LoadError``: two of them (``customers.csv`` and ``customers.csv.gz``:
    which one is meant?), one that is not a regular file (``check_regular_file``) and,
    unless ``links_outside``, a symbolic link that resolves outside the folder (a feed
    folder holds its files; a link to ``/etc/passwd`` is never read).
    """
    candidates = [folder / f"{stem}{suffix}" for suffix in suffixes]
    present = [path for path in candidates if path.exists() or path.is_symlink()]
    if len(present) > 1:
        raise LoadError(
            f"{folder}: {stem} has {len(present)} files "
            f"({', '.join(path.name for path in present)}); keep one"
        )
    if not present:
        return None
    path = present[0]
    if not links_outside and not path.resolve().is_relative_to(folder.resolve()):
        raise LoadError(
            f"{path}: a link to a file outside the folder; copy the file into the folder "
            "(a feed's files must be in its folder)"
        )
    check_regular_file(path)
    return path


def fetch(
    source: str,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    progress: TextIO | None = None,
    check: Callable[[Path, str], None] | None = None,
) -> Path:
    """The local file of a source, downloading a URL into ``cache_dir`` unless already cached.

    ``check(path, name)`` raises ``LoadError`` when a download is not a usable file (an HTML
    error page saved as ``export.csv``); such a download is not cached. Using a cached copy
    is said on ``progress`` (stderr by default), with how to download it again.
    """
    if not is_url(source):
        path = Path(source).expanduser()
        check_regular_file(path, source)
        return path
    destination = cache_path(source, cache_dir)
    if destination.is_file():
        stream = sys.stderr if progress is None else progress
        stream.write(
            f"using the cached copy {destination} of {source}; delete that file to download "
            "it again\n"
        )
        stream.flush()
        return destination
    return download(source, destination, progress, check)


def download(
    url: str,
    destination: Path,
    progress: TextIO | None = None,
    check: Callable[[Path, str], None] | None = None,
) -> Path:
    """Download ``url`` to ``destination`` through a temporary file that is checked (see
    ``fetch``) and renamed at the end; nothing is left behind when either fails."""
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
        if check is not None:
            check(Path(temp_name), f"{destination.name} (downloaded from {url})")
        os.replace(temp_name, destination)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise LoadError(f"cannot download {url}: {_reason(error)}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        with contextlib.suppress(OSError):
            destination.parent.rmdir()  # only when empty: a failed download leaves nothing
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
    while chunk := response.read(CHUNK):
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
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- what the file is ------------------------------------------------------------------------


def detect_format(head: bytes, zip_members: Iterable[str] = ()) -> SourceFormat:
    """The format from the first bytes of a file (and, for a zip, the names inside it).

    A zip holding ``xl/workbook.xml`` is a workbook; any other zip is an archive to unpack.
    Anything that is neither gzip nor zip is taken as CSV; its header check decides.
    """
    if head.startswith(GZIP_MAGIC):
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


def extract_zip_member(
    path: Path,
    folder: Path,
    display_name: str,
    choose: Callable[[Sequence[str]], str | None],
    expected: str,
    max_bytes: int | None = None,
) -> Path:
    """Extract the member that ``choose`` picks from a zip into ``folder``; return its path.

    ``expected`` says, for the message, what the zip should have held when ``choose`` finds
    nothing. A text member is checked while it is written: at a line longer than
    ``scan.MAX_LINE_BYTES`` the extraction stops with the line, as the scan would later say
    it, before more than that line is on disk (a 2 MB zip of 2 GiB without a line break used
    to write all of it to the temporary folder first). A gzip or workbook member is binary:
    its lines are bounded when it is read. Any member is refused beyond ``max_bytes``
    (default ``MAX_ZIP_MEMBER_BYTES``) by the uncompressed size the zip declares, before
    anything is written: ``zipfile`` never reads a member past that size (a zip that lies
    about it fails its CRC check).
    """
    max_bytes = MAX_ZIP_MEMBER_BYTES if max_bytes is None else max_bytes
    with zipfile.ZipFile(path) as archive:
        member = choose(archive.namelist())
        if member is None:
            listed = ", ".join(archive.namelist()[:10]) or "nothing"
            raise LoadError(
                f"{display_name}: expected {expected} in the zip, found "
                f"{escape_unprintable(listed)}"
            )
        target = folder / member.rsplit("/", 1)[-1]
        name = f"{escape_unprintable(target.name)} in {display_name}"
        size = archive.getinfo(member).file_size
        if size > max_bytes:
            raise LoadError(_member_too_large(name, max_bytes, size))
        try:
            with archive.open(member) as source, target.open("wb") as out:
                _copy_member(source, out, name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise LoadError(f"{display_name}: cannot extract {member} ({error})") from error
    return target


def _member_too_large(name: str, max_bytes: int, size: int) -> str:
    """The refusal of a zip member larger than ``max_bytes`` uncompressed."""
    return (
        f"{name}: {size:,} bytes uncompressed, more than the {max_bytes:,} taken from a zip; "
        "unzip it and load the file itself (a .csv or .csv.gz is read without a copy)"
    )


def _copy_member(source: BinaryIO, out: BinaryIO, name: str) -> None:
    """Copy a zip member in chunks, failing at a line longer than ``scan.MAX_LINE_BYTES``
    unless the member is binary (gzip or zip: its first bytes say so). ``run`` counts the
    bytes of the line still open at the end of a chunk; a line inside one chunk is shorter
    than ``CHUNK``, itself shorter than the limit."""
    # scan imports this module, so its limit and words are imported when first needed
    from retail_warehouse.sources.scan import MAX_LINE_BYTES, long_line_problem

    line = 1
    run = 0
    checked: bool | None = None
    while chunk := source.read(CHUNK):
        if checked is None:
            checked = not chunk.startswith((GZIP_MAGIC, *_ZIP_MAGICS))
        if checked:
            last_end = chunk.rfind(b"\n")
            if last_end == -1:
                run += len(chunk)
            else:
                if run + chunk.find(b"\n") > MAX_LINE_BYTES:
                    raise LoadError(problem_message(name, line, None, long_line_problem()))
                line += chunk.count(b"\n")
                run = len(chunk) - last_end - 1
            if run > MAX_LINE_BYTES:
                raise LoadError(problem_message(name, line, None, long_line_problem()))
        out.write(chunk)
