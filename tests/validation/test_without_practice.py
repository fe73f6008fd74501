"""A finding that names no practice (an invoice line without activity) is stored with its
reason and listed for its PCT's analysts, not for another PCT's nor on a practice's review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.validation.actions import store_findings
from pbc.validation.models import Finding

DETAIL = (
    "RWG invoiced 9999 (2 line(s) from 2009-01, net £400.00): no spell RWG:9999 in the activity"
)


def record() -> dict[str, object]:
    """As `pbc.analytics.validation.invoice_rules` finds it (FINDING_SCHEMA)."""
    return {
        "rule_id": "invoice_line_without_activity", "dataset": "apc", "row_id": "RWG:9999",
        "nhs_number": None, "gp_practice_code": None, "provider_code": "RWG",
        "commissioner_code": "5P3", "activity_date": dt.date(2009, 1, 1),
        "month": dt.date(2009, 1, 1), "charged_price": Decimal("400.00"),
        "amount": Decimal("400.00"), "in_force": True, "detail": DETAIL,
    }  # fmt: skip


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.django_db
def test_a_finding_with_no_practice_is_listed_for_its_pct() -> None:
    store_findings([record()], month=dt.date(2009, 1, 1))
    stored = Finding.objects.get(key="invoice_line_without_activity:apc:RWG:9999")
    assert (stored.practice, stored.pct.code, stored.detail) == (None, "5P3", DETAIL)

    page = client_for("analyst").get("/validation/pcts/west-herts/without-practice/?month=2009-01")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-finding="invoice_line_without_activity:apc:RWG:9999"' in html
    assert "Invoice line without activity" in html and "no spell RWG:9999 in the activity" in html
    assert "/validation/pcts/west-herts/without-practice/" in (
        client_for("analyst").get("/validation/").content.decode()
    )
    # Another PCT's analyst, and a practice user, may not see it.
    other = client_for("enh-analyst").get("/validation/pcts/west-herts/without-practice/")
    assert other.status_code == 403
    assert (
        client_for("practice").get("/validation/pcts/west-herts/without-practice/").status_code
        == 403
    )


@pytest.mark.django_db
def test_new_findings_take_their_ids_in_key_order() -> None:
    """The rules' rows come from the engine in no fixed order; the ids (which lists and the
    demo's challenges fall back on) must not depend on it."""
    rows = [{**record(), "row_id": f"RWG:{n}"} for n in (9003, 9001, 9002)]
    store_findings(rows, month=dt.date(2009, 1, 1))
    stored = Finding.objects.filter(row_id__in=["RWG:9001", "RWG:9002", "RWG:9003"])
    assert [f.row_id for f in stored.order_by("pk")] == ["RWG:9001", "RWG:9002", "RWG:9003"]
