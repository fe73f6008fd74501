"""The server-drawn SVG charts (pbc.web.svg_charts) of the board pack's PDF: titled axes, £ on
money axes, two colours for amounts above and below zero, the legend under the plot."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pbc.web import svg_charts
from pbc.web.jinja import MINUS
from pbc.web.svg_charts import Series

SVG = ""  # (the charts are for HTML documents: no namespace declared)


def texts(svg: str) -> list[tuple[float, str]]:
    """(y, words) of every text element."""
    root = ET.fromstring(svg)
    return [(float(t.get("y", 0)), t.text or "") for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_colours_over_and_underspend_apart_with_pound_ticks() -> None:
    svg = svg_charts.bar_chart(
        "Forecast variance",
        ["Elective", "Prescribing", "Community and provider services", *"ABCDE"],
        [120_000.0, -45_000.0, 0.0, *[1.0] * 5],
        y_title="Forecast variance (£)",
        x_title="Budget line",
        above=("Overspend", "#ed8b00"),
        below=("Underspend", "#005eb8"),
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Forecast variance"
    bars = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert bars[:3] == ["#ed8b00", "#005eb8", "#005eb8"]  # zero is not an overspend
    words = [w for _, w in texts(svg)]
    ticks = [w for w in words if re.fullmatch(r"(\u2212\u2060)?£[0-9.,]+[km]?", w)]
    assert "£0" in ticks and "£100k" in ticks and any(t.startswith(MINUS + "£") for t in ticks)
    assert {"Forecast variance (£)", "Budget line", "Overspend", "Underspend"} <= set(words)
    # A long label is wrapped onto two lines rather than running into its neighbours.
    assert "Community and" in " ".join(words) and "Community and provider services" not in words


def test_a_line_charts_legend_is_under_its_plot_and_axis_title() -> None:
    months = ["Apr 08", "May 08", "Jun 08"]
    svg = svg_charts.line_chart(
        "Cumulative spend against budget",
        months,
        [
            Series("Budget (profiled)", [100.0, 200.0, 300.0], "#005eb8"),
            Series("Actual", [90.0, 210.0, None], "#d5281b", markers=True),
            Series("", [50.0, 50.0, 50.0], "#768692", dash="6 4"),  # unnamed: not in the legend
        ],
        y_title="Cumulative spend (£)",
        x_title="Month",
        money=True,
    )
    placed = dict((w, y) for y, w in texts(svg))
    lowest_tick = max(y for y, w in texts(svg) if w in months)
    assert placed["Month"] > lowest_tick  # the axis title under the month labels
    assert placed["Budget (profiled)"] > placed["Month"] + 10  # the legend under both
    assert placed["Actual"] == placed["Budget (profiled)"]  # in one row
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}polyline")) == 3
    assert len(root.findall(f"{SVG}circle")) == 2  # the actual's two values, marked
    legend = [w for w in placed if w in ("Budget (profiled)", "Actual", "")]
    assert legend == ["Budget (profiled)", "Actual"]
    assert "style=" not in svg  # attributes only: the site's policy allows no inline style


def test_ticks_are_round_and_cover_the_values() -> None:
    ticks = svg_charts.nice_ticks(-45_000, 120_000)
    assert ticks[0] <= -45_000 and ticks[-1] >= 120_000
    steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert steps == {50_000.0}
    assert svg_charts.tick_text(-1_500_000, money=True) == MINUS + "£1.5m"
    assert svg_charts.tick_text(2_500, money=True) == "£2.5k"
    assert svg_charts.tick_text(85.5, money=False) == "85.5"
