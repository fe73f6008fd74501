"""A contract's quality schedule: hand-worked months (met at the threshold, below it, not
reported), monitored from a hand-made provider return and an indicator value, scoped and
audited, shown in the contract review with the money at stake; the demo's WHHT schedule."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from openpyxl import load_workbook

from pbc.analytics.finance import quality as q
from pbc.finance import quality
from pbc.finance.models import Contract, QualityMeasure
from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import AuditEvent, Locality, Pct, Provider
from pbc.services import actions
from pbc.services.models import ProviderContract
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import read_table
from pbc.services.validation import validate
from services.return_files import csv_bytes

APRIL, MAY, JUNE = dt.date(2008, 4, 1), dt.date(2008, 5, 1), dt.date(2008, 6, 1)


def test_assess_by_hand() -> None:
    # £1,200,000 a year: £100,000.00 a month; 0.5% withheld: £500.00 a month below 90%.
    got = q.assess(
        "MRSA", D("90"), D("0.50"), D("1200000.00"), [APRIL, MAY, JUNE],
        {APRIL: (9.0, 10.0), MAY: (8.0, 10.0)},
    )  # fmt: skip
    assert [(m.percent, m.met, m.withheld) for m in got.months] == [
        (90.0, True, D("0.00")),  # exactly at the threshold: met
        (80.0, False, D("500.00")),
        (None, None, D("0.00")),  # no return: not reported, nothing withheld
    ]
    assert got.monthly_amount == D("500.00") and got.at_stake == D("6000.00")
    assert got.withheld == D("500.00")
    assert (got.months_met, got.months_failed, got.months_not_reported) == (1, 1, 1)
    assert got.latest is not None and got.latest.month == MAY
    # Rounding: £1,000.01 a year is £83.33 a month; 1% of that is £0.83 (half-up).
    assert q.monthly_amount(D("1000.01"), D("1.00")) == D("0.83")


def _mrsa_return(contract: ProviderContract, month: dt.date, screened: int, total: int) -> None:
    template = TEMPLATES["mrsa-screening"]
    practice = contract.locality.practices.order_by("code").first()
    assert practice is not None
    rows = [
        {
            "nhs_number": "9434765919", "gp_practice_code": practice.code,
            "admission_date": (month + dt.timedelta(days=i)).isoformat(),
            "admission_method": "11", "treatment_function_code": "110",
            "screened": "Y" if i < screened else "N",
            "screen_date": month.isoformat() if i < screened else "",
            "screen_result": "negative" if i < screened else "not_screened",
        }
        for i in range(total)
    ]  # fmt: skip
    codes = frozenset(contract.locality.practices.values_list("code", flat=True))
    table = read_table(csv_bytes(template.column_names, rows), "r.csv")
    result = validate(template, table, month, codes, contract.locality.name)
    assert not result.problems
    actions.submit_return(
        None, contract, result, filename="r.csv", sha256="c" * 64,
        accept_with_problems=False, note="",
    )  # fmt: skip


@pytest.mark.django_db
def test_schedule_from_returns_and_an_indicator_in_the_contract_review(
    finance_demo: None,
) -> None:
    User = get_user_model()
    analyst = User.objects.get(username="analyst")
    provider = Provider.objects.create(code="RXQ", name="Quality Test Trust", kind="acute")
    contract = Contract.objects.create(
        pct=Pct.objects.get(code="5P3"), provider=provider, financial_year="2008/09",
        name="Acute", kind="pbr", annual_value=D("120000.00"),
    )  # fmt: skip
    mrsa = quality.add_measure(
        analyst, contract, name="MRSA screening", category="infection",
        source="return:mrsa-screening", threshold="90", withheld_percent="1",
    )  # fmt: skip
    quality.add_measure(
        analyst, contract, name="A&E four hours", category="response",
        source="indicator:ae-four-hour", threshold="98", withheld_percent="0.25",
    )  # fmt: skip
    event = AuditEvent.objects.get(object_type="QualityMeasure", object_id=str(mrsa.pk))
    assert event.action == "create" and event.after["threshold"] == "90.00"
    returns = ProviderContract.objects.create(
        provider=provider, locality=Locality.objects.get(slug="dacorum"),
        template="mrsa-screening",
    )  # fmt: skip
    _mrsa_return(returns, dt.date(2008, 12, 1), 10, 10)  # 100%: met
    _mrsa_return(returns, dt.date(2009, 1, 1), 8, 10)  # 80%: £100.00 withheld
    IndicatorValue.objects.create(
        indicator_id="ae-four-hour", level="provider", org_code="RXQ",
        month=dt.date(2008, 11, 1), numerator=97, denominator=100, value=97.0,
    )  # fmt: skip
    mrsa_got, ae_got = sorted(
        quality.schedule(contract, dt.date(2009, 1, 1)), key=lambda m: m.name, reverse=True
    )
    assert len(mrsa_got.months) == 10  # April 2008 to January 2009
    assert (mrsa_got.months_met, mrsa_got.months_failed) == (1, 1)
    assert mrsa_got.withheld == D("100.00") and mrsa_got.at_stake == D("1200.00")
    assert (ae_got.months_failed, ae_got.withheld) == (1, D("25.00"))  # 0.25% of £10,000
    client = Client()
    client.force_login(analyst)
    html = client.get("/finance/providers/RXQ/contracts/?month=2009-01").content.decode()
    assert f'id="quality-{contract.pk}"' in html
    assert 'data-measure="MRSA screening" data-withheld="100.00"' in html
    assert 'data-measure="A&amp;E four hours" data-withheld="25.00"' in html
    assert "£1,200.00" in html  # at stake in the year
    response = client.get("/finance/providers/RXQ/contracts.xlsx?month=2009-01")
    sheet = load_workbook(io.BytesIO(response.content))["Quality schedule"]
    rows = {r[3]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["MRSA screening"][6:] == (1, 1, 8, 100.0, 1200.0, 100.0)
    assert rows["A&E four hours"][6:] == (0, 1, 9, 25.0, 300.0, 25.0)


@pytest.mark.django_db
def test_adding_a_measure_is_scoped_and_refused_by_field(finance_demo: None) -> None:
    User = get_user_model()
    contract = Contract.objects.get(
        provider__code="RWG", pct__code="5P3", name="Acute services", financial_year="2008/09"
    )
    fields = {"name": "Response", "category": "response", "source": "return:mrsa-screening",
              "threshold": "90", "withheld_percent": "1"}  # fmt: skip
    for username in ("locality", "practice", "provider"):
        with pytest.raises(PermissionDenied):
            quality.add_measure(User.objects.get(username=username), contract, **fields)
    analyst = User.objects.get(username="analyst")
    for bad, message in (
        ({"threshold": "abc"}, "threshold: 'abc' is not a number"),
        ({"withheld_percent": "120"}, "withheld: 120 is not a percentage"),
        ({"source": "return:physiotherapy"}, "source: 'return:physiotherapy'"),
        ({"name": "MRSA screening of elective admissions"}, "already has a measure"),
    ):
        with pytest.raises(quality.QualityError, match=message):
            quality.add_measure(analyst, contract, **{**fields, **bad})
    # The locality manager's POST to the edit page is refused before the action.
    client = Client()
    client.force_login(User.objects.get(username="locality"))
    url = f"/finance/pct/west-herts/contracts/edit/?contract={contract.pk}"
    assert client.post(url, {"action": "quality", **fields}).status_code == 403
    assert not QualityMeasure.objects.filter(name="Response").exists()


@pytest.mark.django_db
def test_demo_whht_schedule_monitors_mrsa_experience_and_ae(finance_demo: None) -> None:
    contract = Contract.objects.get(
        provider__code="RWG", pct__code="5P3", name="Acute services", financial_year="2008/09"
    )
    got = {m.name: m for m in quality.schedule(contract, dt.date(2009, 1, 1))}
    assert set(got) == {
        "MRSA screening of elective admissions",
        "Patient experience: care rated good or better",
        "A&E attendances within four hours",
    }
    # The demo's MRSA and questionnaire returns cover October to December 2008.
    for name in ("MRSA screening of elective admissions",
                 "Patient experience: care rated good or better"):  # fmt: skip
        reported = [m.month for m in got[name].months if m.met is not None]
        assert reported == [dt.date(2008, 10, 1), dt.date(2008, 11, 1), dt.date(2008, 12, 1)]
    for m in got.values():
        assert m.withheld == m.monthly_amount * m.months_failed
        assert m.at_stake == q.monthly_amount(contract.annual_value, m.withheld_percent) * 12


@pytest.mark.django_db
def test_a_measure_is_changed_and_removed_on_the_contract_page_audited(
    finance_demo: None,
) -> None:
    User = get_user_model()
    analyst = User.objects.get(username="analyst")
    provider = Provider.objects.create(code="RXQ", name="Quality Test Trust", kind="acute")
    contract = Contract.objects.create(
        pct=Pct.objects.get(code="5P3"), provider=provider, financial_year="2008/09",
        name="Acute", kind="pbr", annual_value=D("120000.00"),
    )  # fmt: skip
    ae = quality.add_measure(
        analyst, contract, name="A&E four hours", category="response",
        source="indicator:ae-four-hour", threshold="98", withheld_percent="0.25",
    )  # fmt: skip
    quality.add_measure(
        analyst, contract, name="MRSA screening", category="infection",
        source="return:mrsa-screening", threshold="90", withheld_percent="1",
    )  # fmt: skip
    IndicatorValue.objects.create(
        indicator_id="ae-four-hour", level="provider", org_code="RXQ",
        month=dt.date(2008, 11, 1), numerator=97, denominator=100, value=97.0,
    )  # fmt: skip

    def withheld() -> D:
        got = {m.name: m for m in quality.schedule(contract, dt.date(2009, 1, 1))}
        return got["A&E four hours"].withheld

    assert withheld() == D("25.00")  # 97% below 98%: 0.25% of £10,000
    url = f"/finance/pct/west-herts/contracts/edit/?contract={contract.pk}"
    change = {"action": "quality", "measure": ae.pk, "name": "A&E within four hours",
              "category": "response", "source": "indicator:ae-four-hour", "threshold": "96",
              "withheld": "0.5"}  # fmt: skip
    locality = Client()
    locality.force_login(User.objects.get(username="locality"))
    assert locality.post(url, change).status_code == 403
    assert locality.post(url, {**change, "action": "quality_remove"}).status_code == 403
    client = Client()
    client.force_login(analyst)
    assert f'id="quality-{ae.pk}"' in client.get(url).content.decode()
    # Refused by field: another measure's name; a measure of another contract is not found.
    client.post(url, {**change, "name": "MRSA screening"})
    ae.refresh_from_db()
    assert (ae.name, ae.threshold) == ("A&E four hours", D("98.00"))
    other = QualityMeasure.objects.exclude(contract=contract).first()
    assert other is not None
    assert client.post(url, {**change, "measure": other.pk}).status_code == 404

    client.post(url, change)
    ae.refresh_from_db()
    assert (ae.name, ae.threshold, ae.withheld_percent) == (
        "A&E within four hours", D("96.00"), D("0.50"),
    )  # fmt: skip
    got = {m.name: m for m in quality.schedule(contract, dt.date(2009, 1, 1))}
    assert got["A&E within four hours"].withheld == D("0.00")  # 97% now meets 96%
    assert got["A&E within four hours"].at_stake == D("600.00")  # 0.5% of £10,000 × 12
    event = AuditEvent.objects.filter(object_type="QualityMeasure", object_id=str(ae.pk)).latest(
        "pk"
    )
    assert (event.action, event.user) == ("update", analyst)
    assert (event.before["threshold"], event.after["threshold"]) == ("98.00", "96.00")

    client.post(url, {"action": "quality_remove", "contract": contract.pk, "measure": ae.pk})
    assert not QualityMeasure.objects.filter(pk=ae.pk).exists()
    assert [m.name for m in quality.schedule(contract, dt.date(2009, 1, 1))] == ["MRSA screening"]
    event = AuditEvent.objects.filter(object_type="QualityMeasure", object_id=str(ae.pk)).latest(
        "pk"
    )
    assert (event.action, event.before["name"]) == ("delete", "A&E within four hours")
