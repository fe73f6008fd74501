"""What the pages show, from stored values: series, SPC, funnel, icons, suppression.

Choices:

- **SPC**: an XmR chart (`pbc.stats.xmr`, Making Data Count) of the organisation's monthly
  values, months without a value left out; the improvement direction is the indicator's
  polarity; the target the one in force at the last month. Fewer than 12 points: the chart is
  drawn but flagged as short (limits unreliable), as NHSRplotthedots warns.
- **Targets** (`resolve_target`): an analyst's target for the financial year wins; else a
  target derived from a baseline (`definitions.DerivedTarget`: the baseline year's average
  month plus the change spread over the months, trajectory steps carrying their own share);
  else the definition's trajectory or fixed target. A derived target is None, with the reason
  in its note, outside the plan's scope, without a full baseline year or when negative.
- **Funnel**: practices (or providers) compared over the latest 12 months with values, summing
  numerators and denominators (one month at practice level is too few events to say anything).
  A point outside the 95% limits is an improvement or a concern by the indicator's polarity
  (`funnel_point_type`), coloured as the SPC chart colours its points.
  Percentile indicators have no funnel (no denominator to plot against).
- **Public suppression**: the HES rule in force (`pbc.stats.HES_2018`: 1-7 hidden, other counts
  rounded to 5). A value is hidden when its numerator, or a count denominator (proportions,
  counts of pathways), is hidden; its interval and SPC point go with it, and the SPC limits are
  computed from the published points only, so nothing shown derives from a hidden count.
  Published counts are rounded; rates and percentages come from the unrounded counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pbc import stats
from pbc.indicators import definitions as defs
from pbc.indicators.definitions import Definition
from pbc.indicators.models import Baseline, IndicatorValue, Target
from pbc.periods import FinancialYear, add_months, year_start
from pbc.stats import DisclosureRule

FUNNEL_MONTHS = 12
VARIATION_TEXT = {
    "common cause": "Common cause variation",
    "improvement high": "Special cause variation: improvement (higher)",
    "improvement low": "Special cause variation: improvement (lower)",
    "concern high": "Special cause variation: concern (higher)",
    "concern low": "Special cause variation: concern (lower)",
    "neutral high": "Special cause variation: neither (higher)",
    "neutral low": "Special cause variation: neither (lower)",
}
ASSURANCE_TEXT = {
    "pass": "Will consistently meet the target",
    "fail": "Will consistently fail the target",
    "inconsistent": "May hit or miss the target",
}


@dataclass
class Row:
    month: dt.date
    numerator: float | None
    denominator: float | None
    value: float | None
    lower: float | None
    upper: float | None
    suppressed: bool = False
    point_type: str = ""
    special_cause: str = ""
    extra: dict[str, object] | None = None
    source: str = ""

    # Prescribing measures (OpenPrescribing style, stored by the refresh in `extra`).
    @property
    def decile(self) -> int | None:
        """The practice's decile among its PCT's practices (1 = lowest tenth)."""
        value = (self.extra or {}).get("decile")
        return int(value) if isinstance(value, int | float) else None

    @property
    def centile_10(self) -> float | None:
        """The PCT's 10th-centile value that month, in the indicator's unit."""
        value = (self.extra or {}).get("ratio_at_10th")
        return float(value) if isinstance(value, int | float) else None

    @property
    def saving_at_10th(self) -> Decimal | None:
        """Potential saving (£) had it prescribed at the PCT's 10th centile: a practice's own,
        0 when already at or below it; a locality's or PCT's the sum of its practices'."""
        pence = (self.extra or {}).get("saving_at_10th_pence")
        if not isinstance(pence, int | float):
            return None
        return (Decimal(int(pence)) / 100).quantize(Decimal("0.01"))


@dataclass
class Spc:
    months: list[dt.date]
    values: list[float]
    mean: float
    lower_limit: float
    upper_limit: float
    point_types: list[str]
    variation_icon: str
    assurance: str | None
    short: bool
    target: float | None

    @property
    def variation_text(self) -> str:
        return VARIATION_TEXT.get(self.variation_icon, self.variation_icon)

    @property
    def assurance_text(self) -> str:
        return ASSURANCE_TEXT.get(self.assurance or "", "No target")


@dataclass(frozen=True)
class ResolvedTarget:
    """The target in force for one organisation and month, where it came from ("local": an
    analyst's target for the year; "derived": the definition's change or factor on the
    baseline; "definition": its fixed target or trajectory; "" none) and a note: how a
    derived target was worked out, or why there is none."""

    value: float | None
    source: str
    note: str = ""


