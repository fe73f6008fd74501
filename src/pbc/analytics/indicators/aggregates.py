"""Indicators from the published aggregate datasets (QOF, RTT returns, A&E), for a commissioner
that holds no patient-level rows. Pure: Ibis expressions and plain Python, no engine calls.

Definitions (each recomputed by pbc from the parts, never copied from a published total):

- **QOF recorded prevalence** = register / list size x 100 (per cent), per practice and
  register, the list being the one the register is counted against (`patient_list_type`).
- **QOF register comparison**: observed register against the register expected from the
  practice's list size at the pooled prevalence of all the practices compared (indirect
  standardisation on the one stratum QOF publishes: the list; QOF has no age/sex breakdown, so
  unlike the patient-level comparison this does not adjust for age and sex); ratio = O / E x
  100 with exact (below 10) or Byar's Poisson limits (`pbc.stats.isr`), and its funnel over
  the expected counts (`pbc.stats.funnel_limits("ratio", ...)`).
- **RTT % within 18 weeks** = pathways in the bands up to 18 weeks (weeks_to <= 18) / all
  pathways in the bands x 100. Pathways with an unknown clock start are not in any band and not
  counted, as in the published % (NHS England's "Total" excludes them).
- **RTT median and 95th percentile** (weeks): linear interpolation within the week band, as
  the published statistics do, L + (pN - F) / f x w (`rtt.percentile_interpolated`), the
  median at rank (N + 1) / 2 as NHS England's published medians are (`rtt.median_interpolated`);
  none when the percentile falls in the open top band.
- **A&E four-hour performance** = (attendances - attendances over four hours) / attendances x
  100, over the department types asked for (all types by default, as the national standard).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from pbc.analytics.indicators import rtt
from pbc.analytics.population.registers import PracticeRegister, RegisterComparison
from pbc.stats import funnel_limits, funnel_significance, isr, proportion_ci

EIGHTEEN_WEEKS = 18

# QOF indicator groups that are the patient-level registers of `pbc.analytics.population`
# (cohort.CONDITIONS). HF: the heart failure register, not the "due to LVD" one.
QOF_CONDITIONS: dict[str, str] = {
    "DM": "diabetes",
    "COPD": "copd",
    "HF": "heart_failure",
    "CHD": "chd",
    "HYP": "hypertension",
}


# --- QOF -----------------------------------------------------------------------------------------


def prevalence(register: float, list_size: float) -> float | None:
    """Recorded prevalence in per cent: register / list size x 100 (None for an empty list)."""
    if list_size <= 0:
        return None
    return register / list_size * 100


def qof_with_prevalence(qof: ir.Table) -> ir.Table:
    """The `qof_prevalence` rows with pbc's `prevalence` (per cent; null for an empty list)."""
    size = qof.list_size.cast("float64")
    return qof.mutate(prevalence=(size > 0).ifelse(qof.register.cast("float64") / size * 100, None))


def is_lvd_register(description: object) -> bool:
    """The 'heart failure due to LVD' register early QOF files publish beside the HF one."""
    return isinstance(description, str) and "lvd" in description.lower()


def qof_condition(indicator_group: object, description: object = None) -> str | None:
    """The patient-level condition a QOF register row counts, if any."""
    if not isinstance(indicator_group, str):
        return None
    group = indicator_group.strip().upper()
    if group == "HF" and is_lvd_register(description):
        return None
    return QOF_CONDITIONS.get(group)


def _funnel_axis(expected: Sequence[float]) -> list[float]:
    top = max(expected) * 1.1
    low = max(min(expected) * 0.5, 0.5)
    steps = 30
    ratio = (top / low) ** (1 / steps)
    return [low * ratio**i for i in range(steps + 1)]


def compare_registers(rows: Iterable[Mapping[str, Any]]) -> dict[str, RegisterComparison]:
    """Register comparisons per condition from QOF rows (gp_practice_code, indicator_group,
    register_description, register, list_size), in the shape the patient-level comparison
    (`pbc.analytics.population.registers.compare`) gives, so the same pages draw them.

    The reference prevalence is that of all the practices in `rows` together; a practice's
    expected register = its list size x that prevalence."""
    per: dict[str, dict[str, tuple[int, int]]] = {}
    for row in rows:
        condition = qof_condition(row["indicator_group"], row.get("register_description"))
        if condition is None:
            continue
        code = str(row["gp_practice_code"])
        r, n = per.setdefault(condition, {}).get(code, (0, 0))
        per[condition][code] = (r + int(row["register"]), n + int(row["list_size"]))
    result: dict[str, RegisterComparison] = {}
    for condition, practices in per.items():
        total_r = sum(r for r, _n in practices.values())
        total_n = sum(n for _r, n in practices.values())
        if total_n <= 0 or total_r <= 0:
            continue
        rate = total_r / total_n
        codes = sorted(c for c, (_r, n) in practices.items() if n > 0)
        expected = [practices[c][1] * rate for c in codes]
        observed = [practices[c][0] for c in codes]
        sig = funnel_significance("ratio", observed, expected)
        out = []
        for code, o, e, s in zip(codes, observed, expected, sig, strict=True):
            n = practices[code][1]
            ratio = isr([o], [n], [total_r], [total_n]).interval
            p = proportion_ci(o, n)
            out.append(
                PracticeRegister(
                    gp_practice_code=code,
                    condition=condition,
                    register=o,
                    denominator=n,
                    prevalence=p.scaled(100),
                    expected=e,
                    ratio=ratio,
                    significance_95=s.significance_95,
                    significance_998=s.significance_998,
                )
            )
        overall = proportion_ci(total_r, total_n)
        result[condition] = RegisterComparison(
            condition=condition,
            practices=tuple(out),
            register=total_r,
            denominator=total_n,
            prevalence=overall.scaled(100),
            funnel=tuple(funnel_limits("ratio", 1.0, _funnel_axis(expected))),
        )
    return result


