"""The dashboard's sections on what only some sources have: product profitability (costs),
locations with margin, employees and their reward tiers (TPC-H, docs/sources.md).

Pure functions like ``sections``; ``build.sections_the_source_has`` calls each only when the
source built its marts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from retail_warehouse.report.charts import PALETTE, Series, bar_chart, html_table, line_chart
from retail_warehouse.report.commentary import pct
from retail_warehouse.report.page import Figure, Section
from retail_warehouse.report.sections import _float, _money, _month, _optional

Row = dict[str, Any]


def _amount(value: float) -> str:
    """Money for a sentence, in the source's currency: ``1,427,121`` (whole units)."""
    return f"{value:,.0f}"


def _margin_pct(value: Any) -> str:
    """A 0..1 margin rate as a percent in a table cell, empty without one."""
    return _optional(value, lambda v: f"{100 * float(v):.1f} %")


def profitability_section(
    products: Sequence[Row],
    types: Sequence[Row],
    brands: Sequence[Row],
    abc: Sequence[Row],
) -> Section:
    """Top products by gross margin, margin by product type and by brand, ABC by margin."""
    if not products:
        return Section("profitability", "Product profitability", missing="No product rows yet.")
    total_margin = sum(float(row["gross_margin"]) for row in abc)
    total_revenue = sum(float(row["net_revenue"]) for row in abc)
    by_class = {row["margin_abc_class"]: row for row in abc}
    paragraphs = [
        f"Gross margin = net revenue - cost of goods: {_amount(total_margin)} on "
        f"{_amount(total_revenue)} of net revenue"
        + (f" ({pct(total_margin / total_revenue)})." if total_revenue else ".")
    ]
    if "A" in by_class and total_margin:
        a_class = by_class["A"]
        paragraphs.append(
            f"Class A by margin: {a_class['products']:,} of "
            f"{sum(int(row['products']) for row in abc):,} products bring "
            f"{pct(float(a_class['gross_margin']) / total_margin)} of the gross margin."
        )
    product_chart = bar_chart(
        [
            f"{row['product_name'] or row['product_id']} ({row['margin_abc_class']})"
            for row in products
        ],
        [float(row["gross_margin"]) for row in products],
        f"Top {len(products)} products by gross margin",
        horizontal=True,
        show_values=True,
    )
    product_table = html_table(
        [
            "rank",
            "product",
            "type",
            "brand",
            "net revenue",
            "cost of goods",
            "gross margin",
            "margin %",
            "ABC margin",
            "ABC revenue",
        ],
        [
            [
                row["margin_rank"],
                row["product_name"] or row["product_id"],
                row["product_type"],
                row["brand"],
                _money(row["net_revenue"]),
                _money(row["cost_of_goods"]),
                _money(row["gross_margin"]),
                _margin_pct(row["gross_margin_rate"]),
                row["margin_abc_class"],
                row["revenue_abc_class"],
            ]
            for row in products
        ],
        numeric_columns=(0, 4, 5, 6, 7),
    )
    figures = [
        Figure("Top products by gross margin (ABC class by margin in brackets)", product_chart),
        Figure("Top products by gross margin (table)", product_table),
    ]
    for level, groups, color in (
        ("product type", types, PALETTE[2]),
        ("brand", brands, PALETTE[4]),
    ):
        figures.append(
            Figure(
                f"Gross margin by {level} (top {len(groups)})",
                bar_chart(
                    [
                        f"{row['group_name']} ({_margin_pct(row['gross_margin_rate'])})"
                        for row in groups
                    ],
                    [float(row["gross_margin"]) for row in groups],
                    f"Gross margin by {level} (margin % in brackets)",
                    horizontal=True,
                    show_values=True,
                    color=color,
                ),
            )
        )
    figures.append(
        Figure(
            "ABC classes by gross margin",
            html_table(
                ["class", "products", "net revenue", "gross margin", "share of margin"],
                [
                    [
                        row["margin_abc_class"],
                        f"{row['products']:,}",
                        _money(row["net_revenue"]),
                        _money(row["gross_margin"]),
                        pct(float(row["gross_margin"]) / total_margin) if total_margin else "",
                    ]
                    for row in abc
                ],
                numeric_columns=(1, 2, 3, 4),
            ),
        )
    )
    return Section(
        "profitability",
        "Product profitability",
        paragraphs=tuple(paragraphs),
        figures=tuple(figures),
    )


