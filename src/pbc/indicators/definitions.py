"""The indicator catalogue: one YAML file per indicator in `definitions/`, loaded and checked.

Each file declares (see any file for an example):

- `id` (the file name without `.yaml`), `title`, `group`, `why_it_matters`;
- `statistic`: proportion, rate, ratio, count or percentile; `multiplier` (100 for a
  percentage, 12000 for "per 1,000 per year" from monthly counts), `unit` (display), `decimals`;
- `numerator` and `denominator`: `{description, expression, params}` naming an analytics
  expression (`pbc.analytics.indicators.expressions`), `{description, services: FEED}` naming
  a services feed (registered in `pbc.indicators.feed_registry` by the app owning the data:
  computed by the refresh from the services app, with manual
  entry kept for periods and organisations the services data does not cover), or
  `{description, manual: true}` for a value entered by hand each period; `denominator: null`
  for counts and percentiles;
- optional `numerator_cost` / `denominator_cost` (prescribing measures: potential savings);
- `polarity`: increase (higher is better), decrease or neutral;
- `target: {value, description}`, `baseline: {value, period, description}`,
  `trajectory: [{period: YYYY-MM, value, description}]` (any may be null/empty);
- or a target stated relative to a baseline (count indicators only; see `DerivedTarget`):
  `baseline: {period: YYYY/YY, from_values: sum | entered: true | value: N, description}`
  (`entered`: each organisation's baseline is a dated record an analyst enters,
  `models.Baseline`, for a year before the data) and
  `target: {change: -1460 | factor: 0.5, year: YYYY/YY, from: YYYY-MM, scope: LEVEL:CODE,
  trajectory: [{by: YYYY-MM, change | factor}], description}` (`value` null, no top-level
  trajectory);
- `frequency` (monthly, quarterly), `levels` (practice, locality, pct, provider), `source`;
- `plans`: the plan objectives it monitors (free text);
- `review: {author, checked_by, date_reviewed}` (null until a second person has checked it);
- optional `aggregate`: the same indicator from published aggregate data, used where the
  patient-level route has no data (`{description, numerator, denominator, scale}`, the parts
  naming expressions over an aggregate dataset: `rtt_returns.*`, `ae_attendances.*`). The
  patient-level route wins wherever it has data; each value records which source it used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pbc.analytics.indicators import expressions as ex
from pbc.analytics.indicators.compute import LEVELS, STATISTICS, ComputeSpec, ExpressionRef
from pbc.indicators import feed_registry
from pbc.periods import FinancialYear, add_months, months_between, parse_month, year_start

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
POLARITIES = ("increase", "decrease", "neutral")
FREQUENCIES = ("monthly", "quarterly", "annual")
KEYS = {
    "id", "title", "group", "why_it_matters", "statistic", "multiplier", "unit", "decimals",
    "numerator", "denominator", "numerator_cost", "denominator_cost", "percentile", "scale",
    "polarity", "target", "baseline", "trajectory", "frequency", "levels", "source", "plans",
    "review", "aggregate",
}  # fmt: skip
REQUIRED = {
    "id", "title", "group", "why_it_matters", "statistic", "numerator", "denominator",
    "polarity", "target", "baseline", "trajectory", "frequency", "levels", "source", "review",
}  # fmt: skip


class DefinitionError(ValueError):
    pass


@dataclass(frozen=True)
class Part:
    """A numerator or denominator: an expression over the warehouse, a services feed, or
    manual entry."""

    description: str
    expression: ExpressionRef | None  # None = services feed or manual entry
    services: str | None = None  # a feed registered in `pbc.indicators.feed_registry`

    @property
    def manual(self) -> bool:
        return self.expression is None and self.services is None


@dataclass(frozen=True)
class AggregateRoute:
    """The indicator from published aggregate data (QOF, RTT returns, A&E statistics)."""

    description: str
    numerator: ExpressionRef
    denominator: ExpressionRef | None
    scale: float = 1.0

    @property
    def dataset(self) -> str:
        return str(ex.EXPRESSIONS[self.numerator.name].dataset)


@dataclass(frozen=True)
class TrajectoryPoint:
    period: dt.date
    value: float
    description: str = ""


@dataclass(frozen=True)
class Definition:
    id: str
    title: str
    group: str
    why_it_matters: str
    statistic: str
    multiplier: float
    unit: str
    decimals: int
    numerator: Part
    denominator: Part | None
    polarity: str
    target: float | None
    target_description: str
    baseline: float | None
    baseline_period: str
    baseline_description: str
    trajectory: tuple[TrajectoryPoint, ...]
    frequency: str
    levels: tuple[str, ...]
    source: str
    review_author: str
    review_checked_by: str | None
    review_date: dt.date | None
    plans: tuple[str, ...] = ()
    numerator_cost: ExpressionRef | None = None
    denominator_cost: ExpressionRef | None = None
    percentile: float = 0.95
    scale: float = 1.0
    baseline_from_values: bool = False  # the organisation's own values summed over the period
    baseline_entered: bool = False  # each organisation's baseline entered by an analyst
    derived: DerivedTarget | None = None  # a target stated relative to the baseline
    aggregate: AggregateRoute | None = None  # the route from published aggregate data
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def manual(self) -> bool:
        return self.numerator.manual

    @property
    def services_feed(self) -> str | None:
        """The services feed the refresh computes this indicator from, if any."""
        return self.numerator.services

    @property
    def accepts_manual_entry(self) -> bool:
        """Entered by hand: manual indicators, and services-fed ones where services data is
        missing (the refresh keeps a hand-entered value only there)."""
        return self.manual or self.services_feed is not None

    @property
    def computed(self) -> bool:
        """Computed from the warehouse by an analytics expression."""
        return self.numerator.expression is not None

    @property
    def prescribing_measure(self) -> bool:
        """An OpenPrescribing-style measure (numerator from the prescribing data): practices
        get deciles across their PCT and the PCT's 10th centile."""
        return self.numerator.expression is not None and (
            self.numerator.expression.name == "prescribing.items"
        )

    @property
    def cost_measure(self) -> bool:
        """A prescribing measure with cost filters: it has a potential saving at the 10th
        centile. The others are about safe or effective prescribing, not cost."""
        return self.prescribing_measure and self.numerator_cost is not None

    @property
    def unit_level(self) -> str:
        if self.numerator.expression is None:
            return "services" if self.services_feed else "manual"
        return ex.EXPRESSIONS[self.numerator.expression.name].unit

    def compute_spec(self) -> ComputeSpec:
        if self.numerator.expression is None:
            raise DefinitionError(f"{self.id} is entered by hand, not computed")
        den = self.denominator.expression if self.denominator else None
        return ComputeSpec(
            statistic=self.statistic,  # type: ignore[arg-type]
            numerator=self.numerator.expression,
            denominator=den,
            multiplier=self.multiplier,
            percentile=self.percentile,
            scale=self.scale,
        )

    def aggregate_spec(self) -> ComputeSpec | None:
        """The compute specification of the aggregate route, if the indicator has one."""
        route = self.aggregate
        if route is None:
            return None
        return ComputeSpec(
            statistic=self.statistic,  # type: ignore[arg-type]
            numerator=route.numerator,
            denominator=route.denominator,
            multiplier=self.multiplier,
            percentile=self.percentile,
            scale=route.scale,
        )

    def target_for(self, month: dt.date) -> float | None:
        """The trajectory value for the month (the latest point on or before it), else the
        target."""
        points = [p for p in self.trajectory if p.period <= month]
        return points[-1].value if points else self.target


