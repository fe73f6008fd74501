"""The locality performance report (the monthly board pack): one document per locality and month.

Both 2008/09 plans promise "regular locality performance reports"; this brings together, for a
locality and a reporting month, what the other apps already compute, read through their own
functions so that the pack shows the same figures as their pages:

a. **Plan progress** (`pbc.plans.report.build_report`): milestones per RAG status by section and
   for the plan, overdue milestones and those due in the next two months, the changes since the
   previous month, and the indicators linked to the plan's outcomes.
b. **Indicators** (`pbc.indicators.summary.latest_status`): every catalogue indicator reported at
   locality level, its latest value up to the report's month, target and Making Data Count
   variation and assurance.
c. **Finance** (`pbc.finance.statements.report`): the locality's statement at the month, by
   budget line: annual budget, year to date budget, actual and variance, forecast outturn and
   forecast variance, in pounds and per cent of budget; positive variance = overspend.
d. **Validation ledger** (`pbc.validation.models.Finding`, the amounts the challenge process
   writes): findings on the locality's practices' activity from April to the report's month:
   at stake, challenged, agreed, recovered and written off, by rule and by provider.
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

Formats: HTML (a self-contained document), PDF (WeasyPrint from that document, offline through
`pbc.plans.report.OfflineFetcher`) and XLSX (one sheet per section).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet
from weasyprint import HTML

from pbc.analytics.finance import statement as st
from pbc.analytics.validation import RULES
from pbc.finance import statements
from pbc.finance.models import RefreshRun, SpendFact
from pbc.indicators import definitions as indicator_definitions
from pbc.indicators import present
from pbc.indicators.definitions import Definition
from pbc.indicators.summary import Status, latest_status
from pbc.orgs.models import Locality, Practice
from pbc.plans.models import STATUS_ORDER, Plan
from pbc.plans.report import OfflineFetcher, PlanReport, ReportError
from pbc.plans.report import build_report as build_plan_report
from pbc.plans.tracking import STATUS_LABELS
from pbc.services import experience, feeds, periods, reports
from pbc.services.models import Claim, EnhancedService, ProviderContract, SignUp
from pbc.services.validation import period_label
from pbc.validation.models import Finding
from pbc.validation.models import Status as FindingStatus

FORMATS = ("html", "pdf", "xlsx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ZERO = Decimal("0.00")


class BoardPackError(ValueError):
    """The month or format is not understood."""


def default_month(locality: Locality) -> dt.date:
    """The latest month the finance statements were refreshed to, else the current month of
    the locality's latest plan, else this month."""
    refreshed = RefreshRun.latest_month()
    if refreshed is not None:
        return refreshed.replace(day=1)
    plan = locality.plans.first()
    if plan is not None:
        from pbc.plans.tracking import default_month as plan_default_month

        return plan_default_month(plan)
    today: dt.date = timezone.localdate()
    return today.replace(day=1)


def months_for(locality: Locality, month: dt.date) -> list[dt.date]:
    """The months a pack can be asked for from the page: the financial years of the locality's
    plans and of `month`, newest first."""
    years = {periods.financial_year_of(month)}
    years |= {p.financial_year for p in locality.plans.all()}
    return sorted({m for y in years for m in periods.months_of_year(y)}, reverse=True)


# --- (a) plan progress ------------------------------------------------------------------------


@dataclass
class PlanSection:
    report: PlanReport | None
    missing: str = ""

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return [(s, STATUS_LABELS[s]) for s in STATUS_ORDER]


