"""The demo ships a 2008/09 prescribing incentive scheme: targets for every practice of each
PCT and a three-line switch list, visible on the PCT's scheme page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("username", "pct"), [("analyst", "west-herts"), ("enh-analyst", "east-north-herts")]
)
def test_the_demo_scheme_has_targets_payments_and_savings(username: str, pct: str) -> None:
    """For each PCT (one PCT's file must not replace the other's targets)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    html = client.get(f"/indicators/prescribing-scheme/pct/{pct}/").content.decode()
    assert "2008/09" in html
    rows = re.findall(r'<tr class="nhsuk-table__row" data-practice="(E8\d{4})">', html)
    assert len(rows) >= 6  # two targets and three switches for each practice
    assert html.count("Losartan 50mg tablets (0205052N0AAAAAA)") == 1
    total = re.search(r'id="scheme-total-saving">£([\d,.]+)<', html)
    assert total is not None and float(total.group(1).replace(",", "")) > 0
    index = client.get("/indicators/").content.decode()
    assert f'href="/indicators/prescribing-scheme/pct/{pct}/"' in index