def _region(row: Row) -> str:
    """The row's region, ``(no region)`` for a country the lookup gives none."""
    return row["region"] or "(no region)"


def _growth(value: Any) -> str:
    """A growth rate (a ratio) in a table cell: ``+12.5 %``, empty without one."""
    return _optional(value, lambda v: f"{v * 100:+.1f} %")


def location_section(
    location_rows: Sequence[Row],
    region_months: Sequence[Row],
    partial_months: Collection[dt.date] = (),
) -> Section:
    """Net revenue (and gross margin where the source has costs) by customer nation and region:
    share of revenue, growth of the last 12 months, region per month; the supply side (supplier
    nations) as a table when the source has suppliers. ``partial_months`` (incomplete in
    ``mart_sales_monthly``) are left out of the chart per month, as in the sales section."""
    customers = [row for row in location_rows if row["location_role"] == "customer"]
    suppliers = [row for row in location_rows if row["location_role"] == "supplier"]
    if not customers:
        return Section("locations", "Locations", missing="No location rows yet.")
    has_margin = any(row["gross_margin"] is not None for row in location_rows)
    regions: dict[str, dict[str, float]] = {}
    for row in customers:
        totals = regions.setdefault(_region(row), {"net_revenue": 0.0, "gross_margin": 0.0})
        totals["net_revenue"] += float(row["net_revenue"])
        totals["gross_margin"] += float(row["gross_margin"] or 0.0)
    region_names = sorted(regions, key=lambda name: (-regions[name]["net_revenue"], name))
    total = sum(totals["net_revenue"] for totals in regions.values())
    top = customers[0]
    paragraphs = [
        f"Customer locations: {len(customers):,} countries in {len(regions):,} regions. "
        f"{top['country_name'] or top['country_code']} leads with "
        f"{_amount(top['net_revenue'])} of net revenue "
        f"({pct(top['revenue_share'])}); the largest region, {region_names[0]}, has "
        + (
            f"{pct(regions[region_names[0]]['net_revenue'] / total)}."
            if total
            else "no net revenue yet."
        )
    ]
    if not has_margin:
        paragraphs.append("Margin is not shown: this source has no product costs.")
    figures = [
        Figure(
            "Net revenue by customer region",
            bar_chart(
                region_names,
                [regions[name]["net_revenue"] for name in region_names],
                "Net revenue by customer region",
                horizontal=True,
                show_values=True,
            ),
        )
    ]
    if has_margin:
        figures.append(
            Figure(
                "Gross margin by customer region",
                bar_chart(
                    region_names,
                    [regions[name]["gross_margin"] for name in region_names],
                    "Gross margin by customer region",
                    horizontal=True,
                    show_values=True,
                    color=PALETTE[2],
                ),
            )
        )
    months = sorted({row["month_start_date"] for row in region_months} - set(partial_months))
    cells = {(_region(row), row["month_start_date"]): row for row in region_months}
    if months:
        figures.append(
            Figure(
                "Net revenue per month by customer region",
                line_chart(
                    [_month(month) for month in months],
                    [
                        Series(
                            name,
                            [
                                _float(cells[(name, month)]["net_revenue"])
                                if (name, month) in cells
                                else None
                                for month in months
                            ],
                            PALETTE[index % len(PALETTE)],
                        )
                        for index, name in enumerate(region_names)
                    ],
                    "Net revenue per month by customer region",
                ),
            )
        )
    figures.append(
        Figure(
            "Customer countries: revenue, share and growth (last 12 months of data vs the 12 "
            "before)",
            _location_table(customers, has_margin),
        )
    )
    if suppliers:
        figures.append(
            Figure("Supplier countries (the supply side)", _location_table(suppliers, has_margin))
        )
    return Section("locations", "Locations", paragraphs=tuple(paragraphs), figures=tuple(figures))


