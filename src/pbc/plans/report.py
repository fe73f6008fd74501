"""The board status report of a locality's plan for one month: HTML, PDF and XLSX.

Contents, in order: summary counts (plan and per section), a status table per objective, what
changed since the previous month, overdue milestones and those due in the next two months, and the
linked indicators (each measured outcome's and milestone's indicators for the locality: latest
value up to the report's month, the plan's target, Making Data Count variation and assurance
icons; "No data yet" when none).

The report is for the locality board and the PCT, so it includes private commentary, marked
"(private)"; the public plan page leaves it out.

The PDF is rendered by WeasyPrint from a self-contained HTML document: styles inline, fonts from
the machine's fontconfig (DejaVu Sans, Debian's fonts-dejavu-core), and a URL fetcher that refuses
every URL except inline `data:` ones, so rendering never touches the network.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl.styles import Alignment, Font, PatternFill
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pbc.exports import Workbook
from pbc.indicators import definitions as defs
from pbc.indicators.present import Spc
from pbc.indicators.summary import Status, latest_status
from pbc.orgs.models import Locality
from pbc.periods import add_months
from pbc.plans.measures import plan_links
from pbc.plans.models import STATUS_ORDER, MeasureLink, Plan
from pbc.plans.tracking import (
    STATUS_LABELS,
    Change,
    PlanMonth,
    changes_since_previous_month,
    plan_for_month,
    plan_month,
)

FORMATS = ("html", "pdf", "xlsx")
STATUS_FILLS = {
    "not_started": "D8DDE0",
    "green": "007F3B",
    "amber": "FFB81C",
    "red": "D5281B",
    "complete": "005EB8",
}


class ReportError(Exception):
    """No plan covers the month asked for, or the month or format is not understood."""


@dataclass(frozen=True)
class MeasureLine:
    """A linked indicator of an outcome or milestone, with its latest value at the locality
    (status None when the indicator has left the catalogue)."""

    link: MeasureLink
    status: Status | None
    # Where the value is from when not the organisation itself: "PCT 5P3" for an indicator
    # reported for the whole PCT only (a national return's), shown beside the value.
    scope: str = ""

    @property
    def objective_number(self) -> int:
        return self.link.subject.objective.number

    @property
    def subject(self) -> str:
        """ "Outcome 3.2" or "Milestone 3.2"."""
        return self.link.subject_ref.capitalize()

    @property
    def text(self) -> str:
        return self.link.subject.text

    @property
    def indicator(self) -> str:
        return self.status.title if self.status else self.link.indicator_id

    @property
    def target(self) -> str:
        return self.link.target

    @property
    def value_text(self) -> str:
        if self.status is None or self.status.month is None:
            return "No data yet"
        scope = f", {self.scope}" if self.scope else ""
        return f"{self.status.text} ({self.status.month:%B %Y}{scope})"

    @property
    def spc(self) -> Spc | None:
        """What the Making Data Count icon macros read (None: too few values for a chart)."""
        return self.status.chart if self.status else None

    @property
    def variation_text(self) -> str:
        return self.spc.variation_text if self.spc else "Not enough data"

    @property
    def assurance_text(self) -> str:
        return self.spc.assurance_text if self.spc else "No target"


def measure_lines(
    plan: Plan, level: str, org_code: str, month: dt.date | None, pct_code: str = ""
) -> list[MeasureLine]:
    """Every measure of the plan with its indicator's latest value up to `month` at the
    organisation (None: the latest of all). An indicator not reported at the organisation's
    level but for PCTs (the national returns are a PCT's) takes the value of `pct_code`, the
    organisation's PCT, and says so."""
    lines = []
    for link in plan_links(plan):
        definition = defs.get(link.indicator_id)
        if (
            pct_code
            and definition is not None
            and level not in definition.levels
            and "pct" in definition.levels
        ):
            status = latest_status(link.indicator_id, "pct", pct_code, month)
            lines.append(MeasureLine(link, status, scope=f"PCT {pct_code}"))
        else:
            lines.append(
                MeasureLine(link, latest_status(link.indicator_id, level, org_code, month))
            )
    return lines


@dataclass
class PlanReport:
    locality: Locality
    plan: Plan
    month: dt.date
    current: PlanMonth
    changes: list[Change]
    generated_at: dt.datetime
    # Each outcome's (and milestone's) measures: its indicators at the locality, latest month
    # up to the report's month.
    measures: list[MeasureLine] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.locality.name} plan status report, {self.month:%B %Y}"

    @property
    def previous_month(self) -> dt.date:
        return add_months(self.month, -1)

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return [(s, STATUS_LABELS[s]) for s in STATUS_ORDER]