def _period(value: Any, where: str) -> dt.date:
    try:
        return parse_month(value if isinstance(value, dt.date) else str(value))
    except ValueError:
        raise DefinitionError(f"{where}: period must be YYYY-MM, got {value!r}") from None


def _financial_year(value: Any, where: str) -> str:
    try:
        return str(FinancialYear.parse(str(value)))
    except ValueError:
        raise DefinitionError(
            f"{where}: a financial year is written like 2008/09, got {value!r}"
        ) from None


def _months(first: dt.date, last: dt.date) -> int:
    """Months from `first` to `last`, both included."""
    return months_between(first, last) + 1


PERIODS_PER_YEAR = {"monthly": 12, "quarterly": 4, "annual": 1}


@dataclass(frozen=True)
class DerivedPoint:
    """A trajectory step of a derived target: the cumulative change (or the factor) on the
    baseline reached by the end of month `by`."""

    by: dt.date
    change: float | None = None
    factor: float | None = None

    def change_on(self, baseline: float) -> float:
        return self.change if self.change is not None else baseline * (self.factor - 1)  # type: ignore[operator]


@dataclass(frozen=True)
class DerivedTarget:
    """A target stated relative to the baseline: the baseline year's count changed by
    `change` (absolute, e.g. -1460) or multiplied by `factor` (e.g. 0.5, 0.7), for the
    count of the financial year `year`; monitored from month `start` on (April of `year`
    unless the plan watches a later deadline earlier); `scope` (level, code) when the plan
    is one organisation's.

    **Yearly to monthly.** The SPC and assurance compare monthly values with the target in
    force that month, so the yearly target becomes a monthly one: the baseline year's
    average month (baseline / 12; quarterly / 4) plus the change spread evenly over the
    months. With trajectory steps (cumulative change by the end of month `by`, inside
    `year`), each stretch of `year` carries its own share: the month's target is
    baseline / 12 + (change due by the end of its stretch - change due by the end of the
    previous one) / months in the stretch, so the months add up to each step and to the
    year's target. Outside `year` (from `start` up to it, and after it) the month's target
    is the year's target / 12. A seasonal profile (the baseline year's own month) is not
    used: it would move the target line every month and the SPC takes one target."""

    year: str
    start: dt.date
    change: float | None = None
    factor: float | None = None
    scope: tuple[str, str] | None = None
    trajectory: tuple[DerivedPoint, ...] = ()

    def yearly(self, baseline: float) -> float:
        return DerivedPoint(dt.date.min, self.change, self.factor).change_on(baseline) + baseline

    def in_period(self, baseline: float, month: dt.date, periods: int = 12) -> float | None:
        """The target for one period (month or quarter) starting at `month`; None before
        `start`."""
        if month < self.start:
            return None
        first = year_start(self.year)
        last = dt.date(first.year + 1, 3, 1)
        yearly_change = self.yearly(baseline) - baseline
        if not self.trajectory or not first <= month <= last:
            return self.yearly(baseline) / periods
        steps = [(p.by, p.change_on(baseline)) for p in self.trajectory]
        if steps[-1][0] < last:
            steps.append((last, yearly_change))
        begin, done = first, 0.0
        for by, change in steps:
            if month <= by:
                return baseline / periods + (change - done) / _months(begin, by)
            begin, done = add_months(by, 1), change
        raise AssertionError("unreachable: the last step ends the year")