def target_for(
    definition: Definition,
    level: str,
    org_code: str,
    month: dt.date,
    local_targets: Sequence[Target] | None = None,
) -> float | None:
    """The target value in force (`resolve_target`)."""
    return resolve_target(definition, level, org_code, month, local_targets).value


def local_targets_by_indicator(level: str, org_code: str) -> dict[str, list[Target]]:
    """Every local target that may apply to the organisation (its own and its level's), by
    indicator, in one query: for `resolve_target` on pages that show many indicators."""
    found: dict[str, list[Target]] = {}
    for target in Target.objects.filter(level=level, org_code__in=[org_code, ""]):
        found.setdefault(target.indicator_id, []).append(target)
    return found


def resolve_target(
    definition: Definition,
    level: str,
    org_code: str,
    month: dt.date,
    local_targets: Sequence[Target] | None = None,
) -> ResolvedTarget:
    """A local target set for the month's financial year (this organisation, then every
    organisation at the level), the latest point in force at the month; else the target
    derived from the baseline (`derived_target`); else the definition's trajectory or target.
    A local target never carries over into the next financial year. `local_targets`: the
    indicator's local targets at the level for this organisation and for all, when the caller
    read them already (`local_targets_by_indicator`)."""
    if local_targets is None:
        local_targets = list(
            Target.objects.filter(
                indicator_id=definition.id, level=level, org_code__in=[org_code, ""]
            )
        )
    # This organisation's before the level's, then the latest in force in the month's year.
    first_day = FinancialYear.of(month).start
    in_force = [t for t in local_targets if first_day <= t.valid_from <= month]
    local = max(in_force, key=lambda t: (t.org_code, t.valid_from), default=None)
    if local is not None:
        return ResolvedTarget(local.value, "local", local.note)
    if definition.derived is not None:
        return derived_target(definition, level, org_code, month)
    value = definition.target_for(month)
    return ResolvedTarget(value, "definition" if value is not None else "")


def baseline_for(definition: Definition, level: str, org_code: str) -> tuple[float | None, str]:
    """The baseline of a derived target: the definition's value, the organisation's baseline
    an analyst entered (`Baseline`), or the sum of the organisation's own values over the
    baseline financial year (every period of it needed). Returns (value, note); the value is
    None with the reason in the note."""
    period = definition.baseline_period
    if definition.baseline_entered:
        entered = Baseline.objects.filter(
            indicator_id=definition.id, level=level, org_code=org_code, period=period
        ).first()
        if entered is None:
            return None, f"no target: no {period} baseline has been entered for {org_code}"
        return entered.value, f"{period} baseline {fmt(entered.value, 0)} (entered)"
    if not definition.baseline_from_values:
        assert definition.baseline is not None
        return definition.baseline, f"{period} baseline {fmt(definition.baseline, 0)} (entered)"
    first = year_start(period)
    values = IndicatorValue.objects.filter(
        indicator_id=definition.id,
        level=level,
        org_code=org_code,
        month__gte=first,
        month__lt=first.replace(year=first.year + 1),
        value__isnull=False,
    ).values_list("value", flat=True)
    needed = defs.PERIODS_PER_YEAR[definition.frequency]
    found = list(values)
    if len(found) < needed:
        return None, (
            f"no target: the {period} baseline needs values for all {needed} periods of the "
            f"year, {len(found)} found"
        )
    total = float(sum(found))
    return total, f"{period} baseline {fmt(total, 0)} (sum of the year's values)"


def derived_target(
    definition: Definition, level: str, org_code: str, month: dt.date
) -> ResolvedTarget:
    """The definition's change or factor on the baseline, as the target for the month
    (`definitions.DerivedTarget.in_period`). None, with the reason, for an organisation
    outside the plan's scope, a missing baseline, a month before the target is monitored,
    or a target that works out negative."""
    derived = definition.derived
    assert derived is not None
    if derived.scope is not None and derived.scope != (level, org_code):
        return ResolvedTarget(
            None, "", f"no target: the plan's target is for {':'.join(derived.scope)} only"
        )
    baseline, note = baseline_for(definition, level, org_code)
    if baseline is None:
        return ResolvedTarget(None, "", note)
    periods = defs.PERIODS_PER_YEAR[definition.frequency]
    value = derived.in_period(baseline, month, periods)
    if value is None:
        return ResolvedTarget(None, "", f"no target: monitored from {derived.start:%B %Y}")
    yearly = derived.yearly(baseline)
    how = (
        f"change {fmt(derived.change, 0)}"
        if derived.change is not None
        else f"factor {derived.factor:g}"
    )
    note = f"{note}, {how}: {fmt(yearly, 1)} for {derived.year}"
    if value < 0 or yearly < 0:
        return ResolvedTarget(None, "", f"no target: the derived target is negative ({note})")
    return ResolvedTarget(value, "derived", f"{note}, {fmt(value, 1)} for {month:%B %Y}")


