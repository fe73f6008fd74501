"""Funnel plot points read as Making Data Count reads SPC points: outside the 95% limits on the
indicator's better side an improvement (blue), on its worse side a concern (orange), either
side of a neutral indicator neutral (purple, the SPC chart's colour for it), within the limits
common cause (grey)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from pbc.indicators import charts, present
from pbc.indicators import definitions as defs
from pbc.indicators.models import IndicatorValue

pytestmark = pytest.mark.django_db

MONTH = dt.date(2008, 11, 1)
# (code, numerator, denominator): 90% and 10% either side of a 50% average, and one at it
ORGS = [("T00001", 90, 100), ("T00002", 50, 100), ("T00003", 10, 100)]
NAMES = [(code, f"Practice {code}") for code, _x, _n in ORGS]


def test_point_type_follows_the_polarity() -> None:
    read = present.funnel_point_type
    assert read("high", "increase") == "improvement" and read("low", "increase") == "concern"
    assert read("high", "decrease") == "concern" and read("low", "decrease") == "improvement"
    assert read("high", "neutral") == "neutral" == read("low", "neutral")
    for polarity in ("increase", "decrease", "neutral"):
        assert read("not significant", polarity) == "common cause"


def _funnel(indicator: str, scale: float = 1.0) -> present.Funnel:
    definition = defs.get(indicator)
    assert definition is not None
    for code, x, n in ORGS:
        IndicatorValue.objects.create(indicator_id=indicator, level="practice", org_code=code,
                                      month=MONTH, numerator=x, denominator=n * scale,
                                      value=100 * x / (n * scale))  # fmt: skip
    funnel = present.funnel(definition, "practice", NAMES)
    assert funnel is not None
    return funnel


def _colour_of(figure: dict[str, Any], name: str) -> str:
    traces = [t for t in figure["data"] if t.get("mode") == "markers" and name in t["text"]]
    assert len(traces) == 1, name
    return str(traces[0]["marker"]["color"])


@pytest.mark.parametrize(
    ("indicator", "scale", "high", "low"),
    [
        ("choose-and-book", 1.0, charts.BLUE, charts.ORANGE),  # higher is better
        ("referrals-outside-pct", 1.0, charts.ORANGE, charts.BLUE),  # lower is better
        ("gp-referral-rate-general-surgery", 10.0, charts.PURPLE, charts.PURPLE),  # neutral
    ],
)
def test_funnel_colours_by_polarity(indicator: str, scale: float, high: str, low: str) -> None:
    funnel = _funnel(indicator, scale)
    significance = {p.org_code: p.significance_95 for p in funnel.points}
    assert significance == {"T00001": "high", "T00002": "not significant", "T00003": "low"}
    figure = charts.funnel_figure(funnel, "t", "%", "referrals")
    assert _colour_of(figure, "Practice T00001") == high
    assert _colour_of(figure, "Practice T00003") == low
    assert _colour_of(figure, "Practice T00002") == charts.GREY
    # the legend says what each colour means
    names = {t["name"] for t in figure["data"] if t.get("mode") == "markers"}
    assert "Within the 95% limits" in names and len(names) == (2 if high == low else 3)


def test_indicator_page_table_and_chart_say_improvement_and_concern(
    django_user_model: Any,
) -> None:
    """Dacorum's two demo practices far either side of their average on an increase-is-better
    indicator: the higher is an improvement (blue), the lower a concern (orange)."""
    IndicatorValue.objects.filter(indicator_id="choose-and-book").delete()
    for code, x in (("E82601", 90), ("E82602", 10)):
        IndicatorValue.objects.create(indicator_id="choose-and-book", level="practice",
                                      org_code=code, month=MONTH, numerator=x, denominator=100,
                                      value=float(x))  # fmt: skip
    client = Client()
    client.force_login(django_user_model.objects.get(username="analyst"))
    html = client.get("/indicators/i/choose-and-book/?org=locality:dacorum").content.decode()
    cells = re.findall(r'data-point-type="([^"]+)">([^<]*)<', html)
    assert ("improvement", "high / high (improvement)") in cells
    assert ("concern", "low / low (concern)") in cells
    raw = re.search(r'<script id="funnel-data" type="application/json">(.*?)</script>', html, re.S)
    assert raw is not None
    figure = json.loads(raw.group(1))
    markers = {t["name"]: t for t in figure["data"] if t.get("mode") == "markers"}
    improvement = markers["Improvement (outside the 95% limits)"]
    concern = markers["Concern (outside the 95% limits)"]
    assert (
        improvement["marker"]["color"] == charts.BLUE
        and concern["marker"]["color"] == charts.ORANGE
    )
    assert improvement["x"] == [100] and improvement["y"] == [90.0]
    assert concern["y"] == [10.0]