def build_report(locality: Locality, month: dt.date) -> PlanReport:
    month = month.replace(day=1)
    plan = plan_for_month(list(locality.plans.all()), month)
    if plan is None:
        raise ReportError(
            f"{locality.name} has no plan for a financial year including {month:%B %Y}"
        )
    return PlanReport(
        locality=locality,
        plan=plan,
        month=month,
        current=plan_month(plan, month),
        changes=changes_since_previous_month(plan, month),
        generated_at=timezone.localtime(),
        measures=measure_lines(plan, "locality", locality.slug, month, locality.pct.code),
    )


def render_html_document(report: PlanReport) -> str:
    """The report as a self-contained HTML document (the PDF's source and the --format html)."""
    return render_to_string("plans/report_document.jinja", {"report": report})


class OfflineFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that never leaves the machine: only inline `data:` URLs load."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"the report renderer does not fetch {url}")
        return super().fetch(url, headers)


def render_pdf(report: PlanReport) -> bytes:
    fetcher = OfflineFetcher()
    pdf: bytes = HTML(string=render_html_document(report), url_fetcher=fetcher).write_pdf()
    return pdf


def render_xlsx(report: PlanReport) -> bytes:
    book = Workbook()
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    summary.append([report.title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([f"Plan: {report.plan.title}"])
    summary.append([f"Generated {report.generated_at:%d %B %Y %H:%M}"])
    summary.append([])
    summary.append(["Section", *[label for _, label in report.statuses], "Total"])
    for section in report.current.sections:
        counts = report.current.counts(section)
        summary.append([section.name, *counts.values(), sum(counts.values())])
    counts = report.current.counts()
    summary.append(["Whole plan", *counts.values(), sum(counts.values())])
    for row in (summary[5], summary[summary.max_row]):
        for cell in row:
            cell.font = bold
    summary.column_dimensions["A"].width = 40

    sheet = book.create_sheet("Milestones")
    sheet.append(
        [
            "Section",
            "Objective",
            "Milestone",
            "Text",
            "Leads",
            "Due",
            "Status",
            "Status from",
            "Commentary",
            "Private",
            "Evidence",
            "Updated by",
        ]
    )
    for state in report.current.states:
        m, u = state.milestone, state.update
        sheet.append(
            [
                m.objective.section.name,
                f"{m.objective.number}. {m.objective.short_title}",
                m.ref,
                m.text,
                "; ".join(lead.name for lead in m.leads.all()),
                m.due_date,
                state.status_label,
                u.month.strftime("%Y-%m") if u else "",
                u.commentary if u else "",
                "yes" if u and u.private else "",
                u.evidence_url if u else "",
                u.recorded_by_name if u else "",
            ]
        )
        status_cell = sheet.cell(row=sheet.max_row, column=7)
        status_cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[state.status])
        sheet.cell(row=sheet.max_row, column=6).number_format = "yyyy-mm-dd"
    for col, width in zip(
        "ABCDEFGHIJKL", (22, 40, 9, 60, 24, 12, 12, 11, 60, 8, 30, 18), strict=True
    ):
        sheet.column_dimensions[col].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"

    changes = book.create_sheet("Changes")
    changes.append(["Milestone", "Text", f"{report.previous_month:%B %Y}", f"{report.month:%B %Y}"])
    for change in report.changes:
        m = change.state.milestone
        changes.append([m.ref, m.short_text, change.previous_label, change.state.status_label])

    overdue = book.create_sheet("Overdue")
    overdue.append(["Milestone", "Text", "Due", "Status", "Leads"])
    for state in report.current.overdue:
        m = state.milestone
        overdue.append(
            [
                m.ref,
                m.short_text,
                m.due_date,
                state.status_label,
                "; ".join(lead.name for lead in m.leads.all()),
            ]
        )
        overdue.cell(row=overdue.max_row, column=3).number_format = "yyyy-mm-dd"

    indicators = book.create_sheet("Indicators")
    indicators.append(
        ["Objective", "Measured", "Text", "Indicator", "Target", "Latest value", "Month",
         "Variation", "Assurance"]
    )  # fmt: skip
    for line in report.measures:
        status = line.status
        indicators.append(
            [
                line.objective_number,
                line.subject,
                line.text,
                line.indicator,
                line.target,
                (status.text + (f" ({line.scope})" if line.scope else ""))
                if status
                else "No data yet",
                (status.month.strftime("%B %Y") if status and status.month else ""),
                line.variation_text,
                line.assurance_text,
            ]
        )
    if not report.measures:
        indicators.append(["", "", "No outcomes are linked to indicators yet", "", ""])
    for ws in (changes, overdue, indicators):
        for cell in ws[1]:
            cell.font = bold

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(report: PlanReport, fmt: str) -> bytes:
    if fmt == "html":
        return render_html_document(report).encode()
    if fmt == "pdf":
        return render_pdf(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    raise ReportError(f"unknown format {fmt!r}: use html, pdf or xlsx")


CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def filename(report: PlanReport, fmt: str) -> str:
    return f"{report.locality.slug}-plan-status-{report.month:%Y-%m}.{fmt}"
