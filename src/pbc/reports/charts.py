"""The board pack's charts, as static SVG (`pbc.web.svg_charts`), so that the PDF has them too:

- finance: the cumulative spend against the profiled budget, with the forecast outturn, and
  the forecast over- and underspend by budget line (two colours), as the statement page draws
  them with Plotly;
- indicators: the SPC chart (XmR: values, mean, process limits, target) of each indicator
  whose latest point shows special-cause variation, at most `SPC_SHOWN`, concerns first; the
  others are common-cause variation and their icons in the table say all there is.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbc.periods import months_of_year
from pbc.web import svg_charts
from pbc.web.svg_charts import Series

BLUE, ORANGE, GREY, DARK, RED, PURPLE = (
    "#005eb8", "#ed8b00", "#768692", "#212b32", "#d5281b", "#330072",
)  # fmt: skip
SPC_SHOWN = 6


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


def finance_charts(section: object, financial_year: str) -> list[Chart]:
    """The two finance charts of a `board.FinanceSection` with a statement (else none)."""
    total = getattr(section, "total", None)
    lines = getattr(section, "lines", [])
    if total is None:
        return []
    months = [m.strftime("%b %y") for m in months_of_year(financial_year)]
    done = total.month_number
    forecast: list[float | None] = [None] * len(months)
    if done:
        forecast[done - 1] = float(total.cumulative_actual[-1]) if total.cumulative_actual else 0.0
        forecast[-1] = float(total.forecast_outturn)
    cumulative_title = "Cumulative spend against budget"
    cumulative = svg_charts.line_chart(
        cumulative_title,
        months,
        [
            Series("Budget (profiled)", [float(v) for v in total.cumulative_budget], BLUE),
            Series("Actual", [float(v) for v in total.cumulative_actual], RED, markers=True),
            Series("Forecast to outturn", forecast, ORANGE, dash="6 4"),
        ],
        y_title="Cumulative spend (£)",
        x_title="Month",
        money=True,
    )
    variance_title = "Forecast over (+) and under (−) spend by budget line"
    variance = svg_charts.bar_chart(
        variance_title,
        [line.label for line in lines],
        [float(line.forecast_variance) for line in lines],
        y_title="Forecast variance (£)",
        x_title="Budget line",
        above=("Overspend", ORANGE),
        below=("Underspend", BLUE),
    )
    return [Chart(cumulative_title, cumulative), Chart(variance_title, variance)]


def spc_charts(section: object) -> list[Chart]:
    """SPC charts of a `board.IndicatorSection`'s indicators with special-cause variation."""
    chosen = []
    for line in getattr(section, "with_values", []):
        chart = line.status.chart
        if chart is None or chart.variation_icon == "common cause":
            continue
        chosen.append((0 if chart.variation_icon.startswith("concern") else 1, line, chart))
    chosen.sort(key=lambda item: item[0])
    out = []
    for _, line, chart in chosen[:SPC_SHOWN]:
        n = len(chart.values)
        series = [
            Series("Value", chart.values, DARK, markers=True),
            Series("Mean", [chart.mean] * n, GREY),
            Series("Process limits", [chart.upper_limit] * n, GREY, dash="6 4"),
            Series("", [chart.lower_limit] * n, GREY, dash="6 4"),
        ]
        if chart.target is not None:
            series.append(Series("Target", [chart.target] * n, RED, dash="2 3"))
        title = f"{line.definition.title}: {chart.variation_text.lower()}"
        svg = svg_charts.line_chart(
            title,
            [m.strftime("%b %y") for m in chart.months],
            series,
            y_title=line.definition.unit or "Value",
            x_title="Month",
        )
        out.append(Chart(title, svg))
    return out
