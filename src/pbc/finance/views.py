"""Finance pages: statements (practice, locality, PCT), month-end report, drill-down, budgets,
freed-up resources and deficits, contracts, XLSX exports (charts: indicators' plotly.min.js).

The month is `?month=YYYY-MM` (default: the month of the latest refresh). Drill-down shows
aggregate rows (provider, point of delivery, specialty) to anyone who may see the practice;
patient-level rows only to users holding VIEW_PATIENT_ROWS for that practice (its own practice
users and the PCT's analysts), and every such view is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pbc.analytics.finance import freed
from pbc.analytics.finance.forecast import METHOD_LABELS, METHODS
from pbc.analytics.finance.lines import LINES, BudgetLine
from pbc.finance import actions, agreements, charts, export, quality, statements, variations
from pbc.finance import contracts as contract_review
from pbc.finance.forms import ContractForm, plan_text
from pbc.finance.models import (
    BudgetVersion,
    Contract,
    ContractLine,
    QualityMeasure,
    RepaymentAgreement,
    SpendFact,
)
from pbc.orgs import audit
from pbc.orgs.access import has_permission, memberships
from pbc.orgs.models import AuditEvent, Locality, Pct, Practice, Provider
from pbc.orgs.roles import Permission
from pbc.periods import financial_year_of, month_end, parse_month, year_start
from pbc.plans.queries import approved_business_cases
from pbc.refresh import results
from pbc.refresh.queries import staleness
from pbc.web.rules import requires, signed_in

PATIENT_ROW_LIMIT = 500


def crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": href} for text, href in items]


def chosen_month(request: HttpRequest) -> dt.date | None:
    text = request.GET.get("month")
    if text:
        try:
            return parse_month(text)
        except ValueError as err:
            raise Http404(str(err)) from err
    return statements.default_month()


def _practices(qs: Any) -> list[Practice]:
    return list(qs.select_related("locality__pct").order_by("code"))


@dataclass(frozen=True)
class StatementFigures:
    """What a statement page shows, computed once per data state (`pbc.refresh.results`)."""

    report: statements.Report
    chart: str
    lines_chart: str
    net: freed.NetPosition


def _figures(practices: list[Practice], month: dt.date) -> StatementFigures:
    rep = statements.report(practices, month)
    return StatementFigures(
        rep,
        charts.cumulative_figure(rep.statement.total, rep.financial_year),
        charts.lines_figure(rep.statement.lines),
        rep.net_position(),
    )


def stored_figures(
    organisation: Any, practices: list[Practice], month: dt.date
) -> StatementFigures:
    """The statement of `organisation` (a practice, locality or PCT: `practices` are its
    practices) at `month`, from the result store. Call it after the user's permission for
    `organisation` has been checked."""
    return results.stored("statement", organisation, lambda: _figures(practices, month), month)


def _context(
    request: HttpRequest, title: str, practices: list[Practice], **extra: Any
) -> dict[str, Any]:
    month = chosen_month(request)
    figures = (
        stored_figures(extra["organisation"], practices, month) if month and practices else None
    )
    rep = figures.report if figures else None
    ctx: dict[str, Any] = {
        "title": title,
        "month": month,
        "report": rep,
        "methods": METHODS,
        "method_labels": METHOD_LABELS,
        "month_param": f"?month={month:%Y-%m}" if month else "",
        "breadcrumbs": crumbs(("Home", reverse("home")), ("Finance", reverse("finance_index"))),
        "stale": staleness("finance"),
        **extra,
    }
    if figures is not None:
        ctx["chart"] = figures.chart
        ctx["lines_chart"] = figures.lines_chart
        ctx["net"] = figures.net
    return ctx


def _xlsx(
    title: str, practices: list[Practice], request: HttpRequest, filename: str
) -> HttpResponse:
    month = chosen_month(request)
    if month is None or not practices:
        body = export.empty_workbook(title)
        month = dt.date.today().replace(day=1)
    else:
        body = export.workbook(title, statements.report(practices, month))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}-{month:%Y-%m}.xlsx"'
    return response


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    pcts = [p for p in Pct.objects.all() if has_permission(user, Permission.VIEW_PCT, p)]
    localities = [
        loc for loc in Locality.objects.select_related("pct")
        if has_permission(user, Permission.VIEW_LOCALITY, loc)
    ]  # fmt: skip
    practices = [
        p for p in Practice.objects.select_related("locality")
        if has_permission(user, Permission.VIEW_PRACTICE, p)
    ]  # fmt: skip
    providers = [
        p for p in Provider.objects.all() if has_permission(user, Permission.VIEW_PROVIDER, p)
    ]
    return render(
        request,
        "finance/index.jinja",
        {
            "title": "Budgets and finance",
            "pcts": pcts,
            "localities": localities,
            "practices": practices,
            "providers": providers,
            "month": statements.default_month(),
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


# --- statements ----------------------------------------------------------------------------------


@requires(Permission.VIEW_PRACTICE, scope="practice")
def practice_statement(request: HttpRequest, practice: Practice) -> HttpResponse:
    ctx = _context(
        request,
        f"{practice.name}: budget statement",
        [practice],
        level="practice",
        organisation=practice,
        xlsx=reverse("finance_practice_xlsx", args=[practice.code]),
        can_see_rows=has_permission(request.user, Permission.VIEW_PATIENT_ROWS, practice),
    )
    return render(request, "finance/statement.jinja", ctx)


@requires(Permission.VIEW_PRACTICE, scope="practice")
def practice_xlsx(request: HttpRequest, practice: Practice) -> HttpResponse:
    return _xlsx(
        f"{practice.name} ({practice.code})", [practice], request, f"statement-{practice.code}"
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def locality_statement(request: HttpRequest, locality: Locality) -> HttpResponse:
    ctx = _context(
        request,
        f"{locality.name} locality: budget statement",
        _practices(locality.practices),
        level="locality",
        organisation=locality,
        xlsx=reverse("finance_locality_xlsx", args=[locality.slug]),
    )
    return render(request, "finance/statement.jinja", ctx)


@requires(Permission.VIEW_LOCALITY, scope="locality")
def locality_xlsx(request: HttpRequest, locality: Locality) -> HttpResponse:
    return _xlsx(f"{locality.name} locality", _practices(locality.practices), request,
                 f"statement-{locality.slug}")  # fmt: skip


@requires(Permission.VIEW_PCT, scope="pct")
def pct_statement(request: HttpRequest, pct: Pct) -> HttpResponse:
    ctx = _context(
        request,
        f"{pct.name}: budget statement",
        _practices(Practice.objects.filter(locality__pct=pct)),
        level="pct",
        organisation=pct,
        xlsx=reverse("finance_pct_xlsx", args=[pct.slug]),
    )
    return render(request, "finance/statement.jinja", ctx)


@requires(Permission.VIEW_PCT, scope="pct")
def pct_xlsx(request: HttpRequest, pct: Pct) -> HttpResponse:
    return _xlsx(pct.name, _practices(Practice.objects.filter(locality__pct=pct)), request,
                 f"statement-{pct.slug}")  # fmt: skip


@requires(Permission.VIEW_LOCALITY, scope="locality")
def month_end_report(request: HttpRequest, locality: Locality) -> HttpResponse:
    """The month-end report in the style of the Dacorum plan's."""
    ctx = _context(request, f"{locality.name}: month-end finance report",
                   _practices(locality.practices), level="locality", organisation=locality)  # fmt: skip
    return render(request, "finance/month_end.jinja", ctx)