def plan_section(locality: Locality, month: dt.date) -> PlanSection:
    try:
        return PlanSection(build_plan_report(locality, month))
    except ReportError:
        return PlanSection(
            None,
            f"{locality.name} has no commissioning plan for {periods.financial_year_of(month)}.",
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
    for definition in indicator_definitions.catalogue().values():
        if "locality" not in definition.levels:
            continue
        status = latest_status(definition.id, "locality", locality.slug, month)
        if status is not None:
            lines.append(IndicatorLine(definition, status, month))
    return IndicatorSection(lines)


# --- (c) finance ------------------------------------------------------------------------------


@dataclass
class FinanceSection:
    report: statements.Report | None
    missing: str = ""
    latest_spend_month: dt.date | None = None

    @property
    def lines(self) -> list[st.LineStatement]:
        return list(self.report.statement.lines) if self.report else []

    @property
    def total(self) -> st.LineStatement | None:
        return self.report.statement.total if self.report else None


def finance_section(locality: Locality, month: dt.date) -> FinanceSection:
    practices = list(
        locality.practices.select_related("locality__pct").order_by("code")  # as finance does
    )
    if not practices:
        return FinanceSection(None, f"{locality.name} has no practices, so no budget.")
    facts = SpendFact.objects.filter(practice__locality=locality)
    latest = facts.order_by("-month").values_list("month", flat=True).first()
    if not facts.filter(month=month).exists():
        when = f" (the latest month with spend is {latest:%B %Y})" if latest else ""
        return FinanceSection(
            None,
            f"No spend has been recorded for {locality.name} in {month:%B %Y}{when}: "
            "no statement or forecast for this month.",
            latest,
        )
    return FinanceSection(statements.report(practices, month), latest_spend_month=latest)


# --- (d) validation ledger --------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    key: str
    label: str
    findings: int
    at_stake: Decimal
    to_review: int
    accepted: int
    challenges: int
    challenged: Decimal
    agreed: Decimal
    recovered: Decimal
    written_off: Decimal


LEDGER_SUMS: dict[str, Any] = {
    "findings": Count("id"),
    "at_stake": Sum("amount"),
    "to_review": Count(
        "id", filter=Q(status__in=[FindingStatus.OPEN, FindingStatus.MORE_INFORMATION])
    ),
    "accepted": Count("id", filter=Q(status=FindingStatus.ACCEPTED)),
    "challenges": Count(
        "id",
        filter=Q(
            status__in=[
                FindingStatus.CHALLENGED,
                FindingStatus.SIGNED_OFF,
                FindingStatus.AGREED,
                FindingStatus.DISPUTED,
                FindingStatus.WRITTEN_OFF,
            ]
        ),
    ),
    "challenged": Sum("challenged_amount"),
    "agreed": Sum("agreed_amount"),
    "recovered": Sum("recovered_amount"),
    "written_off": Sum("written_off_amount"),
}


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _ledger_row(key: str, label: str, sums: dict[str, Any]) -> LedgerRow:
    return LedgerRow(
        key=key,
        label=label,
        findings=sums["findings"] or 0,
        at_stake=_money(sums["at_stake"]),
        to_review=sums["to_review"] or 0,
        accepted=sums["accepted"] or 0,
        challenges=sums["challenges"] or 0,
        challenged=_money(sums["challenged"]),
        agreed=_money(sums["agreed"]),
        recovered=_money(sums["recovered"]),
        written_off=_money(sums["written_off"]),
    )


@dataclass
class ValidationSection:
    start: dt.date
    end: dt.date
    by_rule: list[LedgerRow]
    by_provider: list[LedgerRow]
    total: LedgerRow
    this_month: LedgerRow

    @property
    def empty(self) -> bool:
        return self.total.findings == 0


def ledger_findings(locality: Locality, start: dt.date, end: dt.date) -> Any:
    """The locality's findings for activity months start..end (the ledger page's scope for a
    locality: its practices' findings)."""
    return Finding.objects.filter(practice__locality=locality, month__gte=start, month__lte=end)


def validation_section(locality: Locality, month: dt.date) -> ValidationSection:
    start = periods.year_start(periods.financial_year_of(month))
    findings = ledger_findings(locality, start, month)
    titles = {r.id: r.title for r in RULES.values()}
    by_rule = [
        _ledger_row(r["rule_id"], titles.get(r["rule_id"], r["rule_id"]), r)
        for r in findings.values("rule_id").annotate(**LEDGER_SUMS).order_by("rule_id")
    ]
    by_rule.sort(key=lambda row: (-row.at_stake, row.key))
    names = dict(
        Finding.objects.filter(provider__isnull=False)
        .values_list("provider_code", "provider__name")
        .distinct()
    )
    by_provider = [
        _ledger_row(r["provider_code"], names.get(r["provider_code"], r["provider_code"]), r)
        for r in findings.values("provider_code").annotate(**LEDGER_SUMS).order_by("provider_code")
    ]
    total = _ledger_row("total", "Total", findings.aggregate(**LEDGER_SUMS))
    this_month = _ledger_row(
        "month", f"{month:%B %Y}", findings.filter(month=month).aggregate(**LEDGER_SUMS)
    )
    return ValidationSection(start, month, by_rule, by_provider, total, this_month)


# --- (e) services and providers ---------------------------------------------------------------


@dataclass(frozen=True)
class ServiceClaims:
    service: str
    signed_up: int
    claims: int
    units: int
    payable_units: int
    claimed: Decimal  # payable amount of every claim not rejected
    paid: Decimal  # paid in the year to date (by payment month)
    by_status: dict[str, int]


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


def _claims(locality: Locality, year: str, start: dt.date, month: dt.date) -> list[ServiceClaims]:
    quarters = [q for q in periods.quarters_of_year(year) if q <= month]
    claims = list(
        Claim.objects.filter(
            practice__locality=locality, specification__financial_year=year, quarter__in=quarters
        ).select_related("specification__service")
    )
    sign_ups = list(
        SignUp.objects.filter(
            practice__locality=locality, specification__financial_year=year
        ).select_related("specification__service")
    )
    end = periods.month_end(month)
    out = []
    for service in EnhancedService.objects.filter(specifications__financial_year=year).order_by(
        "name"
    ):
        mine = [c for c in claims if c.specification.service_id == service.pk]
        signed = {
            s.practice_id
            for s in sign_ups
            if s.specification.service_id == service.pk and s.active_between(start, end)
        }
        if not mine and not signed:
            continue
        live = [c for c in mine if c.status != Claim.Status.REJECTED]
        out.append(
            ServiceClaims(
                service=service.name,
                signed_up=len(signed),
                claims=len(mine),
                units=sum(c.units for c in live),
                payable_units=sum(c.payable_units for c in live),
                claimed=sum((c.amount for c in live), ZERO),
                paid=sum(
                    (
                        c.amount
                        for c in mine
                        if c.status == Claim.Status.PAID
                        and c.paid_month is not None
                        and start <= c.paid_month <= month
                    ),
                    ZERO,
                ),
                by_status=dict(Counter(c.get_status_display() for c in mine)),
            )
        )
    return out


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
    claims = _claims(locality, year, start, month)
    claimed_quarters = sorted(
        Claim.objects.filter(
            practice__locality=locality, specification__financial_year=year, quarter__lte=month
        )
        .values_list("quarter", flat=True)
        .distinct()
    )
    claim_quarter = claimed_quarters[-1] if claimed_quarters else None
    contracts = list(ProviderContract.objects.filter(locality=locality).select_related("provider"))
    # Quarterly returns cover a quarter starting on or before the report's month.
    lines = []
    for contract in sorted(contracts, key=lambda c: (c.template, c.provider.name)):
        summary = reports.summarise(contract, reports.current_returns(contract, start, month))
        if summary.returns:
            lines.append(ContractLine(summary, _month_volume(summary, month)))
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
    validation: ValidationSection
    services: ServicesSection
    practices: list[Practice] = field(default_factory=list)

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
    def plan_object(self) -> Plan | None:
        return self.plan.report.plan if self.plan.report else None


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
    )


