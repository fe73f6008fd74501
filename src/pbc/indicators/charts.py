"""Plotly figures (as plain JSON-ready dicts) for the SPC chart and the funnel plot.

Colours follow Making Data Count: common cause grey, improvement blue, concern orange, neutral
purple, in the SPC chart and the funnel plot alike (a funnel point outside the 95% limits is an
improvement or a concern by the indicator's polarity); the target is a red dashed line, the mean a solid line, the process limits dashed.
Plotly's JavaScript is served locally (`views.plotly_js`), never from a CDN.
"""

from __future__ import annotations

from typing import Any

from pbc.indicators.present import Funnel, Spc
from pbc.web.charts import GREY, chart_layout, funnel_limit_traces

BLUE = "#005eb8"
ORANGE = "#ed8b00"
PURPLE = "#330072"
RED = "#d5281b"
POINT_COLOURS = {"common cause": GREY, "improvement": BLUE, "concern": ORANGE, "neutral": PURPLE}


def spc_figure(chart: Spc, title: str, unit: str) -> dict[str, Any]:
    x = [m.isoformat() for m in chart.months]
    n = len(x)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Value",
            "x": x,
            "y": chart.values,
            "line": {"color": GREY},
            "marker": {"size": 8, "color": [POINT_COLOURS[t] for t in chart.point_types]},
            "text": chart.point_types,
            "hovertemplate": "%{x|%b %Y}: %{y:.2f} (%{text})<extra></extra>",
        },
        {"type": "scatter", "mode": "lines", "name": "Mean", "x": x, "y": [chart.mean] * n,
         "line": {"color": "#212b32"}},
        {"type": "scatter", "mode": "lines", "name": "Upper process limit", "x": x,
         "y": [chart.upper_limit] * n, "line": {"color": GREY, "dash": "dash"}},
        {"type": "scatter", "mode": "lines", "name": "Lower process limit", "x": x,
         "y": [chart.lower_limit] * n, "line": {"color": GREY, "dash": "dash"}},
    ]  # fmt: skip
    if chart.target is not None:
        data.append(
            {"type": "scatter", "mode": "lines", "name": "Target", "x": x,
             "y": [chart.target] * n, "line": {"color": RED, "dash": "dot", "width": 2}}
        )  # fmt: skip
    return {
        "data": data,
        "layout": chart_layout(title, {"title": "Month", "type": "date"}, {"title": unit}),
    }


FUNNEL_LEGEND = {
    "improvement": "Improvement (outside the 95% limits)",
    "concern": "Concern (outside the 95% limits)",
    "neutral": "Outside the 95% limits (neither better nor worse)",
    "common cause": "Within the 95% limits",
}


def funnel_figure(f: Funnel, title: str, unit: str, denominator_label: str) -> dict[str, Any]:
    """Organisations as points coloured by their Making Data Count reading
    (`present.funnel_point_type`: improvement blue, concern orange, neutral purple, within the
    limits grey), one trace per reading so the legend names them, over the average and the
    95% and 99.8% limits."""
    xs = [lim.denominator for lim in f.limits]
    data: list[dict[str, Any]] = []
    for point_type, legend in FUNNEL_LEGEND.items():
        points = [p for p in f.points if p.point_type == point_type]
        if not points:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": legend,
                "x": [p.denominator for p in points],
                "y": [p.value for p in points],
                "text": [p.name for p in points],
                "marker": {"size": 9, "color": POINT_COLOURS[point_type]},
                "hovertemplate": "%{text}: %{y:.2f}<extra></extra>",
            }
        )
    data.append(
        {"type": "scatter", "mode": "lines", "name": "Average", "x": xs,
         "y": [f.average] * len(xs), "line": {"color": "#212b32"}}
    )  # fmt: skip
    data += funnel_limit_traces(xs, f.limits)
    return {
        "data": data,
        "layout": chart_layout(title, {"title": denominator_label}, {"title": unit}),
    }
