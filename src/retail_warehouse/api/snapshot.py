"""What the API serves: an in-memory snapshot of the serving tables, reloaded when the
warehouse changes.

The API never holds the warehouse open between reloads, so it never blocks a build:
DuckDB allows one writer per file and a reader's lock would stop ``dbt build``. A snapshot
is read in one read-only connection (DuckDB ``read_only``; PostgreSQL as the BI role in a
read-only, repeatable-read transaction), then the connection is closed. Every
``check_seconds`` a background thread checks whether the warehouse changed: the DuckDB
file's identity (device, inode, size, modification time: a file swapped in by a build is a
new inode), or on PostgreSQL the object ids of the serving tables (dbt and a schema swap
create new tables). A changed warehouse is read again in that thread while the previous
snapshot keeps serving, and swapped in once read (:mod:`retail_warehouse.api.reload`). A
warehouse that cannot be read (no file, a build holding the file, tables missing,
PostgreSQL down or timing out) keeps the previous snapshot serving, with the reason in
``reload_error()``; with none to serve yet the source is unavailable with a message, which
the API answers with 503.

Just over 400 lines on purpose: the DuckDB and PostgreSQL readers and the change check are
one job (a consistent snapshot without holding the warehouse), kept together so the two
engines' rules cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd
import psycopg2

from retail_warehouse.api.reload import SnapshotHolder, WarehouseUnavailable
from retail_warehouse.contracts import FORECAST_COLUMNS
from retail_warehouse.ml.registry import REGISTRY_COLUMNS, RegistryError
from retail_warehouse.scoring import GRID_COLUMNS, ScoringModels, models_from_frames
from retail_warehouse.settings import PostgresSettings, schema_name

REQUIRED_TABLES: tuple[tuple[str, str], ...] = (
    ("marts", "dim_customers"),
    ("marts", "mart_customer_rfm"),
    ("marts", "mart_rfm_segments"),
    ("marts", "mart_rfm_scoring_grid"),
    ("ml", "ml_customer_clusters"),
    ("ml", "ml_cluster_profiles"),
    ("ml", "ml_customer_predictions"),
    ("ml", "ml_sales_forecast"),
    ("ml", "ml_model_registry"),
)
"""(layer, table) the API needs; without any of them it answers 503."""
OPTIONAL_TABLES: tuple[tuple[str, str], ...] = (("marts", "mart_top_customers"),)
"""Tables used when built (the loyalty tier)."""

PROFILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "dim_customers": (
        "customer_id",
        "country_code",
        "order_count",
        "net_revenue",
        "first_purchase_date",
        "last_purchase_date",
    ),
    "mart_customer_rfm": (
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_cell",
        "rfm_score",
        "segment",
    ),
    "ml_customer_clusters": ("customer_id", "cluster_id", "cluster_label"),
    "ml_customer_predictions": (
        "customer_id",
        "purchase_probability",
        "expected_net_revenue",
        "probability_rank",
    ),
    "mart_top_customers": ("customer_id", "loyalty_tier", "revenue_rank"),
}
"""Columns of each table that make up a customer profile."""
SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment",
    "segment_order",
    "customer_count",
    "customer_share",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
    "net_revenue",
    "revenue_share",
    "description",
    "recommended_action",
)
CLUSTER_COLUMNS: tuple[str, ...] = (
    "cluster_id",
    "cluster_label",
    "customer_count",
    "customer_share",
    "net_revenue",
    "net_revenue_share",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
)


class _Reader(Protocol):
    def tables(self) -> set[tuple[str, str]]: ...
    def read(self, table: str, columns: Sequence[str]) -> pd.DataFrame: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Snapshot:
    """The serving tables of one warehouse state, in memory."""

    profiles: pd.DataFrame
    segments: pd.DataFrame
    clusters: pd.DataFrame
    forecast: pd.DataFrame
    models: ScoringModels | None
    models_error: str | None
    as_of_date: dt.date
    reference_date: dt.date
    models_trained_at: dt.datetime | None
    """When the training lane fitted the registry's models (UTC)."""
    models_trained_through: dt.date | None
    """The last invoice date of the data they were fitted on."""
    has_loyalty: bool
    loaded_at: dt.datetime
    description: str
    profile_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    profile_json: dict[int, bytes] = field(default_factory=dict)
    """GET /customers/{id} answers, filled as they are asked for."""

    def profile(self, customer_id: int) -> dict[str, Any] | None:
        """One customer's profile row (shared: do not modify it), or None."""
        return self.profile_rows.get(customer_id)


def _plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Engine types to plain ones: Decimal -> float, NaN/NaT -> None (object columns)."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and values.map(lambda value: isinstance(value, Decimal)).any():
            frame[column] = pd.to_numeric(values).astype("float64")
    return frame