# --- formats ----------------------------------------------------------------------------------


def percent(value: Decimal | float | None, places: int = 1) -> str:
    return "" if value is None else f"{value:,.{places}f}%"


def render_html_document(pack: BoardPack) -> str:
    """The pack as a self-contained HTML document (the PDF's source and --format html)."""
    html: str = render_to_string("reports/board_document.jinja", {"pack": pack, "percent": percent})
    return html


def render_pdf(pack: BoardPack) -> bytes:
    """WeasyPrint, offline: the plan report's fetcher refuses every URL but inline data."""
    pdf: bytes = HTML(string=render_html_document(pack), url_fetcher=OfflineFetcher()).write_pdf()
    return pdf


def _sheet(book: Workbook, title: str, heading: str, first: bool = False) -> Worksheet:
    ws = book.active if first else book.create_sheet(title)
    assert ws is not None
    ws.title = title
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=13)
    return ws


def _table(
    ws: Worksheet, header: list[str], rows: Iterable[list[Any]], money: Iterable[int] = ()
) -> None:
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    money_columns = set(money)
    for row in rows:
        ws.append(row)
        for col in money_columns:
            ws.cell(row=ws.max_row, column=col).number_format = "£#,##0.00;-£#,##0.00"


def _note(ws: Worksheet, text: str) -> None:
    ws.append([text])
    ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)


