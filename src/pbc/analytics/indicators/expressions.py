"""Named numerator and denominator expressions over the warehouse.

Indicator definitions name an expression and its parameters (YAML:
`numerator: {expression: referrals.count, params: {priority_types: ["3"]}}`). Every expression
takes a `Context` (the warehouse tables as Ibis tables and the months wanted) and returns an
Ibis table with columns `unit` (a practice's ODS code, or a provider's for provider-level
expressions), `month` (first day) and `count` (float64), one row per unit and month with any
activity; `compute` fills the months without activity with 0. Distribution expressions
(`rtt.wait_days`) also return `wait_days`.

Choices where the plans are silent:

- Activity counts in the month of the event: referral date, attendance date, discharge date
  (admissions and bed days; the month it is invoiced), date of death, clock stop (RTT).
- Populations: the list size or weighted population of the quarter containing the month
  (`weighted_populations`, the data contract's single definition). Rates per 1,000 population
  are annualised by the indicator's multiplier (× 12 for monthly counts).
- Emergency admissions: NHS Data Dictionary admission methods 21-2D. Occupied bed days: the
  spell's length of stay (a same-day spell occupies no bed overnight).
- Ambulatory care sensitive conditions: primary diagnosis in `ACSC_ICD10_PREFIXES` (the 19
  conditions of Purdy et al. 2009 as coded by the NHS Institute for Innovation and Improvement's
  list, by three- and four-character ICD-10 prefixes; the NHS Outcomes Framework indicator
  2.3.i keeps only the chronic ones). Simplified: primary diagnosis only, and without the
  list's procedure exclusions (angina, heart failure, cellulitis) or secondary-diagnosis rules.
- Two-week-wait referrals (`seen_within_days`, `count_in="first_seen"`): counted in the month
  the patient was first seen, as the cancer waiting times statistics count them, so a referral
  not yet seen is not a breach.
- Outside the PCT area: the provider's main PCT is not the practice's PCT (independent and
  out-of-area providers have none).
- Hospital deaths for the standardised mortality ratio: spells ending in death (discharge
  method 4); expected deaths by indirect standardisation on ten-year age group × admission
  group (emergency, elective, other) × sex, with reference rates from every spell in the
  warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from pbc.analytics.indicators import aggregates
from pbc.analytics.indicators import rtt as rtt_analytics
from pbc.periods import quarter_of

UnitLevel = Literal["practice", "provider", "commissioner"]

EMERGENCY_METHODS = ("21", "22", "23", "24", "28", "2A", "2B", "2C", "2D")
ELECTIVE_METHODS = ("11", "12", "13")
ATTENDED = ("5", "6")
FIRST_ATTENDANCES = ("1", "3")
DIED = "4"

# Ambulatory care sensitive conditions, all 19 of Purdy et al. 2009 (coded as in the NHS
# Institute for Innovation and Improvement's list; I25 kept for angina as in NHS Outcomes
# Framework 2.3.i): ICD-10 primary diagnosis prefixes (dots removed before matching).
ACSC_ICD10_PREFIXES: tuple[str, ...] = (
    # angina
    "I20", "I240", "I248", "I249", "I25",
    # asthma
    "J45", "J46",
    # congestive heart failure
    "I110", "I50", "J81",
    # chronic obstructive pulmonary disease
    "J41", "J42", "J43", "J44", "J47",
    # diabetes complications
    "E100", "E101", "E102", "E103", "E104", "E105", "E106", "E107", "E108",
    "E110", "E111", "E112", "E113", "E114", "E115", "E116", "E117", "E118",
    "E120", "E121", "E122", "E123", "E124", "E125", "E126", "E127", "E128",
    "E130", "E131", "E132", "E133", "E134", "E135", "E136", "E137", "E138",
    "E140", "E141", "E142", "E143", "E144", "E145", "E146", "E147", "E148",
    # hypertension
    "I10", "I119",
    # convulsions and epilepsy
    "G40", "G41", "R56", "O15",
    # dehydration and gastroenteritis
    "E86", "K522", "K528", "K529",
    # pyelonephritis
    "N10", "N11", "N12", "N136",
    # perforated or bleeding ulcer
    "K250", "K251", "K252", "K254", "K255", "K256",
    "K260", "K261", "K262", "K264", "K265", "K266",
    "K270", "K271", "K272", "K274", "K275", "K276",
    "K280", "K281", "K282", "K284", "K285", "K286",
    # cellulitis
    "L03", "L04", "L080", "L088", "L089", "L88", "L980",
    # ear, nose and throat infections
    "H66", "H67", "J02", "J03", "J06", "J312",
    # pelvic inflammatory disease
    "N70", "N73", "N74",
    # dental conditions
    "A690", "K02", "K03", "K04", "K05", "K06", "K08", "K098", "K099", "K12", "K13",
    # gangrene
    "R02",
    # nutritional deficiencies
    "E40", "E41", "E42", "E43", "E550", "E643",
    # iron-deficiency anaemia
    "D501", "D508", "D509",
    # influenza and pneumonia
    "J10", "J11", "J13", "J14", "J153", "J154", "J157", "J159", "J168", "J181", "J188",
    # other vaccine-preventable
    "A35", "A36", "A37", "A80", "B05", "B06", "B161", "B169", "B180", "B181", "B26", "G000",
    "M014",
)  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What every expression reads: the warehouse tables (Ibis) and the months wanted."""

    tables: Mapping[str, ir.Table]
    months: tuple[dt.date, ...]
    # What `compute.counts` worked out over this context, by expression and parameters: many
    # indicators share a denominator (the weighted population), counted once.
    counted: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def table(self, name: str) -> ir.Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"the indicator needs warehouse dataset {name!r}") from None


