"""Reconcile a built warehouse: raw rows loaded = rows kept + rows excluded (by reason)."""

from __future__ import annotations

from dataclasses import dataclass

from retail_warehouse.engines import Warehouse, open_warehouse
from retail_warehouse.engines.duckdb import check_duckdb_file
from retail_warehouse.errors import NotBuiltError
from retail_warehouse.settings import Settings

CLEANED_MODEL = "int_invoice_lines_cleaned"
EXCLUDED_MODEL = "int_invoice_lines_excluded"


@dataclass(frozen=True)
class Summary:
    """Row counts of one warehouse, from raw to the cleaned intermediate model."""

    target: str
    raw_table: str
    cleaned_table: str
    rows_loaded: int
    rows_included: int
    excluded: tuple[tuple[str, int], ...]
    """(exclusion_reason, rows), largest first."""

    @property
    def rows_excluded(self) -> int:
        """All excluded rows."""
        return sum(rows for _, rows in self.excluded)

    @property
    def total(self) -> int:
        """Included plus excluded; equals ``rows_loaded`` in a consistent build."""
        return self.rows_included + self.rows_excluded

    @property
    def reconciles(self) -> bool:
        """True when every loaded row is either included or excluded."""
        return self.total == self.rows_loaded


def read_summary(target: str, settings: Settings) -> Summary:
    """Count the rows of a built warehouse (DuckDB is opened read-only).

    Raises ``NotBuiltError`` when the raw table or the intermediate models do not exist yet.
    """
    if target == "duckdb":
        check_duckdb_file(settings.duckdb_path)  # a missing folder: DUCKDB_PATH's typo
    if target == "duckdb" and not settings.duckdb_path.exists():
        raise NotBuiltError(f"{settings.duckdb_path} does not exist: load and run dbt build first")
    warehouse = open_warehouse(target, settings, read_only=True)
    try:
        return _read(warehouse, target, settings)
    finally:
        warehouse.close()


def _read(warehouse: Warehouse, target: str, settings: Settings) -> Summary:
    """The counts, once the tables are known to exist."""
    raw, intermediate = settings.raw_schema, settings.intermediate_schema
    needed = [(raw, "invoice_lines"), (intermediate, CLEANED_MODEL), (intermediate, EXCLUDED_MODEL)]
    missing = [
        f"{schema}.{table}" for schema, table in needed if not warehouse.table_exists(schema, table)
    ]
    if missing:
        raise NotBuiltError(f"{', '.join(missing)} not found: run dbt build first")
    loaded = warehouse.query(f"select count(*) from {raw}.invoice_lines")[0][0]
    included = warehouse.query(f"select count(*) from {intermediate}.{CLEANED_MODEL}")[0][0]
    excluded = warehouse.query(
        f"select coalesce(exclusion_reason, '(no reason)'), count(*) "
        f"from {intermediate}.{EXCLUDED_MODEL} group by 1 order by 2 desc, 1"
    )
    return Summary(
        target=target,
        raw_table=f"{raw}.invoice_lines",
        cleaned_table=f"{intermediate}.{CLEANED_MODEL}",
        rows_loaded=int(loaded),
        rows_included=int(included),
        excluded=tuple((str(reason), int(rows)) for reason, rows in excluded),
    )


def summary_rows(summary: Summary) -> list[tuple[str, str, int]]:
    """The table's rows: (what, where or why, count), ending with the total."""
    rows = [
        ("rows loaded", summary.raw_table, summary.rows_loaded),
        ("rows included", summary.cleaned_table, summary.rows_included),
    ]
    rows += [("rows excluded", reason, count) for reason, count in summary.excluded]
    rows.append(("total", "included + excluded", summary.total))
    return rows


def format_table(rows: list[tuple[str, str, int]]) -> list[str]:
    """Align the rows: two left-aligned text columns and a right-aligned count."""
    counts = [f"{count:,}" for _, _, count in rows]
    width_1 = max(len(row[0]) for row in rows)
    width_2 = max(len(row[1]) for row in rows)
    width_3 = max(len(text) for text in counts)
    return [
        f"{first:<{width_1}}  {second:<{width_2}}  {count:>{width_3}}"
        for (first, second, _), count in zip(rows, counts, strict=True)
    ]


def format_summary(summary: Summary) -> str:
    """The report the command line prints, with a warning line if the totals disagree."""
    lines = [f"{summary.target}:", *format_table(summary_rows(summary))]
    if not summary.reconciles:
        lines.append(
            f"MISMATCH: included + excluded = {summary.total:,} "
            f"but {summary.rows_loaded:,} rows were loaded"
        )
    return "\n".join(lines)
