"""Statements on the test-scale demo: budgets reconcile up the hierarchy, statement totals
reconcile exactly with costed activity, backtests are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import ibis
import pytest
from django.db.models import Sum
from django.test import Client

from pbc.analytics.finance import spend
from pbc.finance import statements
from pbc.finance.models import BudgetAmount, BudgetVersion, Contract, SpendFact
from pbc.finance.refresh import activity_with_invoices
from pbc.orgs.models import Locality, Pct, Practice
from pbc.validation.finance import agreed_recoveries
from pbc.warehouse import engine as wh

pytestmark = pytest.mark.django_db
MONTH = dt.date(2009, 1, 1)


def practices(**filters: Any) -> list[Practice]:
    return list(Practice.objects.filter(**filters).select_related("locality__pct").order_by("code"))


def test_practice_budgets_sum_to_locality_and_pct(finance_demo: dict[str, int]) -> None:
    pct = Pct.objects.get(code="5P3")
    pct_rep = statements.report(practices(locality__pct=pct), MONTH)
    locality_total = Decimal(0)
    for locality in Locality.objects.filter(pct=pct):
        loc_rep = statements.report(practices(locality=locality), MONTH)
        practice_sum = sum((s.total.annual_budget for _, s in loc_rep.practices), Decimal(0))
        assert loc_rep.statement.total.annual_budget == practice_sum > 0
        for line in loc_rep.statement.lines:
            assert line.annual_budget == sum(
                (s.line(line.line).annual_budget for _, s in loc_rep.practices), Decimal(0)
            )
            assert line.ytd_budget == sum(
                (s.line(line.line).ytd_budget for _, s in loc_rep.practices), Decimal(0)
            )
        locality_total += loc_rep.statement.total.annual_budget
    assert pct_rep.statement.total.annual_budget == locality_total
    approved = BudgetAmount.objects.filter(
        version__status="approved", version__financial_year="2008/09",
        version__practice__locality__pct=pct,
    ).aggregate(t=Sum("amount"))["t"]  # fmt: skip
    assert pct_rep.statement.total.annual_budget == approved
    assert BudgetVersion.objects.filter(status="approved").count() == len(practices())


def test_statement_totals_reconcile_exactly_with_costed_activity(
    finance_demo: dict[str, int],
) -> None:
    """YTD actual on acute lines = Σ charged_price of the costed warehouse rows billed to the
    practices' own PCT, April 2008 to January 2009, leaving out block-contract providers, less
    the agreed challenge recoveries."""
    pct = Pct.objects.get(code="5P3")
    rep = statements.report(practices(locality__pct=pct), MONTH)
    con = wh.connect()
    total = Decimal(0)
    blocks = set(
        Contract.objects.filter(pct=pct, financial_year="2008/09", kind="block").values_list(
            "provider__code", flat=True
        )
    )
    for name in ("apc", "op", "ae", "imaging"):
        costed = spend.costed_activity(
            name, spend.in_period(name, activity_with_invoices(con, name), dt.date(2008, 4, 1), dt.date(2009, 1, 31)),
            wh.table(con, "tariff"), wh.table(con, "market_forces_factors"),
            wh.table(con, "local_prices"),
        )  # fmt: skip
        codes = [p.code for p in practices(locality__pct=pct)]
        rows = costed.filter(
            costed.gp_practice_code.isin(codes)
            & (costed.commissioner_code == "5P3")
            & ~costed.provider_code.isin(list(blocks) or ["-"])
        )
        total += sum((r["charged_price"] for r in con.to_pyarrow(rows.select("charged_price")).to_pylist()),
                     Decimal(0))  # fmt: skip
    acute = sum(
        (
            rep.statement.line(x).ytd_actual
            for x in ("elective", "non_elective", "outpatients", "ae")
        ),
        Decimal(0),
    )
    # less the challenges the provider agreed to (the demo's own: pbc.demo.challenges)
    recovered = sum(
        (r.amount for r in agreed_recoveries("2008/09", MONTH) if r.practice_code in codes),
        Decimal(0),
    )
    assert acute == total - recovered and total > 0
    # and the whole statement = every fact of the year to date
    facts = SpendFact.objects.filter(
        practice__locality__pct=pct, financial_year="2008/09", month__lte=MONTH
    ).aggregate(t=Sum("charged"))["t"]
    assert rep.statement.total.ytd_actual == Decimal(facts).quantize(Decimal("0.01"))
    _ = ibis  # the engine is the warehouse's


def test_demo_month_10_position_and_estimated_prescribing(finance_demo: dict[str, int]) -> None:
    loc = Locality.objects.get(slug="dacorum")
    rep = statements.report(practices(locality=loc), MONTH)
    s = rep.statement
    assert s.month_number == 10
    acute = sum(
        (s.line(x).forecast_variance for x in ("elective", "non_elective", "outpatients", "ae")),
        Decimal(0),
    )
    assert acute > 0  # acute commissioning overspent, as in the Dacorum plan
    assert s.line("community").forecast_variance < 0  # provider services underspent
    assert s.line("prescribing").estimated_months == (9, 10)  # December, January
    assert all(f.backtest is not None for f in s.line("elective").forecasts.values())


# --- an independent reference for the statement: spend facts and approved budgets ---------------

LINE_NAMES = ("elective", "non_elective", "outpatients", "ae", "prescribing", "community",
              "enhanced_services")  # fmt: skip
Rows = Callable[[str, str], list[tuple[dict[str, str], list[str]]]]


def _half_up(value: Fraction | Decimal, places: str = "0.01") -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _months(practices: list[Practice], year: str, line: str, **more: Any) -> list[Decimal]:
    out = [Decimal("0.00")] * 12
    facts = SpendFact.objects.filter(practice__in=practices, financial_year=year, line=line, **more)
    for r in facts.values("month").annotate(t=Sum("charged")):
        out[(r["month"].month - 4) % 12] += Decimal(r["t"]).quantize(Decimal("0.01"))
    return out


def _forecast(method: str, series: list[Decimal], m: int, base: list[Decimal]) -> Decimal | None:
    y = [Fraction(v) for v in series[:m]]
    ytd = sum(y, Fraction(0))
    if method == "run_rate":
        return _half_up(ytd * 12 / m)
    if method == "seasonal":
        first = sum((Fraction(v) for v in base[:m]), Fraction(0))
        return None if first <= 0 else _half_up(ytd * sum(map(Fraction, base)) / first)
    xs = range(1, m + 1)
    sx, sy = sum(xs), ytd
    sxx, sxy = sum(x * x for x in xs), sum((x * v for x, v in zip(xs, y, strict=True)), Fraction(0))
    slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
    intercept = (sy - slope * sx) / m
    return _half_up(ytd + sum((intercept + slope * x for x in range(m + 1, 13)), Fraction(0)))


@dataclass
class Expected:
    budget: Decimal
    ytd_actual: Decimal
    month_actual: Decimal
    outturn: Decimal
    method: str
    methods: dict[str, tuple[Decimal, Decimal, Decimal, Decimal, Decimal | None]]

    @property
    def variance(self) -> Decimal:
        return self.outturn - self.budget

    @property
    def percent(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.variance * 100 / self.budget).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected_lines(practices: list[Practice], m: int = 10) -> dict[str, Expected]:
    """Each line's figures recomputed from spend facts and approved budgets: forecasts by run
    rate, last year's seasonal profile and a least-squares trend (on recurrent spend, plus
    non-recurrent spend so far), each backtested on last year; the smallest error is used."""
    out = {}
    for line in LINE_NAMES:
        budget = BudgetAmount.objects.filter(
            version__practice__in=practices, version__financial_year="2008/09",
            version__status="approved", line=line,
        ).aggregate(t=Sum("amount"))["t"]  # fmt: skip
        recurrent = _months(practices, "2008/09", line, recurrent=True)
        once = sum(_months(practices, "2008/09", line, recurrent=False)[:m], Decimal(0))
        ly, yb = _months(practices, "2007/08", line), _months(practices, "2006/07", line)
        methods = {}
        for method in ("run_rate", "seasonal", "trend"):
            value = _forecast(method, recurrent, m, ly)
            if value is None:
                continue
            back = _forecast(method, ly, m, yb)
            actual = sum(ly, Decimal(0))
            error = None if back is None else back - actual
            percent = _half_up(error * 100 / actual) if error is not None and actual else None
            methods[method] = (value + once, back, actual, error, percent)
        tested = [k for k in methods if methods[k][3] is not None]
        chosen = min(
            tested,
            key=lambda k: (abs(methods[k][3] or 0), list(methods).index(k)),
            default="run_rate",
        )
        total = [
            a + b
            for a, b in zip(
                recurrent, _months(practices, "2008/09", line, recurrent=False), strict=True
            )
        ]
        out[line] = Expected(Decimal(budget or 0).quantize(Decimal("0.01")), sum(total[:m], Decimal(0)),
                             total[m - 1], methods[chosen][0], chosen, methods)  # fmt: skip
    return out


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _pct_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value}%"


def _client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_month_end_report_forecasts_by_line(finance_demo: None, rows_of: Rows) -> None:
    """The month-end report's £ and % forecast over/underspend by budget line and in total
    equal the independent reference."""
    from pbc.analytics.finance.forecast import METHOD_LABELS
    from pbc.web.jinja import money

    dacorum = practices(locality__slug="dacorum")
    expected = expected_lines(dacorum)
    statement = statements.report(dacorum, MONTH).statement
    html = _client("locality").get("/finance/localities/dacorum/month-end/?month=2009-01")
    body = html.content.decode()
    shown = {a["line"]: cells for a, cells in rows_of(body, "month-end") if "line" in a}
    assert set(shown) == {*LINE_NAMES, "total"}
    for line, e in expected.items():
        cells = shown[line]
        assert cells[1:6] == [
            money(e.budget), money(e.outturn), money(e.variance), _pct_text(e.percent),
            money(e.ytd_actual - statement.line(line).ytd_budget),
        ], line  # fmt: skip
        assert cells[6].startswith(METHOD_LABELS[e.method])
        assert money(e.methods[e.method][3]) in cells[6]
    budget = sum((e.budget for e in expected.values()), Decimal(0))
    outturn = sum((e.outturn for e in expected.values()), Decimal(0))
    variance = outturn - budget
    percent = (variance * 100 / budget).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert shown["total"][1:5] == [money(budget), money(outturn), money(variance), f"{percent}%"]
    word = "overspend" if variance > 0 else "underspend"
    assert (
        f"shows a forecast {word} at year end of <strong>{money(abs(variance))} ({abs(percent)}%)"
        f"</strong> against a budget of {money(budget)}" in body
    )


def test_statement_page_backtests_by_method(finance_demo: None, rows_of: Rows) -> None:
    """Every line's forecast and backtest figures for each method, read from its own row."""
    from pbc.web.jinja import money

    dacorum = practices(locality__slug="dacorum")
    expected = expected_lines(dacorum)
    body = _client("locality").get("/finance/localities/dacorum/?month=2009-01").content.decode()
    shown = {(a["line"], a["method"]): c for a, c in rows_of(body, "backtests") if "line" in a}
    for line, e in expected.items():
        assert {m for (ln, m) in shown if ln == line} == set(e.methods)
        for method, (outturn, back, actual, error, percent) in e.methods.items():
            cells = shown[(line, method)]
            if line == "elective":  # history for every method: real figures to compare
                assert back is not None
            if back is None:
                assert cells[2:] == [money(outturn), "No backtest: last year's data is missing"]
            else:
                assert cells[2:] == [money(outturn), money(back), money(actual), money(error),
                                     _pct_text(percent)], (line, method)  # fmt: skip
            assert ("(used)" in cells[1]) == (method == e.method)


