"""Contract variations: a block ended on 1 October 2008 and replaced by cost per case changes
the statements from October only, to the penny.

The pure parts (which line an activity row falls under, a block's charges while in force) are
checked on hand-worked figures; the whole path (variation, refresh, statements) on the demo
warehouse's RC9 activity for West Herts, with RC9's charges recomputed here from the warehouse
by month."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.test import Client
from openpyxl import load_workbook

from pbc.analytics.finance import spend
from pbc.analytics.finance.contract_lines import Charge, assign
from pbc.analytics.finance.contracts import (
    LineTerms,
    block_charges_to,
    block_monthly_values,
    line_for,
)
from pbc.analytics.finance.money import round_money
from pbc.finance import statements
from pbc.finance.contracts import review as contract_review
from pbc.finance.models import Contract, ContractLine, ContractVariation, SpendFact
from pbc.finance.refresh import activity_with_invoices, refresh
from pbc.finance.variations import NewLine, VariationError, keep_main_line, vary_contract
from pbc.orgs.models import AuditEvent, Pct, Practice, Provider
from pbc.periods import add_months
from pbc.warehouse import engine as wh

APRIL, OCTOBER = dt.date(2008, 4, 1), dt.date(2008, 10, 1)
MONTH = dt.date(2009, 1, 1)
MONTHS = [dt.date(2008, m, 1) for m in range(4, 13)] + [MONTH]


def test_a_block_charges_only_while_in_force() -> None:
    # £12,000.01 a year: £1,000.01 in April (the odd penny), £1,000.00 after; two practices
    # with 300 and 100 patients share each month 3:1.
    registered = {"A": [(APRIL, 300)], "B": [(APRIL, 100)]}
    whole = block_charges_to(D("12000.01"), APRIL, MONTH, registered)
    ended = block_charges_to(D("12000.01"), APRIL, MONTH, registered, ends=OCTOBER)
    assert [(c.practice, c.month, c.amount) for c in ended[:2]] == [
        ("A", APRIL, D("750.01")),
        ("B", APRIL, D("250.00")),
    ]
    assert {c.month for c in ended} == set(MONTHS[:6])
    assert ended == [c for c in whole if c.month < OCTOBER]
    assert sum(c.amount for c in ended) == D("6000.01")
    started = block_charges_to(D("12000.01"), APRIL, MONTH, registered, starts=OCTOBER)
    assert sum(c.amount for c in started) == D("4000.00")  # October to January


def test_the_line_in_force_takes_the_row() -> None:
    block = LineTerms("block", "", "elective", D("12000.00"), APRIL, OCTOBER, key=1)
    per_case = LineTerms("cost_per_case", "", "", D("0.00"), OCTOBER, key=2)
    physio_block = LineTerms("block", "650", "community", D("500.00"), APRIL, key=3)
    tariff = LineTerms("pbr", "", "", D("0.00"), APRIL, key=4)
    assert line_for([block, per_case], dt.date(2008, 9, 1), "110") == block
    assert line_for([block, per_case], OCTOBER, "110") == per_case
    assert line_for([per_case], dt.date(2008, 9, 1), "110") is None
    # A specialty's own line before the line for all; a block before activity of equal reach.
    assert line_for([tariff, physio_block], OCTOBER, "650") == physio_block
    assert line_for([tariff, physio_block], OCTOBER, "110") == tariff
    assert line_for([tariff, block], APRIL, "110") == block


def test_charges_are_assigned_line_by_line() -> None:
    """By hand: a pbr main line, a physiotherapy block to September, cost per case after; two
    blocks on one budget line in one month share its charge by their values."""
    main = LineTerms("pbr", "", "", D("0.00"), APRIL, key=1)
    block = LineTerms("block", "650", "community", D("1200.00"), APRIL, OCTOBER, key=2)
    per_case = LineTerms("cost_per_case", "650", "", D("0.00"), OCTOBER, key=3)
    other = LineTerms("block", "", "elective", D("300.00"), APRIL, key=4)
    sept = dt.date(2008, 9, 1)
    charges = [
        Charge("under_block", sept, "650", "community", 4, D("0.00"), D("120.00")),
        Charge("block", sept, "community", "community", 0, D("100.00"), D("0.00")),
        Charge("activity", OCTOBER, "650", "community", 3, D("90.00"), D("95.00")),
        Charge("activity", OCTOBER, "110", "elective", 2, D("500.00"), D("480.00")),
        Charge("block", OCTOBER, "community", "community", 0, D("5.00"), D("0.00")),
    ]
    got = assign([main, block, per_case], charges)
    assert (got[2].activity, got[2].at_tariff, got[2].charged) == (4, D("120.00"), D("100.00"))
    assert (got[3].activity, got[3].charged) == (3, D("90.00"))
    assert (got[1].activity, got[1].charged) == (2, D("500.00"))
    assert got[None].charged == D("5.00")  # a block charge when no block is in force
    twin = LineTerms("block", "110", "community", D("600.00"), APRIL, key=5)
    shared = assign([block, twin, other], charges[1:2])
    assert (shared[2].charged, shared[5].charged) == (D("66.67"), D("33.33"))


def _rc9_by_month(codes: list[str]) -> dict[dt.date, D]:
    """What RC9 charged West Herts for its practices' activity, by month (the plain sum of the
    costed rows: the invoice where there is one, else the expected price)."""
    con = wh.connect()
    out: dict[dt.date, D] = defaultdict(lambda: D("0.00"))
    for name in ("apc", "op", "ae", "imaging"):
        period = spend.in_period(
            name, activity_with_invoices(con, name), APRIL, MONTH.replace(day=31)
        )
        costed = spend.costed_activity(
            name, period, wh.table(con, "tariff"), wh.table(con, "market_forces_factors"),
            wh.table(con, "local_prices"),
        )  # fmt: skip
        rows = costed.filter(
            (costed.provider_code == "RC9")
            & (costed.commissioner_code == "5P3")
            & costed.gp_practice_code.isin(codes)
        ).select("month", "charged_price", "expected_price")
        for r in con.to_pyarrow(rows).to_pylist():
            month = r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]
            price = r["charged_price"] if r["charged_price"] is not None else r["expected_price"]
            out[month] += price or D("0.00")
    return out


@pytest.mark.slow
@pytest.mark.django_db
def test_a_block_ended_on_1_october_changes_the_statements_from_october_only(
    finance_demo: None,
) -> None:
    pct = Pct.objects.get(code="5P3")
    practices = list(Practice.objects.filter(locality__pct=pct).order_by("code"))
    analyst = get_user_model().objects.get(username="analyst")
    rc9 = _rc9_by_month([p.code for p in practices])
    assert all(rc9[m] > 0 for m in MONTHS)

    contract = Contract.objects.create(
        pct=pct, provider=Provider.objects.get(code="RC9"), financial_year="2008/09",
        name="Block (test)", kind="block", annual_value=D("12000.00"), budget_line="elective",
    )  # fmt: skip
    block = keep_main_line(contract)
    refresh(MONTH)
    with_block = statements.report(practices, MONTH)

    with pytest.raises(PermissionDenied):
        vary_contract(
            get_user_model().objects.get(username="board"), contract, effective_from=OCTOBER,
            reason="r", approved_by="a", end=[block],
        )  # fmt: skip
    with pytest.raises(VariationError, match="first day of a month"):
        vary_contract(analyst, contract, effective_from=dt.date(2008, 10, 15),
                      reason="r", approved_by="a", end=[block])  # fmt: skip
    variation = vary_contract(
        analyst, contract, effective_from=OCTOBER,
        reason="Moved to cost per case from 1 October 2008", approved_by="DacCom board",
        end=[block], add=[NewLine("cost_per_case", D("0.00"), "RC9 at an agreed cost per case")],
    )  # fmt: skip
    refresh(MONTH)
    varied = statements.report(practices, MONTH)

    # The block's £1,000.00 a month goes from October, and RC9's charges come in: before
    # October nothing changes, to the penny, for the PCT and for every practice.
    before = with_block.statement.total.actual_months
    after = varied.statement.total.actual_months
    for i, month in enumerate(MONTHS):
        change = rc9[month] - D("1000.00") if month >= OCTOBER else D("0.00")
        assert after[i] - before[i] == change, month
    for (p, was), (q, now) in zip(with_block.practices, varied.practices, strict=True):
        assert p == q
        assert was.total.actual_months[:6] == now.total.actual_months[:6], p.code
    assert varied.statement.total.ytd_actual - with_block.statement.total.ytd_actual == (
        sum(rc9[m] for m in MONTHS[6:]) - D("4000.00")
    )

    # The variation is a record with its reason and approver; the audit keeps before and after.
    block.refresh_from_db()
    assert (block.ends, block.ended_by) == (OCTOBER, variation)
    added = ContractLine.objects.get(added_by=variation)
    assert (added.kind, added.starts, added.ends) == ("cost_per_case", OCTOBER, None)
    assert ContractVariation.objects.filter(contract=contract).count() == 1
    event = AuditEvent.objects.filter(object_type="Contract", object_id=str(contract.pk)).latest(
        "pk"
    )
    assert event.user == analyst and "approved by DacCom board" in event.detail
    assert event.before["lines"][0][-1] is None and event.after["lines"][0][-1] == "2008-10-01"


@pytest.mark.django_db
def test_the_demo_physiotherapy_block_ends_on_1_october_2008(finance_demo: None) -> None:
    """The Dacorum plan's change in the demo: WHHT's physiotherapy block is charged to the
    community line from April to September 2008, a twelfth a month, and not from October."""
    contract = Contract.objects.get(
        pct__code="5P3", provider__code="RWG", financial_year="2008/09", name="Acute services"
    )
    block = contract.lines.get(kind="block", treatment_function_code="650")
    variation = contract.variations.get()
    assert (block.ends, block.ended_by) == (OCTOBER, variation)
    assert "1 October 2008" in variation.reason and variation.approved_by.startswith("DacCom")
    assert contract.lines.get(added_by=variation).kind == "cost_per_case"
    charged = {
        month: round_money(total)
        for month, total in SpendFact.objects.filter(
            source="block", provider=contract.provider, line="community", financial_year="2008/09"
        )
        .values_list("month")
        .annotate(total=Sum("charged"))
    }
    twelfths = block_monthly_values(block.annual_value)
    assert charged == {add_months(APRIL, i): twelfths[i] for i in range(6)}
    # The year before, the block ran the whole year.
    earlier = Contract.objects.get(
        pct__code="5P3", provider__code="RWG", financial_year="2007/08", name="Acute services"
    ).lines.get(kind="block")
    assert earlier.ends is None
    whole_year = SpendFact.objects.filter(
        source="block", provider=contract.provider, financial_year="2007/08"
    ).aggregate(t=Sum("charged"))["t"]
    assert round_money(whole_year) == earlier.annual_value


@pytest.mark.django_db
def test_a_variation_is_made_on_the_contract_page(finance_demo: None) -> None:
    contract = Contract.objects.get(
        pct__code="5P3", provider__code="RWR", financial_year="2008/09", kind="block"
    )
    main = contract.lines.get(main=True)
    url = f"/finance/pct/{contract.pct.slug}/contracts/edit/"
    form = {
        "contract": contract.pk, "action": "vary", "end": [main.pk],
        "add_kind": "block", "add_value": "120000.00", "add_budget_line": "community",
        "add_description": "Community services at the revised value", "effective_from": "2009-01-15",
        "reason": "Revised community services value", "approved_by": "PCT director of finance",
    }  # fmt: skip
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    page = client.get(url + f"?contract={contract.pk}").content.decode()
    assert 'id="vary"' in page and f'id="end-{main.pk}"' in page
    response = client.post(url, form, follow=True)
    assert "first day of a month" in response.content.decode()
    assert not contract.variations.exists()

    form["effective_from"] = "2009-01-01"
    client.post(url, form)
    variation = contract.variations.get()
    main.refresh_from_db()
    assert (main.ends, main.ended_by) == (dt.date(2009, 1, 1), variation)
    added = contract.lines.get(added_by=variation)
    assert (added.kind, added.annual_value, added.starts) == (
        "block", D("120000.00"), dt.date(2009, 1, 1),
    )  # fmt: skip
    assert variation.recorded_by.username == "analyst"
    assert variation.approved_by == "PCT director of finance"

    # Another PCT's analyst is refused the page and its writes.
    other = Client()
    other.force_login(get_user_model().objects.get(username="enh-analyst"))
    assert other.post(url, {**form, "effective_from": "2009-02-01"}).status_code == 403
    assert contract.variations.count() == 1


@pytest.mark.django_db
def test_the_contract_review_reports_each_line_s_charges(finance_demo: None) -> None:
    """WHHT's acute contract is by results with a physiotherapy block to September and cost per
    case for physiotherapy from October: the review reports each part on its own line, against
    a plain sum of the refresh's facts, and the block's activity counts in plan against actual
    though the contract's headline kind is payment by results."""
    contract = Contract.objects.get(
        pct__code="5P3", provider__code="RWG", financial_year="2008/09", name="Acute services"
    )
    assert contract.kind == "pbr"
    facts = SpendFact.objects.filter(
        provider=contract.provider, financial_year="2008/09", practice__locality__pct__code="5P3",
        month__lte=MONTH,
    )  # fmt: skip

    def total(qs: object, field: str = "charged") -> D:
        return round_money(qs.aggregate(t=Sum(field))["t"] or D("0.00"))  # type: ignore[attr-defined]

    def count(qs: object) -> int:
        return int(qs.aggregate(t=Sum("activity"))["t"] or 0)  # type: ignore[attr-defined]

    physio_block = contract.lines.get(kind="block", treatment_function_code="650")
    per_case = contract.lines.get(kind="cost_per_case", treatment_function_code="650")
    main = contract.lines.get(main=True)
    under = facts.filter(source="under_block", treatment_function_code="650")
    after = facts.filter(source="activity", treatment_function_code="650", month__gte=OCTOBER)
    rest = facts.filter(source="activity").exclude(treatment_function_code="650")
    # The demo's warehouse holds no WHHT physiotherapy rows (its physiotherapy comes in the
    # services returns), so the physiotherapy lines take the block's charges and no activity.
    assert rest.exists()
    block_charged = total(facts.filter(source="block", line="community"))
    assert block_charged == sum(block_monthly_values(physio_block.annual_value)[:6]) > 0

    rv = contract_review(contract, MONTH)
    got = {line.pk: c for line, c in rv.lines}
    assert (got[physio_block.pk].activity, got[physio_block.pk].at_tariff) == (
        count(under), total(under, "at_tariff"),
    )  # fmt: skip
    assert got[physio_block.pk].charged == block_charged
    assert (got[per_case.pk].activity, got[per_case.pk].charged) == (count(after), total(after))
    assert (got[main.pk].activity, got[main.pk].charged) == (count(rest), total(rest))
    assert rv.charged == block_charged + total(after) + total(rest)
    assert rv.has_block and rv.actual_basis.startswith("at tariff under its block lines")
    # Plan against actual counts the activity under the block at tariff, the rest as charged.
    assert rv.total is not None
    assert rv.total.actual_activity == count(under) + count(after) + count(rest)
    assert rv.total.actual_value == total(under, "at_tariff") + total(after) + total(rest)

    # The page shows each line's charges.
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    html = client.get(
        f"/finance/providers/{contract.provider.code}/contracts/?month={MONTH:%Y-%m}"
    ).content.decode()
    assert f'data-line="{physio_block.pk}" data-kind="block" data-activity="{count(under)}"' in html
    assert f'data-charged="{block_charged}"' in html
    response = client.get(
        f"/finance/providers/{contract.provider.code}/contracts.xlsx?month={MONTH:%Y-%m}"
    )
    sheet = load_workbook(io.BytesIO(response.content))["Lines"]
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == contract.name]
    by_kind = {(r[3], r[5]): r for r in rows}
    assert round(D(str(by_kind[("Block", "650")][12])), 2) == block_charged
    assert by_kind[("Payment by results", "all")][10] == count(rest)
    assert round(D(str(by_kind[("Payment by results", "all")][12])), 2) == total(rest)
