"""Any willing provider: the demo's Dacorum physiotherapy from 1 October 2008 (WHHT and two
private providers accredited, the third's October return a finding), activity and cost per
case per provider against the stored return rows; an accreditation ending; scoped, audited,
refused by field."""

from __future__ import annotations

import csv
import datetime as dt
import io
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


def _plain_by_practice() -> dict[tuple[str, str], list[object]]:
    """(practice, provider) -> [cases, cost, cases outside the practice's October 2008 choice]
    from the stored rows and choices, for Dacorum's physiotherapy from October 2008."""
    from pbc.services.models import ProviderChoice

    chosen: dict[str, set[str]] = {}
    for c in ProviderChoice.objects.filter(service="physiotherapy", chosen_from=OCTOBER):
        chosen.setdefault(c.practice.code, set()).add(c.provider.code)
    out: dict[tuple[str, str], list[object]] = {}
    for r in ReturnRow.objects.filter(
        provider_return__current=True,
        provider_return__contract__template="physiotherapy",
        provider_return__contract__locality__slug="dacorum",
        provider_return__period__gte=OCTOBER,
    ).select_related("provider_return__contract__provider"):
        code = r.provider_return.contract.provider.code
        cell = out.setdefault((r.gp_practice_code, code), [0, Decimal("0.00"), 0])
        cell[0] += 1  # type: ignore[operator]
        cell[1] += Decimal(r.values["case_cost"])  # type: ignore[operator]
        if r.gp_practice_code in chosen and code not in chosen[r.gp_practice_code]:
            cell[2] += 1  # type: ignore[operator]
    return out


