"""Chart helpers shared by the pages that draw Plotly charts.

Every chart's layout comes from `chart_layout`: a title, both axes titled and given room for
their labels (`automargin`), and the legend in a row (or rows) at the foot of the chart, below
the axis title, where it never covers the plot or the axis (`LEGEND_BELOW`: placed against
the whole figure, the plot shrinks to make room for it, at any width). Money axes carry £
(`MONEY_AXIS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

GREY = "#768692"  # NHS mid grey

# The legend at the foot of the figure ("container"), the plot area shrinking to make room.
LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0,
                "yanchor": "bottom"}  # fmt: skip
MONEY_AXIS = {"tickprefix": "£", "tickformat": ",.0f"}


def chart_layout(
    title: str, x: dict[str, Any], y: dict[str, Any], *, legend: bool = True, **more: Any
) -> dict[str, Any]:
    """A figure's layout: `x` and `y` are the axes, each with its "title" text as "title";
    `legend=False` for a chart of one series (nothing to tell apart)."""

    def axis(spec: dict[str, Any]) -> dict[str, Any]:
        out = {**spec, "automargin": True}
        if isinstance(out.get("title"), str):
            out["title"] = {"text": out["title"]}
        return out

    layout: dict[str, Any] = {
        "title": {"text": title},
        "xaxis": axis(x),
        "yaxis": axis(y),
        "margin": {"t": 50, "r": 20},
        "showlegend": legend,
        **more,
    }
    if legend:
        layout["legend"] = dict(LEGEND_BELOW)
    return layout


def funnel_limit_traces(xs: Sequence[float], limits: Sequence[Any]) -> list[dict[str, Any]]:
    """The four control-limit lines of a funnel plot (95% dashed, 99.8% dotted), one point per
    denominator in `xs`; `limits` are `pbc.stats.FunnelLimits` rows in the same order."""
    traces = []
    for attr, name, dash in (
        ("upper_95", "95% limits", "dash"),
        ("lower_95", "95% limits", "dash"),
        ("upper_998", "99.8% limits", "dot"),
        ("lower_998", "99.8% limits", "dot"),
    ):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "showlegend": attr.startswith("upper"),
                "x": list(xs),
                "y": [getattr(lim, attr) for lim in limits],
                "line": {"color": GREY, "dash": dash},
            }
        )
    return traces