def render_xlsx(pack: BoardPack) -> bytes:
    book = Workbook()
    _xlsx_plan(pack, _sheet(book, "Plan", f"{pack.title}: plan progress", first=True))
    _xlsx_indicators(pack, _sheet(book, "Indicators", f"{pack.title}: indicators"))
    _xlsx_finance(pack, _sheet(book, "Finance", f"{pack.title}: financial position"))
    _xlsx_validation(pack, _sheet(book, "Validation", f"{pack.title}: validation ledger"))
    _xlsx_services(pack, _sheet(book, "Services", f"{pack.title}: services and providers"))
    for ws in book.worksheets:
        ws.column_dimensions["A"].width = 48
        for col in "BCDEFGHIJKL":
            ws.column_dimensions[col].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_plan(pack: BoardPack, ws: Worksheet) -> None:
    report = pack.plan.report
    if report is None:
        _note(ws, pack.plan.missing)
        return
    current = report.current
    _note(ws, report.plan.title)
    labels = [label for _, label in pack.plan.statuses]
    rows = []
    for section in current.sections:
        counts = current.counts(section)
        rows.append([section.name, *counts.values(), sum(counts.values())])
    counts = current.counts()
    rows.append(["Whole plan", *counts.values(), sum(counts.values())])
    _table(ws, ["Section", *labels, "Total"], rows)
    ws.append([])
    _note(ws, f"Overdue milestones: {len(current.overdue)}")
    _table(
        ws,
        ["Milestone", "Text", "Due", "Status"],
        ([s.milestone.ref, s.milestone.short_text, s.milestone.due_date, s.status_label]
         for s in current.overdue),
    )  # fmt: skip
    ws.append([])
    _note(ws, f"Due in the next two months: {len(current.due_soon)}")
    _table(
        ws,
        ["Milestone", "Text", "Due", "Status"],
        ([s.milestone.ref, s.milestone.short_text, s.milestone.due_date, s.status_label]
         for s in current.due_soon),
    )  # fmt: skip
    ws.append([])
    _note(ws, f"Changed status since {report.previous_month:%B %Y}: {len(report.changes)}")
    ws.append([])
    _note(ws, "Indicators linked to the plan's outcomes")
    if not report.outcomes:
        _note(ws, "No outcomes are linked to indicators yet.")
    _table(
        ws,
        ["Objective", "Outcome", "Indicator", "Target", "Latest value", "Variation", "Assurance"],
        (
            [
                o.objective.number,
                o.text,
                s.title if s else o.indicator_id,
                o.target,
                s.text if s else "No data yet",
                (s.variation_icon or "") if s else "",
                (s.assurance or "") if s else "",
            ]
            for o in report.outcomes
            for s in [report.indicators.get(o.pk)]
        ),
    )


def _xlsx_indicators(pack: BoardPack, ws: Worksheet) -> None:
    section = pack.indicators
    if not section.with_values:
        _note(ws, f"No indicator has a value for {pack.locality.name} up to {pack.month:%B %Y}.")
    _table(
        ws,
        ["Group", "Indicator", "Latest value", "Unit", "Month", "Target", "Variation", "Assurance"],
        (
            [
                line.definition.group,
                line.definition.title,
                line.status.value,
                line.definition.unit,
                line.status.month.strftime("%B %Y") if line.status.month else "No data yet",
                line.status.target,
                line.variation_text if line.has_value else "",
                line.assurance_text if line.has_value else "",
            ]
            for line in section.lines
        ),
    )


def _xlsx_finance(pack: BoardPack, ws: Worksheet) -> None:
    finance = pack.finance
    if finance.report is None or finance.total is None:
        _note(ws, finance.missing)
        return
    _note(ws, f"Financial year {pack.financial_year}, month {finance.total.month_number} "
              f"({pack.month:%B %Y}); positive variance = overspend.")  # fmt: skip
    header = ["Budget line", "Annual budget", "YTD budget", "YTD actual", "YTD variance",
              "YTD variance %", "Forecast outturn", "Forecast variance", "Forecast variance %",
              "Underlying variance", "Forecast method"]  # fmt: skip
    rows = [
        [
            s.label,
            s.annual_budget,
            s.ytd_budget,
            s.ytd_actual,
            s.ytd_variance,
            s.ytd_variance_percent,
            s.forecast_outturn,
            s.forecast_variance,
            s.forecast_variance_percent,
            s.underlying_variance,
            s.method,
        ]  # fmt: skip
        for s in [*finance.lines, finance.total]
    ]
    _table(ws, header, rows, money=(2, 3, 4, 5, 7, 8, 10))


def _ledger_rows(rows: Iterable[LedgerRow]) -> list[list[Any]]:
    return [
        [
            r.label,
            r.findings,
            r.at_stake,
            r.to_review,
            r.accepted,
            r.challenges,
            r.challenged,
            r.agreed,
            r.recovered,
            r.written_off,
        ]  # fmt: skip
        for r in rows
    ]


