"""The locality performance report (the monthly board pack): one document per locality and month.

Both 2008/09 plans promise "regular locality performance reports"; this brings together, for a
locality and a reporting month, what the other apps already compute, read through their own
functions so that the pack shows the same figures as their pages:

a. **Plan progress** (`pbc.plans.report.build_report`): milestones per RAG status by section and
   for the plan, overdue milestones and those due in the next two months, the changes since the
   previous month, and the indicators linked to the plan's outcomes.
b. **Indicators** (`pbc.indicators.summary.latest_status`): every catalogue indicator reported at
   locality level, its latest value up to the report's month, target and Making Data Count
   variation and assurance. Then the plans' inequalities target
   (`pbc.reports.board_inequalities`, the inequalities page's figures): the life-expectancy gap
   between the most deprived fifth and the average in each whole financial year before the
   month against halving it by 2010/11, and the latest such year's mortality by deprivation.
c. **Finance** (`pbc.finance.statements.report`): the locality's statement at the month, by
   budget line: annual budget, year to date budget, actual and variance, forecast outturn and
   forecast variance, in pounds and per cent of budget; positive variance = overspend. Then the
   quality schedules of the PCT's contracts for the year (`pbc.finance.queries.quality_at_stake`):
   each measure's months met, below and not reported, the money at stake in the year and
   withheld to the month. Then the prescribing incentive scheme for the year so far
   (`pbc.reports.board_scheme`): each practice's targets met and payment, and the switch list
   with the locality's potential saving.
d. **Validation ledger** (`pbc.validation.queries.locality_ledger`, the amounts the challenge
   process writes): findings on the locality's practices' activity from April to the report's month:
   at stake, challenged, agreed, recovered and written off, by rule and by provider. Then the
   practices' participation (`pbc.reports.board_participation`): per month, the practices that
   reviewed their findings of the month out of those that had findings.
e. **Services and providers** (`pbc.services`): enhanced-service claims and payments in the
   year to date, extended hours and smoking quitters for the latest claimed quarter; provider
   returns summarised per contract for the year to date (`pbc.services.reports`: volumes, DNA
   rate, waits, response-time compliance, cost per case); the patient survey of the latest
   quarter that has started by the report's month (`pbc.services.experience`).

Every section says explicitly when it has nothing for the month (no plan for that year, no
spend recorded for the month, no findings, no returns, no survey) rather than showing an empty
table. The pack holds aggregates only: no patient-level rows, and no private patient data, so a
locality manager or board member may see all of it (it includes private plan commentary, as the
plan's board status report does).

Sections b, c and d show figures a `pbc refresh` step computed (indicators, statements,
findings: `SECTION_STEPS`); where that step's figures are older than their inputs (an import or
an upstream step since: `pbc.refresh.queries.staleness`), the section carries the same note the
app's own pages show (`BoardPack.stale`).

The formats (HTML, PDF, XLSX) are in `pbc.reports.formats`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from pbc import periods
from pbc.analytics.finance import statement as st
from pbc.finance import queries as finance_queries
from pbc.finance import statements
from pbc.indicators import definitions as indicator_definitions
from pbc.indicators import present
from pbc.indicators.definitions import Definition
from pbc.indicators.present import local_targets_by_indicator, series_by_indicator
from pbc.indicators.summary import Status, latest_status
from pbc.orgs.models import Locality, Practice
from pbc.plans import queries as plan_queries
from pbc.plans.report import PlanReport, ReportError
from pbc.plans.report import build_report as build_plan_report
from pbc.refresh.queries import Staleness, staleness
from pbc.reports import charts
from pbc.reports.board_inequalities import InequalitiesSection, inequalities_section
from pbc.reports.board_participation import ParticipationSection, participation_section
from pbc.reports.board_scheme import SchemeSection, scheme_section
from pbc.services import experience, feeds, reports
from pbc.services import queries as service_queries
from pbc.services.queries import ServiceClaims
from pbc.services.validation import period_label
from pbc.validation import queries as validation_queries
from pbc.validation.queries import Ledger

ZERO = Decimal("0.00")


# The `pbc refresh` step whose figures each section shows. The plan section's milestones are
# entered, not refreshed (its linked indicators' values are the indicators section's).
SECTION_STEPS = {"indicators": "indicators", "finance": "finance", "validation": "validation"}


class BoardPackError(ValueError):
    """The month or format is not understood."""


def default_month(locality: Locality) -> dt.date:
    """The latest month the finance statements were refreshed to, else the current month of
    the locality's latest plan, else this month."""
    refreshed = finance_queries.latest_refresh_month()
    if refreshed is not None:
        return refreshed.replace(day=1)
    planned = plan_queries.current_plan_month(locality)
    if planned is not None:
        return planned
    today: dt.date = timezone.localdate()
    return today.replace(day=1)