_ROW_FIELDS = ("month", "numerator", "denominator", "value", "lower", "upper", "extra", "source")


def _row(values: tuple[Any, ...]) -> Row:
    month, numerator, denominator, value, lower, upper, extra, source = values
    return Row(month, numerator, denominator, value, lower, upper, extra=extra, source=source)


def series(definition: Definition, level: str, org_code: str) -> list[Row]:
    return [
        _row(v)
        for v in IndicatorValue.objects.filter(
            indicator_id=definition.id, level=level, org_code=org_code
        )
        .order_by("month")
        .values_list(*_ROW_FIELDS)
    ]


def series_by_indicator(level: str, org_code: str) -> dict[str, list[Row]]:
    """`series` of every indicator at the organisation, in one query (pages that show many
    indicators of one organisation: a home page's flags, the board pack)."""
    found: dict[str, list[Row]] = {}
    for indicator_id, *values in (
        IndicatorValue.objects.filter(level=level, org_code=org_code)
        .order_by("indicator_id", "month")
        .values_list("indicator_id", *_ROW_FIELDS)
    ):
        found.setdefault(indicator_id, []).append(_row(tuple(values)))
    return found


def _count_denominator(definition: Definition) -> bool:
    return definition.statistic == "proportion"


def suppress_rows(
    definition: Definition,
    rows: Sequence[Row],
    rule: DisclosureRule = stats.HES_2018,
    also_hidden: frozenset[dt.date] = frozenset(),
) -> list[Row]:
    """Public copies of the rows: small counts hidden with everything derived from them.

    Months are separate tables (no total over months is published), so primary suppression
    applies month by month; `also_hidden` adds the months secondary suppression across the
    organisations of a PCT hides (`hidden_across_pct`)."""
    if not rows:
        return []
    nums = stats.suppress([[round(r.numerator or 0)] for r in rows], rule, secondary=False)
    dens = (
        stats.suppress([[round(r.denominator or 0)] for r in rows], rule, secondary=False)
        if _count_denominator(definition)
        else None
    )
    out = []
    for i, r in enumerate(rows):
        hidden = nums.cells[i][0] is None or (dens is not None and dens.cells[i][0] is None)
        hidden = hidden or r.month in also_hidden
        if hidden:
            out.append(Row(r.month, None, None, None, None, None, suppressed=True))
            continue
        numerator = float(nums.cells[i][0]) if r.numerator is not None else None
        denominator = r.denominator
        if dens is not None and r.denominator is not None:
            denominator = float(dens.cells[i][0])  # type: ignore[arg-type]
        out.append(Row(r.month, numerator, denominator, r.value, r.lower, r.upper))
    return out


def hidden_across_pct(
    definition: Definition,
    pct_code: str,
    locality_codes: Sequence[str],
    org_code: str,
    rule: DisclosureRule = stats.HES_2018,
) -> frozenset[dt.date]:
    """Months in which `org_code` (a locality, or the PCT itself) must be hidden so that no
    suppressed locality can be worked out from the PCT's published total (secondary
    suppression over the one-row table "localities → PCT total", numerators and count
    denominators alike)."""
    values = IndicatorValue.objects.filter(
        indicator_id=definition.id, level="locality", org_code__in=list(locality_codes)
    )
    by_month: dict[dt.date, dict[str, IndicatorValue]] = {}
    for v in values:
        by_month.setdefault(v.month, {})[v.org_code] = v
    codes = sorted(locality_codes)
    hidden = set()
    for month, found in by_month.items():
        parts = [("numerator", True), ("denominator", _count_denominator(definition))]
        for attr, applies in parts:
            if not applies:
                continue
            cells = [[round(getattr(found[c], attr) or 0) if c in found else 0 for c in codes]]
            table = stats.suppress(cells, rule)
            if org_code == pct_code and table.row_totals[0] is None:
                hidden.add(month)
            if org_code in codes and table.cells[0][codes.index(org_code)] is None:
                hidden.add(month)
    return frozenset(hidden)


