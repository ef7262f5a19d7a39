"""Pure chart functions: plain Python data in, one inline ``<svg class="chart">`` string out.

No JavaScript and no external files: every chart is a self-contained SVG element with a
``<title>`` (its accessible name) and every text escaped with ``html.escape``. Empty data gives
a small chart that says "no data" rather than an error, so a page always renders.

Longer than 400 lines on purpose: bar, line, heatmap and table share one SVG frame, one set
of scales and one escaping rule, kept in one file so that they cannot drift apart.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PALETTE: tuple[str, ...] = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
"""Series colours, in order (colour-blind friendly enough for three series)."""

FONT = 'font-family="system-ui, sans-serif" font-size="11"'

Formatter = Callable[[float], str]

_NUM = ' class="num"'


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a name, a colour and one value per x label (None = gap)."""

    name: str
    values: Sequence[float | None]
    color: str = PALETTE[0]
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded interval of a line chart: lower and upper value per x label (None = gap)."""

    name: str
    lower: Sequence[float | None]
    upper: Sequence[float | None]
    color: str = PALETTE[0]
    opacity: float = 0.2


def esc(text: object) -> str:
    """``text`` escaped for HTML and XML (quotes too)."""
    return html.escape(str(text), quote=True)


def compact_number(value: float) -> str:
    """A short axis label: 1.5M, 250k, 12, 0.25, -3k."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if magnitude >= 1_000:
        return f"{value / 1_000:.3g}k"
    if magnitude >= 1 or value == 0:
        return f"{value:.3g}"
    return f"{value:.2g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]`` (steps of 1, 2, 5 x 10^n).

    The first tick is at or below ``low`` and the last at or above ``high``; a flat range
    (``low == high``) is widened by one unit around the value.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("tick range must be finite")
    if low > high:
        low, high = high, low
    if low == high:
        low, high = low - 1, high + 1
    raw_step = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw_step))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw_step)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    ticks = []
    index = 0
    while first + index * step <= last + step / 1e9:
        ticks.append(round(first + index * step, 10))
        index += 1
    return ticks


def linear_scale(
    domain: tuple[float, float], pixels: tuple[float, float]
) -> Callable[[float], float]:
    """A function mapping ``domain`` linearly onto ``pixels`` (either may be reversed)."""
    (d0, d1), (p0, p1) = domain, pixels
    span = d1 - d0
    if span == 0:
        return lambda _value: (p0 + p1) / 2
    return lambda value: p0 + (value - d0) / span * (p1 - p0)


def _svg_open(width: int, height: int, title: str, description: str = "") -> list[str]:
    """The opening tag, ``<title>`` and optional ``<desc>`` of a chart."""
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{esc(title)}</title>",
    ]
    if description:
        parts.append(f"<desc>{esc(description)}</desc>")
    return parts


def _empty(title: str, width: int, height: int) -> str:
    """A chart that says there is nothing to show."""
    parts = _svg_open(width, height, title, "no data")
    parts.append(
        f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" {FONT} '
        f'fill="#666">no data</text></svg>'
    )
    return "".join(parts)


CHAR_WIDTH = 7.2
"""Room per character of an 11 px label (upper-case product names are the widest)."""

MAX_LABEL_CHARS = 42
"""Longer axis labels are cut with an ellipsis (the full text stays in the bar's tooltip)."""