Expression = Callable[..., ir.Table]


@dataclass(frozen=True)
class ExpressionInfo:
    """A registered expression: its unit, whether it is a distribution of waits (`banded`:
    of week bands, in weeks) and, for an expression over a published aggregate dataset, the
    dataset (its organisations are those in the data, not the app's practices and providers)."""

    function: Expression
    unit: UnitLevel
    distribution: bool = False
    banded: bool = False
    dataset: str | None = None

    @property
    def aggregate(self) -> bool:
        return self.dataset is not None


EXPRESSIONS: dict[str, ExpressionInfo] = {}


def expression(
    name: str,
    unit: UnitLevel = "practice",
    distribution: bool = False,
    banded: bool = False,
    dataset: str | None = None,
) -> Callable[[Expression], Expression]:
    def register(function: Expression) -> Expression:
        EXPRESSIONS[name] = ExpressionInfo(function, unit, distribution, banded, dataset)
        return function

    return register


def evaluate(name: str, ctx: Context, params: Mapping[str, Any] | None = None) -> ir.Table:
    """Run the named expression; KeyError naming the known expressions otherwise."""
    try:
        info = EXPRESSIONS[name]
    except KeyError:
        known = ", ".join(sorted(EXPRESSIONS))
        raise KeyError(f"unknown expression {name!r}; known: {known}") from None
    return info.function(ctx, **dict(params or {}))


# --- helpers -----------------------------------------------------------------------------------


def months_table(months: Sequence[dt.date]) -> ir.Table:
    """month → quarter_start, as a small in-memory table."""
    return ibis.memtable(
        {"month": list(months), "quarter_start": [quarter_of(m) for m in months]},
        schema={"month": "date", "quarter_start": "date"},
    )


def _in_months(t: ir.Table, ctx: Context) -> ir.Table:
    return t.filter(t.month.isin(list(ctx.months)))