def spc(definition: Definition, rows: Sequence[Row], target: float | None) -> Spc | None:
    """The XmR chart of the rows with values (None with fewer than 2 points)."""
    points = [r for r in rows if r.value is not None and not r.suppressed]
    if len(points) < 2:
        return None
    chart = stats.xmr(
        [float(r.value) for r in points],  # type: ignore[arg-type]
        improvement=definition.polarity,  # type: ignore[arg-type]
        target=None if definition.polarity == "neutral" else target,
    )
    types = []
    for row, point in zip(points, chart.points, strict=True):
        row.point_type = point.point_type
        row.special_cause = point.special_cause or ""
        types.append(point.point_type)
    return Spc(
        months=[r.month for r in points],
        values=[float(r.value) for r in points],  # type: ignore[arg-type]
        mean=chart.mean[-1],
        lower_limit=chart.lower_limit[-1],
        upper_limit=chart.upper_limit[-1],
        point_types=types,
        variation_icon=chart.variation_icon,
        assurance=chart.assurance,
        short=chart.short_segments[-1],
        target=target,
    )


@dataclass
class FunnelPoint:
    org_code: str
    name: str
    numerator: float
    denominator: float
    value: float | None
    lower: float | None
    upper: float | None
    significance_95: str
    significance_998: str
    point_type: str = "common cause"  # `funnel_point_type` of the 95% significance


def funnel_point_type(significance: str, polarity: str) -> str:
    """A funnel point read as Making Data Count reads an SPC point: outside the limits on
    the better side of the average (the indicator's polarity) "improvement", on the worse
    side "concern", either side for a neutral indicator "neutral"; within them "common
    cause"."""
    if significance not in ("high", "low"):
        return "common cause"
    if polarity == "neutral":
        return "neutral"
    better = "high" if polarity == "increase" else "low"
    return "improvement" if significance == better else "concern"


@dataclass
class Funnel:
    first: dt.date
    last: dt.date
    average: float
    points: list[FunnelPoint]
    limits: list[stats.FunnelLimits]
    statistic: str
    multiplier: float


def funnel(
    definition: Definition,
    level: str,
    orgs: Iterable[tuple[str, str]],
) -> Funnel | None:
    """Organisations at `level` (code, name) compared over the latest 12 months with data."""
    if definition.statistic not in ("proportion", "rate", "ratio"):
        return None
    names = dict(orgs)
    values = list(
        IndicatorValue.objects.filter(
            indicator_id=definition.id, level=level, org_code__in=list(names)
        ).exclude(value__isnull=True)
    )
    if not values:
        return None
    last = max(v.month for v in values)
    first = add_months(last, -(FUNNEL_MONTHS - 1))
    sums: dict[str, list[float]] = {}
    for v in values:
        if first <= v.month <= last:
            acc = sums.setdefault(v.org_code, [0.0, 0.0])
            acc[0] += v.numerator or 0.0
            acc[1] += v.denominator or 0.0
    codes = sorted(c for c, (_x, n) in sums.items() if n > 0)
    if not codes:
        return None
    xs = [sums[c][0] for c in codes]
    ns = [sums[c][1] for c in codes]
    stat = definition.statistic
    m = definition.multiplier
    if stat == "ratio":
        average = 1.0
        denominators = ns  # expected counts
    else:
        average = sum(xs) / sum(ns)
        denominators = ns
        if average <= 0 and stat == "rate":
            return None
    sig = stats.funnel_significance(stat, xs, ns)  # type: ignore[arg-type]
    from pbc.analytics.indicators.compute import ComputeSpec, ExpressionRef, statistic_value

    spec = ComputeSpec(stat, ExpressionRef("x"), ExpressionRef("n"), multiplier=m)  # type: ignore[arg-type]
    points = []
    for code, x, n, s in zip(codes, xs, ns, sig, strict=True):
        value, lower, upper = statistic_value(spec, x, n)
        points.append(
            FunnelPoint(
                code,
                names[code],
                x,
                n,
                value,
                lower,
                upper,
                s.significance_95,
                s.significance_998,
                funnel_point_type(s.significance_95, definition.polarity),
            )
        )
    top = max(denominators) * 1.1
    grid = [top * k / 60 for k in range(1, 61)]
    limits = stats.funnel_limits(stat, average, grid, multiplier=m)  # type: ignore[arg-type]
    return Funnel(first, last, average * m, points, limits, stat, m)


def fmt(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    return f"{value:,.{decimals}f}"