def _statement_rows(body: str, rows_of: Rows) -> dict[str, list[str]]:
    return {a["line"]: cells for a, cells in rows_of(body, "statement") if "line" in a}


def _check_statement_table(body: str, chosen: list[Practice], rows_of: Rows) -> None:
    from pbc.web.jinja import money

    rep = statements.report(chosen, MONTH)
    expected = expected_lines(chosen)
    shown = _statement_rows(body, rows_of)
    for line in [*rep.statement.lines, rep.statement.total]:
        cells = shown[line.line]
        assert cells[1:] == [money(v) for v in (
            line.annual_budget, line.month_budget, line.month_actual, line.ytd_budget,
            line.ytd_actual, line.ytd_variance, line.forecast_outturn, line.forecast_variance,
        )] + [_pct_text(line.forecast_variance_percent), money(line.underlying_variance)]  # fmt: skip
        if line.line in expected:  # and the figures are the reference's
            e = expected[line.line]
            assert (line.annual_budget, line.ytd_actual, line.month_actual, line.forecast_outturn) == (
                e.budget, e.ytd_actual, e.month_actual, e.outturn,
            )  # fmt: skip
            assert line.forecast_variance_percent == e.percent


def test_practice_and_pct_statement_pages(finance_demo: None, rows_of: Rows) -> None:
    own = practices(code="E82601")
    body = _client("practice").get("/finance/practices/E82601/?month=2009-01").content.decode()
    _check_statement_table(body, own, rows_of)
    assert 'id="practices"' not in body  # a practice page has no practice table
    west = practices(locality__pct__code="5P3")
    body = _client("analyst").get("/finance/pct/west-herts/?month=2009-01").content.decode()
    _check_statement_table(body, west, rows_of)
    shown = {a["practice"]: c for a, c in rows_of(body, "practices") if "practice" in a}
    assert set(shown) == {p.code for p in west}


