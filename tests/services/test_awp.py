"""Any willing provider: the demo's Dacorum physiotherapy from 1 October 2008 (WHHT and two
private providers accredited, the third's October return a finding), activity and cost per
case per provider against the stored return rows; an accreditation ending; scoped, audited,
refused by field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client

from pbc.finance.models import SpendFact
from pbc.orgs.models import AuditEvent, Locality, Provider
from pbc.services import actions, awp
from pbc.services.models import Accreditation, ProviderContract, ReturnRow
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import read_table
from pbc.services.validation import validate
from services.return_files import csv_bytes

pytestmark = pytest.mark.django_db
OCTOBER, NOVEMBER, DECEMBER = dt.date(2008, 10, 1), dt.date(2008, 11, 1), dt.date(2008, 12, 1)


def _plain(code: str) -> tuple[int, Decimal]:
    """(cases, cost) of the provider's current Dacorum physiotherapy returns from October 2008,
    read from the stored rows."""
    rows = ReturnRow.objects.filter(
        provider_return__current=True,
        provider_return__contract__template="physiotherapy",
        provider_return__contract__provider__code=code,
        provider_return__contract__locality__slug="dacorum",
        provider_return__period__gte=OCTOBER,
    )
    return rows.count(), sum((Decimal(r.values["case_cost"]) for r in rows), Decimal("0.00"))


def test_demo_physiotherapy_from_any_willing_provider() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    assert awp.services_of(dacorum) == ["physiotherapy"]
    got = awp.report(dacorum, "physiotherapy")
    by_code = {p.provider.code: p for p in got.providers}
    assert set(by_code) == {"RWG", "NX1", "NX2", "NX3"}
    assert {c: p.price for c, p in by_code.items()} == {
        "RWG": Decimal("155.00"), "NX1": Decimal("150.00"), "NX2": Decimal("145.00"), "NX3": None,
    }  # fmt: skip
    for code, p in by_code.items():
        assert (p.cases, p.cost) == _plain(code), code
        assert p.cases and p.cost_per_case == (p.cost / p.cases).quantize(Decimal("0.01"))
    # Before October (the private contracts and the block) nothing is counted.
    assert min(min(p.by_month) for p in got.providers) == OCTOBER
    [finding] = [f for f in got.findings if f.source == "return"]
    assert (finding.provider.code, finding.period) == ("NX3", OCTOBER)
    assert (finding.cases, finding.cost) == _plain("NX3")
    assert "Tring Physiotherapy Practice is not accredited" in finding.reason
    # Hospital invoices of physiotherapy (650) from a provider not accredited that month.
    plain: dict[tuple[str, dt.date], list[object]] = {}
    for f in SpendFact.objects.filter(
        practice__locality=dacorum, source="activity", treatment_function_code="650",
        month__gte=OCTOBER,
    ).exclude(provider__code__in=["RWG", "NX1", "NX2"]):  # fmt: skip
        cell = plain.setdefault((f.provider.code, f.month), [0, Decimal("0.00")])
        cell[0] += f.activity  # type: ignore[operator]
        cell[1] += f.charged  # type: ignore[operator]
    invoiced = {
        (f.provider.code, f.period): [f.cases, f.cost]
        for f in got.findings
        if f.source == "invoice"
    }
    assert invoiced == plain
    html = _client("locality").get("/services/awp/localities/dacorum/").content.decode()
    assert 'data-source="return" data-provider="NX3" data-period="2008-10-01"' in html
    assert 'id="accredit"' not in html  # the locality manager sees, does not accredit


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _physio_return(contract: ProviderContract, month: dt.date, costs: list[str]) -> None:
    template = TEMPLATES["physiotherapy"]
    practice = contract.locality.practices.order_by("code").first()
    assert practice is not None
    rows = [
        {"nhs_number": "9434765919", "date_of_birth": "1950-01-01",
         "gp_practice_code": practice.code, "referral_date": month.isoformat(),
         "first_appointment_date": month.isoformat(), "attendances": "3", "dna_count": "0",
         "case_status": "discharged", "case_cost": cost}
        for cost in costs
    ]  # fmt: skip
    codes = frozenset(contract.locality.practices.values_list("code", flat=True))
    table = read_table(csv_bytes(template.column_names, rows), "r.csv")
    result = validate(template, table, month, codes, contract.locality.name)
    assert not result.problems
    actions.submit_return(
        None, contract, result, filename="p.csv", sha256="d" * 64,
        accept_with_problems=False, note="",
    )  # fmt: skip


def test_an_ended_accreditation_and_the_months_outside_it() -> None:
    analyst = get_user_model().objects.get(username="analyst")
    dacorum = Locality.objects.get(slug="dacorum")
    Provider.objects.create(code="NX9", name="Hand-made Physio", kind="independent")
    row = awp.accredit(
        analyst, dacorum, service="physiotherapy", provider_code="nx9",
        accredited_from=NOVEMBER, accredited_to=DECEMBER, price_per_case="£100",
    )  # fmt: skip
    assert row.price_per_case == Decimal("100.00")
    event = AuditEvent.objects.get(object_type="Accreditation", object_id=str(row.pk))
    assert event.action == "create" and event.after["accredited_to"] == "2008-12-01"
    contract = ProviderContract.objects.create(
        provider=row.provider, locality=dacorum, template="physiotherapy"
    )
    _physio_return(contract, OCTOBER, ["90.00"])
    _physio_return(contract, NOVEMBER, ["100.00", "110.00"])
    _physio_return(contract, DECEMBER, ["95.00"])
    practice = dacorum.practices.order_by("code").first()
    for month, charged in ((OCTOBER, "61.00"), (NOVEMBER, "62.00")):  # invoiced by a hospital
        SpendFact.objects.create(
            practice=practice, financial_year="2008/09", month=month, line="community",
            source="activity", provider=row.provider, treatment_function_code="650",
            activity=2, charged=Decimal(charged),
        )  # fmt: skip
    got = awp.report(dacorum, "physiotherapy")
    assert [
        (f.period, f.cases, f.cost)
        for f in got.findings
        if f.provider.code == "NX9" and f.source == "invoice"
    ] == [(OCTOBER, 2, Decimal("61.00"))]  # November's invoice is within the accreditation
    mine = next(p for p in got.providers if p.provider.code == "NX9")
    assert (mine.cases, mine.cost, mine.cost_per_case) == (4, Decimal("395.00"), Decimal("98.75"))
    nx9 = [f for f in got.findings if f.provider.code == "NX9" and f.source == "return"]
    assert [(f.period, f.cases, f.cost) for f in nx9] == [
        (OCTOBER, 1, Decimal("90.00")),
        (DECEMBER, 1, Decimal("95.00")),  # the accreditation ended on 1 December
    ]


def test_accrediting_is_scoped_and_refused_by_field() -> None:
    User = get_user_model()
    dacorum = Locality.objects.get(slug="dacorum")
    fields = {"service": "physiotherapy", "provider_code": "NX3",
              "accredited_from": NOVEMBER, "price_per_case": "140"}  # fmt: skip
    for username in ("locality", "practice", "provider", "board"):
        with pytest.raises(PermissionDenied):
            awp.accredit(User.objects.get(username=username), dacorum, **fields)
    analyst = User.objects.get(username="analyst")
    for bad, message in (
        ({"service": "mrsa-screening"}, "service: 'mrsa-screening' is not a service paid"),
        ({"provider_code": "ZZ9"}, "provider: no provider with the ODS code 'ZZ9'"),
        ({"price_per_case": "lots"}, "price per case: 'lots' is not an amount"),
        ({"provider_code": "NX1", "accredited_from": OCTOBER}, "already accredited from"),
        ({"accredited_to": OCTOBER}, "accredited to: must be after"),
    ):
        with pytest.raises(awp.AccreditationError, match=message):
            awp.accredit(analyst, dacorum, **{**fields, **bad})
    url = "/services/awp/localities/dacorum/"
    form = {"service": "physiotherapy", "provider": "NX3", "accredited_from": "2008-11-01",
            "price_per_case": "140"}  # fmt: skip
    assert _client("locality").post(url, form).status_code == 403
    assert AuditEvent.objects.filter(username="locality", action="denied", path=url).exists()
    page = _client("analyst").post(url, dict(form, accredited_from="1 Nov"), follow=True)
    assert "Not accredited:" in page.content.decode()
    assert not Accreditation.objects.filter(provider__code="NX3").exists()
    assert _client("analyst").post(url, form).status_code == 302
    assert Accreditation.objects.filter(provider__code="NX3", accredited_from=NOVEMBER).exists()


def test_findings_raised_into_the_challenge_process() -> None:
    """The analyst raises Dacorum's physiotherapy findings: each becomes a finding of West Herts
    with no practice (once: raising again adds none), audited; the locality manager may not
    raise them; on the PCT's page the analyst challenges NX3's October return and signs it off,
    and it is on NX3's challenge schedule; the rules' refresh leaves it flagged."""
    from pbc.validation.actions import store_findings
    from pbc.validation.models import Finding

    dacorum = Locality.objects.get(slug="dacorum")
    expected = awp.report(dacorum, "physiotherapy").findings
    url = "/services/awp/localities/dacorum/"
    form = {"action": "raise", "service": "physiotherapy"}
    assert _client("locality").post(url, form).status_code == 403
    assert AuditEvent.objects.filter(action="denied", username="locality").exists()
    analyst = _client("analyst")
    html = analyst.post(url, form, follow=True).content.decode()
    assert f"{len(expected)} finding(s) raised" in html
    raised = Finding.objects.filter(dataset="awp").order_by("month", "provider_code", "rule_id")
    assert sorted((f.provider_code, f.month, f.amount) for f in raised) == sorted(
        (f.provider.code, f.period, f.cost) for f in expected
    )
    assert {(f.pct.code, f.practice) for f in raised} == {("5P3", None)}
    assert AuditEvent.objects.filter(
        action="create", object_type="Finding", username="analyst"
    ).count() == len(expected)
    assert "0 finding(s) raised" in analyst.post(url, form, follow=True).content.decode()
    nx3 = raised.get(provider_code="NX3", rule_id="awp-return-not-accredited")
    assert nx3.amount == _plain("NX3")[1]

    page = "/validation/pcts/west-herts/without-practice/"
    assert f'data-finding="{nx3.key}"' in analyst.get(page).content.decode()
    analyst.post(page, {"finding": nx3.pk, "decision": "challenge", "version": nx3.version,
                        "reason": "Not accredited for physiotherapy in October"})  # fmt: skip
    analyst.post(page, {"finding": nx3.pk, "decision": "sign_off"})
    nx3.refresh_from_db()
    assert (nx3.status, nx3.challenged_amount) == ("signed_off", nx3.amount)
    assert list(nx3.decisions.values_list("action", flat=True).order_by("pk")) == [
        "challenge", "sign_off",
    ]  # fmt: skip
    schedule = analyst.get("/validation/providers/NX3/").content.decode()
    assert nx3.key in schedule
    store_findings([], month=OCTOBER)  # the rules find nothing for October: not gone
    nx3.refresh_from_db()
    assert nx3.still_flagged