# --- drill-down --------------------------------------------------------------------------------


@requires(Permission.VIEW_PRACTICE, scope="practice")
def practice_rows(request: HttpRequest, practice: Practice) -> HttpResponse:
    """The rows behind a figure: ?line=...&month=YYYY-MM (aggregates; patient rows if allowed)."""
    line = request.GET.get("line", "")
    month = chosen_month(request)
    if line and line not in {v.value for v in LINES}:
        raise Http404("unknown budget line")
    ctx: dict[str, Any] = {
        "title": f"{practice.name}: rows behind the statement",
        "practice": practice,
        "line": BudgetLine(line) if line else None,
        "month": month,
        "lines": LINES,
        "breadcrumbs": crumbs(
            ("Finance", reverse("finance_index")),
            (practice.name, reverse("finance_practice", args=[practice.code])),
        ),
    }
    if line and month:
        facts = (
            SpendFact.objects.filter(practice=practice, line=line, month=month)
            .values(
                "source",
                "provider__code",
                "point_of_delivery",
                "treatment_function_code",
                "estimated",
                "recurrent",
                "expected",
            )  # fmt: skip
            .annotate(activity=Sum("activity"), charged=Sum("charged"), at_tariff=Sum("at_tariff"))
            .order_by("source", "provider__code", "point_of_delivery", "treatment_function_code")
        )
        ctx["facts"] = list(facts)
        ctx["total"] = sum((f["charged"] for f in ctx["facts"]), Decimal(0))
        may_see = has_permission(request.user, Permission.VIEW_PATIENT_ROWS, practice)
        ctx["can_see_rows"] = may_see
        ctx["row_lines"] = [x.value for x in ROW_DATASETS]
        if may_see and request.GET.get("patients") == "1" and line in ROW_DATASETS:
            rows = patient_rows(practice, line, month)
            audit.record(
                request.user, "view_patient_rows", practice,
                detail=f"finance drill-down {line} {month:%Y-%m}: {len(rows)} rows",
                path=request.get_full_path(),
            )  # fmt: skip
            ctx["patient_rows"] = rows[:PATIENT_ROW_LIMIT]
            ctx["patient_row_count"] = len(rows)
    return render(request, "finance/rows.jinja", ctx)