def test_cumulative_chart_is_the_statement(finance_demo: None) -> None:
    import json
    import re

    dacorum = practices(locality__slug="dacorum")
    body = _client("locality").get("/finance/localities/dacorum/?month=2009-01").content.decode()
    found = re.search(
        r'<script id="chart-cumulative-data" type="application/json">(.*?)</script>', body
    )
    assert found is not None
    data = {trace["name"]: trace for trace in json.loads(found.group(1))["data"]}
    total = statements.report(dacorum, MONTH).statement.total
    assert data["Budget (profiled)"]["y"] == [float(v) for v in total.cumulative_budget]
    assert data["Actual"]["y"] == [float(v) for v in total.cumulative_actual]
    # Independently: running sums of the facts, April to January, and of the budget.
    facts = [sum((Decimal(f) for f in (
        SpendFact.objects.filter(practice__in=dacorum, month=dt.date(2008 + (m < 4), m, 1))
        .aggregate(t=Sum("charged"))["t"] or 0,
    )), Decimal(0)) for m in [*range(4, 13), 1]]  # fmt: skip
    running = [sum(facts[: i + 1], Decimal(0)) for i in range(10)]
    assert data["Actual"]["y"] == [float(v.quantize(Decimal("0.01"))) for v in running]
    expected = expected_lines(dacorum)
    assert data["Budget (profiled)"]["y"][-1] == float(sum(e.budget for e in expected.values()))
    low, high = total.forecast_range
    assert data["Forecast (highest method)"]["y"] == [
        float(running[-1].quantize(Decimal("0.01"))),
        float(high),
    ]
    assert data["Forecast (lowest method)"]["y"][-1] == float(low)
    assert data["Forecast outturn"]["y"] == [float(sum(e.outturn for e in expected.values()))]
    assert data["Actual"]["x"][-1] == "Jan 2009" and len(data["Budget (profiled)"]["x"]) == 12