def months_for(locality: Locality, month: dt.date) -> list[dt.date]:
    """The months a pack can be asked for from the page: the financial years of the locality's
    plans and of `month`, newest first."""
    years = {periods.financial_year_of(month)} | plan_queries.plan_years(locality)
    return sorted({m for y in years for m in periods.months_of_year(y)}, reverse=True)


# --- (a) plan progress ------------------------------------------------------------------------


@dataclass
class PlanSection:
    report: PlanReport | None
    missing: str = ""
    # Actions from the locality's meetings open at the end of the month and past their due date.
    overdue_actions: list[plan_queries.OverdueAction] = field(default_factory=list)

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return plan_queries.milestone_statuses()


def plan_section(locality: Locality, month: dt.date) -> PlanSection:
    overdue = plan_queries.overdue_actions(locality, periods.month_end(month))
    try:
        return PlanSection(build_plan_report(locality, month), overdue_actions=overdue)
    except ReportError:
        return PlanSection(
            None,
            f"{locality.name} has no commissioning plan for {periods.financial_year_of(month)}.",
            overdue,
        )


# --- (b) indicators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Icons:
    """What the indicators' icon macros read (`indicators/_macros.jinja`)."""

    variation_icon: str
    assurance: str | None

    @property
    def variation_text(self) -> str:
        return present.VARIATION_TEXT.get(self.variation_icon, self.variation_icon)

    @property
    def assurance_text(self) -> str:
        return present.ASSURANCE_TEXT.get(self.assurance or "", "No target")


@dataclass(frozen=True)
class IndicatorLine:
    definition: Definition
    status: Status
    month: dt.date

    @property
    def has_value(self) -> bool:
        return self.status.month is not None

    @property
    def current(self) -> bool:
        """The value is for the report's month (not an earlier one)."""
        return self.status.month == self.month

    @property
    def icons(self) -> Icons | None:
        if self.status.variation_icon is None:
            return None
        return Icons(self.status.variation_icon, self.status.assurance)

    @property
    def target_text(self) -> str:
        if self.status.target is None:
            return "No target"
        return f"{present.fmt(self.status.target, self.definition.decimals)} {self.definition.unit}"

    @property
    def variation_text(self) -> str:
        icons = self.icons
        return icons.variation_text if icons else "Not enough data"

    @property
    def assurance_text(self) -> str:
        icons = self.icons
        return icons.assurance_text if icons else "No target"


@dataclass
class IndicatorSection:
    lines: list[IndicatorLine]

    @property
    def with_values(self) -> list[IndicatorLine]:
        return [line for line in self.lines if line.has_value]

    @property
    def groups(self) -> list[tuple[str, list[IndicatorLine]]]:
        out: dict[str, list[IndicatorLine]] = {}
        for line in self.lines:
            out.setdefault(line.definition.group, []).append(line)
        return list(out.items())

    def counts(self) -> dict[str, int]:
        """Indicators with a value by variation and by assurance (for the summary)."""
        found = Counter(line.variation_text for line in self.with_values)
        found.update(f"Assurance: {line.assurance_text}" for line in self.with_values)
        return dict(sorted(found.items()))