# The warehouse datasets whose rows a budget line's drill-down lists.
ROW_DATASETS = {
    BudgetLine.ELECTIVE: ("apc",),
    BudgetLine.NON_ELECTIVE: ("apc",),
    BudgetLine.OUTPATIENTS: ("op", "imaging"),
    BudgetLine.AE: ("ae",),
}


def patient_rows(practice: Practice, line: str, month: dt.date) -> list[dict[str, Any]]:
    """The costed activity rows of one practice, line and month (from the warehouse), each with
    the components of its expected price and `differences` (where it differs from the charge)."""
    import ibis

    from pbc.analytics.finance import spend
    from pbc.finance.refresh import activity_with_invoices
    from pbc.warehouse import engine as wh

    con = wh.connect()
    tariff, mff = wh.table(con, "tariff"), wh.table(con, "market_forces_factors")
    local = wh.table(con, "local_prices")
    rows: list[dict[str, Any]] = []
    for name in ROW_DATASETS[BudgetLine(line)]:
        table = activity_with_invoices(con, name)  # charges from the invoice lines where any
        table = table.filter(table.gp_practice_code == practice.code)
        costed = spend.costed_activity(
            name, spend.in_period(name, table, month, month_end(month)), tariff, mff, local
        )
        costed = costed.filter(
            (costed.budget_line == line)
            & (costed.commissioner_code == ibis.literal(practice.pct.code))
        )
        rows.extend(con.to_pyarrow(costed).to_pylist())
    rows.sort(key=lambda r: (r["activity_date"], r["dataset"], r["row_id"]))
    for r in rows:
        r["differences"] = spend.differences(r)
    return rows


# --- budgets -----------------------------------------------------------------------------------


