"""Plotly figures (as JSON for the page's script): cumulative spend against budget, forecast range."""

from __future__ import annotations

import json
from decimal import Decimal

from pbc.analytics.finance.statement import LineStatement
from pbc.periods import months_of_year


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
    layout = {
        "title": {"text": "Cumulative spend against budget"},
        "yaxis": {"title": {"text": "£"}, "tickformat": ",.0f"},
        "margin": {"t": 40, "r": 10},
        "legend": {"orientation": "h"},
    }
    return json.dumps({"data": data, "layout": layout})


def lines_figure(lines: list[LineStatement]) -> str:
    labels = [s.label for s in lines]
    data = [
        {"type": "bar", "x": labels, "y": [float(s.forecast_variance) for s in lines],
         "name": "Forecast variance (+ overspend)", "marker": {"color": "#005eb8"}},
    ]  # fmt: skip
    layout = {"title": {"text": "Forecast over (+) and under (−) spend by budget line"},
              "yaxis": {"tickformat": ",.0f"}, "margin": {"t": 40}}  # fmt: skip
    return json.dumps({"data": data, "layout": layout})