def indicator_section(locality: Locality, month: dt.date) -> IndicatorSection:
    lines = []
    values = series_by_indicator("locality", locality.slug)
    targets = local_targets_by_indicator("locality", locality.slug)
    for definition in indicator_definitions.catalogue().values():
        if "locality" not in definition.levels:
            continue
        status = latest_status(
            definition.id,
            "locality",
            locality.slug,
            month,
            series=values.get(definition.id, []),
            local_targets=targets.get(definition.id, []),
        )
        if status is not None:
            lines.append(IndicatorLine(definition, status, month))
    return IndicatorSection(lines)


# --- (c) finance ------------------------------------------------------------------------------


@dataclass
class FinanceSection:
    report: statements.Report | None
    missing: str = ""
    latest_spend_month: dt.date | None = None
    # The quality schedules of the PCT's contracts: money at stake and withheld to the month.
    quality: list[finance_queries.QualityAtStake] = field(default_factory=list)

    @property
    def quality_withheld(self) -> Decimal:
        return sum((q.withheld for q in self.quality), ZERO)

    @property
    def quality_at_stake(self) -> Decimal:
        return sum((q.at_stake for q in self.quality), ZERO)

    @property
    def lines(self) -> list[st.LineStatement]:
        return list(self.report.statement.lines) if self.report else []

    @property
    def total(self) -> st.LineStatement | None:
        return self.report.statement.total if self.report else None


def finance_section(locality: Locality, month: dt.date) -> FinanceSection:
    section = _statement_section(locality, month)
    section.quality = finance_queries.quality_at_stake(locality.pct.code, month)
    return section


def _statement_section(locality: Locality, month: dt.date) -> FinanceSection:
    practices = list(
        locality.practices.select_related("locality__pct").order_by("code")  # as finance does
    )
    if not practices:
        return FinanceSection(None, f"{locality.name} has no practices, so no budget.")
    latest = finance_queries.latest_spend_month(locality)
    if not finance_queries.has_spend(locality, month):
        when = f" (the latest month with spend is {latest:%B %Y})" if latest else ""
        return FinanceSection(
            None,
            f"No spend has been recorded for {locality.name} in {month:%B %Y}{when}: "
            "no statement or forecast for this month.",
            latest,
        )
    return FinanceSection(statements.report(practices, month), latest_spend_month=latest)


# --- (d) validation ledger --------------------------------------------------------------------


def validation_section(locality: Locality, month: dt.date) -> Ledger:
    start = periods.year_start(periods.financial_year_of(month))
    return validation_queries.locality_ledger(locality, start, month)


# --- (e) services and providers ---------------------------------------------------------------


@dataclass(frozen=True)
class ContractLine:
    summary: reports.ProviderSummary
    month_volume: int | None  # None: no return for the report's month (or its quarter)

    @property
    def periods(self) -> str:
        labels = list(self.summary.volume_by_period)
        if not labels:
            return ""
        return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


@dataclass
class ServicesSection:
    financial_year: str
    start: dt.date
    month: dt.date
    claims: list[ServiceClaims]
    claim_quarter: dt.date | None
    extended_hours: dict[str, Any] | None
    quitters: dict[str, Any] | None
    contracts: list[ContractLine]
    survey_quarter: dt.date | None
    survey: list[experience.DomainResult]
    survey_actions: list[Any]

    @property
    def claims_total(self) -> ServiceClaims:
        by_status: Counter[str] = Counter()
        for c in self.claims:
            by_status.update(c.by_status)
        return ServiceClaims(
            "All enhanced services",
            sum(c.signed_up for c in self.claims),
            sum(c.claims for c in self.claims),
            sum(c.units for c in self.claims),
            sum(c.payable_units for c in self.claims),
            sum((c.claimed for c in self.claims), ZERO),
            sum((c.paid for c in self.claims), ZERO),
            dict(by_status),
        )

    @property
    def claim_quarter_label(self) -> str:
        return periods.quarter_label(self.claim_quarter) if self.claim_quarter else ""

    @property
    def survey_quarter_label(self) -> str:
        return periods.quarter_label(self.survey_quarter) if self.survey_quarter else ""

    @property
    def empty(self) -> bool:
        return not self.claims and not self.contracts and not self.survey