@requires(Permission.VIEW_PRACTICE, scope="practice")
def practice_budgets(request: HttpRequest, practice: Practice) -> HttpResponse:
    versions = list(
        BudgetVersion.objects.filter(practice=practice)
        .prefetch_related("amounts")
        .select_related("created_by", "approved_by")
        .order_by("-financial_year", "-number")
    )
    return render(
        request,
        "finance/budgets.jinja",
        {
            "title": f"{practice.name}: budget versions",
            "practice": practice,
            "versions": versions,
            "lines": LINES,
            "can_manage": has_permission(request.user, Permission.MANAGE_BUDGETS, practice),
            "can_approve": has_permission(request.user, Permission.APPROVE_BUDGETS, practice),
            "breadcrumbs": crumbs(
                ("Finance", reverse("finance_index")),
                (practice.name, reverse("finance_practice", args=[practice.code])),
            ),
        },
    )


@requires(Permission.MANAGE_BUDGETS, scope="practice")
def budget_adjust(request: HttpRequest, practice: Practice) -> HttpResponse:
    """GET: the form; POST version, line, recurrent, amount → a new draft version."""
    if request.method == "POST":
        try:
            version = BudgetVersion.objects.get(practice=practice, pk=int(request.POST["version"]))
            amount = Decimal(request.POST["amount"])
            line = BudgetLine(request.POST["line"])
        except (KeyError, ValueError, InvalidOperation, BudgetVersion.DoesNotExist):
            messages.error(request, "Choose a version and a line, and give an amount in pounds.")
        else:
            new = actions.adjust_budget(request.user, version, line, request.POST.get("recurrent") != "0",
                                        amount, request.POST.get("note", ""))  # fmt: skip
            messages.success(request, f"Draft version {new.number} saved.")
        return redirect("finance_budgets", practice.code)
    return render(
        request,
        "finance/budget_adjust.jinja",
        {
            "title": f"{practice.name}: adjust a budget",
            "practice": practice,
            "versions": BudgetVersion.objects.filter(practice=practice).order_by(
                "-financial_year", "-number"
            ),
            "lines": LINES,
        },
    )


@requires(Permission.APPROVE_BUDGETS, scope="practice")
def budget_approve(request: HttpRequest, practice: Practice) -> HttpResponse:
    """GET: the drafts awaiting approval; POST version → approved."""
    if request.method == "POST":
        version = BudgetVersion.objects.filter(
            practice=practice, pk=request.POST.get("version")
        ).first()
        if version is None:
            raise Http404("no such budget version")
        try:
            actions.approve_budget(request.user, version)
            messages.success(request, f"Version {version.number} approved.")
        except actions.BudgetError as err:
            messages.error(request, str(err))
        return redirect("finance_budgets", practice.code)
    drafts = BudgetVersion.objects.filter(practice=practice, status="draft").prefetch_related(
        "amounts"
    )
    return render(request, "finance/budget_approve.jinja",
                  {"title": f"{practice.name}: approve a budget", "practice": practice,
                   "drafts": drafts})  # fmt: skip


@requires(Permission.MANAGE_BUDGETS, scope="pct")
def set_budgets(request: HttpRequest, pct: Pct) -> HttpResponse:
    """GET: the form; POST financial_year, method, pace → a draft version for every practice."""
    if request.method == "POST":
        fy = request.POST.get("financial_year", "")
        method = request.POST.get("method", "")
        try:
            pace = Decimal(request.POST["pace"]) if request.POST.get("pace") else None
            year_start(fy)
            versions = actions.set_budgets(
                request.user,
                _practices(Practice.objects.filter(locality__pct=pct)),
                fy,
                method,
                pace,
            )
            messages.success(request, f"{len(versions)} draft budgets for {fy} by {method}.")
        except (ValueError, InvalidOperation, actions.BudgetError, LookupError) as err:
            messages.error(request, f"Budgets not set: {err}")
        return redirect("finance_set_budgets", pct.slug)
    return render(request, "finance/set_budgets.jinja",
                  {"title": f"{pct.name}: set budgets", "pct": pct,
                   "methods": ["blend", "historic_uplift", "weighted_capitation", "per_capita"]})  # fmt: skip


# --- freed-up resources and deficits -----------------------------------------------------------


