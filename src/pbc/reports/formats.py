"""The board pack's formats: HTML (a self-contained document), PDF (WeasyPrint from that
document, offline through `pbc.plans.report.OfflineFetcher`) and XLSX (one sheet per section)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet
from weasyprint import HTML

from pbc.exports import Workbook
from pbc.plans.report import OfflineFetcher
from pbc.reports.board import BoardPack, BoardPackError
from pbc.validation.queries import LedgerRow

FORMATS = ("html", "pdf", "xlsx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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
    sections = (
        ("indicators", _xlsx_indicators, "Indicators", "indicators"),
        ("finance", _xlsx_finance, "Finance", "financial position"),
        ("validation", _xlsx_validation, "Validation", "validation ledger"),
    )
    for section, write, title, heading in sections:
        ws = _sheet(book, title, f"{pack.title}: {heading}")
        if section in pack.stale:
            _note(ws, f"Figures out of date. {pack.stale[section].text}")
        write(pack, ws)
    _xlsx_scheme(pack, _sheet(book, "Prescribing scheme", f"{pack.title}: prescribing scheme"))
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
        _xlsx_overdue_actions(pack, ws)
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
    if not report.measures:
        _note(ws, "No outcomes are linked to indicators yet.")
    _table(
        ws,
        ["Objective", "Measured", "Text", "Indicator", "Target", "Latest value", "Variation",
         "Assurance"],
        (
            [line.objective_number, line.subject, line.text, line.indicator, line.target,
             line.value_text, line.variation_text, line.assurance_text]
            for line in report.measures
        ),
    )  # fmt: skip
    _xlsx_overdue_actions(pack, ws)


def _xlsx_overdue_actions(pack: BoardPack, ws: Worksheet) -> None:
    ws.append([])
    _note(ws, f"Overdue actions from meetings: {len(pack.plan.overdue_actions)}")
    _table(
        ws,
        ["Action", "Meeting", "Owner", "Due", "Days overdue", "Concerns"],
        ([a.text, a.meeting, a.owner, a.due_on, a.days_overdue, a.concerns]
         for a in pack.plan.overdue_actions),
    )  # fmt: skip


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
    _xlsx_inequalities(pack, ws)


def _xlsx_inequalities(pack: BoardPack, ws: Worksheet) -> None:
    ineq = pack.inequalities
    ws.append([])
    if ineq is None or ineq.empty:
        _note(ws, "Inequalities in life expectancy: no whole financial year of deaths yet.")
        return
    _note(
        ws,
        "Inequalities in life expectancy: the gap (average minus the most deprived fifth) "
        "against halving it by 2010/11, each whole financial year before the report's month.",
    )
    _table(
        ws,
        ["Area", "Year", "Gap (years)", "Lower 95%", "Upper 95%", "Halving trajectory",
         "Against it", "Not calculated because"],
        (
            [a.name, y.year, y.gap.value, y.gap.lower, y.gap.upper, y.target, y.status or "",
             "" if y.gap.value is not None else y.gap.reason or ""]
            for a in ineq.areas
            for y in a.years
        ),
    )  # fmt: skip
    ws.append([])
    _note(ws, "All-cause mortality per 100,000 a year (ESP 2013), latest whole year, 95% CI.")

    def cells(rate: Any) -> list[Any]:
        return [rate.value, rate.lower, rate.upper] if rate is not None else [None] * 3

    _table(
        ws,
        ["Area", "Year", "Most deprived fifth", "Lower 95%", "Upper 95%", "Average",
         "Lower 95%", "Upper 95%"],
        (
            [a.name, a.mortality_year, *cells(a.most_deprived), *cells(a.average)]
            for a in ineq.areas
            if a.mortality_year
        ),
    )  # fmt: skip


def _xlsx_finance(pack: BoardPack, ws: Worksheet) -> None:
    _xlsx_statement(pack, ws)
    ws.append([])
    quality = pack.finance.quality
    if not quality:
        _note(ws, f"No contract for {pack.financial_year} has a quality schedule.")
        return
    _note(ws, f"Contracts' quality schedules, April to {pack.month:%B %Y}: money at stake in "
              "the year and withheld for the months below the threshold.")  # fmt: skip
    header = ["Contract", "Measure", "Threshold %", "Months met", "Months below",
              "Months not reported", "Withheld % a month below", "At stake in the year",
              "Withheld"]  # fmt: skip
    rows = [
        [
            q.contract,
            q.measure,
            q.threshold,
            q.months_met,
            q.months_below,
            q.months_not_reported,
            q.withheld_percent,
            q.at_stake,
            q.withheld,
        ]  # fmt: skip
        for q in quality
    ]
    _table(ws, header, rows, money=(8, 9))


def _xlsx_scheme(pack: BoardPack, ws: Worksheet) -> None:
    sch = pack.scheme
    if sch is None or not sch.has_targets:
        _note(ws, f"No prescribing incentive scheme targets for {pack.financial_year}.")
        return
    _note(ws, f"Prescribing from April to {pack.month:%B %Y}: targets met and the payment if "
              "the year ended now; potential saving from the good-buy list.")  # fmt: skip
    _table(
        ws,
        ["Practice", "Code", "Targets met", "Targets", "Payment", "Potential saving"],
        [
            [p.name, p.practice, p.met, p.targets, p.payment, p.potential_saving]
            for p in sch.practices
        ],  # fmt: skip
        money=(5, 6),
    )
    ws.append([])
    _table(
        ws,
        ["From", "To", "Saving per item", "Locality items of from", "Potential saving"],
        [
            [
                w.saving.switch.from_name,
                w.saving.switch.to_name,
                w.saving.saving_per_item,
                w.from_items,
                w.potential_saving,
            ]
            for w in sch.switches
        ],  # fmt: skip
        money=(3, 5),
    )


def _xlsx_statement(pack: BoardPack, ws: Worksheet) -> None:
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
    _xlsx_participation(pack, ws)


def _xlsx_participation(pack: BoardPack, ws: Worksheet) -> None:
    part = pack.participation
    if part is None or not part.practices_with_findings:
        return
    ws.append([])
    _note(ws, "Practices taking part in validation: reviewed a finding of the month.")
    _table(
        ws,
        ["Month of the activity", "Practices taking part", "Practices with findings"],
        [[f"{m.month:%B %Y}", m.took_part, m.with_findings] for m in part.months],
    )


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
