"""Budget-setting methods: how a PCT shares a pot for one budget line among its practices.

Every method returns practice → Decimal that adds up to the pot exactly (`money.apportion`):

- `historic_uplift`: last year's spend plus an uplift (a dated setting): the pot is the
  practices' historic total × (1 + uplift), shared in proportion to each practice's history;
- `per_capita`: in proportion to registered patients (the Dacorum plan devolves the counselling
  and physiotherapy budgets "to practice level on a per capita basis");
- `weighted_capitation`: in proportion to weighted population (the warehouse's
  `weighted_populations`, `hospital_activity` weighting for hospital lines and `astro_pu_2013`
  for prescribing) — the practice's *fair share*;
- `blend`: each practice moves from its current (historic) budget toward its fair share by
  `pace` (0 = stay historic, 1 = fair share at once), then the result is scaled to the pot. A
  PCT typically moves a quarter of the distance a year so that no practice is destabilised.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from pbc.analytics.finance.money import apportion, round_money

METHODS = ("historic_uplift", "per_capita", "weighted_capitation", "blend")


def historic_uplift(historic: Mapping[str, Decimal], uplift: Decimal) -> dict[str, Decimal]:
    pot = round_money(sum(historic.values(), Decimal(0)) * (1 + uplift))
    return apportion(pot, {k: max(v, Decimal(0)) for k, v in historic.items()})


def per_capita(pot: Decimal, registered: Mapping[str, int]) -> dict[str, Decimal]:
    return apportion(pot, dict(registered))


def weighted_capitation(
    pot: Decimal, weighted: Mapping[str, float | Decimal]
) -> dict[str, Decimal]:
    return apportion(pot, {k: Fraction(str(v)) for k, v in weighted.items()})


def blend(
    pot: Decimal,
    current: Mapping[str, Decimal],
    fair_share: Mapping[str, Decimal],
    pace: Decimal,
) -> dict[str, Decimal]:
    """Move each practice `pace` of the way from `current` toward `fair_share`, within `pot`."""
    if not Decimal(0) <= pace <= Decimal(1):
        raise ValueError("pace is a fraction between 0 and 1")
    keys = sorted(set(current) | set(fair_share))
    now_total = sum(current.values(), Decimal(0))
    fair_total = sum(fair_share.values(), Decimal(0))
    weights: dict[str, Fraction] = {}
    for k in keys:
        # Compare shares, not amounts, so pots of different sizes blend sensibly.
        now = (
            Fraction(current.get(k, Decimal(0))) / Fraction(now_total) if now_total else Fraction(0)
        )
        fair = Fraction(fair_share.get(k, Decimal(0))) / Fraction(fair_total) if fair_total else now
        weights[k] = max(now + Fraction(pace) * (fair - now), Fraction(0))
    return apportion(pot, weights)


def distance_from_fair_share(budget: Decimal, fair_share: Decimal) -> Decimal | None:
    """How far above (+) or below (−) its fair share a practice's budget is, in per cent."""
    if fair_share == 0:
        return None
    return round_money((budget - fair_share) / fair_share * 100)
