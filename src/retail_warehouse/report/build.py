"""Build the dashboard: read the marts of one target, assemble the sections, write the HTML.

Core marts are required (``NotBuiltError`` without them); the RFM and loyalty marts, the
``ml`` tables and the monitoring models (data-quality section) are optional: without them
their sections say "not built yet" and the page still renders. The profitability, location
and employee sections appear only when the source built their marts (TPC-H does; Online Retail
II builds the location marts without margin, and no profitability or employee marts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from retail_warehouse.engines import Warehouse, open_warehouse
from retail_warehouse.engines.duckdb import check_duckdb_file
from retail_warehouse.errors import ConfigError, NotBuiltError
from retail_warehouse.report import alert_section, data, sections, source_sections
from retail_warehouse.report.commentary import commentary
from retail_warehouse.report.page import Section, chart_count, not_built_section, render_page
from retail_warehouse.settings import Settings
from retail_warehouse.sources.files import PSEUDO_FILESYSTEMS

TITLE = "Online Retail II: sales dashboard"

CORE_TABLES: tuple[str, ...] = (
    "mart_sales_monthly",
    "mart_sales_daily",
    "mart_invoice_value_distribution",
    "mart_customer_cohorts",
    "mart_purchase_ladder",
    "mart_product_performance",
    "mart_country_performance",
)
"""Marts the report cannot do without."""

DEFAULT_OUTPUT = Path("report/dashboard.html")


@dataclass(frozen=True)
class Report:
    """A rendered dashboard: the HTML and what it holds."""

    html: str
    target: str
    as_of: str
    sections: tuple[Section, ...]

    @property
    def chart_count(self) -> int:
        """Number of ``svg.chart`` elements in the page."""
        return chart_count(self.sections)

    @property
    def missing_sections(self) -> list[str]:
        """Titles of the sections whose tables are not built yet."""
        return [section.title for section in self.sections if section.missing]


def build_report(warehouse: Warehouse, target: str, schemas: data.Schemas) -> Report:
    """Query ``warehouse`` and render the dashboard (nothing is written)."""
    missing = data.missing_tables(warehouse, schemas.marts, CORE_TABLES)
    if missing:
        raise NotBuiltError(f"{', '.join(missing)} not found: run dbt build first")
    monthly = data.monthly_sales(warehouse, schemas)
    country_rows = data.countries(warehouse, schemas)
    abc_rows = data.abc_classes(warehouse, schemas)
    as_of_date = max((row["last_data_date"] for row in monthly), default=None)

    missing_rfm = data.missing_tables(warehouse, schemas.marts, data.RFM_TABLES)
    segments = [] if missing_rfm else data.rfm_segments(warehouse, schemas)
    missing_ml = data.missing_tables(warehouse, schemas.ml, data.ML_TABLES)
    forecast = [] if missing_ml else data.total_forecast(warehouse, schemas)

    parts = [
        sections.summary_section(commentary(monthly, country_rows, abc_rows, segments, forecast)),
        sections.sales_section(monthly),
        sections.order_value_section(data.invoice_value_bands(warehouse, schemas)),
        sections.customers_section(
            data.cohort_retention(warehouse, schemas), data.purchase_ladder(warehouse, schemas)
        ),
    ]
    if missing_rfm:
        parts.append(not_built_section("rfm", "RFM segments", missing_rfm, "dbt build"))
    else:
        parts.append(
            sections.rfm_section(segments, data.latest_segment_migration(warehouse, schemas))
        )
    missing_loyalty = data.missing_tables(warehouse, schemas.marts, data.LOYALTY_TABLES)
    if missing_loyalty:
        parts.append(
            not_built_section("loyalty", "Loyalty programme", missing_loyalty, "dbt build")
        )
    else:
        parts.append(
            sections.loyalty_section(
                data.loyalty_monthly(warehouse, schemas), data.loyalty_scenarios(warehouse, schemas)
            )
        )
    if missing_ml:
        parts.append(
            not_built_section(
                "clusters",
                "Customer clusters (ML)",
                missing_ml,
                "dbt build --select path:python_models",
            )
        )
    else:
        parts.append(sections.clusters_section(data.cluster_profiles(warehouse, schemas)))
    parts.append(
        sections.products_countries_section(data.top_products(warehouse, schemas), country_rows)
    )
    partial = [row["month_start_date"] for row in monthly if not row["is_complete_month"]]
    parts.extend(sections_the_source_has(warehouse, schemas, partial))
    if missing_ml:
        for anchor, title in (
            ("forecast", "Sales forecast (ML)"),
            ("evaluation", "Model backtests (ML)"),
        ):
            parts.append(
                not_built_section(
                    anchor, title, missing_ml, "dbt build --select path:python_models"
                )
            )
    else:
        week_end = forecast[0]["as_of_date"] if forecast else as_of_date
        daily = data.recent_daily_sales(warehouse, schemas)
        weeks = data.weekly_totals(daily, week_end, data.RECENT_ACTUAL_WEEKS) if week_end else []
        parts.append(sections.forecast_section(forecast, weeks))
        parts.append(sections.evaluation_section(data.model_evaluation(warehouse, schemas)))

    missing_anomalies = data.missing_tables(warehouse, schemas.marts, data.ANOMALY_TABLES)
    if missing_anomalies:
        parts.append(not_built_section("alerts", "KPI alerts", missing_anomalies, "dbt build"))
    else:
        parts.append(
            alert_section.kpi_alerts_section(*data.newest_load_anomalies(warehouse, schemas))
        )

    missing_quality = data.missing_tables(warehouse, schemas.monitoring, data.QUALITY_TABLES)
    if missing_quality:
        parts.append(not_built_section("quality", "Data quality", missing_quality, "dbt build"))
    else:
        parts.append(
            sections.data_quality_section(
                data.load_quality(warehouse, schemas),
                data.test_outcomes_per_day(warehouse, schemas),
                data.latest_test_problems(warehouse, schemas),
            )
        )

    as_of = as_of_date.isoformat() if as_of_date else "(no data)"
    html = render_page(TITLE, as_of, target, parts)
    return Report(html=html, target=target, as_of=as_of, sections=tuple(parts))


def sections_the_source_has(
    warehouse: Warehouse, schemas: data.Schemas, partial_months: Sequence[dt.date] = ()
) -> list[Section]:
    """The profitability, location and employee sections, each only when the source built its
    marts (``using_product_costs``, ``using_employees``; docs/sources.md): a source without
    costs or employees leaves them out rather than saying "not built yet"."""
    parts = []
    if not data.missing_tables(warehouse, schemas.marts, data.PROFITABILITY_TABLES):
        parts.append(
            source_sections.profitability_section(
                data.top_profit_products(warehouse, schemas),
                data.product_group_margins(warehouse, schemas, "product_type"),
                data.product_group_margins(warehouse, schemas, "brand"),
                data.margin_abc_classes(warehouse, schemas),
            )
        )
    if not data.missing_tables(warehouse, schemas.marts, data.LOCATION_TABLES):
        parts.append(
            source_sections.location_section(
                data.locations(warehouse, schemas),
                data.customer_region_months(warehouse, schemas),
                partial_months,
            )
        )
    if not data.missing_tables(warehouse, schemas.marts, data.EMPLOYEE_TABLES):
        parts.append(
            source_sections.employee_section(
                data.top_employees(warehouse, schemas), data.reward_tiers(warehouse, schemas)
            )
        )
    return parts


HTML_STARTS = (b"<!doctype html", b"<html")
"""How an HTML page starts (lower-cased, after blanks): the only existing file a report may
overwrite."""


def output_path(text: str) -> Path:
    """The ``--output`` file as given on the command line. A name that ends like a folder
    (``dir/``, ``dir/.``) is refused: ``Path`` drops the slash, and ``--output some/dir/``
    wrote a file named ``dir`` (hostile round 5, finding 17)."""
    if not text.strip():
        raise ConfigError(f"--output is empty: give a file name, e.g. {DEFAULT_OUTPUT}")
    if text.rsplit("/", 1)[-1] in {"", ".", ".."}:
        raise ConfigError(
            f"--output {text} names a folder: give a file name, e.g. "
            f"{Path(text) / DEFAULT_OUTPUT.name}"
        )
    return Path(text)


def check_output(output: Path) -> None:
    """Refuse an ``--output`` that is a folder, not a regular file, or an existing file that
    is not an HTML page: ``report --output warehouse.duckdb`` wrote the page over the
    warehouse file itself, raw data and all."""
    if output.is_dir():
        raise ConfigError(
            f"--output {output} is a folder: give a file name, e.g. {output / DEFAULT_OUTPUT.name}"
        )
    folder = output.parent  # the nearest folder that exists: a file there cannot hold one
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(
            f"--output {output}: {folder} is a file, not a folder; give another file name"
        )
    if not output.exists():
        if any(folder.resolve().is_relative_to(pseudo) for pseudo in PSEUDO_FILESYSTEMS):
            raise ConfigError(f"--output {output} is not a regular file: give an .html file name")
        return
    pseudo = any(output.resolve().is_relative_to(folder) for folder in PSEUDO_FILESYSTEMS)
    if not output.is_file() or pseudo:  # /proc/self/mem is a "regular file" that cannot be read
        raise ConfigError(f"--output {output} is not a regular file: give an .html file name")
    try:
        with output.open("rb") as handle:
            start = handle.read(64).lstrip().lower()
    except OSError as error:
        raise ConfigError(f"--output {output} cannot be read ({error.strerror or error})") from None
    if not start.startswith(HTML_STARTS):
        raise ConfigError(
            f"--output {output} exists and is not an HTML page (the warehouse file, a data "
            "file?): the report would overwrite it; give another file name"
        )


def write_report(target: str, settings: Settings, output: Path = DEFAULT_OUTPUT) -> Report:
    """Render the dashboard of ``target`` and write it to ``output`` (DuckDB opened read-only)."""
    check_output(output)
    if target == "duckdb":
        check_duckdb_file(settings.duckdb_path)  # a missing folder: DUCKDB_PATH's typo
    if target == "duckdb" and not settings.duckdb_path.exists():
        raise NotBuiltError(f"{settings.duckdb_path} does not exist: load and run dbt build first")
    warehouse = open_warehouse(target, settings, read_only=True)
    try:
        report = build_report(warehouse, target, data.Schemas.from_settings(settings))
    finally:
        warehouse.close()
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.html, encoding="utf-8")
    except OSError as error:  # a folder it may not write to, a full disk
        raise ConfigError(
            f"--output {output} cannot be written ({error.strerror or error})"
        ) from None
    return report