LEDGER_HEADER = ["", "Findings", "At stake", "To review", "Accepted", "Challenges", "Challenged",
                 "Agreed", "Recovered", "Written off"]  # fmt: skip


def _xlsx_validation(pack: BoardPack, ws: Worksheet) -> None:
    v = pack.validation
    _note(ws, f"Findings on activity from {v.start:%B %Y} to {v.end:%B %Y}.")
    if v.empty:
        _note(ws, f"No validation findings for {pack.locality.name} in the year to date.")
        return
    if v.total.challenges == 0:
        _note(ws, "No charge has been challenged in the year to date.")
    money = (3, 7, 8, 9, 10)
    _table(ws, ["Rule", *LEDGER_HEADER[1:]], _ledger_rows([*v.by_rule, v.total]), money)
    ws.append([])
    _table(ws, ["Provider", *LEDGER_HEADER[1:]], _ledger_rows(v.by_provider), money)
    ws.append([])
    _table(ws, ["Month", *LEDGER_HEADER[1:]], _ledger_rows([v.this_month]), money)


def _xlsx_services(pack: BoardPack, ws: Worksheet) -> None:
    s = pack.services
    _note(ws, f"Enhanced services, {s.financial_year} to {s.month:%B %Y}")
    if not s.claims:
        _note(
            ws,
            f"No enhanced-service sign-ups or claims for {pack.locality.name} in {s.financial_year}.",
        )
    else:
        _table(
            ws,
            ["Service", "Practices signed up", "Claims", "Units claimed", "Payable units",
             "Claimed", "Paid (year to date)"],
            ([c.service, c.signed_up, c.claims, c.units, c.payable_units, c.claimed, c.paid]
             for c in [*s.claims, s.claims_total]),
            money=(6, 7),
        )  # fmt: skip
        if s.extended_hours:
            eh = s.extended_hours
            _note(ws, f"Practices offering extended hours, {eh['quarter']}: {eh['numerator']} of "
                      f"{eh['denominator']} ({percent(eh['percent'])})")  # fmt: skip
        if s.quitters:
            q = s.quitters
            _note(ws, f"Smoking quitters, {q['quarter']}: {q['quitters']} against a target of "
                      f"{q['target']} ({percent(q['percent_of_target'])})")  # fmt: skip
    ws.append([])
    _note(ws, "Provider returns, year to date")
    if not s.contracts:
        _note(
            ws,
            f"No provider returns for {pack.locality.name} in {s.financial_year} up to {s.month:%B %Y}.",
        )
    else:
        _table(
            ws,
            ["Service", "Provider", "Periods", "Volume", "Measure", f"Volume {s.month:%b %Y}",
             "DNA rate %", "Median wait (days)", "Compliance", "Compliance %", "Cost per case"],
            (
                [c.summary.template.name, c.summary.contract.provider.name, c.periods,
                 c.summary.volume, c.summary.template.volume_label,
                 "no return" if c.month_volume is None else c.month_volume,
                 c.summary.dna.percent if c.summary.dna else None, c.summary.median_wait_days,
                 c.summary.template.compliance.label if c.summary.template.compliance else "",
                 c.summary.compliance.percent if c.summary.compliance else None,
                 c.summary.cost_per_case]
                for c in s.contracts
            ),
            money=(11,),
        )  # fmt: skip
    ws.append([])
    _note(ws, "Patient experience")
    if not s.survey:
        _note(ws, f"No patient survey results for {pack.locality.name} up to {s.month:%B %Y}.")
    else:
        _note(ws, f"Survey {s.survey_quarter_label}; {len(s.survey_actions)} actions logged")
        _table(
            ws,
            ["Domain", "Responses", "Positive", "% positive", "Practices better", "Practices worse"],
            (
                [d.label, d.locality.denominator, d.locality.numerator, d.locality.percent,
                 sum(p.comparison == "better" for p in d.practices),
                 sum(p.comparison == "worse" for p in d.practices)]
                for d in s.survey
            ),
        )  # fmt: skip


def render(pack: BoardPack, fmt: str) -> bytes:
    if fmt == "html":
        return render_html_document(pack).encode()
    if fmt == "pdf":
        return render_pdf(pack)
    if fmt == "xlsx":
        return render_xlsx(pack)
    raise BoardPackError(f"unknown format {fmt!r}: use html, pdf or xlsx")


def filename(pack: BoardPack, fmt: str) -> str:
    return f"{pack.locality.slug}-board-pack-{pack.month:%Y-%m}.{fmt}"
