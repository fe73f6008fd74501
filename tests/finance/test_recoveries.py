"""Agreed challenge recoveries reduce a practice's spend by exactly the amount recovered, in the
month and on the line of the challenged row, and the statement still reconciles (charged −
recoveries). The challenge goes through the validation app's real actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F, Sum

from pbc.finance import statements
from pbc.finance.models import Contract, SpendFact
from pbc.finance.refresh import activity_with_invoices, refresh
from pbc.finance.variations import NewLine, add_line, keep_main_line
from pbc.periods import add_months
from pbc.validation import actions
from pbc.validation.finance import agreed_recoveries
from pbc.validation.models import Finding
from pbc.warehouse import engine as wh

pytestmark = pytest.mark.django_db
MONTH = dt.date(2009, 1, 1)
# The budget line of an admitted spell by the point of delivery the provider charged.
APC_LINE = {"EL": "elective", "DC": "elective", "NEL": "non_elective", "NELST": "non_elective"}


def _finding() -> Finding:
    blocks = Contract.objects.filter(financial_year="2008/09", kind="block").values("provider")
    finding = (
        Finding.objects.filter(
            dataset="apc",
            status="open",
            amount__gt=Decimal("10.00"),
            practice__locality__pct__code="5P3",
            month__gte=dt.date(2008, 4, 1),
            month__lte=dt.date(2008, 12, 1),
            commissioner_code=F("practice__locality__pct__code"),
        )  # fmt: skip
        .exclude(provider__in=blocks)
        .select_related("practice", "provider")
        .order_by("month", "key")
        .first()
    )
    assert finding is not None, "the demo stores findings"
    return finding


def _charged(**filters: object) -> Decimal:
    total = SpendFact.objects.filter(**filters).aggregate(t=Sum("charged"))["t"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def test_agreed_challenge_reduces_spend_exactly_in_its_month_and_line(
    finance_demo: None, demo_facts: Callable[[dt.date], None]
) -> None:
    analyst = get_user_model().objects.get(username="analyst")
    finding = _finding()
    con = wh.connect()
    apc = activity_with_invoices(con, "apc")  # the charge from the provider's invoice line
    pod = con.to_pyarrow(
        apc.filter(apc.spell_id == finding.row_id).select("charged_point_of_delivery")
    ).to_pylist()[0]["charged_point_of_delivery"]
    line = APC_LINE[pod]
    practice = finding.practice
    assert practice is not None and finding.provider is not None

    demo_facts(MONTH)  # the facts before the change
    # The demo's own agreed challenges (pbc.demo.challenges) are recovered already.
    demo_recoveries = agreed_recoveries("2008/09", MONTH)
    demo_credits = _charged(source="recovery")
    where = {"practice": practice, "month": finding.month, "line": line}
    before = _charged(**where)
    others_before = _charged(financial_year="2008/09") - before
    statement_before = statements.report([practice], MONTH).statement.line(line)

    # Challenge, sign off, the provider agrees part of it.
    actions.decide(analyst, finding.pk, "challenge", "Charged above tariff")
    actions.sign_off(analyst, [finding.pk])
    recovered = (finding.amount / 2).quantize(Decimal("0.01"))
    actions.record_responses(
        analyst, finding.provider,
        [actions.ResponseRow(1, finding.key, "agreed", "Agreed in part", recovered)], "test",
    )  # fmt: skip
    found = [r for r in agreed_recoveries("2008/09", MONTH) if r not in demo_recoveries]
    assert [(r.practice_code, r.month, r.budget_line, r.amount) for r in found] == [
        (practice.code, finding.month, line, recovered)
    ]
    earlier = dt.date(finding.month.year, finding.month.month, 1) - dt.timedelta(days=1)
    assert not [r for r in agreed_recoveries("2008/09", earlier) if r not in demo_recoveries]
    assert agreed_recoveries("2007/08", dt.date(2008, 3, 1)) == []

    refresh(MONTH)
    assert _charged(**where) == before - recovered
    assert _charged(financial_year="2008/09") - _charged(**where) == others_before
    assert _charged(source="recovery") == demo_credits - recovered
    credit = SpendFact.objects.get(source="recovery", charged=-recovered, practice=practice,
                                   month=finding.month, line=line)  # fmt: skip
    assert (credit.practice_id, credit.month, credit.line, credit.charged, credit.recurrent) == (
        practice.pk, finding.month, line, -recovered, False,
    )  # fmt: skip

    # The statement reconciles: charged − recoveries, month by month and year to date.
    after = statements.report([practice], MONTH).statement.line(line)
    i = (finding.month.month - 4) % 12
    assert after.actual_months[i] == statement_before.actual_months[i] - recovered
    assert after.ytd_actual == statement_before.ytd_actual - recovered
    charged = _charged(practice=practice, line=line, financial_year="2008/09",
                       source__in=["activity", "block"])  # fmt: skip
    assert after.ytd_actual == charged - recovered


def test_agreed_challenge_under_a_block_contract_credits_nothing(
    finance_demo: None, demo_facts: Callable[[dt.date], None]
) -> None:
    """A row under a block contract was never charged per row, so agreeing it recovers nothing
    from the practice budget (the block is reconciled at its value)."""
    analyst = get_user_model().objects.get(username="analyst")
    finding = _finding()
    assert finding.practice is not None and finding.provider is not None
    demo_facts(MONTH)  # the facts before the change
    # The demo's own agreed challenges (pbc.demo.challenges) are recovered already.
    demo_recoveries = agreed_recoveries("2008/09", MONTH)
    demo_credits = SpendFact.objects.filter(source="recovery").count()
    # The PCT moves the finding's provider onto a block contract for the year.
    keep_main_line(Contract.objects.create(
        pct=finding.practice.locality.pct, provider=finding.provider, financial_year="2008/09",
        name="Block (test)", kind="block", annual_value=Decimal("1200.00"), budget_line="elective",
    ))  # fmt: skip
    actions.decide(analyst, finding.pk, "challenge", "Charged above tariff")
    actions.sign_off(analyst, [finding.pk])
    actions.record_responses(
        analyst, finding.provider,
        [actions.ResponseRow(1, finding.key, "agreed", "Agreed", finding.amount)], "test",
    )  # fmt: skip
    finding.refresh_from_db()
    assert finding.status == "agreed" and finding.recovered_amount == finding.amount
    assert agreed_recoveries("2008/09", MONTH) == demo_recoveries
    refresh(MONTH)
    assert SpendFact.objects.filter(source="recovery").count() == demo_credits
    # The block is charged at its value: £100.00 a month (a twelfth of £1,200), April to
    # January, on its line; the challenged row stays visible under the block, uncharged.
    block = SpendFact.objects.filter(source="block", provider=finding.provider)
    by_month = block.values("month").annotate(t=Sum("charged")).order_by("month")
    assert [(r["month"], Decimal(r["t"])) for r in by_month] == [
        (dt.date(2008 + (m < 4), m, 1), Decimal("100.00")) for m in [*range(4, 13), 1]
    ]
    assert set(block.values_list("line", flat=True)) == {"elective"}
    under = SpendFact.objects.filter(
        source="under_block", provider=finding.provider, practice=finding.practice,
        month=finding.month,
    )  # fmt: skip
    assert under.exists() and _charged(pk__in=under.values("pk")) == Decimal("0.00")


def test_agreed_challenge_under_a_specialty_block_credits_nothing(
    finance_demo: None, demo_facts: Callable[[dt.date], None]
) -> None:
    """A block for one specialty only (the block part of an SLA for one service) pays for that
    specialty's rows: an agreed challenge on such a row is not credited, in the months the
    block is in force; a block for another specialty changes nothing."""
    analyst = get_user_model().objects.get(username="analyst")
    finding = _finding()
    practice, provider = finding.practice, finding.provider
    assert practice is not None and provider is not None
    con = wh.connect()
    apc = wh.table(con, "apc")
    tf = con.to_pyarrow(
        apc.filter(apc.spell_id == finding.row_id).select("treatment_function_code")
    ).to_pylist()[0]["treatment_function_code"]
    other = "110" if tf != "110" else "120"
    month = finding.month.replace(day=1)
    demo_facts(MONTH)  # the facts before the change
    demo_recoveries = agreed_recoveries("2008/09", MONTH)
    demo_credits = _charged(source="recovery")

    # The finding's provider is paid by results for the year, with a block for another
    # specialty, and a block for the finding's own specialty from the month after it.
    contract = Contract.objects.create(
        pct=practice.locality.pct, provider=provider, financial_year="2008/09",
        name="SLA (test)", kind="pbr", annual_value=Decimal("0.00"),
    )  # fmt: skip
    keep_main_line(contract)
    add_line(contract, NewLine("block", Decimal("1200.00"), "Other block", other, "elective"))
    later = add_line(
        contract, NewLine("block", Decimal("1200.00"), "Own block", str(tf), "elective"),
        starts=add_months(month, 1),
    )  # fmt: skip
    recovered = Decimal("7.00")
    actions.decide(analyst, finding.pk, "challenge", "Charged above tariff")
    actions.sign_off(analyst, [finding.pk])
    actions.record_responses(
        analyst, provider,
        [actions.ResponseRow(1, finding.key, "agreed", "Agreed in part", recovered)], "test",
    )  # fmt: skip
    # Neither block covers the row in its month: the £7.00 is credited.
    found = [r for r in agreed_recoveries("2008/09", MONTH) if r not in demo_recoveries]
    assert [(r.practice_code, r.month, r.amount) for r in found] == [
        (practice.code, month, recovered)
    ]

    # The specialty's block from the start of the year: the row was paid within the block.
    later.starts = dt.date(2008, 4, 1)
    later.save()
    assert agreed_recoveries("2008/09", MONTH) == demo_recoveries
    refresh(MONTH)
    assert _charged(source="recovery") == demo_credits
    under = SpendFact.objects.filter(
        source="under_block", provider=provider, practice=practice, month=month,
        treatment_function_code=tf, line="elective",
    )  # fmt: skip
    assert under.exists() and _charged(pk__in=under.values("pk")) == Decimal("0.00")
