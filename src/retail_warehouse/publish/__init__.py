"""Write-audit-publish: ``retail-warehouse build`` writes a shadow copy of what BI reads, runs every
test there and publishes it in one atomic step only when nothing at error severity failed.

One module per engine (``duckdb``: a copy of the file, replaced with ``os.replace``;
``postgres``: shadow schemas, swapped by renames in one transaction), both with the same
operations, ``audit`` to read dbt's results and ``keys`` for the primary and foreign keys
declared on the shadow before it is published. ``retail_warehouse.build`` is the entry point
that ties them together. Method and figures: docs/publishing.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from retail_warehouse.errors import WarehouseBusyError
from retail_warehouse.publish.keys import Key
from retail_warehouse.settings import Settings

__all__ = [
    "BUSY_HINT",
    "Generation",
    "PublishOutcome",
    "Publisher",
    "QueryFunction",
    "WarehouseBusyError",
]

BUSY_HINT = "wait for it to finish, then run the command again"
"""The end of every "the warehouse is busy" message (``WarehouseBusyError``, exit status 2)."""

QueryFunction = Callable[[str], tuple[list[str], list[tuple[Any, ...]]]]
"""Runs one SQL query on the shadow copy; returns (column names, rows)."""


@dataclass(frozen=True)
class Generation:
    """One kept copy of what BI reads: the published one, a previous one or the shadow."""

    name: str
    """``published``, ``previous-1`` (the newest previous), ..., ``rolled-back``, ``shadow``."""
    location: str
    """Where it is: a file path (DuckDB) or schema names (PostgreSQL)."""
    published_at: str | None = None
    """When it was published (UTC, ISO 8601), when known."""


@dataclass(frozen=True)
class PublishOutcome:
    """What a publish or a rollback did."""

    seconds: float
    """Wall time of the atomic step and the bookkeeping around it."""
    published: Generation
    kept: tuple[Generation, ...]
    """The previous generations kept after it, newest first."""
    notes: tuple[str, ...] = ()
    """Things the user should know (a generation that could not be dropped, loads undone)."""


class Publisher(Protocol):
    """The operations ``retail_warehouse.build`` needs from an engine."""

    def hold(self) -> AbstractContextManager[None]:
        """Exclusive right to build and publish, held across the whole build; raises
        ``WarehouseBusyError`` when another build (or a writer) has the warehouse."""

    def hold_for_load(self) -> AbstractContextManager[object]:
        """The right to load into raw, shared with other loads and held across the load;
        raises ``WarehouseBusyError`` while a build or rollback runs (a load it did not see
        would be lost or skipped when it publishes)."""

    def prepare_shadow(self) -> dict[str, str]:
        """Make the shadow ready for dbt; return the environment variables dbt needs to
        write it."""

    def prepare_schemas(
        self, shadow_schemas: Sequence[str], carried: Sequence[tuple[str, str]]
    ) -> list[str]:
        """Before dbt starts, when the shadow is schemas (PostgreSQL): empty the
        ``shadow_schemas`` and copy in the published tables of ``carried`` ((shadow schema,
        table) of the models dbt continues from or leaves out); return the tables copied."""

    def shadow_settings(self, settings: Settings) -> Settings:
        """Settings that point at the shadow (DuckDB: the shadow file), for what the build
        writes besides dbt (the run results)."""

    def shadow_location(self, shadow_schemas: Sequence[str]) -> str:
        """Where the shadow is, in words, for messages."""

    def query_shadow(self) -> AbstractContextManager[QueryFunction]:
        """A read-only query function on the shadow (to show the rows a failed test found)."""

    def query_published(self) -> AbstractContextManager[QueryFunction | None]:
        """A read-only query function on what BI reads now, ``None`` when nothing is published
        yet; called after ``prepare_shadow``, before dbt starts (the newest load whose rows
        passed every test)."""

    def discard_shadow_access(self, shadow_schemas: Sequence[str]) -> None:
        """After a failed build: keep the shadow for inspection, but not readable by BI, and
        let go of the published warehouse (the build lock stays held)."""

    def discard_shadow(self, shadow_schemas: Sequence[str]) -> None:
        """After an interrupted build: delete the shadow (DuckDB: the file; PostgreSQL: the
        ``shadow_schemas``, else at least hide them from BI) and let go of the published
        warehouse (the build lock stays held)."""

    def publish(
        self, shadow_schemas: Sequence[str], keep: int, keys: Sequence[Key] = ()
    ) -> PublishOutcome:
        """Declare the ``keys`` (``publish.keys``) the shadow lacks, then make it the
        published warehouse in one atomic step; keep ``keep`` previous generations."""

    def rollback(self) -> PublishOutcome:
        """Publish the newest previous generation again, in one atomic step."""

    def generations(self) -> Iterator[Generation]:
        """The published generation, then the previous ones (newest first), then any shadow."""
