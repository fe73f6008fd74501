"""Chart helpers shared by the pages that draw Plotly charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

GREY = "#768692"  # NHS mid grey


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
