"""Statements and indicator dashboards are computed once per data state and kept in the result
store (issue 17), as the board pack is: the same page again is served from the store, and a
change to its inputs (here, a refresh step's completion after its bulk rewrite) shows in the
next page. Indicator pages are kept per set of organisations compared, so that users who may
see different organisations never share a funnel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from pbc.finance import statements
from pbc.finance.models import SpendFact
from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import Locality, Practice
from pbc.refresh import results
from pbc.refresh.models import StepRun
from pbc.web.jinja import money

JANUARY = dt.date(2009, 1, 1)


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def complete(step: str) -> None:
    """Record a step's completion as the pipeline records it."""
    now = timezone.now()
    StepRun.objects.create(step=step, inputs="store-test", started_at=now, completed_at=now)


@pytest.mark.django_db
def test_a_stored_statement_stands_until_the_finance_step_completes() -> None:
    practice = Practice.objects.select_related("locality__pct").get(code="E82601")
    page = f"/finance/practices/{practice.code}/?month=2009-01"
    client = client_for("practice")

    def outturn() -> str:
        return money(statements.report([practice], JANUARY).statement.total.forecast_outturn)

    old = outturn()
    assert old in client.get(page).content.decode()
    fact = SpendFact.objects.filter(practice=practice, month=JANUARY).order_by("pk").first()
    assert fact is not None
    SpendFact.objects.filter(pk=fact.pk).update(charged=fact.charged + 1_000_000)
    new = outturn()
    assert new != old
    assert old in client.get(page).content.decode()  # from the store: not rebuilt per request
    complete("finance")
    shown = client.get(page).content.decode()
    assert new in shown and old not in shown


@pytest.mark.django_db
def test_a_stored_indicator_dashboard_stands_until_the_indicators_step_completes() -> None:
    page = "/indicators/localities/dacorum/"
    client = client_for("locality")
    value = (
        IndicatorValue.objects.filter(
            indicator_id="gp-referral-rate", level="locality", org_code="dacorum"
        )
        .exclude(value=None)
        .order_by("-month")
        .first()
    )
    assert value is not None
    cell = f'data-derived-from="indicator:gp-referral-rate:locality:dacorum:{value.month.isoformat()}">'

    def shown() -> str:
        html = client.get(page).content.decode()
        found = re.search(re.escape(cell) + r"([^<]*)<", html)
        assert found is not None, "the dashboard has no gp-referral-rate line"
        return found.group(1)

    old = shown()
    IndicatorValue.objects.filter(pk=value.pk).update(value=12345.6)
    assert shown() == old
    complete("indicators")
    assert shown() != old and "12,345" in shown()


@pytest.mark.django_db
def test_indicator_pages_are_stored_per_organisations_compared() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    a = results.key_of("indicator page", dacorum, "gp-referral-rate", "practice:A,practice:B")
    b = results.key_of("indicator page", dacorum, "gp-referral-rate", "practice:A")
    assert a != b
    page = "/indicators/i/gp-referral-rate/?org=locality:dacorum"
    assert client_for("locality").get(page).status_code == 200
    assert client_for("provider").get(page).status_code == 403