def _earliest(values: pd.Series, as_date: bool = False) -> Any:
    """The earliest value of a registry column (the models are fitted together), as a
    datetime or a date; None for an empty registry."""
    if values.dropna().empty:
        return None
    earliest = pd.to_datetime(values.dropna()).min()
    if as_date:
        return earliest.date()
    stamp = earliest.to_pydatetime()  # UTC, stored without a zone
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def read_snapshot(reader: _Reader, prefix: str, description: str) -> Snapshot:
    """Read every serving table through ``reader``; WarehouseUnavailable when one is missing."""
    existing = reader.tables()

    def name(layer: str, table: str) -> str:
        return f"{schema_name(prefix, layer)}.{table}"

    missing = [
        name(layer, table)
        for layer, table in REQUIRED_TABLES
        if (schema_name(prefix, layer), table) not in existing
    ]
    if missing:
        raise WarehouseUnavailable(
            f"the warehouse is not built (missing {', '.join(missing)}); run retail-warehouse build"
        )
    has_loyalty = (schema_name(prefix, "marts"), "mart_top_customers") in existing
    layers = {layer_table[1]: layer_table[0] for layer_table in REQUIRED_TABLES + OPTIONAL_TABLES}

    def read(table: str, columns: Sequence[str]) -> pd.DataFrame:
        return _plain_frame(reader.read(name(layers[table], table), columns))

    profiles = read("dim_customers", PROFILE_COLUMNS["dim_customers"])
    joined = ["mart_customer_rfm", "ml_customer_clusters", "ml_customer_predictions"]
    if has_loyalty:
        joined.append("mart_top_customers")
    for table in joined:
        part = read(table, PROFILE_COLUMNS[table])
        part["customer_id"] = part["customer_id"].astype("int64")
        profiles["customer_id"] = profiles["customer_id"].astype("int64")
        profiles = profiles.merge(part, on="customer_id", how="left", validate="one_to_one")
    if not has_loyalty:
        profiles["loyalty_tier"] = None
        profiles["revenue_rank"] = None
    profiles = profiles.sort_values("customer_id", kind="mergesort").reset_index(drop=True)
    profiles = profiles.astype(object).where(profiles.notna(), None)
    registry = reader.read(name("ml", "ml_model_registry"), REGISTRY_COLUMNS)
    grid = _plain_frame(reader.read(name("marts", "mart_rfm_scoring_grid"), GRID_COLUMNS))
    models: ScoringModels | None
    try:
        models, models_error = models_from_frames(registry, grid), None
    except (RegistryError, ValueError) as error:
        models, models_error = None, str(error)
    forecast = read("ml_sales_forecast", FORECAST_COLUMNS)
    forecast["is_country"] = forecast["series"] != "total"
    forecast = forecast.sort_values(["is_country", "series", "week_ahead"], kind="mergesort").drop(
        columns="is_country"
    )
    as_of = read("ml_customer_clusters", ("as_of_date",))["as_of_date"]
    reference = grid["reference_date"]
    if as_of.empty or reference.empty:
        raise WarehouseUnavailable("the warehouse is built but its ML or RFM tables are empty")
    return Snapshot(
        profiles=profiles,
        segments=read("mart_rfm_segments", SEGMENT_COLUMNS).sort_values("segment_order"),
        clusters=read("ml_cluster_profiles", CLUSTER_COLUMNS).sort_values("cluster_id"),
        forecast=forecast.reset_index(drop=True),
        models=models,
        models_error=models_error,
        as_of_date=pd.Timestamp(as_of.iloc[0]).date(),
        reference_date=pd.Timestamp(reference.iloc[0]).date(),
        models_trained_at=_earliest(registry["trained_at"]),
        models_trained_through=_earliest(registry["as_of_date"], as_date=True),
        has_loyalty=has_loyalty,
        loaded_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        description=description,
        profile_rows={int(row["customer_id"]): row for row in profiles.to_dict("records")},
    )


class _DuckDBReader:
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise WarehouseUnavailable(
                f"the warehouse is not built: {path} does not exist; run retail-warehouse build"
            )
        try:
            self.connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            text = str(error)
            if "lock" in text.lower():
                raise WarehouseUnavailable(
                    f"the warehouse {path} is being rebuilt (another process holds it); retry "
                    "shortly"
                ) from error
            raise WarehouseUnavailable(f"the warehouse {path} cannot be opened: {text}") from error

    def tables(self) -> set[tuple[str, str]]:
        rows = self.connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        return {(str(schema), str(table)) for schema, table in rows}

    def read(self, table: str, columns: Sequence[str]) -> pd.DataFrame:
        return self.connection.execute(f"select {', '.join(columns)} from {table}").df()

    def close(self) -> None:
        self.connection.close()