def test_statement_xlsx_contents(finance_demo: None) -> None:
    import io

    from openpyxl import load_workbook

    dacorum = practices(locality__slug="dacorum")
    rep = statements.report(dacorum, MONTH)
    expected = expected_lines(dacorum)
    response = _client("locality").get("/finance/localities/dacorum/statement.xlsx?month=2009-01")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="statement-dacorum-2009-01.xlsx"'
    )
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Statement", "Forecast backtests", "Practices",
                             "Prescribing price and volume", "By month",
                             "Invoiced and expected"]  # fmt: skip
    ws = wb["Statement"]
    assert ws["A1"].value == "Dacorum locality"
    assert ws["A2"].value == "Month 10 of 2008/09 (January 2009)"
    assert ws["A3"].value == "Estimated months (prescribing not yet received): 9, 10"
    rows = {r[0]: r for r in ws.iter_rows(min_row=6, values_only=True)}
    for line in [*rep.statement.lines, rep.statement.total]:
        r = rows[line.label]
        assert list(r[1:9]) == [float(v) for v in (
            line.annual_budget, line.month_budget, line.month_actual, line.ytd_budget,
            line.ytd_actual, line.ytd_variance, line.forecast_outturn, line.forecast_variance,
        )]  # fmt: skip
        assert r[9] == _float(line.forecast_variance_percent)
        assert r[11] == float(line.underlying_variance)
        if line.line in expected:
            e = expected[line.line]
            assert (r[1], r[5], r[7], r[9]) == (
                float(e.budget), float(e.ytd_actual), float(e.outturn), _float(e.percent),
            )  # fmt: skip
    backtests = {
        (r[0], r[1]): r for r in wb["Forecast backtests"].iter_rows(min_row=2, values_only=True)
    }
    from pbc.analytics.finance.forecast import METHOD_LABELS
    from pbc.analytics.finance.lines import BudgetLine

    for line, e in expected.items():
        for method, (outturn, back, actual, error, percent) in e.methods.items():
            assert backtests[(BudgetLine(line).label, METHOD_LABELS[method])][2:] == (
                *(None if v is None else float(v) for v in (outturn, back)),
                *(None if v is None or back is None else float(v) for v in (actual, error, percent)),
            )  # fmt: skip
    by_practice = {r[1]: r for r in wb["Practices"].iter_rows(min_row=2, values_only=True)}
    assert set(by_practice) == {p.code for p in dacorum}
    for p, s in rep.practices:
        assert by_practice[p.code][2:] == tuple(float(v) for v in (
            s.total.annual_budget, s.total.ytd_actual, s.total.ytd_variance,
            s.total.forecast_outturn, s.total.forecast_variance, s.total.underlying_variance,
        ))  # fmt: skip
    months = list(wb["By month"].iter_rows(min_row=2, values_only=True))
    assert len(months) == 12 * len(LINE_NAMES)
    presc = [r for r in months if r[0] == "Prescribing"]
    assert [r[4] or "" for r in presc] == [""] * 8 + ["yes", "yes", "", ""]
    assert [r[3] for r in presc][:10] == [
        float(v) for v in rep.statement.line("prescribing").actual_months
    ]