@requires(Permission.VIEW_LOCALITY, scope="locality")
def freed_up(request: HttpRequest, locality: Locality) -> HttpResponse:
    """Freed-up resources, deficits and the locality's deficit repayment agreements. POST
    action=record (a PCT analyst) records an agreement; action=approve (the board) approves it
    (`pbc.finance.agreements`)."""
    if request.method == "POST":
        return _repayment_post(request, locality)
    ctx = _context(request, f"{locality.name}: freed-up resources and deficits",
                   _practices(locality.practices), level="locality", organisation=locality)  # fmt: skip
    rep = ctx["report"]
    forecast_variance = rep.statement.total.forecast_variance if rep is not None else None
    report_year = rep.financial_year if rep is not None else None
    ctx["agreements"] = [
        (a, agreements.progress(a, report_year, forecast_variance))
        for a in agreements.agreements_of(locality)
    ]
    ctx["can_record"] = has_permission(request.user, Permission.MANAGE_BUDGETS, locality)
    ctx["can_approve"] = has_permission(request.user, Permission.APPROVE_AGREEMENTS, locality)
    if rep is not None:
        net: freed.NetPosition = ctx["net"]
        # What the form offers: the reported deficit and the non-recurrent items that the
        # recurrent (underlying) position leaves out.
        ctx["suggested"] = {
            "reported": net.deficit,
            "non_recurrent": max(net.underlying_variance, Decimal("0.00")) - net.deficit,
        }
        # Drawn against this year's freed-up resources (a case decided in an earlier year was
        # drawn against that year's).
        cases = approved_business_cases(locality, rep.financial_year)
        ctx["cases"] = cases
        ctx["drawn"] = freed.drawn_against(
            net.freed_up.practice_part, [c.annual_cost for c in cases]
        )
    return render(request, "finance/freed_up.jinja", ctx)


def _repayment_post(request: HttpRequest, locality: Locality) -> HttpResponse:
    back = reverse("finance_freed_up", args=[locality.slug])
    if request.POST.get("month"):
        back += f"?month={request.POST['month']}"
    try:
        if request.POST.get("action") == "approve":
            agreement = RepaymentAgreement.objects.filter(
                locality=locality, pk=request.POST.get("agreement")
            ).first()
            if agreement is None:
                raise Http404("no such agreement")
            drafts = agreements.approve_repayment(request.user, agreement)
            messages.success(
                request,
                f"Agreement approved: {len(drafts)} draft budgets carry the repayment line.",
            )
        else:
            agreements.record_repayment(
                request.user,
                locality,
                request.POST.get("incurred_in", ""),
                Decimal(request.POST.get("reported_deficit", "")),
                Decimal(request.POST.get("non_recurrent_excluded") or "0"),
                int(request.POST.get("years", "")),
                request.POST.get("non_recurrent_note", ""),
            )
            messages.success(request, "Repayment agreement recorded: awaiting the board.")
    except PermissionDenied as err:
        audit.record(request.user, "denied", locality, detail=str(err), path=request.path)
        messages.error(request, str(err))
    except (ValueError, InvalidOperation, agreements.AgreementError) as err:
        messages.error(request, f"Not recorded: {err}")
    return redirect(back)


# --- contracts ---------------------------------------------------------------------------------


def _visible_contracts(request: HttpRequest, provider: Provider, fy: str) -> list[Contract]:
    """The provider's contracts of the year the user may see: the provider's own users see all
    of them, PCT users those of PCTs they may see."""
    contracts = list(
        Contract.objects.filter(provider=provider, financial_year=fy).select_related(
            "pct", "provider"
        )
    )
    own_provider = any(m.provider_id == provider.pk for m in memberships(request.user))
    return [
        c for c in contracts
        if own_provider or has_permission(request.user, Permission.VIEW_PCT, c.pct)
    ]  # fmt: skip


