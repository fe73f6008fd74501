"""A provider contract's plan against actual for the SLA review meeting: by point of delivery,
specialty and month at provider level, and by locality and practice.

The contract plan is held at provider level (`ContractPlan`). For the breakdown by practice it is
apportioned by `pbc.analytics.finance.contracts.apportion_plan`: each plan row is split among
the commissioning PCT's practices by their hospital-activity weighted population (the
warehouse's `weighted_populations`, latest quarter on or before 1 April of the contract year;
registered patients when that weighting is missing), so a practice's plan is its fair share of
the contract and the practice plans add up to the locality's and to the contract exactly.

Actual is what `refresh` stored (`SpendFact`) for the practices of the contract's PCT, through
the month chosen, line by line (`pbc.analytics.finance.contract_lines.assign`: each fact on the
line the refresh charged it by, whatever the contract's headline kind): under an activity line
(payment by results, cost per case, any willing provider) the invoiced activity and the £
charged; under a block line the activity under the block (source "under_block") and its £ at
tariff — what it would have cost per spell — since the budget is charged the block's value
instead. `Review.lines` is each line's activity, £ at tariff and £ charged; `Review.charged` is
what the contract's lines charged to budgets (block charges and activity charged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from pbc.analytics.finance.contract_lines import Charge, LineCharges, assign
from pbc.analytics.finance.contracts import (
    Comparison,
    PlanRow,
    ShareRow,
    apportion_plan,
    line_for,
    plan_vs_actual,
)
from pbc.analytics.finance.money import ZERO, round_money
from pbc.finance.models import Contract, ContractLine, SpendFact
from pbc.finance.queries import contract_lines
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
# The facts a contract's lines account for: activity charged per row, activity under a block,
# a block's own charge.
SOURCES = (SpendFact.Source.ACTIVITY, SpendFact.Source.UNDER_BLOCK, SpendFact.Source.BLOCK)


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
    lines: list[tuple[ContractLine, LineCharges]] = field(default_factory=list)

    @property
    def actual_basis(self) -> str:
        """What the actual £ is: at tariff under a block line, else what the provider charged."""
        kinds = {line.kind == Contract.Kind.BLOCK for line, _ in self.lines}
        if kinds == {True}:
            return "at tariff"
        if kinds == {False} or not kinds:
            return "charged"
        return "at tariff under its block lines, charged under the others"

    @property
    def has_block(self) -> bool:
        return any(line.kind == Contract.Kind.BLOCK for line, _ in self.lines)


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
    of_contract = SpendFact.objects.filter(
        provider=contract.provider,
        financial_year=contract.financial_year,
        practice__locality__pct=contract.pct,
    )
    if through is not None:
        of_contract = of_contract.filter(month__lte=through)
    # Every line of the provider's contracts with the PCT that year (the refresh picks among
    # them all), and this contract's own.
    lines = contract_lines(contract.financial_year).get(
        (contract.pct.code, contract.provider.code), []
    )
    own = {line.pk: line for line in contract.lines.all()}
    sums = dict(activity=Sum("activity"), charged=Sum("charged"), at_tariff=Sum("at_tariff"))
    charges = [
        Charge(
            f["source"],
            f["month"],
            f["treatment_function_code"],
            f["line"],
            int(f["activity"] or 0),
            round_money(f["charged"] or ZERO),
            round_money(f["at_tariff"] or ZERO),
        )  # fmt: skip
        for f in of_contract.filter(source__in=SOURCES)
        .values("source", "month", "treatment_function_code", "line")
        .annotate(**sums)
        .order_by("source", "month", "treatment_function_code", "line")
    ]
    by_line = assign(lines, charges)
    actual = []
    for f in (
        of_contract.filter(source__in=SOURCES[:2])
        .values("practice__code", "month", "point_of_delivery", "treatment_function_code", "source")
        .annotate(**sums)
    ):
        line = line_for(lines, f["month"], f["treatment_function_code"])
        if line is None or line.key not in own:
            continue  # another contract's line, or charged outside any contract
        under = f["source"] == SpendFact.Source.UNDER_BLOCK
        actual.append(
            ShareRow(
                provider,
                f["practice__code"],
                locality_of.get(f["practice__code"], ""),
                f"{f['month']:%Y-%m}",
                f["point_of_delivery"],
                f["treatment_function_code"],
                int(f["activity"] or 0),
                round_money((f["at_tariff"] if under else f["charged"]) or ZERO),
            )
        )
    own_lines = [(line, by_line.get(key, LineCharges())) for key, line in own.items()]
    shared = apportion_plan(plan, shares, locality_of)
    charged = sum((got.charged for _, got in own_lines), ZERO)
    out = Review(contract, through, weighting, shares,
                 practice_names={code: p.name for code, p in practices.items()},
                 charged=round_money(charged), lines=own_lines)  # fmt: skip
    for key, (_label, by) in BREAKDOWNS.items():
        # Provider-level breakdowns compare the plan as held; by locality and practice, the
        # apportioned plan (the same totals).
        out.tables[key] = plan_vs_actual(shared if key in SHARED else plan, actual, by)
    totals = plan_vs_actual(plan, actual, [])
    out.total = totals[0] if totals else Comparison((), 0, 0, Decimal("0.00"), Decimal("0.00"))
    return out