# --- RTT returns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A weeks-waited band: more than `weeks_from` and up to `weeks_to` weeks (None: open)."""

    weeks_from: int
    weeks_to: int | None
    pathways: int


def band_counts(bands: Iterable[Band]) -> list[int]:
    """Pathways per one-week band from 0, the open top band last (the layout
    `rtt.percentile_interpolated` reads), bands of the same weeks added. Bands must be one week
    wide, and only the top one open."""
    items = list(bands)
    if not items:
        return []
    top = max(b.weeks_from for b in items)
    counts = [0] * (top + 1)
    for b in items:
        if b.weeks_to is None and b.weeks_from != top:
            raise ValueError(f"an open band (from {b.weeks_from} weeks) below the top band")
        if b.weeks_to is not None and b.weeks_to != b.weeks_from + 1:
            raise ValueError(f"band {b.weeks_from}-{b.weeks_to} weeks is not one week wide")
        counts[b.weeks_from] += b.pathways
    if not any(b.weeks_to is None for b in items):
        counts.append(0)  # no open band published: nothing waits beyond the last band
    return counts


def summarise_returns(bands: Iterable[Band]) -> rtt.WaitSummary:
    """% within 18 weeks, median and 95th percentile (weeks, interpolated) of week bands."""
    items = list(bands)
    total = sum(b.pathways for b in items)
    within = sum(
        b.pathways for b in items if b.weeks_to is not None and b.weeks_to <= EIGHTEEN_WEEKS
    )
    counts = band_counts(items)
    return rtt.WaitSummary(
        pathways=total,
        within_18_weeks=within,
        percent_within_18_weeks=100 * within / total if total else None,
        median=rtt.median_interpolated(counts) if total else None,
        p95=rtt.percentile_interpolated(counts, 0.95) if total else None,
        unit="weeks",
    )


def returns_bands(returns: ir.Table, by: Sequence[str]) -> ir.Table:
    """Pathways per group, month and band (summed over whatever `by` leaves out)."""
    keys = [*by, "month", "pathway_type", "weeks_from", "weeks_to"]
    return returns.group_by(keys).aggregate(pathways=returns.pathways.fill_null(0).sum())


def bands_by_group(
    rows: Iterable[Mapping[str, Any]], keys: Sequence[str]
) -> dict[tuple[Any, ...], list[Band]]:
    """Rows of `returns_bands` grouped into {group key: bands}."""
    out: dict[tuple[Any, ...], list[Band]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        to = row["weeks_to"]
        weeks_to = None if to is None or (isinstance(to, float) and math.isnan(to)) else int(to)
        out.setdefault(key, []).append(Band(int(row["weeks_from"]), weeks_to, int(row["pathways"])))
    return out


def commissioner_pct(code: object) -> str | None:
    """A commissioner's 3-character code (a 5-character form '5P200' ends in '00')."""
    if not isinstance(code, str) or not code:
        return None
    return code[:3] if len(code) == 5 and code.endswith("00") else code


# --- A&E -----------------------------------------------------------------------------------------


def four_hour_percent(attendances: float, over_4_hours: float) -> float | None:
    """Per cent of attendances admitted, transferred or discharged within four hours."""
    if attendances <= 0:
        return None
    return (attendances - over_4_hours) / attendances * 100


def ae_performance(
    ae: ir.Table, by: Sequence[str] = ("provider_code",), types: Sequence[str] | None = None
) -> ir.Table:
    """Attendances, attendances over four hours and four-hour % per group and month."""
    t = ae.filter(ae.measure.isin(["attendances", "over_4_hours"]))
    if types is not None:
        t = t.filter(t.department_type.isin(list(types)))
    t = t.mutate(
        a=(t.measure == "attendances").ifelse(t["count"].fill_null(0), 0),
        o=(t.measure == "over_4_hours").ifelse(t["count"].fill_null(0), 0),
    )
    g = t.group_by([*by, "month"]).aggregate(
        attendances=t.a.sum().cast("int64"), over_4_hours=t.o.sum().cast("int64")
    )
    a = g.attendances.cast("float64")
    return g.mutate(
        four_hour_percent=(g.attendances > 0).ifelse((a - g.over_4_hours) / a * 100, None)
    )


def month_of(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    return dt.date.fromisoformat(str(value)[:10]).replace(day=1)
