"""Connection settings from the environment, matching ``profiles/profiles.yml``.

DuckDB: ``DUCKDB_PATH`` (default ``warehouse.duckdb``, relative to the current directory).
PostgreSQL: the libpq variables ``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD`` and
``PGDATABASE``. Schema prefix: ``RW_SCHEMA_PREFIX`` (default empty), the same variable that
``dbt_project.yml`` reads, so the loader writes where dbt reads. Published generations kept
by ``retail-warehouse build`` for a rollback: ``RW_KEEP_GENERATIONS`` (default 1;
docs/publishing.md). Apache Spark: ``RW_SPARK_DIR`` (default ``data/spark``), the folder of the
raw parquet tables the loader writes and of the local Spark session's metastore and tables
(docs/spark.md). DuckDB's memory limit:
``RW_DUCKDB_MEMORY_LIMIT`` (default 3GB, as in ``profiles.yml``; beyond it DuckDB spills to
``<DUCKDB_PATH>.tmp``; docs/benchmark.md).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_warehouse.errors import ConfigError
from retail_warehouse.messages import excerpt

TARGETS: tuple[str, ...] = ("duckdb", "postgres", "spark")
"""The warehouse engines, named as the outputs in ``profiles.yml``."""

SERVING_TARGETS: tuple[str, ...] = ("duckdb", "postgres")
"""The engines that the summary, the dashboard, the API and published builds read (a Spark
build is read with Spark SQL; docs/spark.md)."""

DEFAULT_KEEP_GENERATIONS = 1
"""Previous published generations kept for ``retail-warehouse rollback``."""

_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")
"""What an integer setting may be: ASCII digits only. ``int()`` also takes "5_432", "+5432",
" 5432 " and other scripts' digits ("٥٤٣٢"), and ``str.isdigit`` takes "²", which ``int()``
then refuses with a traceback."""

DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
"""DuckDB's memory limit unless ``RW_DUCKDB_MEMORY_LIMIT`` says otherwise; the default of
the duckdb output in ``profiles.yml`` too, so the loader and dbt stay within the same bound."""

_PREFIX_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")

POSTGRES_MAX_NAME_BYTES = 63
"""PostgreSQL cuts longer names (NAMEDATALEN - 1): two schemas that differ only beyond it
would be one."""

LONGEST_LAYER = "intermediate"
"""The longest layer name (raw, staging, intermediate, marts, monitoring, ml)."""

LONGEST_SCHEMA_SUFFIX = "__previous_1000"
"""The longest suffix a published build gives a schema (``__shadow``, ``__rolled_back``,
``__previous_<n>`` with n up to ``MAX_KEEP_GENERATIONS`` + 1; publish/postgres.py)."""

MAX_KEEP_GENERATIONS = 999
"""The most previous generations kept (the longest ``__previous_<n>`` fits a schema name)."""

MAX_SCHEMA_PREFIX_LENGTH = POSTGRES_MAX_NAME_BYTES - len(LONGEST_LAYER) - len(LONGEST_SCHEMA_SUFFIX)
"""36: the longest prefix whose every schema name (``<prefix>intermediate__previous_1000``)
fits in PostgreSQL's 63 bytes."""


@dataclass(frozen=True)
class PostgresSettings:
    """Where the PostgreSQL warehouse is."""

    host: str = "localhost"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "retail_warehouse"

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg2.connect``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
            "connect_timeout": 10,
            "application_name": "retail-warehouse",
        }

    def describe(self) -> str:
        """``host:port/dbname``, for messages (never the password)."""
        return f"{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True)
class Settings:
    """Everything the loader and the reports need to find the warehouse."""

    duckdb_path: Path = Path("warehouse.duckdb")
    spark_dir: Path = Path("data/spark")
    postgres: PostgresSettings = dataclasses.field(default_factory=PostgresSettings)
    schema_prefix: str = ""
    keep_generations: int = DEFAULT_KEEP_GENERATIONS
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT

    def __post_init__(self) -> None:
        check_duckdb_path(self.duckdb_path)
        check_schema_prefix(self.schema_prefix)
        if not 0 <= self.keep_generations <= MAX_KEEP_GENERATIONS:
            raise ConfigError(
                f"the number of generations to keep must be 0 to {MAX_KEEP_GENERATIONS}, "
                f"not {self.keep_generations}"
            )

    @property
    def raw_schema(self) -> str:
        """The schema of the raw tables: prefix + ``raw``."""
        return schema_name(self.schema_prefix, "raw")

    @property
    def intermediate_schema(self) -> str:
        """The schema of the intermediate models: prefix + ``intermediate``."""
        return schema_name(self.schema_prefix, "intermediate")

    def with_prefix(self, prefix: str | None) -> Settings:
        """A copy with another schema prefix; ``None`` keeps the current one."""
        if prefix is None:
            return self
        return dataclasses.replace(self, schema_prefix=prefix)


