"""The locality's referral management page (issue 19 item 3) on the test-scale demo: each of the
locality's practices with its standardised referral ratio, new to follow-up against the PCT's
cap, and the before/after change, the counts equal to the warehouse's rows counted directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.indicators import referrals
from pbc.orgs.models import Locality

pytestmark = pytest.mark.django_db
URL = "/indicators/localities/dacorum/referrals/"


def warehouse_rows(name: str) -> list[dict[str, Any]]:
    from pbc.warehouse import engine as wh

    con = wh.connect()
    return list(con.to_pyarrow(wh.table(con, name)).to_pylist())


def test_the_page_shows_the_localitys_practices_and_the_change() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    practices = set(dacorum.practices.values_list("code", flat=True))
    page = referrals.build(dacorum, "dermatology", "2008/09", dt.date(2008, 10, 1), 6)
    assert {r.gp_practice_code for r in page.ratios} == practices
    rows = [
        r for r in warehouse_rows("referrals")
        if r["gp_practice_code"] in practices and r["treatment_function_code"] == "330"
    ]  # fmt: skip
    before = sum(dt.date(2008, 4, 1) <= r["referral_date"] < dt.date(2008, 10, 1) for r in rows)
    after = sum(dt.date(2008, 10, 1) <= r["referral_date"] < dt.date(2009, 4, 1) for r in rows)
    assert (page.before_after.before[0], page.before_after.after[0]) == (before, after)
    assert before and after and page.before_after.change is not None
    change = page.before_after.change
    assert change.lower is not None and change.lower < change.value < change.upper
    assert sum(f.first for f in page.follow_ups) > 0

    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    html = client.get(URL, {"specialty": "dermatology", "start": "2008-10"}).content.decode()
    assert all(f'data-practice="{code}"' in html for code in practices)
    assert "Rate after over rate before" in html and f"{change.value:.3f}" in html
    assert client.get("/indicators/localities/welwyn-hatfield/referrals/").status_code == 403