def _count(t: ir.Table, unit: str, date_col: str, ctx: Context, value: Any = None) -> ir.Table:
    t = t.mutate(unit=t[unit], month=t[date_col].truncate("M"))
    t = _in_months(t, ctx)
    amount = t.count().cast("float64") if value is None else value(t).sum().cast("float64")
    return t.group_by(["unit", "month"]).aggregate(count=amount)


def _prefix_match(column: ir.StringValue, prefixes: Sequence[str]) -> ir.BooleanValue:
    clean = column.replace(".", "")
    condition: ir.BooleanValue = ibis.literal(False)
    for prefix in prefixes:
        condition = condition | clean.startswith(prefix)
    return condition


def _age_band_lower(band: ir.StringValue) -> ir.IntegerValue:
    return band.replace("+", "").split("-")[0].cast("int64")


# --- populations -------------------------------------------------------------------------------


@expression("population.weighted")
def weighted_population(ctx: Context, weighting: str = "hospital_activity") -> ir.Table:
    """Weighted list size of the quarter containing each month."""
    w = ctx.table("weighted_populations")
    w = w.filter(w.weighting == weighting)
    m = months_table(ctx.months)
    j = m.join(w, m.quarter_start == w.quarter_start)
    return j.group_by(unit=j.gp_practice_code, month=j.month).aggregate(
        count=j.weighted_population.sum().cast("float64")
    )


@expression("population.registered")
def registered_population(
    ctx: Context, min_age: int | None = None, max_age: int | None = None
) -> ir.Table:
    """Registered patients of the quarter containing each month, in the bands from `min_age`
    (a band's lower age) up to bands starting at or below `max_age`."""
    ls = ctx.table("list_sizes")
    lower = _age_band_lower(ls.age_band)
    if min_age is not None:
        ls = ls.filter(lower >= min_age)
    if max_age is not None:
        ls = ls.filter(_age_band_lower(ls.age_band) <= max_age)
    m = months_table(ctx.months)
    j = m.join(ls, m.quarter_start == ls.quarter_start)
    return j.group_by(unit=j.gp_practice_code, month=j.month).aggregate(
        count=j.registered_patients.sum().cast("float64")
    )


# --- referrals ---------------------------------------------------------------------------------


@expression("referrals.count")
def referral_count(
    ctx: Context,
    priority_types: Sequence[str] | None = None,
    choose_and_book: bool | None = None,
    treatment_function_codes: Sequence[str] | None = None,
    outside_pct: bool | None = None,
    seen_within_days: int | None = None,
    count_in: Literal["referral", "first_seen"] = "referral",
) -> ir.Table:
    """GP referrals by referral month, optionally filtered; `count_in="first_seen"` counts
    referrals in the month of their first attendance instead (those not yet seen are left out)."""
    if count_in not in ("referral", "first_seen"):
        raise ValueError(f"count_in must be 'referral' or 'first_seen', not {count_in!r}")
    r = ctx.table("referrals")
    if count_in == "first_seen":
        r = r.filter(r.first_seen_date.notnull())
    if priority_types:
        r = r.filter(r.priority_type.isin(list(priority_types)))
    if choose_and_book is not None:
        r = r.filter(r.choose_and_book == choose_and_book)
    if treatment_function_codes:
        r = r.filter(r.treatment_function_code.isin(list(treatment_function_codes)))
    if seen_within_days is not None:
        waited = r.first_seen_date.delta(r.referral_date, unit="day")
        r = r.filter(r.first_seen_date.notnull() & (waited <= seen_within_days))
    if outside_pct is not None:
        practices = ctx.table("practices").select(p_code="gp_practice_code", p_pct="pct_code")
        providers = ctx.table("providers").select(v_code="provider_code", v_pct="main_pct_code")
        r = r.left_join(practices, r.gp_practice_code == practices.p_code)
        r = r.left_join(providers, r.provider_code == providers.v_code)
        outside = r.v_pct.isnull() | (r.v_pct != r.p_pct)
        r = r.filter(outside if outside_pct else ~outside)
    date_col = "first_seen_date" if count_in == "first_seen" else "referral_date"
    return _count(r, "gp_practice_code", date_col, ctx)


