"""Contracts: plan against actual by provider, locality and practice (hand-made numbers), the
XLSX, and contract editing by PCT analysts (field-level errors, audited history, block
contracts still cost at their value)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal as D
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from pbc.analytics.finance.contracts import (
    PlanRow,
    ShareRow,
    apportion_count,
    apportion_plan,
    plan_vs_actual,
)
from pbc.bulk import insert_rows
from pbc.finance import contracts as review
from pbc.finance.models import Contract, ContractPlan, SpendFact
from pbc.finance.refresh import FactBuilder
from pbc.finance.variations import keep_main_line
from pbc.orgs.models import AuditEvent, Locality, Pct, Practice, Provider

# --- pure: apportioning the plan ----------------------------------------------------------------


def test_plan_apportioned_by_weight_exactly_and_sums_back() -> None:
    plan = [
        PlanRow("RXX", "2008-04", "EL", "110", 10, D("1000.00")),
        PlanRow("RXX", "2008-05", "EL", "110", 3, D("100.00")),
    ]
    weights = {"P3": D("2000"), "P1": D("1000"), "P2": D("2000")}
    localities = {"P1": "North", "P2": "North", "P3": "South"}
    shares = apportion_plan(plan, weights, localities)
    april = {s.practice: (s.activity, s.value) for s in shares if s.month == "2008-04"}
    assert april == {"P1": (2, D("200.00")), "P2": (4, D("400.00")), "P3": (4, D("400.00"))}
    may = {s.practice: (s.activity, s.value) for s in shares if s.month == "2008-05"}
    # 3 spells and £100 by 1:2:2 → 0.6, 1.2, 1.2 spells and £20, £40, £40.
    assert may == {"P1": (1, D("20.00")), "P2": (1, D("40.00")), "P3": (1, D("40.00"))}
    by_locality = plan_vs_actual(shares, [], ["locality"])
    assert [(c.key, c.plan_activity, c.plan_value) for c in by_locality] == [
        (("North",), 8, D("660.00")),  # P1 200 + 20, P2 400 + 40
        (("South",), 5, D("440.00")),
    ]
    assert sum(c.plan_value for c in by_locality) == D("1100.00")


def test_apportion_count_largest_remainder() -> None:
    assert apportion_count(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert apportion_count(7, {"a": 0, "b": 0}) == {"a": 4, "b": 3}
    assert sum(apportion_count(1001, {"a": D("0.3"), "b": D("0.7")}).values()) == 1001


def test_plan_vs_actual_by_practice_hand_made() -> None:
    shares = [
        ShareRow("RXX", "P1", "North", "2008-04", "EL", "110", 5, D("500.00")),
        ShareRow("RXX", "P2", "North", "2008-04", "EL", "110", 5, D("500.00")),
    ]
    actual = [
        ShareRow("RXX", "P1", "North", "2008-04", "EL", "110", 7, D("680.00")),
        ShareRow("RXX", "P3", "South", "2008-04", "EL", "110", 1, D("90.00")),
    ]
    rows = {c.key: c for c in plan_vs_actual(shares, actual, ["practice"])}
    assert rows[("P1",)].activity_variance == 2
    assert rows[("P1",)].value_variance == D("180.00")
    assert rows[("P1",)].activity_variance_percent == D("40.0")
    assert rows[("P2",)].actual_activity == 0 and rows[("P2",)].value_variance == D("-500.00")
    assert rows[("P3",)].plan_value == D("0.00") and rows[("P3",)].activity_variance_percent is None


# --- the page and the XLSX on a hand-made contract ---------------------------------------------

MONTH = dt.date(2008, 5, 1)


def _hand_made_contract() -> tuple[Contract, dict[str, D]]:
    """A provider with no demo data, a contract of West Herts with a two-month plan, and
    hand-made actuals for two practices."""
    pct = Pct.objects.get(code="5P3")
    provider = Provider.objects.create(code="RXX", name="Test Provider Trust")
    contract = Contract.objects.create(pct=pct, provider=provider, financial_year="2008/09",
                                       name="Acute", kind="pbr", annual_value=D("1200.00"))  # fmt: skip
    keep_main_line(contract)  # as saving it on the contract page does
    ContractPlan.objects.create(contract=contract, month=dt.date(2008, 4, 1),
                                point_of_delivery="EL", treatment_function_code="110",
                                activity=10, value=D("1000.00"))  # fmt: skip
    ContractPlan.objects.create(contract=contract, month=dt.date(2008, 5, 1),
                                point_of_delivery="OPFA", treatment_function_code="110",
                                activity=4, value=D("200.00"))  # fmt: skip
    codes = sorted(Practice.objects.filter(locality__pct=pct).values_list("code", flat=True))
    builder = FactBuilder()
    builder.add(codes[0], dt.date(2008, 4, 1), "elective", "activity", D("650.00"),
                provider=provider, point_of_delivery="EL", treatment_function_code="110",
                activity=6)  # fmt: skip
    builder.add(codes[1], dt.date(2008, 5, 1), "outpatients", "activity", D("150.00"),
                provider=provider, point_of_delivery="OPFA", treatment_function_code="110",
                activity=3)  # fmt: skip
    insert_rows(SpendFact, builder.facts)
    # Equal weights except the first practice, which counts double.
    weights = dict.fromkeys(codes, D(1000))
    weights[codes[0]] = D(2000)
    return contract, weights


@pytest.mark.django_db
def test_review_by_practice_and_locality(finance_demo: None) -> None:
    contract, weights = _hand_made_contract()
    codes = sorted(weights)
    rv = review.review(contract, MONTH, ("hospital_activity", weights))
    assert rv.total is not None
    assert (rv.total.plan_activity, rv.total.actual_activity) == (14, 9)
    assert (rv.total.plan_value, rv.total.actual_value) == (D("1200.00"), D("800.00"))
    n = len(codes)
    by_practice = {c.key[1]: c for c in rv.tables["practice"]}
    first = by_practice[codes[0]]
    # The first practice's share: 2 / (n + 1) of each row, to the penny.
    share = (D("1200.00") * 2 / (n + 1)).quantize(D("0.01"))
    assert abs(first.plan_value - share) <= D("0.02")
    assert (first.actual_activity, first.actual_value) == (6, D("650.00"))
    assert sum(c.plan_value for c in rv.tables["practice"]) == D("1200.00")
    assert sum(c.plan_activity for c in rv.tables["practice"]) == 14
    by_locality = rv.tables["locality"]
    assert sum(c.plan_value for c in by_locality) == D("1200.00")
    for loc in by_locality:
        in_loc = [c for c in rv.tables["practice"] if c.key[0] == loc.key[0]]
        assert loc.plan_value == sum(c.plan_value for c in in_loc)
        assert loc.actual_value == sum(c.actual_value for c in in_loc)
    by_pod = {c.key[0]: c for c in rv.tables["point_of_delivery"]}
    assert (by_pod["EL"].plan_value, by_pod["EL"].actual_value) == (D("1000.00"), D("650.00"))
    assert (by_pod["OPFA"].activity_variance, by_pod["OPFA"].value_variance) == (-1, D("-50.00"))
    # Through April only: May's plan and actual are left out.
    april = review.review(contract, dt.date(2008, 4, 1), ("hospital_activity", weights))
    assert april.total is not None
    assert (april.total.plan_value, april.total.actual_value) == (D("1000.00"), D("650.00"))


@pytest.mark.django_db
def test_contracts_page_and_xlsx(finance_demo: None, client: Client) -> None:
    contract, _ = _hand_made_contract()
    client.force_login(get_user_model().objects.get(username="analyst"))
    page = client.get("/finance/providers/RXX/contracts/?month=2008-05")
    assert page.status_code == 200
    html = page.content.decode()
    for key in review.BREAKDOWNS:
        assert f'data-breakdown="{key}"' in html
    assert "£1,200.00" in html and "£800.00" in html
    for loc in Locality.objects.filter(pct__code="5P3"):
        assert loc.name in html
    response = client.get("/finance/providers/RXX/contracts.xlsx?month=2008-05")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [*(label[:31] for label, _ in review.BREAKDOWNS.values()), "Lines"]
    ws = wb["Point of delivery"]
    rows = {r[4]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["EL"][5:] == (10, 6, -4, 1000.0, 650.0, -350.0, "charged")
    assert rows["OPFA"][5:] == (4, 3, -1, 200.0, 150.0, -50.0, "charged")
    practice_rows = list(wb["Practice"].iter_rows(min_row=3, values_only=True))
    # Contract, PCT, year, type, locality, practice, plan activity, actual, variance, plan £...
    assert round(sum(r[9] for r in practice_rows), 2) == 1200.0
    assert sum(r[6] for r in practice_rows) == 14
    assert sum(r[7] for r in practice_rows) == 9
    # A practice user may not see a provider's contracts.
    client.force_login(get_user_model().objects.get(username="practice"))
    assert client.get("/finance/providers/RXX/contracts.xlsx").status_code == 403


# --- editing -------------------------------------------------------------------------------------

EDIT = "/finance/pct/west-herts/contracts/edit/"


def _post(client: Client, **overrides: str) -> object:
    data = {
        "provider": "RWG", "financial_year": "2009/10", "name": "Test elective contract",
        "kind": "pbr", "annual_value": "1500.00", "budget_line": "",
        "plan": "2009-04, EL, 110, 3, 1000.00\n2009-05\t OPFA\t110\t5\t500.00",
    }  # fmt: skip
    data.update(overrides)
    return client.post(EDIT, data)


@pytest.mark.django_db
def test_analyst_creates_and_edits_a_contract_with_history(
    finance_demo: None, client: Client
) -> None:
    client.force_login(get_user_model().objects.get(username="analyst"))
    assert client.get(EDIT).status_code == 200
    response = _post(client)
    assert response.status_code == 302
    contract = Contract.objects.get(name="Test elective contract", financial_year="2009/10")
    assert contract.pct.code == "5P3" and contract.provider.code == "RWG"
    assert [(p.month, p.point_of_delivery, p.activity, p.value) for p in contract.plan.all()] == [
        (dt.date(2009, 4, 1), "EL", 3, D("1000.00")),
        (dt.date(2009, 5, 1), "OPFA", 5, D("500.00")),
    ]
    # Change it: a block contract now, with one plan line.
    response = client.post(
        EDIT + f"?contract={contract.pk}",
        {"provider": "RWG", "financial_year": "2009/10", "name": "Test elective contract",
         "kind": "block", "annual_value": "1800.00", "budget_line": "community",
         "plan": "2009-04, EL, 110, 4, 150.00", "contract": str(contract.pk)},
    )  # fmt: skip
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.kind, contract.annual_value, contract.budget_line) == (
        "block", D("1800.00"), "community",
    )  # fmt: skip
    assert contract.plan.count() == 1
    events = AuditEvent.objects.filter(object_type="Contract", object_id=str(contract.pk))
    assert [e.action for e in events.order_by("at", "pk")] == ["create", "update"]
    update = events.get(action="update")
    assert update.before["annual_value"] == "1500.00" and update.after["annual_value"] == "1800.00"
    assert update.before["kind"] == "pbr" and len(update.before["plan"]) == 2
    page = client.get(EDIT + f"?contract={contract.pk}").content.decode()
    assert "History of this contract" in page and "1500.00" in page and "1800.00" in page


def fields_in_error(html: str) -> dict[str, list[str]]:
    """Field name -> its error messages, read from the NHS.UK form groups of the page."""
    out = {}
    for group in html.split('<div class="nhsuk-form-group')[1:]:
        if not group.startswith(" nhsuk-form-group--error"):
            continue
        name = re.search(r'name="(\w+)"', group)
        assert name is not None
        out[name.group(1)] = [
            unescape(m.strip()) for m in re.findall(r"Error:</span>(.*?)</span>", group, flags=re.S)
        ]
    return out


@pytest.mark.django_db
def test_contract_form_errors_are_by_field(finance_demo: None, client: Client) -> None:
    client.force_login(get_user_model().objects.get(username="analyst"))
    before = Contract.objects.count()
    response = _post(
        client,
        financial_year="2009/11",
        kind="block",
        annual_value="-5",
        plan="2009-04, EL, 110, 3, 1000.00\n2010-06, XX, 1a, -2, 1.234\n2009-04, EL",
    )
    assert response.status_code == 200
    assert fields_in_error(response.content.decode()) == {
        "financial_year": ["The two years must follow each other, as in 2008/09."],
        "annual_value": ["Ensure this value is greater than or equal to 0."],
        "budget_line": ["A block contract needs the budget line it is charged to."],
    }
    assert Contract.objects.count() == before
    # With the year right, the plan's lines are checked and each error names its line.
    response = _post(client, plan="2009-04, EL, 110, 3, 1000.00\n2010-06, XX, 1a, -2, 1.234\n"
                     "2009-04, EL\n2009-04, EL, 110, 1, 1.00")  # fmt: skip
    in_error = fields_in_error(response.content.decode())
    assert set(in_error) == {"plan"}
    errors = in_error["plan"]
    assert errors[0].startswith("Line 2:") and "2010-06" in errors[0] and "XX" in errors[0]
    assert "1a" in errors[0] and "-2" in errors[0] and "1.234" in errors[0]
    assert errors[1].startswith("Line 3: give 5 values")
    assert errors[2].startswith("Line 4:") and "twice" in errors[2]
    assert "nhsuk-error-summary" in response.content.decode()
    assert Contract.objects.count() == before


@pytest.mark.django_db
def test_only_pct_analysts_edit_contracts(finance_demo: None, client: Client) -> None:
    for username in ("locality", "practice", "provider", "enh-analyst"):
        client.force_login(get_user_model().objects.get(username=username))
        assert _post(client).status_code == 403, username
    assert not Contract.objects.filter(name="Test elective contract").exists()