def _reviews(request: HttpRequest, provider: Provider) -> tuple[dt.date | None, str, list[Any]]:
    month = chosen_month(request)
    fy = financial_year_of(month) if month else request.GET.get("year", "")
    reviews = [
        results.stored(
            "contract review", provider, partial(contract_review.review, c, month), c.pk, month
        )
        for c in _visible_contracts(request, provider, fy)
    ]
    return month, fy, reviews


@requires(Permission.VIEW_PROVIDER, scope="provider")
def provider_contracts(request: HttpRequest, provider: Provider) -> HttpResponse:
    """Plan against actual of the provider's contracts for the SLA review meeting."""
    month, fy, reviews = _reviews(request, provider)
    return render(
        request,
        "finance/contracts.jinja",
        {
            "title": f"{provider.name}: contracts, plan against actual",
            "provider": provider,
            "financial_year": fy,
            "month": month,
            "reviews": reviews,
            "breakdowns": contract_review.BREAKDOWNS,
            "quality": {
                r.contract.pk: results.stored(
                    "quality schedule",
                    provider,
                    partial(quality.schedule, r.contract, month),
                    r.contract.pk,
                    month,
                )
                for r in reviews
            },
            "xlsx": reverse("finance_contracts_xlsx", args=[provider.code])
            + (f"?month={month:%Y-%m}" if month else ""),
            "can_edit": {
                r.contract.pk: has_permission(
                    request.user, Permission.MANAGE_BUDGETS, r.contract.pct
                )
                for r in reviews
            },
            "breadcrumbs": crumbs(("Finance", reverse("finance_index"))),
        },
    )


