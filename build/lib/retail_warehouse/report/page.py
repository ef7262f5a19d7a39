"""Page assembly: sections of already-rendered charts and tables into one self-contained HTML file.

Every text that comes from data or a caller is escaped here or in the chart functions; chart
and table strings are inserted as they are (they are built by ``charts`` and already escaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from retail_warehouse.report.charts import esc

CHART_MARKER = '<svg class="chart"'
"""How every chart begins; the page counts charts by it."""

DATA_CITATION = (
    "Data: Online Retail II, UCI Machine Learning Repository (Chen, D., 2012), "
    "https://doi.org/10.24432/C5CG6D, licensed CC BY 4.0."
)

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header,footer{background:#243447;color:#fff;padding:12px 24px}
header h1{margin:0 0 4px;font-size:22px}
header p,footer p{margin:0;font-size:13px}
footer{background:#eee;color:#444;margin-top:24px}
main{padding:0 24px;max-width:1200px}
nav{padding:8px 24px;font-size:13px;background:#fff;border-bottom:1px solid #ddd}
nav a{margin-right:12px;color:#1f5a96}
section{background:#fff;border:1px solid #ddd;border-radius:6px;margin:16px 0;padding:8px 16px}
section h2{font-size:18px;margin:8px 0}
figure{margin:8px 0 16px;overflow-x:auto}
figcaption{font-size:13px;color:#444;margin-bottom:4px;font-weight:600}
table.data{border-collapse:collapse;font-size:12px;margin:8px 0 16px}
table.data caption{text-align:left;font-weight:600;padding:4px 0}
table.data th,table.data td{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:left}
table.data .num{text-align:right;font-variant-numeric:tabular-nums}
table.data tr.selected td{font-weight:700}
p.missing{color:#8a4b00;background:#fff4e0;padding:8px;border-radius:4px}
ul.commentary li{margin:4px 0}
"""


@dataclass(frozen=True)
class Figure:
    """A chart (or table) with its caption; ``html`` is already rendered and escaped."""

    caption: str
    html: str


@dataclass(frozen=True)
class Section:
    """A titled part of the page: paragraphs of text, then figures; or a "missing" note."""

    anchor: str
    title: str
    paragraphs: Sequence[str] = ()
    figures: Sequence[Figure] = ()
    missing: str = ""
    bullets: Sequence[str] = field(default_factory=tuple)

    @property
    def chart_count(self) -> int:
        """How many ``svg.chart`` elements the section holds."""
        return sum(figure.html.count(CHART_MARKER) for figure in self.figures)


def not_built_section(anchor: str, title: str, tables: Sequence[str], command: str) -> Section:
    """A section that says its tables are not built yet and how to build them."""
    return Section(
        anchor=anchor,
        title=title,
        missing=f"Not built yet: {', '.join(tables)} not found. Build them with `{command}`.",
    )


def render_section(section: Section) -> str:
    """One ``<section>``."""
    parts = [f'<section id="{esc(section.anchor)}"><h2>{esc(section.title)}</h2>']
    if section.missing:
        parts.append(f'<p class="missing">{esc(section.missing)}</p>')
    parts += [f"<p>{esc(text)}</p>" for text in section.paragraphs]
    if section.bullets:
        items = "".join(f"<li>{esc(text)}</li>" for text in section.bullets)
        parts.append(f'<ul class="commentary">{items}</ul>')
    for figure in section.figures:
        parts.append(
            f"<figure><figcaption>{esc(figure.caption)}</figcaption>{figure.html}</figure>"
        )
    parts.append("</section>")
    return "".join(parts)


def chart_count(sections: Sequence[Section]) -> int:
    """All charts of the page."""
    return sum(section.chart_count for section in sections)


def render_page(title: str, as_of: str, target: str, sections: Sequence[Section]) -> str:
    """The whole HTML document: header (title, as-of date, target), contents, sections, footer.

    The ``<main>`` element carries ``data-chart-count``, the number of charts drawn, so a test
    (or a reader) can check that every chart rendered.
    """
    nav = "".join(
        f'<a href="#{esc(section.anchor)}">{esc(section.title)}</a>' for section in sections
    )
    body = "".join(render_section(section) for section in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>Data as of {esc(as_of)} &middot; target "
        f"{esc(target)}</p></header>"
        f"<nav>{nav}</nav>"
        f'<main data-chart-count="{chart_count(sections)}">{body}</main>'
        f"<footer><p>{esc(DATA_CITATION)}</p></footer>"
        "</body></html>\n"
    )