# --- outpatients -------------------------------------------------------------------------------


@expression("op.attendances")
def op_attendances(
    ctx: Context,
    first: bool | None = None,
    referral_sources: Sequence[str] | None = None,
    provider_kinds: Sequence[str] | None = None,
) -> ir.Table:
    """Outpatient attendances (did-not-attends excluded) by attendance month."""
    o = ctx.table("op")
    o = o.filter(o.attended_or_did_not_attend.isin(list(ATTENDED)))
    if first is not None:
        is_first = o.first_attendance.isin(list(FIRST_ATTENDANCES))
        o = o.filter(is_first if first else ~is_first)
    if referral_sources:
        o = o.filter(o.referral_source.isin(list(referral_sources)))
    if provider_kinds:
        providers = ctx.table("providers").select(v_code="provider_code", v_kind="provider_kind")
        o = o.join(providers, o.provider_code == providers.v_code)
        o = o.filter(o.v_kind.isin(list(provider_kinds)))
    return _count(o, "gp_practice_code", "attendance_date", ctx)


# --- admitted patient care ---------------------------------------------------------------------


def _spells(
    ctx: Context,
    admission: Literal["emergency", "elective", "any"],
    min_age: int | None,
    diagnosis_prefixes: Sequence[str] | None,
) -> ir.Table:
    a = ctx.table("apc")
    if admission == "emergency":
        a = a.filter(a.admission_method.isin(list(EMERGENCY_METHODS)))
    elif admission == "elective":
        a = a.filter(a.admission_method.isin(list(ELECTIVE_METHODS)))
    if min_age is not None:
        a = a.filter(a.age_on_admission >= min_age)
    if diagnosis_prefixes:
        a = a.filter(_prefix_match(a.primary_diagnosis_code.fill_null(""), diagnosis_prefixes))
    return a


@expression("apc.admissions")
def admissions(
    ctx: Context,
    admission: Literal["emergency", "elective", "any"] = "emergency",
    min_age: int | None = None,
    diagnosis_prefixes: Sequence[str] | None = None,
    acsc: bool = False,
) -> ir.Table:
    """Hospital spells by discharge month (`acsc`: the ambulatory care sensitive list)."""
    prefixes = ACSC_ICD10_PREFIXES if acsc else diagnosis_prefixes
    return _count(
        _spells(ctx, admission, min_age, prefixes), "gp_practice_code", "discharge_date", ctx
    )


@expression("apc.bed_days")
def bed_days(
    ctx: Context,
    admission: Literal["emergency", "elective", "any"] = "emergency",
    min_age: int | None = None,
) -> ir.Table:
    """Occupied bed days (length of stay) of spells by discharge month."""
    a = _spells(ctx, admission, min_age, None)
    return _count(a, "gp_practice_code", "discharge_date", ctx, value=lambda t: t.length_of_stay)


