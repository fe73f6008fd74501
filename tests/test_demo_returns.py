"""The demo ships the periodic returns for the national measures (issue 19, item 2): in the
session's test-scale demo every indicator the returns feed has values for both PCTs, the MRSA
target works out from the baseline the PCT's analyst entered, and the locality board pack's
linked national measures show the PCT's value (not "No data yet")."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from pbc.demo import returns as demo_returns
from pbc.indicators import definitions as defs
from pbc.indicators import present
from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import Locality
from pbc.plans.report import build_report

pytestmark = pytest.mark.django_db

NATIONAL = (
    "mrsa-bacteraemia", "c-difficile", "child-measurement-coverage", "child-obesity-reception",
    "child-obesity-year-6", "chlamydia-screening-coverage", "chlamydia-positivity",
    "cancer-31-day", "cancer-62-day", "tia-seen-within-7-days",
    "stroke-thrombolysis-within-3-hours", "stroke-call-to-needle-60-minutes",
    "hpv-vaccination-three-doses", "breastfeeding-6-8-weeks", "smoking-prevalence",
    "patients-offered-choice",
)  # fmt: skip
TRUST = ("mrsa-bacteraemia-trust", "c-difficile-trust")


def test_every_national_measure_has_demo_values_for_both_pcts() -> None:
    for indicator in NATIONAL:
        for pct in ("5P3", "5P2"):
            values = IndicatorValue.objects.filter(
                indicator_id=indicator, level="pct", org_code=pct, value__isnull=False
            )
            assert values.exists(), (indicator, pct)
            assert {v.source for v in values} == {"aggregate"}, (indicator, pct)
    for indicator in TRUST:
        for trust in ("RWG", "RWH"):
            assert IndicatorValue.objects.filter(
                indicator_id=indicator, level="provider", org_code=trust
            ).exists(), (indicator, trust)


def test_the_mrsa_target_comes_from_the_baseline_the_analyst_entered() -> None:
    definition = defs.get("mrsa-bacteraemia")
    assert definition is not None
    target = present.resolve_target(definition, "pct", "5P3", dt.date(2009, 1, 1))
    baseline = demo_returns.MRSA_BASELINES["5P3"]
    assert target.source == "derived" and target.value is not None
    assert math.isclose(target.value, baseline * 0.5 / 12)


@pytest.mark.parametrize(("slug", "pct"), [("dacorum", "5P3"), ("welwyn-hatfield", "5P2")])
def test_the_board_pack_shows_the_pct_s_value_for_national_measures(slug: str, pct: str) -> None:
    report = build_report(Locality.objects.get(slug=slug), dt.date(2009, 1, 1))
    national = [line for line in report.measures if line.link.indicator_id in NATIONAL]
    assert national, slug
    for line in national:
        assert line.value_text.endswith(f", PCT {pct})"), (line.link.indicator_id, line.value_text)
        assert line.status is not None and line.status.value is not None
