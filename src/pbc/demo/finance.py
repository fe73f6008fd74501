"""The finance demo: contracts, enhanced-service payments and approved 2008/09 budgets, with the
statements refreshed to month 10 (January 2009).

Built from the demo warehouse (call after `pbc.demo.warehouse.load`). Idempotent: a re-run
replaces the demo's contracts, other spend, budgets (versions made by the demo) and facts.

- Contracts for every year of data (2005/06 to 2008/09), per PCT: payment by results with each
  acute trust, cost per case with the Dacorum tier 2 ophthalmology service (any willing provider
  in 2008/09, as the Dacorum plan moves services to AWP), and a block contract with the
  community and mental health trust (Hertfordshire Partnership) charged to "community and
  provider services" at £95 a registered patient in 2008/09 (3% less each year before).
  Activity plans: last year's activity by month, point of delivery and specialty plus 3%.
- The physiotherapy change of 1 October 2008 (the Dacorum plan): West Herts PCT's contract with
  West Hertfordshire Hospitals (RWG) has a block part for direct access physiotherapy each year
  (treatment function 650, £3.60 a registered patient in 2008/09, 3% less each year before,
  charged to "community and provider services"); in 2008/09 a variation approved by the DacCom
  board ends it from 1 October 2008, and a cost-per-case line for physiotherapy (any willing
  provider, no activity guaranteed) takes over: from October the physiotherapy spend is the
  services app's cost-per-case returns, no longer a twelfth of the block.
- Dacorum's 2007/08 deficit repayment (the plan: "may be allowed to make the repayment over 2
  years", "careful not to use a non-recurring income to offset a recurring debt"): recorded by
  the PCT analyst, £998,000 reported plus £1,850,000 of underspends that will not recur, over two
  years, awaiting the board's approval (so no budget carries it yet).
- Enhanced services: the services app's paid claims (the services demo), read by the refresh
  through `pbc.services.feeds` — nothing is booked here, so no claim is counted twice — plus a
  one-off winter payment in December 2008 to the first three practices of each PCT
  (non-recurrent, so the underlying position differs from the reported one).
- Budgets 2008/09: drafted by the blend method (history + uplift moved a quarter of the way
  toward weighted capitation) and approved. The demo's uplift settings for 2008/09 are tight on
  acute care and generous on prescribing, as a PCT that expected demand management to work
  would set them: the month-10 position then shows what the Dacorum plan reports — acute
  commissioning overspent, partly offset by prescribing and provider-services underspends. The
  provider-services uplift (18%) also covers the cost-per-case services that start in 2008/09
  (the services demo's provider returns, charged to that line by the refresh).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from pbc.analytics.finance.lines import ACUTE_LINES, BudgetLine
from pbc.analytics.finance.money import ZERO, round_money
from pbc.finance import actions, quality
from pbc.finance.agreements import record_repayment
from pbc.finance.models import (
    BudgetVersion,
    Contract,
    ContractPlan,
    FinanceSetting,
    OtherSpend,
    RepaymentAgreement,
    SpendFact,
)
from pbc.finance.variations import NewLine, add_line, keep_main_line, vary_contract
from pbc.orgs.models import Locality, Pct, Practice, Provider
from pbc.periods import add_months, add_years, year_start
from pbc.refresh import pipeline

YEARS = ("2005/06", "2006/07", "2007/08", "2008/09")
BUDGET_YEAR = "2008/09"
REPORT_MONTH = "2009-01"
BLOCK_PER_HEAD = Decimal("95.00")
PLAN_GROWTH = Decimal("1.03")
DEMO_NOTE = "demo"
# 2008/09 uplifts by line (dated settings, marked as the demo's).
DEMO_UPLIFTS = {
    BudgetLine.ELECTIVE: "0.0200",
    BudgetLine.NON_ELECTIVE: "0.1000",
    BudgetLine.OUTPATIENTS: "0.0150",
    BudgetLine.AE: "0.0150",
    BudgetLine.PRESCRIBING: "0.0900",
    BudgetLine.COMMUNITY: "0.1800",  # covers the new cost-per-case services of 2008/09
    BudgetLine.ENHANCED_SERVICES: "0.0300",
}
# The physiotherapy change of 1 October 2008 (the Dacorum plan).
PHYSIO_PCT, PHYSIO_PROVIDER, PHYSIOTHERAPY = "5P3", "RWG", "650"
PHYSIO_BLOCK_PER_HEAD = Decimal("3.60")
PHYSIO_CHANGE = dt.date(2008, 10, 1)
# Dacorum's 2007/08 deficit (the plan: forecast overspend £998k at month 10, offset by
# underspends of £952k on prescribing and £898k on Provider Services that will not recur).
DEFICIT_YEAR = "2007/08"
DEFICIT_REPORTED = Decimal("998000.00")
DEFICIT_NON_RECURRENT = Decimal("1850000.00")
ACUTE_KINDS = {"RWG": "pbr", "RWH": "pbr", "RC9": "pbr", "RAL": "pbr"}


def _registered(practices: list[Practice], on: dt.date) -> dict[str, int]:
    pops = actions.populations(on)
    return {p.code: int(pops["registered"].get(p.code, 0)) for p in practices}


@transaction.atomic
def _reset() -> None:
    BudgetVersion.objects.filter(note__startswith="set by", financial_year=BUDGET_YEAR).delete()
    ContractPlan.objects.filter(contract__financial_year__in=YEARS).delete()
    Contract.objects.filter(financial_year__in=YEARS).delete()
    OtherSpend.objects.filter(description__startswith="Demo:").delete()


@transaction.atomic
def _settings() -> None:
    for line, value in DEMO_UPLIFTS.items():
        FinanceSetting.objects.update_or_create(
            key="uplift",
            line=line.value,
            valid_from=year_start(BUDGET_YEAR),
            defaults={"value": Decimal(value), "note": DEMO_NOTE},
        )


@transaction.atomic
def _contracts_and_other_spend(pcts: list[Pct]) -> None:
    providers = {p.code: p for p in Provider.objects.all()}
    for pct in pcts:
        practices = list(Practice.objects.filter(locality__pct=pct).order_by("code"))
        if not practices:
            continue
        for i, year in enumerate(YEARS):
            registered = _registered(practices, year_start(year))
            for code, kind in ACUTE_KINDS.items():
                if code in providers:
                    keep_main_line(Contract.objects.create(
                        pct=pct, provider=providers[code], financial_year=year,
                        name="Acute services", kind=kind, annual_value=ZERO,
                    ))  # fmt: skip
            if "NT4" in providers:
                keep_main_line(Contract.objects.create(
                    pct=pct, provider=providers["NT4"], financial_year=year,
                    name="Tier 2 ophthalmology",
                    kind="awp" if year == BUDGET_YEAR else "cost_per_case", annual_value=ZERO,
                ))  # fmt: skip
            if "RWR" in providers:
                per_head = BLOCK_PER_HEAD * Decimal("0.97") ** (len(YEARS) - 1 - i)
                keep_main_line(Contract.objects.create(
                    pct=pct, provider=providers["RWR"], financial_year=year,
                    name="Community and mental health services", kind="block",
                    annual_value=round_money(per_head * sum(registered.values())),
                    budget_line=BudgetLine.COMMUNITY,
                ))  # fmt: skip
            # Enhanced-service payments come from the services app's paid claims
            # (`pbc.services.feeds`, read by the refresh): none are booked here.
        for p in practices[:3]:
            OtherSpend.objects.create(
                practice=p, month=dt.date(2008, 12, 1), line=BudgetLine.ENHANCED_SERVICES,
                amount=round_money(Decimal("2.50") * _registered([p], dt.date(2008, 10, 1))[p.code]),
                recurrent=False, description="Demo: one-off winter pressures payment",
            )  # fmt: skip


@transaction.atomic
def _physiotherapy() -> None:
    """The block part of the WHHT SLA for direct access physiotherapy in every demo year (3% less
    a head each year before 2008/09), ended from 1 October 2008 by a variation."""
    analyst = get_user_model().objects.filter(username="analyst").first()
    contracts = {
        c.financial_year: c
        for c in Contract.objects.filter(
            provider__code=PHYSIO_PROVIDER, pct__code=PHYSIO_PCT, name="Acute services",
            financial_year__in=YEARS,
        ).select_related("pct")
    }  # fmt: skip
    if analyst is None or BUDGET_YEAR not in contracts:
        return
    practices = list(Practice.objects.filter(locality__pct__code=PHYSIO_PCT))
    for i, year in enumerate(YEARS):
        contract = contracts.get(year)
        if contract is None:
            continue
        per_head = PHYSIO_BLOCK_PER_HEAD * Decimal("0.97") ** (len(YEARS) - 1 - i)
        registered = sum(_registered(practices, year_start(year)).values())
        block = add_line(
            contract,
            NewLine(
                kind="block", description="Direct access physiotherapy (block part of the SLA)",
                treatment_function_code=PHYSIOTHERAPY, budget_line=BudgetLine.COMMUNITY,
                annual_value=round_money(per_head * registered),
            ),
        )  # fmt: skip
        if year != BUDGET_YEAR:
            continue
        vary_contract(
            analyst, contract, effective_from=PHYSIO_CHANGE,
            reason="Physiotherapy moves to any willing provider at an agreed cost per case: the "
            "physiotherapy activity in the block part of the SLA is removed from 1 October 2008 "
            "(Dacorum commissioning plan 2008/09)",
            approved_by="DacCom board with West Herts PCT commissioning",
            end=[block],
            add=[NewLine(
                kind="cost_per_case", annual_value=ZERO, treatment_function_code=PHYSIOTHERAPY,
                description="Direct access physiotherapy: any willing provider, cost per case",
            )],
        )  # fmt: skip


@transaction.atomic
def _plans() -> None:
    """Each activity contract's plan: last year's activity (same year for the first) + 3%."""
    for contract in Contract.objects.exclude(kind="block").select_related("pct", "provider"):
        base_year = add_years(contract.financial_year, -1)
        if contract.financial_year == YEARS[0]:
            base_year = contract.financial_year
        rows = (
            SpendFact.objects.filter(
                source=SpendFact.Source.ACTIVITY,
                financial_year=base_year,
                provider=contract.provider,
                practice__locality__pct=contract.pct,
            )
            .values("month", "point_of_delivery", "treatment_function_code")
            .annotate(activity=Sum("activity"), value=Sum("charged"))
        )
        plan = []
        offset = 0 if base_year == contract.financial_year else 12
        for r in rows:
            plan.append(
                ContractPlan(
                    contract=contract,
                    month=add_months(r["month"], offset),
                    point_of_delivery=r["point_of_delivery"],
                    treatment_function_code=r["treatment_function_code"],
                    activity=int((Decimal(r["activity"]) * PLAN_GROWTH).to_integral_value()),
                    value=round_money(round_money(r["value"]) * PLAN_GROWTH),
                )
            )
        ContractPlan.objects.bulk_create(plan)
        contract.annual_value = sum((p.value for p in plan), ZERO)
        contract.save(update_fields=["annual_value"])
        keep_main_line(contract)


def _budgets(pcts: list[Pct]) -> int:
    analyst = get_user_model().objects.filter(username="analyst").first()
    approved = 0
    for pct in pcts:
        practices = list(
            Practice.objects.filter(locality__pct=pct).select_related("locality").order_by("code")
        )
        if not practices:
            continue
        for version in actions.set_budgets(analyst, practices, BUDGET_YEAR, "blend"):
            actions.approve_budget(analyst, version)
            approved += 1
    return approved


@transaction.atomic
def _repayment_agreement() -> None:
    """Dacorum's 2007/08 deficit as the plan tells it, recorded by the PCT analyst and awaiting
    the board (a draft: no budget or statement changes until the board approves it)."""
    analyst = get_user_model().objects.filter(username="analyst").first()
    dacorum = Locality.objects.filter(slug="dacorum").first()
    if analyst is None or dacorum is None:
        return
    RepaymentAgreement.objects.filter(
        locality=dacorum, incurred_in=DEFICIT_YEAR, status=RepaymentAgreement.Status.DRAFT
    ).delete()
    if RepaymentAgreement.objects.filter(locality=dacorum, incurred_in=DEFICIT_YEAR).exists():
        return  # approved on the site: kept
    record_repayment(
        analyst, dacorum, DEFICIT_YEAR, DEFICIT_REPORTED, DEFICIT_NON_RECURRENT, 2,
        "2007/08 underspends that will not recur: prescribing £952k (drug price changes) and "
        "Provider Services £898k (vacant posts since filled)",
    )  # fmt: skip


# West Herts PCT's 2008/09 acute contract with WHHT: its quality schedule (the Dacorum plan:
# "2008/9 contracts to include introduction of MRSA screening for all elective admissions";
# patient experience "measures are included in contracts with providers of services"); name,
# category, source, threshold %, withheld % of the month's contract value.
QUALITY_SCHEDULE = (
    ("MRSA screening of elective admissions", "infection", "return:mrsa-screening", "90", "0.50"),
    ("Patient experience: care rated good or better", "experience",
     "return:patient-experience", "85", "0.25"),
    ("A&E attendances within four hours", "response", "indicator:ae-four-hour", "98", "0.25"),
)  # fmt: skip


@transaction.atomic
def _quality_schedule() -> None:
    analyst = get_user_model().objects.filter(username="analyst").first()
    contract = Contract.objects.filter(
        provider__code=PHYSIO_PROVIDER, pct__code=PHYSIO_PCT, name="Acute services",
        financial_year=BUDGET_YEAR,
    ).first()  # fmt: skip
    if analyst is None or contract is None:
        return
    for name, category, source, threshold, withheld in QUALITY_SCHEDULE:
        quality.add_measure(
            analyst, contract, name=name, category=category, source=source,
            threshold=threshold, withheld_percent=withheld,
        )  # fmt: skip


def load(scale: str = "test", report: Callable[[str], None] = print) -> dict[str, int]:
    """Build the finance demo (contracts, other spend, budgets) and refresh to January 2009."""
    pcts = list(Pct.objects.filter(localities__practices__isnull=False).distinct())
    _reset()
    _settings()
    _contracts_and_other_spend(pcts)
    _physiotherapy()
    # One refresh: plans and budgets are set from its facts, and nothing they change is an input
    # of the refresh (activity contracts' plans and values, budgets), so a second would store
    # the same facts again.
    run = pipeline.run_step("finance", REPORT_MONTH)
    _plans()
    _quality_schedule()
    approved = _budgets(pcts)
    _repayment_agreement()
    report(f"finance: {approved} budgets approved, statements refreshed to {REPORT_MONTH}")
    return {"budgets": approved, "facts": run.facts, "rows_costed": run.rows_costed}


def acute_position() -> dict[str, Decimal]:
    """Handy for checking the demo: forecast variance by line over all practices (month 10)."""
    from pbc.finance import statements

    month = dt.date(2009, 1, 1)
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for pct in Pct.objects.all():
        practices = list(Practice.objects.filter(locality__pct=pct).select_related("locality"))
        if not practices:
            continue
        rep = statements.report(practices, month)
        for line in rep.statement.lines:
            out[line.line] += line.forecast_variance
    out["acute"] = sum((out[line.value] for line in ACUTE_LINES), ZERO)
    return dict(out)