def test_practices_choose_among_the_accredited_providers() -> None:
    """The demo's Dacorum practices (all but the practice user's) chose among the accredited
    providers from October 2008; activity and cost per provider per practice equal the stored
    rows; the practice user records its own practice's choice on its page (audited), which
    counts its patients' cases from that month; other practices' users, the board and another
    locality's manager may not; bad choices are refused by field."""
    from pbc.demo import DEMO_USERS
    from pbc.services.models import ProviderChoice

    dacorum = Locality.objects.get(slug="dacorum")
    own = next(u.organisation for u in DEMO_USERS if u.username == "practice")
    other = next(u.organisation for u in DEMO_USERS if u.username == "practice2")
    practices = set(dacorum.practices.values_list("code", flat=True))
    demo_choices = awp.choices_of(dacorum, "physiotherapy")
    assert set(demo_choices) == practices - {own}
    assert {c.providers for cs in demo_choices.values() for c in cs} <= {
        ("NX1", "NX2", "RWG"), ("NX1", "RWG"), ("NX2", "RWG"),
    }  # fmt: skip
    assert (
        AuditEvent.objects.filter(
            object_type="ProviderChoice", action="create", username="locality"
        ).count()
        == len(practices) - 1
    )

    got = awp.report(dacorum, "physiotherapy")
    mine = {(c.practice_code, c.provider.code): [c.cases, c.cost, c.not_chosen]
            for c in got.by_practice}  # fmt: skip
    assert mine == _plain_by_practice()
    assert any(v[2] for v in mine.values())  # some cases went outside a practice's choice
    for p in got.providers:  # the practices' cells add up to the provider's totals
        cells = [c for c in got.by_practice if c.provider.code == p.provider.code]
        assert (sum(c.cases for c in cells), sum(c.cost for c in cells)) == (p.cases, p.cost)
    own_cells = [c for c in got.by_practice if c.practice_code == own]
    assert own_cells and all(c.no_choice == c.cases for c in own_cells)
    html = _client("locality").get("/services/awp/localities/dacorum/").content.decode()
    assert f'data-practice="{own}"' in html and 'id="awp-by-practice-physiotherapy"' in html
    download = _client("board").get("/services/awp/localities/dacorum/?format=csv")
    assert download["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert {(r["practice_code"], r["provider_code"]): [int(r["cases"]), Decimal(r["cost"]),
            int(r["cases_not_chosen"])] for r in lines} == mine  # fmt: skip
    assert {r["latest_choice"] for r in lines if r["practice_code"] == own} == {""}

    url = f"/services/awp/practices/{own}/"
    form = {"service": "physiotherapy", "provider": ["NX1"], "chosen_from": "2008-11"}
    practice_user = _client("practice")
    page = practice_user.get(url).content.decode()
    assert 'id="choose-physiotherapy"' in page and "No choice recorded yet." in page
    assert practice_user.post(url, form).status_code == 302
    event = AuditEvent.objects.get(object_type="ProviderChoice", username="practice")
    assert event.after == {"practice": own, "service": "physiotherapy",
                           "chosen_from": "2008-11-01", "providers": ["NX1"]}  # fmt: skip
    assert set(
        ProviderChoice.objects.filter(practice__code=own).values_list("provider__code", flat=True)
    ) == {"NX1"}
    page = practice_user.get(url).content.decode()
    assert 'data-chosen-from="2008-11-01" data-providers="NX1"' in page
    # Its cases: October's before any choice; from November, all but NX1's are not chosen.
    plain: dict[str, list[int]] = {}
    for r in ReturnRow.objects.filter(
        gp_practice_code=own, provider_return__current=True,
        provider_return__contract__template="physiotherapy",
        provider_return__contract__locality=dacorum, provider_return__period__gte=OCTOBER,
    ).select_related("provider_return__contract__provider"):  # fmt: skip
        code = r.provider_return.contract.provider.code
        cell = plain.setdefault(code, [0, 0])
        if r.provider_return.period == OCTOBER:
            cell[0] += 1
        elif code != "NX1":
            cell[1] += 1
    after = {
        c.provider.code: [c.no_choice, c.not_chosen]
        for c in awp.report(dacorum, "physiotherapy").by_practice
        if c.practice_code == own
    }
    assert after == plain
    assert plain["RWG"][1] > 0  # WHHT's cases from November are there to be counted

    # Who may not: another practice's user (and their own page lets them see, not choose, here),
    # the board, another locality's manager; each refusal audited.
    assert _client("practice2").post(url, form).status_code == 403
    assert _client("board").post(url, dict(form, chosen_from="2008-12")).status_code == 403
    assert _client("wh-locality").get(url).status_code == 403
    denied = AuditEvent.objects.filter(action="denied", path=url)
    assert set(denied.values_list("username", flat=True)) == {"practice2", "board", "wh-locality"}
    assert 'id="choose-physiotherapy"' not in _client("board").get(url).content.decode()
    other_url = f"/services/awp/practices/{other}/"
    assert _client("locality").post(other_url, dict(form, chosen_from="2009-01")).status_code == 302
    assert awp.choices_of(dacorum, "physiotherapy")[other][-1].providers == ("NX1",)

    manager = get_user_model().objects.get(username="locality")
    practice = dacorum.practices.get(code=other)
    fields = {"service": "physiotherapy", "provider_codes": ["RWG"], "chosen_from": DECEMBER}
    for bad, message in (
        ({"provider_codes": ["NX3"]}, "providers: NX3 is not accredited"),
        ({"provider_codes": [" "]}, "providers: choose at least one"),
        ({"chosen_from": dt.date(2008, 12, 15)}, "chosen from: 2008-12-15 is not the first day"),
        ({"chosen_from": dt.date(2008, 9, 1)}, "providers: RWG is not accredited"),
        ({"chosen_from": dt.date(2009, 1, 1)}, "chosen from: .* already has a choice"),
        ({"service": "counselling-waits"}, "service: 'counselling-waits' has no accredited"),
    ):
        with pytest.raises(awp.AccreditationError, match=message):
            awp.choose(manager, practice, **{**fields, **bad})
    page = _client("locality").post(other_url, dict(form, chosen_from="Nov"), follow=True)
    assert "Choice not recorded: chosen from:" in page.content.decode()