def _month_volume(summary: reports.ProviderSummary, month: dt.date) -> int | None:
    template = summary.template
    period = periods.quarter_of(month) if template.frequency == "quarterly" else month
    found = [r for r in summary.returns if r.period == period]
    if not found:
        return None
    label = period_label(template, period)
    return summary.volume_by_period.get(label, 0)


def services_section(locality: Locality, month: dt.date) -> ServicesSection:
    year = periods.financial_year_of(month)
    start = periods.year_start(year)
    claims = service_queries.claims_by_service(locality, year, start, month)
    claim_quarter = service_queries.latest_claimed_quarter(locality, year, month)
    lines = [
        ContractLine(summary, _month_volume(summary, month))
        for summary in service_queries.contract_summaries(locality, start, month)
    ]
    quarters = [q for q in experience.quarters_with_results(locality) if q <= month]
    survey_quarter = quarters[0] if quarters else None
    return ServicesSection(
        financial_year=year,
        start=start,
        month=month,
        claims=claims,
        claim_quarter=claim_quarter,
        extended_hours=(
            feeds.extended_hours_offered(claim_quarter, locality=locality.slug)
            if claim_quarter
            else None
        ),
        quitters=(
            feeds.smoking_quitters(claim_quarter, locality=locality.slug) if claim_quarter else None
        ),
        contracts=lines,
        survey_quarter=survey_quarter,
        survey=experience.quarter_results(locality, survey_quarter) if survey_quarter else [],
        survey_actions=experience.actions_for(locality, survey_quarter) if survey_quarter else [],
    )


# --- the pack ---------------------------------------------------------------------------------


@dataclass
class BoardPack:
    locality: Locality
    month: dt.date
    generated_at: dt.datetime
    plan: PlanSection
    indicators: IndicatorSection
    finance: FinanceSection
    validation: Ledger
    services: ServicesSection
    practices: list[Practice] = field(default_factory=list)
    # The prescribing incentive scheme for the locality's practices (`board_scheme`).
    scheme: SchemeSection | None = None
    # Which practices reviewed their findings, month by month (`board_participation`).
    participation: ParticipationSection | None = None
    # The life-expectancy gap against halving it, and mortality (`board_inequalities`).
    inequalities: InequalitiesSection | None = None
    # Section (a `SECTION_STEPS` key) -> why its figures are older than their inputs; a
    # section whose figures are up to date is not listed.
    stale: dict[str, Staleness] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.locality.name} locality performance report, {self.month:%B %Y}"

    @property
    def financial_year(self) -> str:
        return periods.financial_year_of(self.month)

    @property
    def year_to_date(self) -> str:
        start = periods.year_start(self.financial_year)
        return f"{start:%B %Y} to {self.month:%B %Y}"

    @property
    def finance_charts(self) -> list[charts.Chart]:
        return charts.finance_charts(self.finance, self.financial_year)

    @property
    def spc_charts(self) -> list[charts.Chart]:
        return charts.spc_charts(self.indicators)


def build(locality: Locality, month: dt.date) -> BoardPack:
    """The pack for a locality and month (any day of the month)."""
    month = month.replace(day=1)
    return BoardPack(
        locality=locality,
        month=month,
        generated_at=timezone.localtime(),
        plan=plan_section(locality, month),
        indicators=indicator_section(locality, month),
        finance=finance_section(locality, month),
        validation=validation_section(locality, month),
        services=services_section(locality, month),
        practices=list(locality.practices.order_by("code")),
        scheme=scheme_section(locality, month),
        participation=participation_section(locality, month),
        inequalities=inequalities_section(locality, month),
        stale=stale_sections(),
    )


def stale_sections() -> dict[str, Staleness]:
    """The sections whose refresh step's figures are older than their inputs, with why."""
    notes = {section: staleness(step) for section, step in SECTION_STEPS.items()}
    return {section: note for section, note in notes.items() if note is not None}