def _smr_strata(a: ir.Table) -> ir.Table:
    age_group = ibis.least(a.age_on_admission.fill_null(0) // 10, 9)
    group = ibis.cases(
        (a.admission_method.isin(list(EMERGENCY_METHODS)), "emergency"),
        (a.admission_method.isin(list(ELECTIVE_METHODS)), "elective"),
        else_="other",
    )
    return a.mutate(
        s_age=age_group,
        s_group=group,
        s_sex=a.sex.fill_null("U"),
        died=(a.discharge_method == DIED).cast("float64"),
        month=a.discharge_date.truncate("M"),
    )


@expression("apc.hospital_deaths", unit="provider")
def hospital_deaths(ctx: Context) -> ir.Table:
    """Observed deaths in hospital (spells ending in death) by provider and discharge month."""
    a = ctx.table("apc")
    a = a.filter(a.discharge_method == DIED)
    return _count(a, "provider_code", "discharge_date", ctx)


@expression("apc.expected_deaths", unit="provider")
def expected_deaths(ctx: Context) -> ir.Table:
    """Expected deaths by indirect standardisation: each spell contributes the death rate of
    its stratum (age group × admission group × sex) over every spell in the warehouse (so a
    refresh of one month uses the same reference rates as a full refresh)."""
    everything = _smr_strata(ctx.table("apc"))
    a = _in_months(everything, ctx)
    keys = ["s_age", "s_group", "s_sex"]
    ref = everything.group_by(keys).aggregate(r_rate=everything.died.mean())
    ref = ref.rename(r_age="s_age", r_group="s_group", r_sex="s_sex")
    j = a.join(ref, (a.s_age == ref.r_age) & (a.s_group == ref.r_group) & (a.s_sex == ref.r_sex))
    return j.group_by(unit=j.provider_code, month=j.month).aggregate(
        count=j.r_rate.sum().cast("float64")
    )


# --- deaths ------------------------------------------------------------------------------------


@expression("deaths.count")
def death_count(ctx: Context, places: Sequence[str] | None = None) -> ir.Table:
    """Registered deaths by month of death, optionally in the given places."""
    d = ctx.table("deaths")
    if places:
        d = d.filter(d.place_of_death.isin(list(places)))
    return _count(d, "gp_practice_code", "date_of_death", ctx)


# --- prescribing -------------------------------------------------------------------------------


def _prescribing(ctx: Context, bnf_prefixes: Sequence[str], exclude: Sequence[str]) -> ir.Table:
    p = ctx.table("prescribing")
    p = p.filter(_prefix_match(p.bnf_code, bnf_prefixes))
    if exclude:
        p = p.filter(~_prefix_match(p.bnf_code, exclude))
    return p


@expression("prescribing.items")
def prescribing_items(
    ctx: Context, bnf_prefixes: Sequence[str], exclude: Sequence[str] = ()
) -> ir.Table:
    """Items dispensed whose BNF code starts with one of `bnf_prefixes` (minus `exclude`)."""
    p = _prescribing(ctx, bnf_prefixes, exclude)
    return _count(p, "gp_practice_code", "month", ctx, value=lambda t: t["items"])


@expression("prescribing.cost")
def prescribing_cost(
    ctx: Context, bnf_prefixes: Sequence[str], exclude: Sequence[str] = ()
) -> ir.Table:
    """Actual cost (GBP, as float for statistics) of the matching presentations."""
    p = _prescribing(ctx, bnf_prefixes, exclude)
    return _count(
        p, "gp_practice_code", "month", ctx, value=lambda t: t.actual_cost.cast("float64")
    )


# --- referral to treatment ---------------------------------------------------------------------


@expression("rtt.pathways")
def rtt_pathways(
    ctx: Context,
    pathway_type: rtt_analytics.PathwayType = "admitted",
    within_18_weeks: bool | None = None,
) -> ir.Table:
    """Pathways (nullified clocks excluded): completed ones in the month of their clock stop,
    incomplete ones at each month end; `within_18_weeks` keeps waits of at most 126 days."""
    w = rtt_analytics.waits(ctx.table("rtt"), pathway_type, ctx.months)
    if within_18_weeks is not None:
        within = w.wait_days <= rtt_analytics.EIGHTEEN_WEEKS_DAYS
        w = w.filter(within if within_18_weeks else ~within)
    w = _in_months(w, ctx)
    return w.group_by(unit=w.gp_practice_code, month=w.month).aggregate(
        count=w.count().cast("float64")
    )


@expression("rtt.wait_days", distribution=True)
def rtt_wait_days(ctx: Context, pathway_type: rtt_analytics.PathwayType = "admitted") -> ir.Table:
    """The distribution of waits: pathways per practice, month and wait in days."""
    w = _in_months(rtt_analytics.waits(ctx.table("rtt"), pathway_type, ctx.months), ctx)
    return w.group_by(unit=w.gp_practice_code, month=w.month, wait_days=w.wait_days).aggregate(
        count=w.count().cast("float64")
    )


# --- published aggregate returns (no patient-level rows) ---------------------------------------


def _commissioner_unit(code: ir.StringValue) -> ir.StringValue:
    """A commissioner's 3-character code ('5P200' -> '5P2'), as `aggregates.commissioner_pct`."""
    five = (code.length() == 5) & code.endswith("00")
    return five.ifelse(code.substr(0, 3), code)


def _rtt_returns(
    ctx: Context, pathway_type: str, treatment_function_codes: Sequence[str] | None
) -> ir.Table:
    r = ctx.table("rtt_returns")
    r = r.filter((r.pathway_type == pathway_type) & r.commissioner_code.notnull())
    if treatment_function_codes:
        r = r.filter(r.treatment_function_code.isin(list(treatment_function_codes)))
    r = r.mutate(unit=_commissioner_unit(r.commissioner_code), month=r.month.truncate("M"))
    return _in_months(r, ctx)


@expression("rtt_returns.pathways", unit="commissioner", dataset="rtt_returns")
def rtt_returns_pathways(
    ctx: Context,
    pathway_type: str = "admitted",
    within_18_weeks: bool | None = None,
    treatment_function_codes: Sequence[str] | None = None,
) -> ir.Table:
    """Pathways in the published RTT returns by commissioner and month, from the week bands
    (`within_18_weeks`: the bands up to 18 weeks; the returns' own totals are never read)."""
    r = _rtt_returns(ctx, pathway_type, treatment_function_codes)
    if within_18_weeks is not None:
        within = r.weeks_to.notnull() & (r.weeks_to <= aggregates.EIGHTEEN_WEEKS)
        r = r.filter(within if within_18_weeks else ~within)
    return r.group_by(["unit", "month"]).aggregate(
        count=r.pathways.fill_null(0).sum().cast("float64")
    )


@expression(
    "rtt_returns.weeks",
    unit="commissioner",
    distribution=True,
    banded=True,
    dataset="rtt_returns",
)
def rtt_returns_weeks(
    ctx: Context,
    pathway_type: str = "admitted",
    treatment_function_codes: Sequence[str] | None = None,
) -> ir.Table:
    """Pathways per commissioner, month and week band (weeks_from, weeks_to)."""
    r = _rtt_returns(ctx, pathway_type, treatment_function_codes)
    return r.group_by(["unit", "month", "weeks_from", "weeks_to"]).aggregate(
        count=r.pathways.fill_null(0).sum().cast("float64")
    )


@expression("ae_attendances.count", unit="provider", dataset="ae_attendances")
def ae_attendance_count(
    ctx: Context,
    measure: str = "attendances",
    within_4_hours: bool = False,
    department_types: Sequence[str] | None = None,
) -> ir.Table:
    """A measure of the published monthly A&E statistics by provider and month, summed over
    `department_types` (all by default); `within_4_hours`: attendances less those over four
    hours."""
    a = ctx.table("ae_attendances")
    if department_types:
        a = a.filter(a.department_type.isin(list(department_types)))
    a = a.mutate(unit=a.provider_code, month=a.month.truncate("M"))
    a = _in_months(a, ctx)
    if within_4_hours:
        sign = ibis.cases(
            (a.measure == "attendances", 1), (a.measure == "over_4_hours", -1), else_=0
        )
        a = a.filter(a.measure.isin(["attendances", "over_4_hours"]))
        value = (a["count"].fill_null(0) * sign).sum()
    else:
        a = a.filter(a.measure == measure)
        value = a["count"].fill_null(0).sum()
    return a.group_by(["unit", "month"]).aggregate(count=value.cast("float64"))


# --- periodic returns for national measures (issue 19) -----------------------------------------


@expression("hcai_returns.cases", unit="commissioner", dataset="hcai_returns")
def hcai_pct_cases(ctx: Context, organism: str = "mrsa") -> ir.Table:
    """Healthcare-associated infections of `organism` (mrsa, c_difficile) attributed to each
    PCT, per month."""
    h = ctx.table("hcai_returns")
    h = h.filter((h.organism == organism) & (h.organisation_type == "pct"))
    h = _in_months(h.mutate(unit=_commissioner_unit(h.organisation_code), month=h.month), ctx)
    return h.group_by(["unit", "month"]).aggregate(count=h.cases.sum().cast("float64"))


@expression("hcai_returns.trust_cases", unit="provider", dataset="hcai_returns")
def hcai_trust_cases(ctx: Context, organism: str = "mrsa") -> ir.Table:
    """Healthcare-associated infections of `organism` apportioned to each acute trust, per
    month."""
    h = ctx.table("hcai_returns")
    h = h.filter((h.organism == organism) & (h.organisation_type == "trust"))
    h = _in_months(h.mutate(unit=h.organisation_code, month=h.month), ctx)
    return h.group_by(["unit", "month"]).aggregate(count=h.cases.sum().cast("float64"))


NCMP_MEASURES = ("eligible", "measured", "overweight", "obese")


@expression("ncmp_returns.children", unit="commissioner", dataset="ncmp_returns")
def ncmp_children(
    ctx: Context, measure: str = "measured", school_years: Sequence[str] | None = None
) -> ir.Table:
    """Children eligible, measured, overweight or obese (`measure`) per PCT and NCMP year (the
    year's first month, 1 April), in the school years asked for (both by default)."""
    if measure not in NCMP_MEASURES:
        raise ValueError(f"measure must be one of {NCMP_MEASURES}, not {measure!r}")
    n = ctx.table("ncmp_returns")
    if school_years:
        n = n.filter(n.school_year.isin(list(school_years)))
    n = _in_months(n.mutate(unit=_commissioner_unit(n.commissioner_code), month=n.year_start), ctx)
    return n.group_by(["unit", "month"]).aggregate(count=n[measure].sum().cast("float64"))


CHLAMYDIA_MEASURES = ("population", "tests", "positives")


@expression("chlamydia_returns.count", unit="commissioner", dataset="chlamydia_returns")
def chlamydia_count(
    ctx: Context, measure: str = "tests", sexes: Sequence[str] | None = None
) -> ir.Table:
    """Chlamydia tests, positive results or the 15-24 population (`measure`) per PCT and
    quarter (its first month), over the sexes asked for (all by default) and both age
    groups."""
    if measure not in CHLAMYDIA_MEASURES:
        raise ValueError(f"measure must be one of {CHLAMYDIA_MEASURES}, not {measure!r}")
    c = ctx.table("chlamydia_returns")
    if sexes:
        c = c.filter(c.sex.isin(list(sexes)))
    c = _in_months(
        c.mutate(unit=_commissioner_unit(c.commissioner_code), month=c.quarter_start), ctx
    )
    return c.group_by(["unit", "month"]).aggregate(count=c[measure].sum().cast("float64"))


@expression("cancer_waits_returns.patients", unit="commissioner", dataset="cancer_waits_returns")
def cancer_waits_patients(
    ctx: Context, standard: str = "two_week_wait", within_target: bool = False
) -> ir.Table:
    """Patients seen or treated under a cancer waiting standard per PCT and month (all, or
    `within_target`: within the standard's time)."""
    c = ctx.table("cancer_waits_returns")
    c = c.filter(c.standard == standard)
    c = _in_months(c.mutate(unit=_commissioner_unit(c.commissioner_code), month=c.month), ctx)
    measure = c.within_target if within_target else c.total
    return c.group_by(["unit", "month"]).aggregate(count=measure.sum().cast("float64"))


STROKE_MEASURES = (
    "tia_referred",
    "tia_seen_within_7_days",
    "thrombolysed",
    "thrombolysed_within_3_hours",
    "call_to_needle_within_60_minutes",
)


@expression("stroke_returns.patients", unit="commissioner", dataset="stroke_returns")
def stroke_patients(ctx: Context, measure: str = "tia_referred") -> ir.Table:
    """A count of the stroke and TIA return (`measure`) per PCT and quarter (its first
    month)."""
    if measure not in STROKE_MEASURES:
        raise ValueError(f"measure must be one of {STROKE_MEASURES}, not {measure!r}")
    s = ctx.table("stroke_returns")
    s = _in_months(
        s.mutate(unit=_commissioner_unit(s.commissioner_code), month=s.quarter_start), ctx
    )
    return s.group_by(["unit", "month"]).aggregate(count=s[measure].sum().cast("float64"))


HPV_MEASURES = ("eligible", "first_dose", "three_doses")


@expression("hpv_returns.girls", unit="commissioner", dataset="hpv_returns")
def hpv_girls(ctx: Context, measure: str = "eligible", cohorts: Sequence[str] = ()) -> ir.Table:
    """Girls eligible, given a first dose or all three (`measure`) per PCT and programme year
    (1 April), in the cohorts asked for (all by default)."""
    if measure not in HPV_MEASURES:
        raise ValueError(f"measure must be one of {HPV_MEASURES}, not {measure!r}")
    h = ctx.table("hpv_returns")
    if cohorts:
        h = h.filter(h.cohort.isin(list(cohorts)))
    h = _in_months(h.mutate(unit=_commissioner_unit(h.commissioner_code), month=h.year_start), ctx)
    return h.group_by(["unit", "month"]).aggregate(count=h[measure].sum().cast("float64"))


# (dataset, its period column, the counts it holds): returns of counts per PCT and period.
COMMISSIONER_RETURNS = {
    "breastfeeding_returns": ("quarter_start", ("infants_due", "status_recorded", "breastfed")),
    "smoking_survey_returns": ("year_start", ("respondents", "smokers")),
    "choice_returns": ("month", ("respondents", "offered_choice")),
}


def _commissioner_return_count(ctx: Context, dataset: str, measure: str) -> ir.Table:
    period, measures = COMMISSIONER_RETURNS[dataset]
    if measure not in measures:
        raise ValueError(f"measure must be one of {measures}, not {measure!r}")
    r = ctx.table(dataset)
    r = _in_months(r.mutate(unit=_commissioner_unit(r.commissioner_code), month=r[period]), ctx)
    return r.group_by(["unit", "month"]).aggregate(count=r[measure].sum().cast("float64"))


@expression("breastfeeding_returns.infants", unit="commissioner", dataset="breastfeeding_returns")
def breastfeeding_infants(ctx: Context, measure: str = "infants_due") -> ir.Table:
    """Infants due a 6-8 week check, with their feeding status recorded, or breastfed
    (`measure`) per PCT and quarter (its first month)."""
    return _commissioner_return_count(ctx, "breastfeeding_returns", measure)


@expression("smoking_survey_returns.adults", unit="commissioner", dataset="smoking_survey_returns")
def smoking_survey_adults(ctx: Context, measure: str = "respondents") -> ir.Table:
    """Adults who answered the smoking prevalence survey, or current smokers (`measure`), per
    PCT and survey year (1 April)."""
    return _commissioner_return_count(ctx, "smoking_survey_returns", measure)


@expression("choice_returns.patients", unit="commissioner", dataset="choice_returns")
def choice_patients(ctx: Context, measure: str = "respondents") -> ir.Table:
    """Patients who answered the National Patient Choice Survey, or recall being offered a
    choice of hospital (`measure`), per PCT and wave (the month of the referrals surveyed)."""
    return _commissioner_return_count(ctx, "choice_returns", measure)