def _location_table(rows: Sequence[Row], has_margin: bool) -> str:
    """One row per location: rank, country, region, orders, customers, revenue, share, growth,
    and margin and margin % when the source has costs."""
    margin_headers = ["gross margin", "margin %"] if has_margin else []
    return html_table(
        [
            "rank",
            "country",
            "region",
            "orders",
            "customers",
            "net revenue",
            "share",
            "growth 12 m",
            *margin_headers,
        ],
        [
            [
                row["revenue_rank"],
                row["country_name"] or row["country_code"],
                _region(row),
                f"{row['order_count']:,}",
                f"{row['customer_count']:,}",
                _money(row["net_revenue"]),
                pct(row["revenue_share"]),
                _growth(row["revenue_growth_rate"]),
                *(
                    [_optional(row["gross_margin"], _money), _margin_pct(row["gross_margin_rate"])]
                    if has_margin
                    else []
                ),
            ]
            for row in rows
        ],
        numeric_columns=(0, 3, 4, 5, 6, 7, 8, 9) if has_margin else (0, 3, 4, 5, 6, 7),
    )


REWARD_TIER_ORDER = ("gold", "silver", "standard", "not_eligible")
"""The reward tiers of ``mart_employee_performance``, best first."""


def employee_section(employees: Sequence[Row], tiers: Sequence[Row]) -> Section:
    """Top employees by gross margin with their reward tier, and the totals of each tier."""
    if not employees:
        return Section("employees", "Employees", missing="No employee rows yet.")
    order = {tier: index for index, tier in enumerate(REWARD_TIER_ORDER)}
    tiers = sorted(
        tiers, key=lambda row: (order.get(row["reward_tier"], len(order)), row["reward_tier"])
    )
    by_tier = {row["reward_tier"]: row for row in tiers}
    counts = ", ".join(f"{row['employees']:,} {row['reward_tier']}" for row in tiers)
    paragraphs = [
        "Reward tiers by gross margin among employees with enough orders (vars "
        "employee_reward_min_orders, employee_reward_gold_share, "
        f"employee_reward_silver_share): {counts}."
    ]
    gold = by_tier.get("gold")
    total_margin = sum(float(row["gross_margin"]) for row in tiers)
    if gold is not None and total_margin:
        paragraphs.append(
            f"The {gold['employees']:,} gold employees took {gold['order_count']:,} orders "
            f"and brought {pct(float(gold['gross_margin']) / total_margin)} of the gross margin."
        )
    labels = [
        f"{row['employee_name'] or row['employee_id']} ({row['reward_tier']})" for row in employees
    ]
    return Section(
        "employees",
        "Employees",
        paragraphs=tuple(paragraphs),
        figures=(
            Figure(
                f"Top {len(employees)} employees by gross margin (reward tier in brackets)",
                bar_chart(
                    labels,
                    [float(row["gross_margin"]) for row in employees],
                    f"Top {len(employees)} employees by gross margin",
                    horizontal=True,
                    show_values=True,
                    color=PALETTE[3],
                ),
            ),
            Figure(
                "Top employees (table)",
                html_table(
                    [
                        "rank",
                        "employee",
                        "orders",
                        "customers",
                        "net revenue",
                        "gross margin",
                        "margin %",
                        "returns share",
                        "reward tier",
                    ],
                    [
                        [
                            row["margin_rank"],
                            row["employee_name"] or row["employee_id"],
                            f"{row['order_count']:,}",
                            f"{row['customer_count']:,}",
                            _money(row["net_revenue"]),
                            _money(row["gross_margin"]),
                            _margin_pct(row["gross_margin_rate"]),
                            _optional(row["returns_share"], pct),
                            row["reward_tier"],
                        ]
                        for row in employees
                    ],
                    numeric_columns=(0, 2, 3, 4, 5, 6, 7),
                    highlight_rows=[
                        index for index, row in enumerate(employees) if row["reward_tier"] == "gold"
                    ],
                ),
            ),
            Figure(
                "Reward tiers",
                html_table(
                    [
                        "tier",
                        "employees",
                        "orders",
                        "net revenue",
                        "gross margin",
                        "share of margin",
                    ],
                    [
                        [
                            row["reward_tier"],
                            f"{row['employees']:,}",
                            f"{row['order_count']:,}",
                            _money(row["net_revenue"]),
                            _money(row["gross_margin"]),
                            pct(float(row["gross_margin"]) / total_margin) if total_margin else "",
                        ]
                        for row in tiers
                    ],
                    numeric_columns=(1, 2, 3, 4, 5),
                ),
            ),
        ),
    )