def _part(raw: Any, where: str) -> Part:
    if not isinstance(raw, dict) or "description" not in raw:
        raise DefinitionError(f"{where} needs a description")
    if raw.get("manual"):
        return Part(str(raw["description"]), None)
    if raw.get("services"):
        feed = str(raw["services"])
        try:
            feed_registry.get(feed)
        except feed_registry.UnknownFeed as err:
            raise DefinitionError(f"{where}: {err}") from None
        return Part(str(raw["description"]), None, services=feed)
    return Part(str(raw["description"]), _expression(raw, where))


def _expression(raw: Any, where: str) -> ExpressionRef:
    if not isinstance(raw, dict) or "expression" not in raw:
        raise DefinitionError(f"{where} needs an expression (or manual: true)")
    name = str(raw["expression"])
    if name not in ex.EXPRESSIONS:
        raise DefinitionError(f"{where}: unknown expression {name!r}")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise DefinitionError(f"{where}: params must be a mapping")
    return ExpressionRef(name, params)


def _aggregate(raw: Any, where: str) -> AggregateRoute | None:
    if raw is None:
        return None
    w = f"{where} aggregate"
    if not isinstance(raw, dict) or not {"description", "numerator"} <= set(raw):
        raise DefinitionError(f"{w}: needs a description and a numerator")
    unknown = set(raw) - {"description", "numerator", "denominator", "scale"}
    if unknown:
        raise DefinitionError(f"{w}: unknown keys {sorted(unknown)}")
    numerator = _expression(raw["numerator"], f"{w} numerator")
    denominator = (
        _expression(raw["denominator"], f"{w} denominator") if raw.get("denominator") else None
    )
    for ref in (numerator, denominator):
        if ref is not None and not ex.EXPRESSIONS[ref.name].aggregate:
            raise DefinitionError(f"{w}: {ref.name} is not an expression over aggregate data")
    return AggregateRoute(
        str(raw["description"]), numerator, denominator, float(raw.get("scale", 1))
    )


