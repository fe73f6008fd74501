"""Disease registers: counts, recorded prevalence and age/sex-standardised comparison by practice.

Choices (the issue is silent; these are what a PCT analyst reading QOF would expect):

- **Date.** Registers are counted on one date (the pages use the last day of the data, as QOF
  counts on 31 March). A person is on a register when registered and alive that day and
  diagnosed on or before it (`cohort.registered_on`).
- **Denominator.** The practice's registered population that day, from the same patient
  register (so numerator and denominator agree). Diabetes uses patients aged 17 and over, as the
  QOF diabetes register did in 2008/09; the other four registers are all ages.
- **Standardised comparison.** Indirect standardisation (`pbc.stats.isr`): each practice's
  expected register size is its own age/sex structure (five-year bands, 90+) times the
  age/sex-specific prevalence of all the practices compared. The ratio (observed / expected x
  100) is what a practice's register would be if it had the average age/sex mix; 100 = as
  expected. Indirect rather than direct standardisation because practice age/sex cells are
  small; DSRs would be unstable.
- **Funnel plot.** Ratio funnel (`pbc.stats.funnel_limits("ratio", 1, expected)`) with the
  expected count as denominator; significance from `funnel_significance("ratio", ...)`.
  A practice above the limits has more recorded disease than its age/sex mix predicts (a
  deprived list, or thorough case finding); below: possible under-recording.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from pbc.analytics.population.cohort import AGE_BANDS, CONDITIONS, registered_on
from pbc.stats import (
    FunnelLimits,
    Interval,
    funnel_limits,
    funnel_significance,
    isr,
    proportion_ci,
)

#: Minimum age of a register's denominator (QOF 2008/09: diabetes 17+).
MINIMUM_AGE: dict[str, int] = {"diabetes": 17}


def by_age_sex(patients: ir.Table, on: dt.date) -> ir.Table:
    """Register and denominator counts per practice, condition, sex and five-year age band.

    Columns: gp_practice_code, condition, sex, age_band, register, denominator.
    """
    people = registered_on(patients, on)
    parts = []
    for condition in CONDITIONS:
        eligible = people.filter(people.age >= MINIMUM_AGE.get(condition, 0))
        parts.append(
            eligible.group_by(["gp_practice_code", "sex", "age_band"]).aggregate(
                condition=ibis.literal(condition),
                register=eligible[condition].cast("int64").sum(),
                denominator=eligible.count(),
            )
        )
    out = ibis.union(*parts)
    return out.select("gp_practice_code", "condition", "sex", "age_band", "register", "denominator")


def by_practice(patients: ir.Table, on: dt.date) -> ir.Table:
    """Register size and denominator per practice and condition (gp_practice_code, condition,
    register, denominator)."""
    cells = by_age_sex(patients, on)
    return cells.group_by(["gp_practice_code", "condition"]).aggregate(
        register=cells.register.sum(), denominator=cells.denominator.sum()
    )


@dataclass(frozen=True)
class PracticeRegister:
    """One practice's register for one condition, with its standardised comparison."""

    gp_practice_code: str
    condition: str
    register: int
    denominator: int
    prevalence: Interval  # percentage with Wilson 95% limits
    expected: float
    ratio: Interval | None  # indirectly standardised ratio (100 = as expected)
    significance_95: str
    significance_998: str


@dataclass(frozen=True)
class RegisterComparison:
    condition: str
    practices: tuple[PracticeRegister, ...]
    register: int
    denominator: int
    prevalence: Interval
    funnel: tuple[FunnelLimits, ...]  # ratio funnel (x 100) over the expected counts


def _funnel_axis(expected: Sequence[float]) -> list[float]:
    """Denominators at which to draw the funnel lines: from small to a little past the largest."""
    top = max(expected) * 1.1
    low = max(min(expected) * 0.5, 0.5)
    steps = 30
    ratio = (top / low) ** (1 / steps)
    return [low * ratio**i for i in range(steps + 1)]


def compare(cells: Iterable[Mapping[str, Any]]) -> dict[str, RegisterComparison]:
    """Standardised comparison of practices for each condition, from `by_age_sex` rows.

    The reference rates are those of all the practices in `cells` together.
    """
    table: dict[str, dict[str, dict[tuple[str, str], tuple[int, int]]]] = {}
    for row in cells:
        per = table.setdefault(str(row["condition"]), {}).setdefault(
            str(row["gp_practice_code"]), {}
        )
        key = (str(row["sex"]), str(row["age_band"]))
        r, d = per.get(key, (0, 0))
        per[key] = (r + int(row["register"]), d + int(row["denominator"]))
    result: dict[str, RegisterComparison] = {}
    for condition in CONDITIONS:
        practices = table.get(condition)
        if not practices:
            continue
        keys = [(s, b) for s in ("F", "M") for b in AGE_BANDS]
        ref_r = [sum(p.get(k, (0, 0))[0] for p in practices.values()) for k in keys]
        ref_d = [sum(p.get(k, (0, 0))[1] for p in practices.values()) for k in keys]
        used = [i for i, d in enumerate(ref_d) if d > 0]
        total_r, total_d = sum(ref_r), sum(ref_d)
        if total_d == 0:
            continue
        codes = sorted(practices)
        observed, expected, rows = [], [], []
        for code in codes:
            cells_of = practices[code]
            counts = [cells_of.get(keys[i], (0, 0))[0] for i in used]
            pops = [cells_of.get(keys[i], (0, 0))[1] for i in used]
            register, denominator = sum(counts), sum(pops)
            if denominator == 0:
                continue
            exp = math.fsum(ref_r[i] / ref_d[i] * n for i, n in zip(used, pops, strict=True))
            ratio = (
                isr(counts, pops, [ref_r[i] for i in used], [ref_d[i] for i in used]).interval
                if exp > 0
                else None
            )
            observed.append(register)
            expected.append(exp)
            rows.append((code, register, denominator, exp, ratio))
        scored = [i for i, e in enumerate(expected) if e > 0]
        sig = funnel_significance(
            "ratio", [observed[i] for i in scored], [expected[i] for i in scored]
        )
        sig_of = dict(zip(scored, sig, strict=True))
        out = []
        for i, (code, register, denominator, exp, ratio) in enumerate(rows):
            s = sig_of.get(i)
            p = proportion_ci(register, denominator)
            out.append(
                PracticeRegister(
                    gp_practice_code=code,
                    condition=condition,
                    register=register,
                    denominator=denominator,
                    prevalence=p.scaled(100),
                    expected=exp,
                    ratio=ratio,
                    significance_95=s.significance_95 if s else "not assessed",
                    significance_998=s.significance_998 if s else "not assessed",
                )
            )
        overall = proportion_ci(total_r, total_d)
        positive = [e for e in expected if e > 0]
        funnel = tuple(funnel_limits("ratio", 1.0, _funnel_axis(positive))) if positive else ()
        result[condition] = RegisterComparison(
            condition=condition,
            practices=tuple(out),
            register=total_r,
            denominator=total_d,
            prevalence=overall.scaled(100),
            funnel=funnel,
        )
    return result