def shorten(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``label`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def _finite(values: Sequence[float | None]) -> list[float]:
    """The values that are numbers (not None, not NaN)."""
    return [v for v in values if v is not None and math.isfinite(v)]


def _label_step(count: int, room: float, label_width: float = 48) -> int:
    """Show every n-th x label so that labels of ``label_width`` pixels do not overlap."""
    if count <= 0:
        return 1
    return max(1, math.ceil(count * label_width / max(room, 1)))


def _y_axis(
    ticks: Sequence[float],
    y: Callable[[float], float],
    left: float,
    right: float,
    fmt: Formatter,
) -> list[str]:
    """Horizontal grid lines and y labels."""
    parts = []
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="{"#999" if tick == 0 else "#e5e5e5"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6:.1f}" y="{ty + 4:.1f}" text-anchor="end" {FONT} '
            f'fill="#444">{esc(fmt(tick))}</text>'
        )
    return parts


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    *,
    horizontal: bool = False,
    width: int = 960,
    height: int | None = None,
    color: str = PALETTE[0],
    negative_color: str = PALETTE[1],
    value_format: Formatter = compact_number,
    show_values: bool = False,
) -> str:
    """A bar chart of one value per label; negative values go below (or left of) zero.

    Vertical bars suit a time axis (months); horizontal bars suit ranked names (products,
    countries), whose labels are long. The value axis always includes zero.
    """
    if len(labels) != len(values):
        raise ValueError("labels and values must have the same length")
    if height is None:
        height = max(120, 22 * len(labels) + 50) if horizontal else 300
    if not labels:
        return _empty(title, width, 120)
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    parts = _svg_open(width, height, title)
    if horizontal:
        longest = max(len(shorten(label)) for label in labels)
        left, right, top, bottom = 12 + CHAR_WIDTH * longest, width - 60, 10, 30
        x = linear_scale((ticks[0], ticks[-1]), (left, right))
        band = (height - top - bottom) / len(labels)
        for tick in ticks:
            tx = x(tick)
            parts.append(
                f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top}" y2="{height - bottom}" '
                f'stroke="{"#999" if tick == 0 else "#e5e5e5"}"/>'
                f'<text x="{tx:.1f}" y="{height - bottom + 16}" text-anchor="middle" {FONT} '
                f'fill="#444">{esc(value_format(tick))}</text>'
            )
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            y0 = top + index * band + band * 0.15
            x0, x1 = sorted((x(0), x(value)))
            fill = color if value >= 0 else negative_color
            parts.append(
                f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 0.5):.1f}" '
                f'height="{band * 0.7:.1f}" fill="{fill}"><title>{esc(label)}: '
                f"{esc(value_format(value))}</title></rect>"
                f'<text x="{left - 6:.1f}" y="{y0 + band * 0.35 + 4:.1f}" text-anchor="end" '
                f'{FONT} fill="#222">{esc(shorten(label))}</text>'
            )
            if show_values:
                parts.append(
                    f'<text x="{x1 + 4:.1f}" y="{y0 + band * 0.35 + 4:.1f}" {FONT} '
                    f'fill="#222">{esc(value_format(value))}</text>'
                )
    else:
        left, right, top, bottom = 60, width - 30, 10, 40
        y = linear_scale((ticks[0], ticks[-1]), (height - bottom, top))
        parts += _y_axis(ticks, y, left, right, value_format)
        band = (right - left) / len(labels)
        step = _label_step(len(labels), right - left)
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            x0 = left + index * band + band * 0.1
            y0, y1 = sorted((y(0), y(value)))
            fill = color if value >= 0 else negative_color
            parts.append(
                f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{band * 0.8:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}" fill="{fill}"><title>{esc(label)}: '
                f"{esc(value_format(value))}</title></rect>"
            )
            if index % step == 0:
                parts.append(
                    f'<text x="{x0 + band * 0.4:.1f}" y="{height - bottom + 16}" '
                    f'text-anchor="middle" {FONT} fill="#444">{esc(label)}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path ``d`` through the points, starting a new segment after each gap."""
    commands, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{point[0]:.1f},{point[1]:.1f}")
        pen_down = True
    return " ".join(commands)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    *,
    bands: Sequence[Band] = (),
    width: int = 960,
    height: int = 300,
    value_format: Formatter = compact_number,
    include_zero: bool = True,
) -> str:
    """Lines over a shared categorical x axis, with optional shaded bands and a legend.

    Every series and band has one value per x label; ``None`` leaves a gap (e.g. actuals end
    where the forecast starts).
    """
    for item in series:
        if len(item.values) != len(x_labels):
            raise ValueError(f"series {item.name!r} must have one value per x label")
    for band in bands:
        if not len(band.lower) == len(band.upper) == len(x_labels):
            raise ValueError(f"band {band.name!r} must have one value per x label")
    values = [v for item in series for v in _finite(item.values)]
    values += [v for band in bands for v in _finite([*band.lower, *band.upper])]
    if not x_labels or not values:
        return _empty(title, width, 120)
    low, high = min(values), max(values)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    ticks = nice_ticks(low, high)
    left, right, top, bottom = 60, width - 40, 28, 40
    x_step = (right - left) / max(len(x_labels) - 1, 1)

    def x(index: int) -> float:
        return left + index * x_step if len(x_labels) > 1 else (left + right) / 2

    y = linear_scale((ticks[0], ticks[-1]), (height - bottom, top))
    parts = _svg_open(width, height, title)
    parts += _y_axis(ticks, y, left, right, value_format)
    step = _label_step(len(x_labels), right - left, 60)
    for index, label in enumerate(x_labels):
        if index % step == 0:
            parts.append(
                f'<text x="{x(index):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'{FONT} fill="#444">{esc(label)}</text>'
            )
    for band in bands:
        pairs = [
            (index, lo, hi)
            for index, (lo, hi) in enumerate(zip(band.lower, band.upper, strict=True))
            if lo is not None and hi is not None
        ]
        if not pairs:
            continue
        upper = [f"{x(i):.1f},{y(hi):.1f}" for i, _, hi in pairs]
        lower = [f"{x(i):.1f},{y(lo):.1f}" for i, lo, _ in reversed(pairs)]
        parts.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{band.color}" '
            f'fill-opacity="{band.opacity}" stroke="none"><title>{esc(band.name)}</title>'
            "</polygon>"
        )
    for item in series:
        points = [
            None if v is None or not math.isfinite(v) else (x(i), y(v))
            for i, v in enumerate(item.values)
        ]
        dash = ' stroke-dasharray="5,3"' if item.dashed else ""
        parts.append(
            f'<path d="{_path(points)}" fill="none" stroke="{item.color}" stroke-width="2"'
            f"{dash}><title>{esc(item.name)}</title></path>"
        )
        if sum(p is not None for p in points) == 1:  # a single point: show it
            px, py = next(p for p in points if p is not None)
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{item.color}"/>')
    legend_x = left
    for name, color, opacity in [(s.name, s.color, 1.0) for s in series] + [
        (b.name, b.color, max(b.opacity, 0.3)) for b in bands
    ]:
        parts.append(
            f'<rect x="{legend_x}" y="8" width="12" height="12" fill="{color}" '
            f'fill-opacity="{opacity}"/><text x="{legend_x + 16}" y="18" {FONT} '
            f'fill="#222">{esc(name)}</text>'
        )
        legend_x += 30 + 6.5 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def _heat_color(share: float) -> str:
    """White (0) to dark blue (1), as ``rgb(...)``."""
    share = min(max(share, 0.0), 1.0)
    red = round(247 - share * (247 - 8))
    green = round(251 - share * (251 - 48))
    blue = round(255 - share * (255 - 107))
    return f"rgb({red},{green},{blue})"


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    title: str,
    *,
    value_format: Formatter = compact_number,
    cell: int = 26,
    max_value: float | None = None,
    show_values: bool = True,
    row_axis: str = "",
    col_axis: str = "",
) -> str:
    """A grid of cells shaded by value (darker = larger); ``None`` cells stay blank.

    ``values[r][c]`` is the value of row ``r``, column ``c``. Colours run from 0 to
    ``max_value`` (default the largest value).
    """
    if len(values) != len(row_labels) or any(len(row) != len(col_labels) for row in values):
        raise ValueError("values must have one row per row label and one value per column")
    numbers = [v for row in values for v in _finite(row)]
    if not row_labels or not col_labels or not numbers:
        return _empty(title, 400, 120)
    top_value = max_value if max_value is not None else max(numbers)
    scale = linear_scale((0.0, top_value if top_value > 0 else 1.0), (0.0, 1.0))
    longest = max(len(row_axis), *(len(label) for label in row_labels))
    left = 16 + CHAR_WIDTH * longest
    longest_col = max(len(label) for label in col_labels)
    rotate = longest_col * 6.2 > cell
    top = 30 + (6.2 * longest_col * 0.75 if rotate else 14)
    overhang = 6.2 * longest_col * 0.75 if rotate else 0
    width = round(left + cell * len(col_labels) + 10 + overhang)
    height = round(top + cell * len(row_labels) + 10)
    parts = _svg_open(width, height, title)
    if col_axis:
        parts.append(f'<text x="{left:.1f}" y="14" {FONT} fill="#444">{esc(col_axis)}</text>')
    if row_axis:
        parts.append(
            f'<text x="{left - 8:.1f}" y="{top - 6:.1f}" text-anchor="end" {FONT} '
            f'fill="#444">{esc(row_axis)}</text>'
        )
    for c, label in enumerate(col_labels):
        cx = left + c * cell + cell / 2
        transform = f' transform="rotate(-45 {cx:.1f} {top - 6:.1f})"' if rotate else ""
        anchor = "start" if rotate else "middle"
        parts.append(
            f'<text x="{cx:.1f}" y="{top - 6:.1f}" text-anchor="{anchor}"{transform} {FONT} '
            f'fill="#444">{esc(label)}</text>'
        )
    for r, (label, row) in enumerate(zip(row_labels, values, strict=True)):
        ry = top + r * cell
        parts.append(
            f'<text x="{left - 6:.1f}" y="{ry + cell / 2 + 4:.1f}" text-anchor="end" {FONT} '
            f'fill="#222">{esc(label)}</text>'
        )
        for c, value in enumerate(row):
            if value is None or not math.isfinite(value):
                continue
            share = scale(value)
            text_color = "#fff" if share > 0.55 else "#222"
            parts.append(
                f'<rect x="{left + c * cell:.1f}" y="{ry:.1f}" width="{cell - 1}" '
                f'height="{cell - 1}" fill="{_heat_color(share)}"><title>{esc(label)} / '
                f"{esc(col_labels[c])}: {esc(value_format(value))}</title></rect>"
            )
            if show_values:
                parts.append(
                    f'<text x="{left + c * cell + cell / 2:.1f}" y="{ry + cell / 2 + 3:.1f}" '
                    f'text-anchor="middle" font-family="system-ui, sans-serif" font-size="8" '
                    f'fill="{text_color}">{esc(value_format(value))}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    caption: str = "",
    numeric_columns: Sequence[int] = (),
    highlight_rows: Sequence[int] = (),
) -> str:
    """An HTML ``<table>`` with every cell escaped; numeric columns are right-aligned.

    ``highlight_rows`` (row indexes) are shown in bold, e.g. the kept model in a backtest.
    """
    numeric, bold = set(numeric_columns), set(highlight_rows)
    parts = ['<table class="data">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append(
        "<thead><tr>"
        + "".join(f"<th{_NUM if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
        + "</tr></thead><tbody>"
    )
    if not rows:
        parts.append(f'<tr><td colspan="{max(len(headers), 1)}">no rows</td></tr>')
    for r, row in enumerate(rows):
        row_class = ' class="selected"' if r in bold else ""
        parts.append(
            f"<tr{row_class}>"
            + "".join(
                f"<td{_NUM if i in numeric else ''}>{esc(cell)}</td>" for i, cell in enumerate(row)
            )
            + "</tr>"
        )
    parts.append("</tbody></table>")
    return "".join(parts)
