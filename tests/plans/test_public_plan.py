"""The public plan page shows progress but never private commentary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from pbc.plans import actions
from pbc.plans.models import Milestone, Plan


@pytest.mark.django_db
def test_private_commentary_stays_off_the_public_page() -> None:
    plan = Plan.objects.get(slug="welwyn-hatfield-2008-09")
    manager = get_user_model().objects.get(username="wh-locality")
    shared, private = Milestone.objects.filter(objective__plan=plan).order_by("pk")[:2]
    for m, text, is_private in (
        (shared, "Clinics running in all practices", False),
        (private, "Provider finances are a worry: confidential", True),
    ):
        actions.record_milestone_update(
            manager,
            m,
            based_on_version=m.version,
            month=dt.date(2009, 3, 1),
            status="amber",
            commentary=text,
            private=is_private,
        )
    anonymous = Client()
    public = anonymous.get(reverse("plan_public", args=[plan.slug]))
    assert public.status_code == 200
    page = public.content.decode()
    assert "Clinics running in all practices" in page
    assert "Provider finances are a worry" not in page
    assert "Progress as reported for March 2009" in page
    assert plan.slug in anonymous.get(reverse("plans_public_index")).content.decode()

    insider = Client()
    insider.force_login(manager)
    dashboard = insider.get(reverse("plans_dashboard", args=["welwyn-hatfield"]) + "?month=2009-03")
    assert "Provider finances are a worry: confidential" in dashboard.content.decode()


@pytest.mark.django_db
def test_draft_plans_are_not_published() -> None:
    plan = Plan.objects.get(slug="welwyn-hatfield-2008-09")
    plan.status = Plan.Status.DRAFT
    plan.save()
    assert Client().get(reverse("plan_public", args=[plan.slug])).status_code == 404


@pytest.mark.django_db
def test_measures_reported_only_for_pcts_show_the_pct_value_suppressed_when_small() -> None:
    """Breastfeeding at 6-8 weeks is reported for PCTs only (a national return): Dacorum's
    public plan shows West Herts' (5P3) latest value, marked, with its source; once that
    month's count is small, the page shows an earlier month instead, never the small one."""
    from pbc.indicators.models import IndicatorValue

    indicator = "breastfeeding-6-8-weeks"
    plan = Plan.objects.get(locality__slug="dacorum", financial_year="2008/09")
    values = IndicatorValue.objects.filter(indicator_id=indicator, level="pct", org_code="5P3")
    latest = values.exclude(value=None).latest("month")
    page = Client().get(reverse("plan_public", args=[plan.slug])).content.decode()
    key = f"indicator:{indicator}:pct:5P3:{latest.month.isoformat()}"
    row = _row(page, indicator)
    assert f'data-derived-from="{key}"' in row
    assert f"(PCT 5P3) ({latest.month:%B %Y})" in row
    latest.numerator = 3  # within every disclosure rule's suppressed range
    latest.save()
    row = _row(Client().get(reverse("plan_public", args=[plan.slug])).content.decode(), indicator)
    assert key not in row and f"({latest.month:%B %Y})" not in row
    before = values.exclude(value=None).filter(month__lt=latest.month).latest("month")
    assert f'data-derived-from="indicator:{indicator}:pct:5P3:{before.month.isoformat()}"' in row
    assert f"(PCT 5P3) ({before.month:%B %Y})" in row


def _row(page: str, indicator: str) -> str:
    """The first row of the measures table for `indicator`."""
    return page.split(f'data-indicator="{indicator}"', 1)[1].split("</tr>", 1)[0]