def test_statement_page_links_and_estimates(finance_demo: None) -> None:
    client = _client("locality")
    body = client.get("/finance/localities/dacorum/?month=2009-01").content.decode()
    assert 'id="estimated"' in body and "Prescribing for months 9, 10 is" in body
    assert (
        client.get("/finance/localities/dacorum/statement.xlsx?month=2009-01").content[:2] == b"PK"
    )
    assert 'src="/indicators/plotly.min.js"' in body and 'id="chart-cumulative-data"' in body


def test_patient_rows_only_for_own_practice_and_audited(finance_demo: dict[str, int]) -> None:
    from django.contrib.auth import get_user_model

    from pbc.orgs.models import AuditEvent

    code = practices(locality__slug="dacorum")[0].code
    url = f"/finance/practices/{code}/rows/?line=non_elective&month=2009-01&patients=1"
    client = Client()
    client.force_login(get_user_model().objects.get(username="practice"))
    response = client.get(url)
    assert response.status_code == 200 and b'id="patient-rows"' in response.content
    assert AuditEvent.objects.filter(action="view_patient_rows", username="practice").exists()
    client.force_login(get_user_model().objects.get(username="locality"))
    response = client.get(url)
    assert response.status_code == 200 and b'id="patient-rows"' not in response.content
    assert b'id="facts"' in response.content
    client.force_login(get_user_model().objects.get(username="practice2"))
    assert client.get(url).status_code == 403
