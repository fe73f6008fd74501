"""Services spend reaches the statements once: paid enhanced-service claims on the enhanced
services line (by payment month) from `pbc.services.feeds`, and nothing booked by the finance
demo on top."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db.models import Sum

from pbc.finance import statements
from pbc.finance.models import OtherSpend, SpendFact
from pbc.finance.refresh import refresh
from pbc.orgs.models import Practice
from pbc.services.models import Claim, ServiceSpecification

pytestmark = pytest.mark.django_db
MONTH = dt.date(2009, 1, 1)
PAID = dt.date(2008, 11, 1)


def _enhanced(practice: Practice, month: dt.date) -> Decimal:
    total = SpendFact.objects.filter(
        practice=practice, month=month, line="enhanced_services"
    ).aggregate(t=Sum("charged"))["t"]
    return total or Decimal("0.00")


def test_a_paid_claim_appears_once(
    finance_demo: None, demo_facts: Callable[[dt.date], None]
) -> None:
    practice = Practice.objects.get(code="E82601")
    assert not OtherSpend.objects.filter(line="enhanced_services", recurrent=True).exists()
    spec = ServiceSpecification.objects.filter(financial_year="2008/09").order_by("pk").first()
    assert spec is not None
    quarter = dt.date(2008, 1, 1)  # a quarter of the year before: no live demo claim clashes
    assert not Claim.objects.filter(practice=practice, specification=spec, quarter=quarter).exists()

    demo_facts(MONTH)  # the facts before the claim
    before = _enhanced(practice, PAID)
    paid = Claim.objects.filter(practice=practice, status="paid", paid_month=PAID).aggregate(
        t=Sum("amount")
    )["t"] or Decimal("0.00")
    one_off = OtherSpend.objects.filter(practice=practice, month=PAID).aggregate(t=Sum("amount"))[
        "t"
    ] or Decimal("0.00")
    assert before == paid + one_off

    Claim.objects.create(
        practice=practice, specification=spec, quarter=quarter, units=10, payable_units=10,
        amount=Decimal("123.45"), status="paid", submitted_by="test", paid_month=PAID,
    )  # fmt: skip
    refresh(MONTH)
    assert _enhanced(practice, PAID) == before + Decimal("123.45")
    rep = statements.report([practice], MONTH)
    line = rep.statement.line("enhanced_services")
    assert line.actual_months[PAID.month - 4] == before + Decimal("123.45")
    # Another month is untouched by the claim.
    assert _enhanced(practice, dt.date(2008, 10, 1)) == line.actual_months[6]