class _PostgresReader:
    def __init__(self, settings: PostgresSettings, timeout_seconds: float) -> None:
        kwargs = settings.connect_kwargs()
        kwargs["connect_timeout"] = max(1, round(timeout_seconds))
        kwargs["application_name"] = "retail-warehouse-api"
        milliseconds = int(timeout_seconds * 1000)
        kwargs["options"] = (
            f"-c statement_timeout={milliseconds} -c default_transaction_read_only=on"
        )
        try:
            self.connection = psycopg2.connect(**kwargs)
        except psycopg2.Error as error:
            raise WarehouseUnavailable(
                f"PostgreSQL {settings.describe()} is not reachable as {settings.user}: "
                f"{str(error).strip()}"
            ) from error
        self.connection.set_session(isolation_level="REPEATABLE READ", readonly=True)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    def tables(self) -> set[tuple[str, str]]:
        rows = self.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema')"
        )
        return {(str(schema), str(table)) for schema, table in rows}

    def read(self, table: str, columns: Sequence[str]) -> pd.DataFrame:
        rows = self.query(f"select {', '.join(columns)} from {table}")
        return pd.DataFrame(rows, columns=list(columns))

    def fingerprint(self, prefix: str) -> tuple[Any, ...]:
        names = [
            (schema_name(prefix, layer), table)
            for layer, table in REQUIRED_TABLES + OPTIONAL_TABLES
        ]
        placeholders = ", ".join(["(%s, %s)"] * len(names))
        rows = self.query(
            "select n.nspname, c.relname, c.oid from pg_catalog.pg_class c "
            "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
            f"where (n.nspname, c.relname) in ({placeholders}) order by 1, 2",
            [value for pair in names for value in pair],
        )
        return tuple(rows)

    def close(self) -> None:
        self.connection.close()


@dataclass
class WarehouseSource:
    """Where the API reads: a DuckDB file or a PostgreSQL database, with change detection.

    ``current()`` returns the snapshot to serve at once (a changed warehouse is read in a
    background thread meanwhile) or raises WarehouseUnavailable when there is none; it waits
    for a read, at most ``timeout_seconds``, only while nothing is served yet.
    """

    target: str
    duckdb_path: Path = Path("warehouse.duckdb")
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    schema_prefix: str = ""
    check_seconds: float = 1.0
    timeout_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _holder: SnapshotHolder[Snapshot] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._holder = SnapshotHolder(
            self._load, self._changed, self.check_seconds, self.timeout_seconds, self.clock
        )

    def describe(self) -> str:
        """The warehouse, for messages (never a password)."""
        if self.target == "duckdb":
            return f"duckdb {self.duckdb_path}"
        return f"postgres {self.postgres.user}@{self.postgres.describe()}"

    def _duckdb_identity(self) -> Any:
        """The file's and its write-ahead log's identity: a writer (a build in place)
        creates the log before it touches the file."""
        identity = []
        for path in (self.duckdb_path, Path(f"{self.duckdb_path}.wal")):
            try:
                stat = os.stat(path)
            except OSError:
                identity.append(None)
                continue
            identity.append((stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns))
        return tuple(identity)

    def _load(self) -> tuple[Any, Snapshot]:
        if self.target == "duckdb":
            identity = self._duckdb_identity()
            reader: _DuckDBReader | _PostgresReader = _DuckDBReader(self.duckdb_path)
        else:
            reader = _PostgresReader(self.postgres, self.timeout_seconds)
        try:
            if isinstance(reader, _PostgresReader):
                identity = reader.fingerprint(self.schema_prefix)
            snapshot = read_snapshot(reader, self.schema_prefix, self.describe())
        except (duckdb.Error, psycopg2.Error) as error:
            raise WarehouseUnavailable(
                f"the warehouse could not be read (it may be being rebuilt): "
                f"{str(error).strip().splitlines()[0]}"
            ) from error
        finally:
            reader.close()
        return identity, snapshot

    def _changed(self, identity: Any) -> bool:
        if self.target == "duckdb":
            return self._duckdb_identity() != identity
        try:
            reader = _PostgresReader(self.postgres, self.timeout_seconds)
        except WarehouseUnavailable:
            return True  # read again: the read says why it fails
        try:
            return reader.fingerprint(self.schema_prefix) != identity
        except psycopg2.Error:
            return True
        finally:
            reader.close()

    def current(self) -> Snapshot:
        """The snapshot to serve now (see the class docstring)."""
        return self._holder.current()

    def reload_error(self) -> str | None:
        """Why the warehouse could not be read again (the served snapshot is older), else
        None."""
        return self._holder.error

    def refresh_if_changed(self) -> bool:
        """Check and read the warehouse in this thread; True when a new snapshot is served."""
        return self._holder.refresh_if_changed()

    def wait_for_reload(self, timeout: float) -> bool:
        """Wait for the background check under way, if any; True when none runs now."""
        return self._holder.wait(timeout)