def parse(raw: dict[str, Any], source: str = "") -> Definition:
    where = source or str(raw.get("id", "?"))
    unknown = set(raw) - KEYS
    missing = REQUIRED - set(raw)
    if unknown or missing:
        raise DefinitionError(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    if raw["statistic"] not in STATISTICS:
        raise DefinitionError(f"{where}: statistic must be one of {STATISTICS}")
    if raw["polarity"] not in POLARITIES:
        raise DefinitionError(f"{where}: polarity must be one of {POLARITIES}")
    if raw["frequency"] not in FREQUENCIES:
        raise DefinitionError(f"{where}: frequency must be one of {FREQUENCIES}")
    levels = tuple(raw["levels"])
    if not levels or set(levels) - set(LEVELS):
        raise DefinitionError(f"{where}: levels must come from {LEVELS}")
    numerator = _part(raw["numerator"], f"{where} numerator")
    denominator = _part(raw["denominator"], f"{where} denominator") if raw["denominator"] else None
    if raw["statistic"] in ("proportion", "rate", "ratio") and denominator is None:
        raise DefinitionError(f"{where}: a {raw['statistic']} needs a denominator")
    if denominator is not None and numerator.manual != denominator.manual:
        raise DefinitionError(f"{where}: numerator and denominator must both be manual or not")
    if denominator is not None and numerator.services != denominator.services:
        raise DefinitionError(f"{where}: numerator and denominator must come from one feed")
    target = raw["target"] or {}
    baseline = raw["baseline"] or {}
    review = raw["review"] or {}
    if not review.get("author"):
        raise DefinitionError(f"{where}: review needs an author")
    reviewed = review.get("date_reviewed")
    definition = Definition(
        id=str(raw["id"]),
        title=str(raw["title"]),
        group=str(raw["group"]),
        why_it_matters=str(raw["why_it_matters"]).strip(),
        statistic=str(raw["statistic"]),
        multiplier=float(raw.get("multiplier", 100 if raw["statistic"] == "proportion" else 1)),
        unit=str(raw.get("unit", "")),
        decimals=int(raw.get("decimals", 1)),
        numerator=numerator,
        denominator=denominator,
        polarity=str(raw["polarity"]),
        target=None if target.get("value") is None else float(target["value"]),
        target_description=str(target.get("description") or ""),
        baseline=None if baseline.get("value") is None else float(baseline["value"]),
        baseline_period=str(baseline.get("period") or ""),
        baseline_description=str(baseline.get("description") or ""),
        trajectory=tuple(
            TrajectoryPoint(
                _period(p["period"], f"{where} trajectory"),
                float(p["value"]),
                str(p.get("description", "")),
            )
            for p in raw["trajectory"] or ()
        ),
        frequency=str(raw["frequency"]),
        levels=levels,
        source=str(raw["source"]),
        review_author=str(review["author"]),
        review_checked_by=review.get("checked_by"),
        review_date=reviewed if isinstance(reviewed, dt.date) else None,
        plans=tuple(raw.get("plans") or ()),
        numerator_cost=(
            _expression(raw["numerator_cost"], f"{where} numerator_cost")
            if raw.get("numerator_cost")
            else None
        ),
        denominator_cost=(
            _expression(raw["denominator_cost"], f"{where} denominator_cost")
            if raw.get("denominator_cost")
            else None
        ),
        percentile=float(raw.get("percentile", 0.95)),
        scale=float(raw.get("scale", 1.0)),
        aggregate=_aggregate(raw.get("aggregate"), where),
        raw=raw,
    )
    if definition.computed:
        definition.compute_spec()  # raises on an inconsistent statistic
        definition.aggregate_spec()
    return _with_derived_target(definition, raw, where)


DERIVED_KEYS = {"change", "factor", "year", "from", "scope", "trajectory"}


def _change_or_factor(raw: dict[str, Any], where: str) -> tuple[float | None, float | None]:
    given = [k for k in ("change", "factor") if raw.get(k) is not None]
    if len(given) != 1:
        raise DefinitionError(f"{where}: give exactly one of change or factor")
    value = raw[given[0]]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(f"{where}: {given[0]} must be a number, got {value!r}")
    if given[0] == "factor" and value <= 0:
        raise DefinitionError(f"{where}: factor must be above 0, got {value!r}")
    return (float(value), None) if given[0] == "change" else (None, float(value))


def _with_derived_target(definition: Definition, raw: dict[str, Any], where: str) -> Definition:
    """Parse the baseline's `from_values` and a target stated relative to the baseline."""
    target = raw["target"] or {}
    baseline = raw["baseline"] or {}
    unknown_target = set(target) - {"value", "description"} - DERIVED_KEYS
    unknown_baseline = set(baseline) - {"value", "period", "description", "from_values", "entered"}
    if unknown_target or unknown_baseline:
        raise DefinitionError(
            f"{where}: unknown keys target {sorted(unknown_target)}, "
            f"baseline {sorted(unknown_baseline)}"
        )
    from_values = baseline.get("from_values")
    if from_values is not None and from_values != "sum":
        raise DefinitionError(f"{where} baseline: from_values must be sum, got {from_values!r}")
    entered = baseline.get("entered")
    if entered is not None and entered is not True:
        raise DefinitionError(f"{where} baseline: entered must be true, got {entered!r}")
    if not DERIVED_KEYS & set(target):
        if from_values is not None or entered:
            raise DefinitionError(
                f"{where} baseline: from_values or entered needs a target change or factor"
            )
        return definition
    w = f"{where} target"
    if definition.statistic != "count":
        raise DefinitionError(f"{w}: a change or factor on a baseline needs a count indicator")
    if target.get("value") is not None or definition.trajectory:
        raise DefinitionError(f"{w}: a change or factor replaces value and trajectory")
    given = [baseline.get("value") is not None, from_values is not None, bool(entered)]
    if sum(given) != 1:
        raise DefinitionError(
            f"{where} baseline: give exactly one of value, from_values: sum or entered: true"
        )
    if baseline.get("value") is not None and float(baseline["value"]) < 0:
        raise DefinitionError(f"{where} baseline: value must not be negative")
    _financial_year(baseline.get("period"), f"{where} baseline period")
    change, factor = _change_or_factor(target, w)
    if "year" not in target:
        raise DefinitionError(f"{w}: year (the financial year the target is for) is missing")
    year = _financial_year(target["year"], f"{w} year")
    start = _period(target["from"], f"{w} from") if target.get("from") else year_start(year)
    scope = None
    if target.get("scope"):
        level, _, code = str(target["scope"]).partition(":")
        if level not in definition.levels or not code:
            raise DefinitionError(
                f"{w}: scope must be LEVEL:CODE with a level from {definition.levels}, "
                f"got {target['scope']!r}"
            )
        scope = (level, code)
    points: list[DerivedPoint] = []
    for i, p in enumerate(target.get("trajectory") or (), start=1):
        pw = f"{w} trajectory point {i}"
        if not isinstance(p, dict) or "by" not in p:
            raise DefinitionError(f"{pw}: needs by (YYYY-MM) and change or factor")
        by = _period(p["by"], pw)
        first = year_start(year)
        if not first <= by <= dt.date(first.year + 1, 3, 1):
            raise DefinitionError(f"{pw}: by {p['by']} must fall in {year}")
        if points and by <= points[-1].by:
            raise DefinitionError(f"{pw}: points must be in date order")
        points.append(DerivedPoint(by, *_change_or_factor(p, pw)))
    if points and definition.frequency != "monthly":
        raise DefinitionError(f"{w}: trajectory steps need a monthly indicator")
    derived = DerivedTarget(year, start, change, factor, scope, tuple(points))
    return dataclasses.replace(
        definition,
        baseline_from_values=bool(from_values),
        baseline_entered=bool(entered),
        derived=derived,
    )


def load_file(path: Path) -> Definition:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise DefinitionError(f"{path.name}: not a mapping")
    definition = parse(raw, path.name)
    if definition.id != path.stem:
        raise DefinitionError(f"{path.name}: id {definition.id!r} must match the file name")
    return definition


@functools.cache
def catalogue() -> dict[str, Definition]:
    """Every shipped definition by id, in file-name order."""
    return {d.id: d for d in (load_file(p) for p in sorted(DEFINITIONS_DIR.glob("*.yaml")))}


def get(indicator_id: str) -> Definition | None:
    return catalogue().get(indicator_id)
