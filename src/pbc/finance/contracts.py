"""A provider contract's plan against actual for the SLA review meeting: by point of delivery,
specialty and month at provider level, and by locality and practice.

The contract plan is held at provider level (`ContractPlan`). For the breakdown by practice it is
apportioned by `pbc.analytics.finance.contracts.apportion_plan`: each plan row is split among
the commissioning PCT's practices by their hospital-activity weighted population (the
warehouse's `weighted_populations`, latest quarter on or before 1 April of the contract year;
registered patients when that weighting is missing), so a practice's plan is its fair share of
the contract and the practice plans add up to the locality's and to the contract exactly.

Actual is what `refresh` stored (`SpendFact`) for the practices of the contract's PCT, through
the month chosen: for an activity contract (payment by results, cost per case, any willing
provider) the invoiced activity and the £ charged; for a block contract the activity under the
block (source "under_block") and its £ at tariff — what it would have cost per spell — since the
budget is charged the block's value instead (`Review.charged`: the block facts' total).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from pbc.analytics.finance.contracts import (
    Comparison,
    PlanRow,
    ShareRow,
    apportion_plan,
    plan_vs_actual,
)
from pbc.analytics.finance.money import ZERO, round_money
from pbc.finance.models import Contract, SpendFact
from pbc.orgs.models import Practice
from pbc.periods import year_start

WEIGHTING = "hospital_activity"

BREAKDOWNS: dict[str, tuple[str, list[str]]] = {
    "point_of_delivery": ("Point of delivery", ["point_of_delivery"]),
    "specialty": ("Specialty (treatment function)", ["treatment_function"]),
    "month": ("Month", ["month"]),
    "locality": ("Locality", ["locality"]),
    "practice": ("Practice", ["locality", "practice"]),
}
SHARED = ("locality", "practice")


@dataclass
class Review:
    contract: Contract
    through: dt.date | None
    weighting: str
    weights: dict[str, Decimal]
    tables: dict[str, list[Comparison]] = field(default_factory=dict)
    total: Comparison | None = None
    practice_names: dict[str, str] = field(default_factory=dict)
    charged: Decimal = Decimal("0.00")  # charged to the practices' budgets through the month

    @property
    def actual_basis(self) -> str:
        """What the actual £ is: at tariff under a block, else what the provider charged."""
        return "at tariff" if self.contract.kind == Contract.Kind.BLOCK else "charged"


def practice_weights(contract: Contract) -> tuple[str, dict[str, Decimal]]:
    """(weighting used, practice code -> weighted population) for the contract's PCT."""
    from pbc.finance.actions import populations

    codes = list(Practice.objects.filter(locality__pct=contract.pct).values_list("code", flat=True))
    pops = populations(year_start(contract.financial_year))
    for weighting in (WEIGHTING, "registered"):
        found = pops.get(weighting, {})
        if any(code in found for code in codes):
            return weighting, {code: found.get(code, Decimal(0)) for code in codes}
    return "equal", dict.fromkeys(codes, Decimal(1))


def review(
    contract: Contract,
    through: dt.date | None,
    weights: tuple[str, dict[str, Decimal]] | None = None,
) -> Review:
    """Plan against actual of one contract through `through` (a month; None: the whole year)."""
    practices = {
        p.code: p
        for p in Practice.objects.filter(locality__pct=contract.pct).select_related("locality")
    }
    locality_of = {code: p.locality.name for code, p in practices.items()}
    weighting, shares = weights if weights is not None else practice_weights(contract)
    provider = contract.provider.code
    plan_qs = contract.plan.all()
    if through is not None:
        plan_qs = plan_qs.filter(month__lte=through)
    plan = [
        PlanRow(
            provider,
            f"{p.month:%Y-%m}",
            p.point_of_delivery,
            p.treatment_function_code,
            p.activity,
            p.value,
        )  # fmt: skip
        for p in plan_qs
    ]
    block = contract.kind == Contract.Kind.BLOCK
    of_contract = SpendFact.objects.filter(
        provider=contract.provider,
        financial_year=contract.financial_year,
        practice__locality__pct=contract.pct,
    )
    if through is not None:
        of_contract = of_contract.filter(month__lte=through)
    if block:
        # The block's own charges for this contract: its budget line (another block contract
        # with the same provider charges another line or is the same contract).
        charged_facts = of_contract.filter(source=SpendFact.Source.BLOCK, line=contract.budget_line)
        facts = of_contract.filter(source=SpendFact.Source.UNDER_BLOCK)
        value_field = "at_tariff"
    else:
        facts = charged_facts = of_contract.filter(source=SpendFact.Source.ACTIVITY)
        value_field = "charged"
    actual = [
        ShareRow(
            provider,
            f["practice__code"],
            locality_of.get(f["practice__code"], ""),
            f"{f['month']:%Y-%m}",
            f["point_of_delivery"],
            f["treatment_function_code"],
            int(f["activity"] or 0),
            round_money(f["value"] or ZERO),
        )
        for f in facts.values(
            "practice__code", "month", "point_of_delivery", "treatment_function_code"
        ).annotate(activity=Sum("activity"), value=Sum(value_field))
    ]
    shared = apportion_plan(plan, shares, locality_of)
    charged = charged_facts.aggregate(t=Sum("charged"))["t"]
    out = Review(contract, through, weighting, shares,
                 practice_names={code: p.name for code, p in practices.items()},
                 charged=round_money(charged or ZERO))  # fmt: skip
    for key, (_label, by) in BREAKDOWNS.items():
        # Provider-level breakdowns compare the plan as held; by locality and practice, the
        # apportioned plan (the same totals).
        out.tables[key] = plan_vs_actual(shared if key in SHARED else plan, actual, by)
    totals = plan_vs_actual(plan, actual, [])
    out.total = totals[0] if totals else Comparison((), 0, 0, Decimal("0.00"), Decimal("0.00"))
    return out
