"""Unit tests for the dashboard's chart functions (``retail_warehouse.report.charts``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from retail_warehouse.report.charts import (
    Band,
    Series,
    bar_chart,
    compact_number,
    heatmap,
    html_table,
    line_chart,
    linear_scale,
    nice_ticks,
    shorten,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    """Parse a chart; it must be one well-formed ``svg.chart`` whose first child is a title."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("class") == "chart"
    assert int(root.get("width")) > 0 and int(root.get("height")) > 0
    assert root[0].tag == f"{SVG}title" and root[0].text
    return root


def _bars(root: ET.Element) -> list[ET.Element]:
    """The bars (rects with a tooltip) of a bar chart."""
    return [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0, 1_427_121) == [0, 500_000, 1_000_000, 1_500_000]
    assert nice_ticks(-45.3, 52.1) == [-60, -40, -20, 0, 20, 40, 60]
    ticks = nice_ticks(0.0012, 0.0087)
    assert ticks[0] <= 0.0012 and ticks[-1] >= 0.0087


def test_nice_ticks_flat_and_reversed_ranges() -> None:
    assert nice_ticks(5, 5)[0] <= 4 and nice_ticks(5, 5)[-1] >= 6
    assert nice_ticks(10, 0) == nice_ticks(0, 10)
    with pytest.raises(ValueError):
        nice_ticks(0, float("inf"))


def test_linear_scale_maps_ends_and_reverses() -> None:
    y = linear_scale((0, 100), (250, 10))
    assert y(0) == 250 and y(100) == 10 and y(50) == 130
    assert linear_scale((3, 3), (0, 10))(3) == 5


def test_compact_number_and_shorten() -> None:
    assert compact_number(1_500_000) == "1.5M"
    assert compact_number(250_000) == "250k"
    assert compact_number(-3_000) == "-3k"
    assert compact_number(0) == "0"
    assert shorten("x" * 50, 10) == "x" * 9 + "\u2026"
    assert shorten("short") == "short"


def test_vertical_bar_chart_scales_bars_to_values() -> None:
    root = _parse(bar_chart(["a", "b", "c"], [100.0, 50.0, 0.0], "Revenue"))
    bars = _bars(root)
    assert len(bars) == 3
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[0] == pytest.approx(2 * heights[1], rel=0.01)
    assert heights[2] <= 0.5
    # all bars stand on the same baseline (zero)
    bottoms = {round(float(bar.get("y")) + float(bar.get("height")), 1) for bar in bars[:2]}
    assert len(bottoms) == 1


def test_negative_bars_hang_below_zero_in_another_colour() -> None:
    root = _parse(bar_chart(["up", "down"], [20.0, -10.0], "Growth"))
    up, down = _bars(root)
    assert up.get("fill") != down.get("fill")
    assert float(down.get("y")) == pytest.approx(float(up.get("y")) + float(up.get("height")), 0.1)


def test_horizontal_bar_chart_labels_and_values() -> None:
    labels = ["REGENCY CAKESTAND 3 TIER", "a very long product description " * 3]
    root = _parse(
        bar_chart(labels, [300.0, 150.0], "Top products", horizontal=True, show_values=True)
    )
    widths = [float(bar.get("width")) for bar in _bars(root)]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "REGENCY CAKESTAND 3 TIER" in texts
    assert any(text and text.endswith("\u2026") for text in texts)  # long label cut
    assert "300" in texts  # value printed beside the bar


def test_bar_chart_empty_and_mismatched() -> None:
    root = _parse(bar_chart([], [], "Nothing"))
    assert "no data" in ET.tostring(root, encoding="unicode")
    with pytest.raises(ValueError):
        bar_chart(["a"], [1.0, 2.0], "Bad")


def test_line_chart_series_band_and_gaps() -> None:
    svg = line_chart(
        ["w1", "w2", "w3", "w4"],
        [
            Series("actual", [10.0, 20.0, None, None]),
            Series("forecast", [None, 20.0, 30.0, 25.0], dashed=True),
        ],
        "Forecast",
        bands=[Band("80 % interval", [None, None, 20.0, 15.0], [None, None, 40.0, 35.0])],
    )
    root = _parse(svg)
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) == 2
    assert paths[0].get("d").count("M") == 1 and paths[0].get("d").count("L") == 1
    assert paths[1].get("stroke-dasharray")
    polygons = list(root.iter(f"{SVG}polygon"))
    assert len(polygons) == 1
    assert len(polygons[0].get("points").split()) == 4  # two points up, two back
    legend = [text.text for text in root.iter(f"{SVG}text")]
    assert {"actual", "forecast", "80 % interval"} <= set(legend)


def test_line_chart_higher_values_are_drawn_higher() -> None:
    root = _parse(line_chart(["a", "b"], [Series("s", [0.0, 100.0])], "Up"))
    points = [p.split(",") for p in root.find(f"{SVG}path").get("d")[1:].split(" L")]
    assert float(points[1][1]) < float(points[0][1])


def test_line_chart_empty_and_mismatched() -> None:
    _parse(line_chart([], [], "Nothing"))
    _parse(line_chart(["a"], [Series("s", [None])], "Only gaps"))
    with pytest.raises(ValueError):
        line_chart(["a", "b"], [Series("s", [1.0])], "Bad")


def test_heatmap_cells_shades_and_escaping() -> None:
    root = _parse(
        heatmap(
            ["<cohort & 1>", "cohort 2"],
            ["1", "2"],
            [[0.5, 0.1], [0.25, None]],
            "Retention",
            value_format=lambda v: f"{v * 100:.0f}",
        )
    )
    cells = _bars(root)
    assert len(cells) == 3  # the None cell stays blank
    fills = [cell.get("fill") for cell in cells]
    darkest = min(fills, key=lambda rgb: sum(int(c) for c in rgb[4:-1].split(",")))
    assert darkest == fills[0]  # 0.5 is the largest value
    assert "<cohort & 1>" in [text.text for text in root.iter(f"{SVG}text")]


def test_heatmap_empty_and_mismatched() -> None:
    _parse(heatmap([], [], [], "Nothing"))
    with pytest.raises(ValueError):
        heatmap(["a"], ["x", "y"], [[1.0]], "Bad")


def test_html_table_escapes_and_aligns() -> None:
    table = html_table(
        ["name", "value"],
        [["<b>Tom & Jerry</b>", "1,234"]],
        numeric_columns=(1,),
        highlight_rows=(0,),
        caption="A & B",
    )
    root = ET.fromstring(table)
    assert root.tag == "table"
    assert "<b>" not in table and "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in table
    cells = root.findall("./tbody/tr/td")
    assert cells[0].text == "<b>Tom & Jerry</b>"
    assert cells[1].get("class") == "num"
    assert root.find("./tbody/tr").get("class") == "selected"
    assert "no rows" in html_table(["a"], [])