_DUCKDB_SPECIAL_NAMES = re.compile(r"^(:|md:|motherduck:)", re.IGNORECASE)
"""Names DuckDB does not read as a file: ``:memory:`` (and ``:memory:<name>``), MotherDuck."""


def check_duckdb_path(path: Path) -> None:
    """Raise ``ConfigError`` unless ``DUCKDB_PATH`` names a file: DuckDB reads ``:memory:``
    as an in-memory database, and a load into it would report rows loaded that are gone when
    the process ends (what is in the file itself is checked when it is opened:
    ``engines.duckdb.check_duckdb_file``)."""
    text = str(path)
    if not text or _DUCKDB_SPECIAL_NAMES.match(text):
        raise ConfigError(
            f"DUCKDB_PATH {text!r} is not a file name: the warehouse must be a DuckDB file "
            "on disk, e.g. warehouse.duckdb"
        )
    if not text.isprintable():  # a pasted line break: every message naming it broke in two
        raise ConfigError(
            f"DUCKDB_PATH {excerpt(text)} holds a control character (a line break, a tab; "
            "shown as ?): correct the path"
        )


def check_schema_prefix(prefix: str) -> None:
    """Raise ``ConfigError`` unless ``prefix`` is empty or a plain lower-case identifier.

    Schema names are never quoted (house style), so only ``[a-z_][a-z0-9_]*`` is accepted,
    and at most ``MAX_SCHEMA_PREFIX_LENGTH`` characters: PostgreSQL cuts a name at 63 bytes,
    and a longer prefix made raw, staging and marts one schema.
    """
    if prefix and not _PREFIX_PATTERN.fullmatch(prefix):  # match's $ takes a final \n
        raise ConfigError(
            f"schema prefix {prefix[:40]!r} must be lower-case letters, digits and underscores, "
            "starting with a letter or an underscore"
        )
    if len(prefix) > MAX_SCHEMA_PREFIX_LENGTH:
        raise ConfigError(
            f"schema prefix of {len(prefix)} characters is too long: at most "
            f"{MAX_SCHEMA_PREFIX_LENGTH}, so that every schema name "
            f"(<prefix>{LONGEST_LAYER}{LONGEST_SCHEMA_SUFFIX}) fits in PostgreSQL's "
            f"{POSTGRES_MAX_NAME_BYTES} bytes"
        )


def schema_name(prefix: str, layer: str) -> str:
    """The schema of a layer, e.g. ``schema_name("dev_", "raw") == "dev_raw"``."""
    return f"{prefix}{layer}"


def parse_integer(
    text: str,
    name: str,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    kind: str = "a whole number",
) -> int:
    """The one reader of integer settings (environment variables and options): ASCII digits
    only, within ``minimum``..``maximum``; else ``ConfigError`` naming ``name`` (the variable
    or option), saying what it must be (``kind``, the bounds) and quoting at most 40
    characters of the value."""
    if _ASCII_DIGITS.fullmatch(text):
        value = int(text)
        if value >= minimum and (maximum is None or value <= maximum):
            return value
    if maximum is not None:
        bounds = f", {minimum} to {maximum}"
    else:
        bounds = f", at least {minimum}" if minimum else ""
    shown = text if len(text) <= 40 else text[:40] + "..."
    raise ConfigError(f"{name} must be {kind} (digits 0-9 only){bounds}, not {shown!r}")


def integer_setting(
    env: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    kind: str = "a whole number",
) -> int:
    """The integer environment variable ``name`` (``parse_integer``); ``default`` when it is
    unset or empty."""
    text = env.get(name) or ""
    if not text:
        return default
    return parse_integer(text, name, minimum=minimum, maximum=maximum, kind=kind)


PORT: dict[str, Any] = {"minimum": 1, "maximum": 65535, "kind": "a port number"}
"""``parse_integer``'s arguments for a TCP port."""


def generations_to_keep(text: str) -> int:
    """``RW_KEEP_GENERATIONS`` (or ``--keep``) as a number: digits only; the range is checked
    by ``Settings``."""
    return parse_integer(text, "RW_KEEP_GENERATIONS")


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    port = integer_setting(env, "PGPORT", 5432, **PORT)
    postgres = PostgresSettings(
        host=env.get("PGHOST") or "localhost",
        port=port,
        user=env.get("PGUSER") or "postgres",
        password=env.get("PGPASSWORD", ""),
        dbname=env.get("PGDATABASE") or "retail_warehouse",
    )
    keep = generations_to_keep(env.get("RW_KEEP_GENERATIONS") or str(DEFAULT_KEEP_GENERATIONS))
    return Settings(
        duckdb_path=Path(env.get("DUCKDB_PATH") or "warehouse.duckdb"),
        spark_dir=Path(env.get("RW_SPARK_DIR") or "data/spark"),
        postgres=postgres,
        schema_prefix=env.get("RW_SCHEMA_PREFIX", ""),
        keep_generations=keep,
        duckdb_memory_limit=env.get("RW_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
    )