@requires(Permission.VIEW_PROVIDER, scope="provider")
def provider_contracts_xlsx(request: HttpRequest, provider: Provider) -> HttpResponse:
    month, fy, reviews = _reviews(request, provider)
    title = f"{provider.name} contracts {fy}" + (f" to {month:%B %Y}" if month else "")
    response = HttpResponse(
        export.contracts_workbook(
            title, reviews, {r.contract.pk: quality.schedule(r.contract, month) for r in reviews}
        ),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = f"{month:%Y-%m}" if month else fy.replace("/", "-")
    response["Content-Disposition"] = (
        f'attachment; filename="contracts-{provider.code}-{stamp}.xlsx"'
    )
    return response


def _vary(request: HttpRequest, contract: Contract) -> HttpResponse:
    """POST action=vary: effective_from (YYYY-MM-DD), reason, approved_by, end (line ids) and
    optionally a line to add (add_kind, add_value, add_tf, add_budget_line, add_description)."""
    back = reverse("finance_contract_edit", args=[contract.pct.slug]) + f"?contract={contract.pk}"
    try:
        end = [contract.lines.get(pk=int(pk)) for pk in request.POST.getlist("end")]
        add = []
        if request.POST.get("add_kind"):
            add.append(
                variations.NewLine(
                    kind=request.POST["add_kind"],
                    annual_value=Decimal(request.POST.get("add_value") or "0"),
                    description=request.POST.get("add_description", "").strip(),
                    treatment_function_code=request.POST.get("add_tf", "").strip(),
                    budget_line=request.POST.get("add_budget_line", ""),
                )
            )
        variation = variations.vary_contract(
            request.user, contract,
            effective_from=dt.date.fromisoformat(request.POST.get("effective_from", "")),
            reason=request.POST.get("reason", ""), approved_by=request.POST.get("approved_by", ""),
            end=end, add=add,
        )  # fmt: skip
        messages.success(request, f"Contract varied from {variation.effective_from:%d %B %Y}.")
    except ContractLine.DoesNotExist as err:
        raise Http404("no such line of this contract") from err
    except (ValueError, InvalidOperation) as err:  # VariationError, a bad date or amount
        messages.error(request, f"Not varied: {err}")
    return redirect(back)


def _quality(request: HttpRequest, contract: Contract) -> HttpResponse:
    """POST action=quality: name, category, source ("return:<template>" or
    "indicator:<id>"), threshold and withheld (percentages); with `measure` (its id) the
    contract's measure is changed, else one is added. action=quality_remove with `measure`
    removes it."""
    back = reverse("finance_contract_edit", args=[contract.pct.slug]) + f"?contract={contract.pk}"
    measure = None
    if request.POST.get("measure"):
        try:
            measure = contract.quality_measures.get(pk=int(request.POST["measure"]))
        except (ValueError, QualityMeasure.DoesNotExist) as err:
            raise Http404("no such quality measure of this contract") from err
    if request.POST.get("action") == "quality_remove":
        if measure is None:
            raise Http404("which quality measure?")
        quality.remove_measure(request.user, measure)
        messages.success(request, f"Quality measure removed: {measure.name}.")
        return redirect(back)
    fields = {
        "name": request.POST.get("name", ""), "category": request.POST.get("category", ""),
        "source": request.POST.get("source", ""), "threshold": request.POST.get("threshold", ""),
        "withheld_percent": request.POST.get("withheld", ""),
    }  # fmt: skip
    try:
        if measure is None:
            measure = quality.add_measure(request.user, contract, **fields)
            messages.success(request, f"Quality measure added: {measure.name}.")
        else:
            measure = quality.change_measure(request.user, measure, **fields)
            messages.success(request, f"Quality measure changed: {measure.name}.")
    except quality.QualityError as err:
        messages.error(request, f"Not {'added' if measure is None else 'changed'}: {err}")
    return redirect(back)


@requires(Permission.MANAGE_BUDGETS, scope="pct")
def contract_edit(request: HttpRequest, pct: Pct) -> HttpResponse:
    """A PCT analyst creates a contract (no ?contract=) or changes one (?contract=<id>): type,
    annual value, budget line and the activity plan; errors are shown by their fields."""
    contract = None
    wanted = request.GET.get("contract") or request.POST.get("contract")
    if wanted:
        try:
            contract = Contract.objects.select_related("provider").get(pct=pct, pk=int(wanted))
        except (ValueError, Contract.DoesNotExist) as err:
            raise Http404("no such contract of this PCT") from err
    if request.method == "POST" and request.POST.get("action") == "vary" and contract is not None:
        return _vary(request, contract)
    if request.method == "POST" and request.POST.get("action") in ("quality", "quality_remove"):
        if contract is None:
            raise Http404("which contract?")
        return _quality(request, contract)
    if request.method == "POST":
        form = ContractForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = actions.save_contract(request.user, pct, contract, data, data["plan_lines"])
            except actions.BudgetError as err:
                form.add_error("name", str(err))
            else:
                messages.success(request, f"Contract saved: {saved.name}, {saved.financial_year}.")
                return redirect(
                    reverse("finance_contracts", args=[saved.provider.code])
                    + f"?year={saved.financial_year}"
                )
    elif contract is not None:
        form = ContractForm(
            initial={
                "provider": contract.provider.code, "financial_year": contract.financial_year,
                "name": contract.name, "kind": contract.kind,
                "annual_value": contract.annual_value, "budget_line": contract.budget_line,
                "plan": plan_text(contract),
            }
        )  # fmt: skip
    else:
        form = ContractForm()
    history = (
        list(
            AuditEvent.objects.filter(object_type="Contract", object_id=str(contract.pk)).order_by(
                "-at"
            )[:20]
        )
        if contract is not None
        else []
    )
    return render(
        request,
        "finance/contract_edit.jinja",
        {
            "title": f"{pct.name}: {'change' if contract else 'new'} contract",
            "pct": pct,
            "contract": contract,
            "form": form,
            "history": history,
            "kinds": Contract.Kind.choices,
            "quality_sources": quality.sources(),
            "quality_categories": QualityMeasure.Category.choices,
            "budget_lines": [(line.value, line.label) for line in LINES],
            "contracts": Contract.objects.filter(pct=pct)
            .select_related("provider")
            .order_by("-financial_year", "provider__code", "name"),
            "breadcrumbs": crumbs(("Finance", reverse("finance_index"))),
        },
    )
