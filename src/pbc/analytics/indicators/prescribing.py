"""OpenPrescribing-style prescribing measures: practice centiles across the PCT and the
potential saving if a practice prescribed like the practice at the 10th centile.

A measure is numerator items / denominator items, both BNF code filters (see the
`prescribing.items` expression). Each month, the practices of a PCT are ranked by that ratio:
centiles are linear interpolations between practices (PERCENTILE_CONT, as OpenPrescribing's
BigQuery does) and a practice's decile is the band its ratio falls in (1 = lowest tenth).

Cost-saving formula (OpenPrescribing, ratio-based cost measures): a practice prescribing at
the centile's ratio p would dispense p × D items of the numerator at its own numerator cost per
item and (1 − p) × D items of the rest at its own cost per item, where D is its denominator
quantity; the saving is its actual denominator cost minus that:

    saving = denominator_cost − (p·D·cost_per_numerator_item + (D − p·D)·cost_per_other_item)

When the practice has no numerator (or no other) items its own unit cost is unknown; the PCT's
cost per item that month is used instead. Since denominator_cost = N·c_num + (D − N)·c_other
for a practice with N numerator items at c_num each and D − N others at c_other, this is

    saving = (N/D − p) × D × (c_num − c_other)

the items that would switch from the numerator drugs to the others at the centile's ratio,
times what each switch saves: the "(practice − centile) × quantity" form OpenPrescribing uses
for its cost-per-unit measures, with the ratio difference turned into items. Savings are
negative for practices already below the centile; they are reported only where positive
(`positive_saving`), and `total_saving` adds only the positive ones (the money actually on the
table), as OpenPrescribing does. Measures about safe or effective prescribing rather than
cost (no cost filters in their definition) have deciles but no saving.

Money: costs arrive as pounds; the saving (a product with the interpolated centile ratio) is
rounded to whole pence, half away from zero, by `to_pence` before it leaves for the app.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENTILES: tuple[int, ...] = (10, 20, 30, 40, 50, 60, 70, 80, 90)


@dataclass(frozen=True)
class PracticeMonth:
    practice: str
    pct: str
    month: dt.date
    numerator: float  # items
    denominator: float  # items
    numerator_cost: float = 0.0
    denominator_cost: float = 0.0

    @property
    def ratio(self) -> float | None:
        return self.numerator / self.denominator if self.denominator > 0 else None


@dataclass(frozen=True)
class PracticeResult:
    practice: str
    month: dt.date
    ratio: float | None
    decile: int | None
    ratio_at_10th: float | None
    saving_at_10th: float | None


def centile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation centile (q in 0..100) of non-empty `values` (PERCENTILE_CONT)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    h = (len(ordered) - 1) * q / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def centiles(values: Sequence[float]) -> dict[int, float]:
    return {q: centile(values, q) for q in CENTILES}


def decile_of(ratio: float, cents: dict[int, float]) -> int:
    """1 for a ratio at or below the 10th centile, ..., 10 above the 90th."""
    for k, q in enumerate(CENTILES, start=1):
        if ratio <= cents[q]:
            return k
    return 10


def cost_saving(
    row: PracticeMonth, ratio_at_centile: float, cost_per_num: float, cost_per_other: float
) -> float:
    """OpenPrescribing's saving for one practice-month at the centile's ratio."""
    d = row.denominator
    own_num = row.numerator_cost / row.numerator if row.numerator > 0 else cost_per_num
    others = d - row.numerator
    own_other = (row.denominator_cost - row.numerator_cost) / others if others else cost_per_other
    expected = ratio_at_centile * d * own_num + (d - d * ratio_at_centile) * own_other
    return row.denominator_cost - expected


def measure_results(rows: Sequence[PracticeMonth]) -> list[PracticeResult]:
    """Deciles, 10th-centile ratio and potential saving per practice and month, ranking each
    practice among the practices of its own PCT that month."""
    by_group: dict[tuple[str, dt.date], list[PracticeMonth]] = defaultdict(list)
    for row in rows:
        by_group[(row.pct, row.month)].append(row)
    results: list[PracticeResult] = []
    for (_pct, month), group in sorted(by_group.items()):
        ratios = [r.ratio for r in group if r.ratio is not None]
        cents = centiles(ratios) if ratios else None
        num_items = sum(r.numerator for r in group)
        other_items = sum(r.denominator - r.numerator for r in group)
        cost_per_num = sum(r.numerator_cost for r in group) / num_items if num_items else 0.0
        other_cost = sum(r.denominator_cost - r.numerator_cost for r in group)
        cost_per_other = other_cost / other_items if other_items else 0.0
        for r in sorted(group, key=lambda r: r.practice):
            ratio = r.ratio
            if ratio is None or cents is None:
                results.append(PracticeResult(r.practice, month, ratio, None, None, None))
                continue
            p10 = cents[10]
            saving = cost_saving(r, p10, cost_per_num, cost_per_other)
            results.append(
                PracticeResult(r.practice, month, ratio, decile_of(ratio, cents), p10, saving)
            )
    return results


def positive_saving(saving: float | None) -> float | None:
    """The potential saving as reported: the amount where positive, 0 for a practice already
    at or below the centile, None where there is none (no ratio)."""
    return None if saving is None else max(saving, 0.0)


def total_saving(results: Sequence[PracticeResult]) -> float:
    return sum(r.saving_at_10th for r in results if r.saving_at_10th and r.saving_at_10th > 0)


def to_pence(pounds: float) -> int:
    """Pounds to whole pence, half away from zero (through the float's shortest decimal
    representation, so 14.4 is 1440, not 1439)."""
    return int((Decimal(repr(pounds)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def measure_figures(
    rows: Sequence[PracticeMonth],
    parents: Mapping[str, Sequence[tuple[str, str]]],
    multiplier: float,
    cost_measure: bool,
) -> dict[tuple[str, str, dt.date], dict[str, Any]]:
    """The figures stored beside a measure's values, by (level, org code, month): for each
    practice its `decile`, the PCT's 10th-centile value `ratio_at_10th` (× `multiplier`, the
    indicator's unit) and, for a cost measure, `saving_at_10th_pence` (its positive saving in
    whole pence, 0 at or below the centile; None for other measures or without a ratio); for
    each of a practice's `parents` ((level, code): its locality and PCT) the sum of its
    practices' savings in pence (cost measures only)."""
    out: dict[tuple[str, str, dt.date], dict[str, Any]] = {}
    totals: dict[tuple[str, str, dt.date], int] = {}
    for r in measure_results(rows):
        saving = positive_saving(r.saving_at_10th) if cost_measure else None
        pence = None if saving is None else to_pence(saving)
        out[("practice", r.practice, r.month)] = {
            "decile": r.decile,
            "ratio_at_10th": None if r.ratio_at_10th is None else multiplier * r.ratio_at_10th,
            "saving_at_10th_pence": pence,
        }
        if cost_measure:
            for level, org in parents[r.practice]:
                key = (level, org, r.month)
                totals[key] = totals.get(key, 0) + (pence or 0)
    for key, pence_total in totals.items():
        out[key] = {"saving_at_10th_pence": pence_total}
    return out
