"""From an indicator specification to values per organisation and month, with intervals.

An expression (see `expressions`) gives counts per unit (practice or provider) and month; this
module fills the months without activity with 0, sums numerators and denominators up to
locality and PCT (additive counts, so a locality's rate is its own events over its own
population, never an average of practice rates), and turns each pair into the statistic:

| statistic    | value                              | interval (`pbc.stats`)                  |
| ------------ | ---------------------------------- | --------------------------------------- |
| `proportion` | x / n × multiplier (100: a %)      | Wilson score, `proportion_ci`           |
| `rate`       | x / n × multiplier                 | exact below 10 events, Byar's, `rate_ci`|
| `ratio`      | observed / expected × 100 (SMR)    | `isr` (exact below 10, Byar's)          |
| `count`      | x                                  | `count_ci` (exact below 10, Byar's)     |
| `percentile` | p-quantile of waits (× scale)      | none                                    |

A value is None when its denominator is 0 (no population, no pathways): "no data", not zero.
Percentiles of waits are exact from the pathway-level distribution (`rtt.percentile_exact`);
the numerator stored with them is the number of pathways, the denominator None. From published
week bands (`banded` expressions: RTT returns) they are interpolated within the band, in weeks
(`aggregates.summarise_returns`).

Expressions over a published aggregate dataset (`ExpressionInfo.dataset`) give values for the
organisations in the data: commissioners (at PCT level) or providers, whether or not the app
knows them, for the months the data covers (no zero-filled months).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis.expr.types as ir
import pandas as pd

from pbc import stats
from pbc.analytics.indicators import aggregates as agg
from pbc.analytics.indicators import expressions as ex
from pbc.analytics.indicators import rtt as rtt_analytics

Statistic = Literal["proportion", "rate", "ratio", "count", "percentile"]
Level = Literal["practice", "locality", "pct", "provider"]
STATISTICS: tuple[str, ...] = ("proportion", "rate", "ratio", "count", "percentile")
LEVELS: tuple[str, ...] = ("practice", "locality", "pct", "provider")


@dataclass(frozen=True)
class ExpressionRef:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComputeSpec:
    """What `compute` needs from an indicator definition."""

    statistic: Statistic
    numerator: ExpressionRef
    denominator: ExpressionRef | None = None
    multiplier: float = 1.0
    percentile: float = 0.95  # percentile statistic: which quantile
    scale: float = 1.0  # percentile statistic: days → reporting unit (1/7 for weeks)
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.statistic not in STATISTICS:
            raise ValueError(f"unknown statistic {self.statistic!r}")
        needs_denominator = self.statistic in ("proportion", "rate", "ratio")
        if needs_denominator and self.denominator is None:
            raise ValueError(f"a {self.statistic} needs a denominator")


@dataclass(frozen=True)
class Value:
    level: str
    org_code: str
    month: dt.date
    numerator: float | None
    denominator: float | None
    value: float | None
    lower: float | None
    upper: float | None


def has_data(v: Value) -> bool:
    """A value backed by data: a denominator above 0, or (counts, percentiles) events."""
    if v.denominator is not None:
        return v.denominator > 0
    return bool(v.numerator)


def with_fallback(
    primary: Sequence[Value], fallback: Sequence[Value]
) -> tuple[list[Value], list[Value]]:
    """An indicator from two routes (patient-level `primary`, published aggregate `fallback`):
    (the primary values kept, the fallback values used). A primary value backed by data
    (`has_data`) wins; elsewhere the fallback's value for the same level, organisation and
    month is used and replaces the primary one (a primary value without data and without a
    fallback value stays). Both lists keep their order."""

    def key(v: Value) -> tuple[str, str, dt.date]:
        return (v.level, v.org_code, v.month)

    backed = {key(v) for v in primary if has_data(v)}
    used = [v for v in fallback if key(v) not in backed]
    replaced = {key(v) for v in used}
    return [v for v in primary if key(v) not in replaced], used


@dataclass(frozen=True)
class Units:
    """The organisations values are computed for: practices with their locality and PCT, and
    providers."""

    practices: tuple[tuple[str, str, str], ...]  # (practice code, locality code, pct code)
    providers: tuple[str, ...] = ()


def units_from(practices: ir.Table, providers: ir.Table | None) -> tuple[ir.Table, ir.Table | None]:
    """The selections `load_units` executes (kept separate so callers choose the backend)."""
    p = practices.select("gp_practice_code", "locality_code", "pct_code")
    v = providers.select("provider_code") if providers is not None else None
    return p, v


def load_units(con: Any, practices: ir.Table, providers: ir.Table | None = None) -> Units:
    p, v = units_from(practices, providers)
    prows = con.execute(p).to_dict("records")
    vrows = con.execute(v).to_dict("records") if v is not None else []
    return Units(
        practices=tuple(
            sorted((r["gp_practice_code"], r["locality_code"], r["pct_code"]) for r in prows)
        ),
        providers=tuple(sorted(r["provider_code"] for r in vrows)),
    )


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _counts(con: Any, expr: ir.Table) -> dict[tuple[str, dt.date], float]:
    out: dict[tuple[str, dt.date], float] = defaultdict(float)
    # Through Arrow: plain values (str, date, float, None) in C, not a data frame's records.
    for row in con.to_pyarrow(expr.select("unit", "month", "count")).to_pylist():
        if row["unit"] is None or row["count"] is None or row["count"] != row["count"]:
            continue
        out[(str(row["unit"]), _as_date(row["month"]))] += float(row["count"])
    return out


def counts(con: Any, ctx: ex.Context, ref: ExpressionRef) -> Mapping[tuple[str, dt.date], float]:
    """The counts by (unit, month) of the expression `ref` names over `ctx`, worked out once per
    context (the same expression and parameters give the same counts). Read-only."""
    key = (ref.name, repr(sorted(ref.params.items())))
    found = ctx.counted.get(key)
    if found is None:
        found = ctx.counted[key] = _counts(con, ex.evaluate(ref.name, ctx, ref.params))
    return found


def _distribution(con: Any, expr: ir.Table) -> dict[tuple[str, dt.date], dict[int, int]]:
    out: dict[tuple[str, dt.date], dict[int, int]] = defaultdict(dict)
    for row in con.to_pyarrow(expr.select("unit", "month", "wait_days", "count")).to_pylist():
        if row["unit"] is None:
            continue
        counts = out[(str(row["unit"]), _as_date(row["month"]))]
        days = int(row["wait_days"])
        counts[days] = counts.get(days, 0) + int(row["count"])
    return out


def _groups(units: Units, unit_level: ex.UnitLevel) -> list[tuple[str, str, str]]:
    """(level, org_code, unit) for every unit and the organisations containing it."""
    if unit_level == "commissioner":
        return []  # aggregate data only: the commissioners in the data (`_data_groups`)
    if unit_level == "provider":
        return [("provider", code, code) for code in units.providers]
    rows: list[tuple[str, str, str]] = []
    for practice, locality, pct in units.practices:
        rows += [("practice", practice, practice), ("locality", locality, practice)]
        rows.append(("pct", pct, practice))
    return rows


def statistic_value(
    spec: ComputeSpec, numerator: float, denominator: float | None
) -> tuple[float | None, float | None, float | None]:
    """(value, lower, upper) of one organisation-month."""
    c = spec.confidence
    if spec.statistic == "count":
        i = stats.count_ci(numerator, confidence=c, method="exact" if numerator < 10 else "byars")
        return i.value, i.lower, i.upper
    if denominator is None or denominator <= 0:
        return None, None, None
    if spec.statistic == "proportion":
        i = stats.proportion_ci(numerator, denominator, confidence=c)
        s = i.scaled(spec.multiplier)
        return s.value, s.lower, s.upper
    if spec.statistic == "rate":
        r = stats.rate_ci(numerator, denominator, multiplier=spec.multiplier, confidence=c)
        return r.value, r.lower, r.upper
    # ratio: observed / expected, the expected count given as the denominator
    result = stats.isr([numerator], [denominator], [1.0], [1.0], confidence=c)
    return result.interval.value, result.interval.lower, result.interval.upper


def _data_groups(
    unit_level: ex.UnitLevel, *keyed: Mapping[tuple[str, dt.date], Any]
) -> tuple[list[tuple[str, str, str]], tuple[dt.date, ...]]:
    """Groups and months of an aggregate expression: the organisations and months in its data."""
    level = "pct" if unit_level == "commissioner" else unit_level
    units = sorted({u for k in keyed for u, _m in k})
    months = tuple(sorted({m for k in keyed for _u, m in k}))
    return [(level, u, u) for u in units], months


def compute(spec: ComputeSpec, ctx: ex.Context, con: Any, units: Units) -> list[Value]:
    """Every organisation × month of `ctx.months`: practice, locality and PCT for practice-level
    expressions, provider for provider-level ones; for an aggregate expression, every
    organisation and month in its data."""
    info = ex.EXPRESSIONS[spec.numerator.name]
    groups = _groups(units, info.unit)
    months = tuple(ctx.months)
    if spec.statistic == "percentile":
        return _compute_percentile(spec, ctx, con, groups, months)
    num = counts(con, ctx, spec.numerator)
    den: Mapping[tuple[str, dt.date], float] | None = None
    if spec.denominator is not None:
        den = counts(con, ctx, spec.denominator)
    if info.aggregate:
        groups, months = _data_groups(info.unit, num, den or {})
    sums: dict[tuple[str, str, dt.date], list[float]] = {}
    for level, org, unit in groups:
        for month in months:
            acc = sums.setdefault((level, org, month), [0.0, 0.0])
            acc[0] += num.get((unit, month), 0.0)
            if den is not None:
                acc[1] += den.get((unit, month), 0.0)
    values = []
    for (level, org, month), (x, n) in sorted(sums.items()):
        denominator = n if den is not None else None
        value, lower, upper = statistic_value(spec, x, denominator)
        values.append(Value(level, org, month, x, denominator, value, lower, upper))
    return values


def _compute_percentile(
    spec: ComputeSpec,
    ctx: ex.Context,
    con: Any,
    groups: Sequence[tuple[str, str, str]],
    months: Sequence[dt.date],
) -> list[Value]:
    info = ex.EXPRESSIONS[spec.numerator.name]
    if info.banded:
        return _compute_banded_percentile(spec, ctx, con, info.unit)
    dist = _distribution(con, ex.evaluate(spec.numerator.name, ctx, spec.numerator.params))
    merged: dict[tuple[str, str, dt.date], dict[int, int]] = {}
    for level, org, unit in groups:
        for month in months:
            acc = merged.setdefault((level, org, month), {})
            for days, n in dist.get((unit, month), {}).items():
                acc[days] = acc.get(days, 0) + n
    values = []
    for (level, org, month), counts in sorted(merged.items()):
        q = rtt_analytics.percentile_exact(counts, spec.percentile)
        value = None if q is None else q * spec.scale
        total = float(sum(counts.values()))
        values.append(Value(level, org, month, total, None, value, None, None))
    return values


def _compute_banded_percentile(
    spec: ComputeSpec, ctx: ex.Context, con: Any, unit_level: ex.UnitLevel
) -> list[Value]:
    """Percentiles interpolated within published week bands (in weeks, times `spec.scale`)."""
    bands: dict[tuple[str, dt.date], list[agg.Band]] = defaultdict(list)
    frame = con.execute(ex.evaluate(spec.numerator.name, ctx, spec.numerator.params))
    for row in frame.to_dict("records"):
        if row["unit"] is None:
            continue
        to = row["weeks_to"]
        weeks_to = None if to is None or pd.isna(to) else int(to)
        key = (str(row["unit"]), _as_date(row["month"]))
        bands[key].append(agg.Band(int(row["weeks_from"]), weeks_to, int(row["count"])))
    groups, months = _data_groups(unit_level, bands)
    values = []
    for level, org, unit in groups:
        for month in months:
            found = bands.get((unit, month))
            if found is None:
                continue
            counts = agg.band_counts(found)
            total = float(sum(counts))
            if not total:
                q = None
            elif spec.percentile == 0.5:  # the median as published: rank (N + 1) / 2
                q = rtt_analytics.median_interpolated(counts)
            else:
                q = rtt_analytics.percentile_interpolated(counts, spec.percentile)
            value = None if q is None else q * spec.scale
            values.append(Value(level, org, month, total, None, value, None, None))
    return values
