"""Source systems: where each system's files are, how to read them and what makes a row valid.

One module per source system (``online_retail.py`` today). The loading steps in
``retail_warehouse.load`` know nothing about any system: they take a ``SourceSystem`` and use
only what it holds. To add a system (``tpch.py``, ``loyalty.py``):

1. Write ``sources/<system>.py`` ending in ``SYSTEM = SourceSystem(...)``: the file's header
   names mapped to raw text columns (in file order), the required columns, the value patterns
   (anchored regular expressions valid in Python, RE2 and PostgreSQL), the columns whose
   values are checked again in Python (dates, plausible ranges, codes: ``value_problem``),
   ``row_problem`` (which column of a row is wrong and why, in the same words for both
   engines), ``prepare`` (turn a local file into a header-checked ``CsvInput``), ``check_download``
   (a quick check before a download is cached), the raw table
   and quarantine table (``RawTable``, built with ``text_columns`` plus ``LOAD_COLUMNS``) and
   where the file is found by default (``env_var``, ``default_source``).
2. Reuse ``files.py`` (fetch/cache a URL, sniff gzip/zip/xlsx), ``retail_warehouse.inputs``
   (``CsvInput``, ``open_input``: shared with ``engines/``, which never imports ``sources/``),
   ``workbook.py`` (a workbook to CSV) and ``quarantine.py`` (line screening) rather than
   writing them again.
3. Call ``load(..., system=<system>.SYSTEM)``; add a staging folder under
   ``models/staging/<system>/`` that reads the raw table.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retail_warehouse.engines.base import RawTable
    from retail_warehouse.inputs import CsvInput

__all__ = ["SourceSystem"]


class LazyPatterns(Mapping[str, str]):
    """A ``SourceSystem.recheck_patterns`` worked out by ``compute`` when a load first reads
    it: patterns built from bounds in dbt_project.yml, which an installed package (the API's
    wheel) does not have, so importing a source module must not need them."""

    def __init__(self, compute: Callable[[], Mapping[str, str]]) -> None:
        self._compute = compute

    @functools.cached_property
    def _patterns(self) -> Mapping[str, str]:
        return self._compute()

    def __getitem__(self, column: str) -> str:
        return self._patterns[column]

    def __iter__(self) -> Iterator[str]:
        return iter(self._patterns)

    def __len__(self) -> int:
        return len(self._patterns)


@dataclass(frozen=True)
class SourceSystem:
    """Everything the loader needs to know about one source system's files."""

    name: str
    """The system's name, as in ``models/staging/<name>/`` (``online_retail``)."""
    columns: Mapping[str, str]
    """Header name in the file -> text column of the raw table, in file order."""
    required: tuple[str, ...]
    """Header names whose values must not be empty."""
    patterns: Mapping[str, str]
    """Header name -> anchored regular expression that non-empty values must match."""
    rechecked_columns: tuple[str, ...]
    """Header names whose distinct values (once they match their pattern, if any) are checked
    again by ``value_problem`` in Python: real dates, plausible ranges, known codes."""
    max_field_length: int
    """Longest value accepted in any column."""
    row_problem: Callable[[Mapping[str, str | None]], tuple[str, str] | None]
    """The first ``(column, problem)`` of a row in file column order, or ``None``."""
    value_problem: Callable[[str, str | None], str | None]
    """What is wrong with one value of a column, or ``None``."""
    prepare: Callable[[Path, str | None], AbstractContextManager[CsvInput]]
    """``prepare(path, display_name)``: a context yielding the file as a header-checked CSV."""
    check_download: Callable[[Path, str], None]
    """``check_download(path, name)``: a quick check, before a download is cached, that it is
    one of this system's files (raises ``LoadError``)."""
    raw_table: RawTable
    """The table the rows go to (the text columns, then ``LOAD_COLUMNS``)."""
    quarantine_table: RawTable
    """Where quarantine mode sets bad rows aside."""
    env_var: str
    """The environment variable that names the default source."""
    default_source: str
    """The source when neither an option nor ``env_var`` gives one."""
    newest_load_only: bool = False
    """Each load is a whole export and the models read only the newest load of the raw
    table (the loyalty feed), so a re-sent earlier file, skipped as already loaded, is not
    what they show: the load says so."""
    unique_key: str | None = None
    """Header name of a whole-number key that staging tests as unique (a TPC-H table's
    key): a value repeated in the file (as a number: ``01`` is ``1``) is refused at its
    second line, instead of loading and failing every build."""
    recheck_patterns: Mapping[str, str] = field(default_factory=dict)
    """Header name of a rechecked column -> a regular expression that every value
    ``value_problem`` could refuse matches (say, keys of ten digits or more against a bound of
    ten digits), so that only those distinct values go to Python; a column without one has
    all its distinct values rechecked. Keeps the recheck cheap for columns with millions of
    distinct values (TPC-H's keys and prices)."""

    @property
    def header(self) -> tuple[str, ...]:
        """The file's header names, in order."""
        return tuple(self.columns)

    def resolve_source(
        self, option: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
    ) -> str:
        """The source to load: the option if given, else ``$env_var``, else the default.
        A URL with a user name or password is refused (``files.refuse_url_credentials``)."""
        from retail_warehouse.sources.files import refuse_url_credentials

        if option is not None and str(option) != "":
            source = str(option)
        else:
            env = os.environ if env is None else env
            source = env.get(self.env_var) or self.default_source
        refuse_url_credentials(source)
        return source
