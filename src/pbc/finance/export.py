"""XLSX export of a statement (every statement page has one): the statement, the forecast
methods with their backtests, (for a locality or PCT) the practices, the prescribing variance
split into budget setting, volume and price, the months, and the hospital activity invoiced and
expected by month and provider."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl.styles import Font

from pbc.analytics.finance.forecast import METHOD_LABELS
from pbc.analytics.finance.lines import BudgetLine
from pbc.exports import Workbook
from pbc.finance.statements import Report

MONEY_FORMAT = "#,##0.00;-#,##0.00"


def _money(value: Decimal | None) -> float | None:
    # openpyxl writes numbers; the value is exact to the penny as a decimal string first.
    return None if value is None else float(value.quantize(Decimal("0.01")))


def workbook(title: str, rep: Report) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Statement"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    months = ", ".join(str(m) for m in rep.statement.total.estimated_months)
    ws.append([f"Month {rep.statement.month_number} of {rep.financial_year} ({rep.month:%B %Y})"])
    ws.append([f"Estimated months (prescribing not yet received): {months or 'none'}"])
    ws.append([])
    header = ["Budget line", "Annual budget", "Month budget", "Month actual", "YTD budget",
              "YTD actual", "YTD variance", "Forecast outturn", "Forecast variance",
              "Forecast variance %", "Method", "Underlying variance"]  # fmt: skip
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for s in [*rep.statement.lines, rep.statement.total]:
        ws.append(
            [
                s.label,
                *(
                    _money(v)
                    for v in (
                        s.annual_budget,
                        s.month_budget,
                        s.month_actual,
                        s.ytd_budget,
                        s.ytd_actual,
                        s.ytd_variance,
                        s.forecast_outturn,
                        s.forecast_variance,
                    )  # fmt: skip
                ),
                float(s.forecast_variance_percent)
                if s.forecast_variance_percent is not None
                else None,
                METHOD_LABELS.get(s.method, "Sum of each line's chosen method"),
                _money(s.underlying_variance),
            ]
        )
    for row in ws.iter_rows(min_row=6, min_col=2, max_col=12):
        for cell in row:
            if cell.column != 10:
                cell.number_format = MONEY_FORMAT
    bt = wb.create_sheet("Forecast backtests")
    bt.append(["Budget line", "Method", "Forecast outturn", "Backtest forecast (last year)",
               "Last year actual", "Backtest error", "Backtest error %"])  # fmt: skip
    for s in [*rep.statement.lines, rep.statement.total]:
        for name, f in s.forecasts.items():
            b = f.backtest
            bt.append(
                [
                    s.label, METHOD_LABELS.get(name, "Chosen"), _money(f.outturn),
                    _money(b.forecast) if b else None, _money(b.actual) if b else None,
                    _money(b.error) if b else None,
                    float(b.error_percent) if b and b.error_percent is not None else None,
                ]
            )  # fmt: skip
    if len(rep.practices) > 1:
        ps = wb.create_sheet("Practices")
        ps.append(["Practice", "ODS code", "Annual budget", "YTD actual", "YTD variance",
                   "Forecast outturn", "Forecast variance", "Underlying variance"])  # fmt: skip
        for p, s in rep.practices:
            t = s.total
            ps.append([p.name, p.code, *(_money(v) for v in (
                t.annual_budget, t.ytd_actual, t.ytd_variance, t.forecast_outturn,
                t.forecast_variance, t.underlying_variance))])  # fmt: skip
    _prescribing_sheet(wb, rep)
    months_ws = wb.create_sheet("By month")
    months_ws.append(["Budget line", "Month", "Budget", "Actual", "Estimated"])
    for s in rep.statement.lines:
        for i, budget in enumerate(s.budget_months):
            actual = s.actual_months[i] if i < len(s.actual_months) else None
            months_ws.append([BudgetLine(s.line).label, i + 1, _money(budget), _money(actual),
                              "yes" if (i + 1) in s.estimated_months else ""])  # fmt: skip
    _invoicing_sheet(wb, rep)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PRESCRIBING_HEADER = ["Practice", "ODS code", "Months", "Budget", "Actual cost", "Variance",
                      "Budget setting", "Volume", "Price", "Last year (same months)",
                      "Change on last year"]  # fmt: skip


def _prescribing_sheet(wb: Workbook, rep: Report) -> None:
    """The prescribing variance split (budget setting, volume, price): total, then practices."""
    ws = wb.create_sheet("Prescribing price and volume")
    ws.append(["Prescribing variance on the months whose data has arrived, each against the same "
               "month last year: volume at last year's prices, price = drug price changes"])  # fmt: skip
    ws.append(PRESCRIBING_HEADER)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    if rep.prescribing is None:
        ws.append(["No prescribing data of the year has arrived yet."])
        return
    rows = [("Total", "", rep.prescribing)]
    if len(rep.practices) > 1:
        rows += [(p.name, p.code, rep.practice_prescribing[p.pk]) for p, _ in rep.practices]
    for name, code, pv in rows:
        ws.append([name, code, ", ".join(str(m) for m in pv.months), *(_money(v) for v in (
            pv.budget, pv.cost, pv.variance, pv.budget_effect, pv.volume_effect, pv.price_effect,
            pv.cost_last_year, pv.change))])  # fmt: skip
    for row in ws.iter_rows(min_row=3, min_col=4, max_col=11):
        for cell in row:
            cell.number_format = MONEY_FORMAT


def _invoicing_sheet(wb: Workbook, rep: Report) -> None:
    """Hospital activity by month and provider: invoiced, or expected (no invoice yet)."""
    ws = wb.create_sheet("Invoiced and expected")
    ws.append(["Hospital activity charged per row: invoiced (the provider's charge) or expected "
               "(no invoice yet: counted at its expected cost at tariff)"])  # fmt: skip
    ws.append(["Month", "Provider", "Provider name", "Status", "Invoiced", "Expected", "Total"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    inv = rep.invoicing
    if inv is None or not inv.months:
        ws.append(["No hospital activity charged per row this year yet."])
        return
    for m in inv.months:
        ws.append([f"{m.month:%Y-%m}", m.provider_code, m.provider_name, m.status,
                   *(_money(v) for v in (m.invoiced, m.expected, m.total))])  # fmt: skip
    ws.append(["Total", "", "", "", *(_money(v) for v in (inv.invoiced, inv.expected, inv.total))])
    for row in ws.iter_rows(min_row=3, min_col=5, max_col=7):
        for cell in row:
            cell.number_format = MONEY_FORMAT


def empty_workbook(title: str) -> bytes:
    """A workbook saying there is no statement yet (before the first refresh)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Statement"
    ws.append([title])
    ws.append(["No statement yet: statements appear once the finance refresh has run."])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def contracts_workbook(
    title: str, reviews: list[Any], quality: dict[int, list[Any]] | None = None
) -> bytes:
    """Plan against actual of a provider's contracts: one sheet per breakdown (point of
    delivery, specialty, month, locality, practice), one block of rows per contract; a sheet of
    each line's activity, £ at tariff and £ charged (`Review.lines`); and, when
    a contract has a quality schedule (`quality`: contract id -> `MeasureResult`s), a sheet of
    its measures and the money at stake."""
    from pbc.finance.contracts import BREAKDOWNS

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for key, (label, by) in BREAKDOWNS.items():
        ws = wb.create_sheet(label[:31])
        ws.append([f"{title}: plan against actual by {label.lower()}"])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append(["Contract", "PCT", "Year", "Type", *[f.replace("_", " ").capitalize()
                   for f in by], "Plan activity", "Actual activity", "Activity variance",
                   "Plan £", "Actual £", "Variance £", "Actual £ is"])  # fmt: skip
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for rv in reviews:
            c = rv.contract
            for r in rv.tables[key]:
                ws.append([c.name, c.pct.name, c.financial_year, c.get_kind_display(), *r.key,
                           r.plan_activity, r.actual_activity, r.activity_variance,
                           _money(r.plan_value), _money(r.actual_value),
                           _money(r.value_variance), rv.actual_basis])  # fmt: skip
        width = 4 + len(by)
        for row in ws.iter_rows(min_row=3, min_col=width + 4, max_col=width + 6):
            for cell in row:
                cell.number_format = MONEY_FORMAT
    ws = wb.create_sheet("Lines")
    ws.append([f"{title}: what each line of the contract charged"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["Contract", "PCT", "Year", "Line", "Description", "Specialty", "Budget line",
               "Value a year £", "From", "To (not included)", "Activity", "£ at tariff",
               "£ charged"])  # fmt: skip
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for rv in reviews:
        c = rv.contract
        for line, got in rv.lines:
            ws.append([c.name, c.pct.name, c.financial_year, line.get_kind_display(),
                       line.description, line.treatment_function_code or "all",
                       line.budget_line, _money(line.annual_value), line.starts, line.ends,
                       got.activity, _money(got.at_tariff), _money(got.charged)])  # fmt: skip
    for row in ws.iter_rows(min_row=3, min_col=12, max_col=13):
        for cell in row:
            cell.number_format = MONEY_FORMAT
    if quality and any(quality.values()):
        ws = wb.create_sheet("Quality schedule")
        ws.append([f"{title}: quality schedule and money at stake"])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append(["Contract", "PCT", "Year", "Measure", "Threshold %", "Withheld %",
                   "Months met", "Months below", "Months not reported",
                   "Withheld a month below £", "At stake in the year £", "Withheld £"])  # fmt: skip
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for rv in reviews:
            c = rv.contract
            for m in quality.get(c.pk, []):
                ws.append([c.name, c.pct.name, c.financial_year, m.name, float(m.threshold),
                           float(m.withheld_percent), m.months_met, m.months_failed,
                           m.months_not_reported, _money(m.monthly_amount), _money(m.at_stake),
                           _money(m.withheld)])  # fmt: skip
        for row in ws.iter_rows(min_row=3, min_col=10, max_col=12):
            for cell in row:
                cell.number_format = MONEY_FORMAT
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
