"""Plotly figures (as JSON for the page's script): cumulative spend against budget, forecast range."""

from __future__ import annotations

import json
from decimal import Decimal

from pbc.analytics.finance.statement import LineStatement
from pbc.periods import months_of_year
from pbc.web.charts import MONEY_AXIS, chart_layout

OVERSPEND = "#ed8b00"  # NHS warm yellow-orange: a concern (Making Data Count's colour)
UNDERSPEND = "#005eb8"  # NHS blue


def _f(values: list[Decimal]) -> list[float]:
    return [float(v) for v in values]


def cumulative_figure(total: LineStatement, financial_year: str) -> str:
    months = [m.strftime("%b %Y") for m in months_of_year(financial_year)]
    m = total.month_number
    low, high = total.forecast_range
    cum_actual = total.cumulative_actual
    last = cum_actual[-1] if cum_actual else Decimal(0)
    data = [
        {"x": months, "y": _f(total.cumulative_budget), "name": "Budget (profiled)",
         "mode": "lines", "line": {"color": "#005eb8"}},
        {"x": months[:m], "y": _f(cum_actual), "name": "Actual", "mode": "lines+markers",
         "line": {"color": "#d5281b"}},
        {"x": [months[m - 1], months[-1]], "y": [float(last), float(high)],
         "name": "Forecast (highest method)", "mode": "lines", "line": {"dash": "dot", "color": "#ffb81c"}},
        {"x": [months[m - 1], months[-1]], "y": [float(last), float(low)],
         "name": "Forecast (lowest method)", "mode": "lines", "fill": "tonexty",
         "line": {"dash": "dot", "color": "#ffb81c"}},
        {"x": [months[-1]], "y": [float(total.forecast_outturn)], "name": "Forecast outturn",
         "mode": "markers", "marker": {"size": 10, "color": "#330072"}},
    ]  # fmt: skip
    layout = chart_layout(
        "Cumulative spend against budget",
        {"title": "Month"},
        {"title": "Cumulative spend (£)", **MONEY_AXIS},
    )
    return json.dumps({"data": data, "layout": layout})


def lines_figure(lines: list[LineStatement]) -> str:
    """The forecast variance of each budget line as a bar: overspends (above 0) and
    underspends (0 or below) in two colours, each named in the legend."""
    data = []
    for name, colour, over in (("Overspend", OVERSPEND, True), ("Underspend", UNDERSPEND, False)):
        chosen = [s for s in lines if (s.forecast_variance > 0) == over]
        data.append(
            {"type": "bar", "x": [s.label for s in chosen],
             "y": [float(s.forecast_variance) for s in chosen], "name": name,
             "marker": {"color": colour}, "hovertemplate": "%{x}: £%{y:,.0f}<extra></extra>"}
        )  # fmt: skip
    layout = chart_layout(
        "Forecast over (+) and under (−) spend by budget line",
        {
            "title": "Budget line",
            "categoryorder": "array",
            "categoryarray": [s.label for s in lines],
        },
        {"title": "Forecast variance (£)", **MONEY_AXIS},
        barmode="relative",
    )
    return json.dumps({"data": data, "layout": layout})
