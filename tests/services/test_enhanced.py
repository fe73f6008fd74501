"""Enhanced services: claims checked against the specification, approval and payment, the
finance and indicator feeds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from pbc.orgs.models import Locality, Practice
from pbc.services import actions, feeds
from pbc.services.claims import check_claims
from pbc.services.models import Claim, ServiceSpecification, SignUp
from pbc.services.tabular import Table

Q4 = dt.date(2009, 1, 1)  # 2008/09 Q4: no demo claims yet


def table(rows: list[list[object]]) -> Table:
    return Table(["gp_practice_code", "service", "units"], [(i + 2, r) for i, r in enumerate(rows)])


@pytest.fixture
def dacorum(services_demo: None, db: None) -> Locality:
    return Locality.objects.get(slug="dacorum")


def test_every_claim_problem_is_named_and_a_blocked_batch_stores_nothing(dacorum: Locality) -> None:
    not_gynae = "E82601"  # Dacorum practices are not signed up to gynaecology
    before = Claim.objects.count()
    check = check_claims(
        dacorum,
        Q4,
        table(
            [
                ["E82601", "smoking-cessation", 10],
                ["E81601", "smoking-cessation", 5],  # Welwyn Hatfield practice
                [not_gynae, "gynaecology", 3],
                ["E82602", "smoking-cessation", 61],  # cap is 60
                ["E82603", "acupuncture", 2],
                ["E82604", "smoking-cessation", "ten"],
            ]
        ),
    )
    named = {(p.row, p.column, p.blocking) for p in check.problems}
    assert named == {
        (3, "gp_practice_code", True),
        (4, "service", True),
        (5, "units", False),
        (6, "service", True),
        (7, "units", True),
    }
    reasons = " ".join(p.reason for p in check.problems)
    assert "not signed up to Gynaecology" in reasons and "over the cap of 60" in reasons
    with pytest.raises(actions.Refused) as refused:
        actions.submit_claims(None, dacorum, check)
    assert len(refused.value.problems) == 4
    assert Claim.objects.count() == before


def test_over_cap_is_queried_then_approved_and_paid_into_spend(dacorum: Locality) -> None:
    analyst = get_user_model().objects.get(username="analyst")
    check = check_claims(
        dacorum,
        Q4,
        table([["E82601", "smoking-cessation", 10], ["E82602", "smoking-cessation", 61]]),
    )
    ok, over = actions.submit_claims(analyst, dacorum, check)
    assert ok.status == "submitted" and ok.amount == Decimal("400.00")
    assert over.status == "queried" and over.payable_units == 60
    assert over.amount == Decimal("2400.00")
    again = check_claims(dacorum, Q4, table([["E82601", "smoking-cessation", 1]]))
    assert "already been claimed" in again.problems[0].reason
    with pytest.raises(actions.Refused):
        actions.pay_claims(analyst, [ok], dt.date(2009, 4, 1))  # not approved yet
    before = feeds.enhanced_services_spend("E82601", "2008/09")
    actions.approve_claim(analyst, ok)
    actions.pay_claims(analyst, [ok], dt.date(2009, 3, 1))
    after = feeds.enhanced_services_spend("E82601", "2008/09")
    assert len(after) == 12 and all(isinstance(v, Decimal) for v in after.values())
    assert after[dt.date(2009, 3, 1)] - before[dt.date(2009, 3, 1)] == Decimal("400.00")
    paid = Claim.objects.filter(practice__code="E82601", status="paid")
    assert sum(after.values()) == sum(c.amount for c in paid)


def test_indicator_feeds_count_sign_ups_and_quitters(dacorum: Locality) -> None:
    quarter = dt.date(2008, 10, 1)
    practices = list(Practice.objects.filter(locality=dacorum))
    offering = [
        p
        for p in practices
        if SignUp.objects.filter(practice=p, specification__service__key="extended-hours").exists()
    ]
    result = feeds.extended_hours_offered(quarter, locality="dacorum")
    assert (result["numerator"], result["denominator"]) == (len(offering), len(practices))
    assert result["percent"] == (Decimal(100 * len(offering)) / len(practices)).quantize(
        Decimal("0.1")
    )
    spec = ServiceSpecification.objects.get(
        service__key="smoking-cessation", financial_year="2008/09"
    )
    quitters = feeds.smoking_quitters(quarter, locality="dacorum")
    claimed = sum(
        c.units
        for c in Claim.objects.filter(specification=spec, quarter=quarter, practice__in=practices)
    )
    assert quitters["quitters"] == claimed > 0
    assert quitters["target"] == spec.target_per_quarter * len(practices)
    # Withdrawing a practice from extended hours before the quarter removes it.
    if offering:
        sign_up = SignUp.objects.get(
            practice=offering[0], specification__service__key="extended-hours"
        )
        actions.withdraw_sign_up(None, sign_up, dt.date(2008, 9, 30))
        assert (
            feeds.extended_hours_offered(quarter, locality="dacorum")["numerator"]
            == len(offering) - 1
        )


def test_cost_per_case_spend_follows_the_returns(dacorum: Locality) -> None:
    from pbc.services.models import ProviderReturn

    spend = feeds.cost_per_case_spend("E82601", "2008/09")
    nov = dt.date(2008, 11, 1)
    expected = Decimal("0.00")
    for r in ProviderReturn.objects.filter(period=nov, current=True, contract__locality=dacorum):
        for row in r.rows.filter(gp_practice_code="E82601"):
            if r.contract.template == "tier2-ophthalmology":
                expected += r.contract.price_per_case
            elif r.contract.template == "physiotherapy":
                expected += Decimal(row.values["case_cost"])
    assert spend[nov] == expected > 0
    assert spend[dt.date(2008, 4, 1)] == Decimal("0.00")


def _spend_one_practice_at_a_time(code: str, year: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """The feeds as they were computed before the one-query versions: a query per practice
    and year for claims, and per return for its rows."""
    from django.db.models import Sum

    from pbc import periods
    from pbc.services.models import ProviderReturn
    from pbc.services.reports import row_cost
    from pbc.services.return_templates import TEMPLATES
    from pbc.services.validation import from_json

    months = periods.months_of_year(year)
    enhanced = dict.fromkeys(months, Decimal("0.00"))
    for row in (
        Claim.objects.filter(practice__code=code, status=Claim.Status.PAID, paid_month__in=months)
        .values("paid_month")
        .annotate(total=Sum("amount"))
    ):
        enhanced[row["paid_month"]] += row["total"]
    per_case = dict.fromkeys(months, Decimal("0.00"))
    for provider_return in ProviderReturn.objects.filter(
        current=True, period__in=months, contract__locality__practices__code=code
    ).select_related("contract"):
        template = TEMPLATES[provider_return.contract.template]
        if not template.cost or template.frequency != "monthly":
            continue
        for stored in provider_return.rows.filter(gp_practice_code=code):
            values = from_json(template, stored.values)
            per_case[provider_return.period] += row_cost(template, provider_return.contract, values)
    return enhanced, per_case


def test_one_query_services_spend_equals_the_per_practice_computation(
    dacorum: Locality,
) -> None:
    years = ["2006/07", "2007/08", "2008/09"]
    enhanced_all = feeds.enhanced_services_spend_by_practice(years)
    per_case_all = feeds.cost_per_case_spend_by_practice(years)
    assert sum(sum(m.values()) for m in enhanced_all.values()) > 0
    assert sum(sum(m.values()) for m in per_case_all.values()) > 0
    compared = 0
    for code in Practice.objects.order_by("code").values_list("code", flat=True):
        for year in years:
            enhanced, per_case = _spend_one_practice_at_a_time(code, year)
            for month, amount in enhanced.items():
                assert enhanced_all.get(code, {}).get(month, Decimal("0.00")) == amount
            for month, amount in per_case.items():
                assert per_case_all.get(code, {}).get(month, Decimal("0.00")) == amount
            assert feeds.enhanced_services_spend(code, year) == enhanced
            assert feeds.cost_per_case_spend(code, year) == per_case
            compared += 1
    assert compared >= 3 * 10
    # Nothing outside the years asked for.
    months = {m for year in years for m in feeds.periods.months_of_year(year)}
    for by_month in [*enhanced_all.values(), *per_case_all.values()]:
        assert set(by_month) <= months
