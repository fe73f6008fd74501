"""Services pages: enhanced services, provider returns, patient experience.

Each URL names at most one organisation (locality, practice or provider), which its view's
access rule checks. Provider users reach only their own provider's pages and see only returns
their provider submitted; locality managers and board members see provider performance for
their locality's contracts as aggregates (no patient-level rows). An uploaded return with
problems is kept under the data directory (`service-uploads/<sha256>`) between the report and
the acceptance; nothing is stored in the database until then.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pbc import exports, periods
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import AuditEvent, Locality, Practice, Provider
from pbc.orgs.roles import Permission
from pbc.periods import add_years, parse_month
from pbc.services import actions, awp, experience, feeds, published, reports
from pbc.services.claims import check_claims
from pbc.services.experience import SURVEY_TEMPLATE
from pbc.services.forms import (
    ClaimsUploadForm,
    ReturnConfirmForm,
    ReturnUploadForm,
    SignUpForm,
    SpecificationForm,
    SurveyActionForm,
    SurveyActionStatusForm,
    SurveyUploadForm,
    WithdrawForm,
)
from pbc.services.models import (
    Accreditation,
    Claim,
    EnhancedService,
    ProviderContract,
    ProviderReturn,
    ServiceSpecification,
    SignUp,
    SurveyAction,
)
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import TableReadError, read_table
from pbc.services.validation import period_label, validate
from pbc.uploads import UploadRefused
from pbc.web import disclosure
from pbc.web.rules import public, requires, signed_in
from pbc.web.uploads import checked_upload, discard, file_sha256, keep, kept, upload_limits


def crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": href} for text, href in [("Home", reverse("home")), *items]]


def _quarter_param(request: HttpRequest, default: dt.date) -> dt.date:
    value = request.GET.get("quarter")
    if not value:
        return default
    try:
        return periods.quarter_start(value)
    except ValueError as error:
        raise Http404("No such quarter") from error


# --- index and catalogue ----------------------------------------------------------------------


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    localities = [
        loc for loc in Locality.objects.all() if has_permission(user, Permission.VIEW_LOCALITY, loc)
    ]
    providers = [
        p
        for p in Provider.objects.all()
        if has_permission(user, Permission.SUBMIT_PROVIDER_RETURNS, p)
    ]
    return render(
        request,
        "services/index.jinja",
        {
            "title": "Services",
            "localities": localities,
            "providers": providers,
            "breadcrumbs": crumbs(),
        },
    )


@signed_in
def catalogue(request: HttpRequest) -> HttpResponse:
    services = EnhancedService.objects.prefetch_related("specifications")
    return render(
        request,
        "services/catalogue.jinja",
        {
            "title": "Enhanced services",
            "services": services,
            "can_manage": has_permission(request.user, Permission.MANAGE_SERVICES),
            "breadcrumbs": crumbs(("Services", reverse("services_index"))),
        },
    )


def _refusal_on(form: Any, refusal: actions.Refused, default: str) -> None:
    form.add_error(refusal.field if refusal.field in form.fields else default, str(refusal))


@requires(Permission.MANAGE_SERVICES)
def specification_edit(request: HttpRequest) -> HttpResponse:
    """A PCT analyst adds a service's specification for a financial year, or changes one
    (`?service=<key>&year=<YYYY/YY>`); a new year starts from the service's latest one."""
    key = request.GET.get("service", "")
    year = request.GET.get("year", "")
    existing = (
        ServiceSpecification.objects.filter(service__key=key, financial_year=year)
        .select_related("service")
        .first()
        if key and year
        else None
    )
    if request.method == "POST":
        form = SpecificationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            service = EnhancedService.objects.get(key=data["service"])
            try:
                saved = actions.save_specification(
                    request.user,
                    service,
                    data["financial_year"],
                    unit=data["unit"],
                    price_per_unit=data["price_per_unit"],
                    cap_per_quarter=data["cap_per_quarter"],
                    target_per_quarter=data["target_per_quarter"],
                    reporting_frequency=data["reporting_frequency"],
                )
            except actions.Refused as refusal:
                _refusal_on(form, refusal, "unit")
            else:
                messages.success(request, f"Specification saved: {saved}.")
                return redirect("enhanced_catalogue")
    else:
        source = existing
        if source is None and key:
            source = (
                ServiceSpecification.objects.filter(service__key=key)
                .order_by("-financial_year")
                .first()
            )
        initial: dict[str, Any] = {"service": key, "financial_year": year}
        if source is not None:
            initial.update({name: getattr(source, name) for name in actions.SPECIFICATION_FIELDS})
            if not year:
                initial["financial_year"] = add_years(source.financial_year, 1)
        form = SpecificationForm(initial=initial)
    history = (
        list(
            AuditEvent.objects.filter(
                object_type="ServiceSpecification", object_id=str(existing.pk)
            ).order_by("-at")[:20]
        )
        if existing is not None
        else []
    )
    return render(
        request,
        "services/specification_edit.jinja",
        {
            "title": f"Change the specification: {existing}"
            if existing
            else "Add a service specification",
            "form": form,
            "existing": existing,
            "history": history,
            "fields": actions.SPECIFICATION_FIELDS,
            "breadcrumbs": crumbs(
                ("Services", reverse("services_index")),
                ("Enhanced services", reverse("enhanced_catalogue")),
            ),
        },
        status=400 if form.errors else 200,
    )


# --- enhanced services ------------------------------------------------------------------------


def _default_claim_quarter() -> dt.date:
    latest = Claim.objects.order_by("-quarter").values_list("quarter", flat=True).first()
    return latest or periods.quarter_of(dt.date.today())


@requires(Permission.VIEW_LOCALITY, scope="locality")
def enhanced_locality(request: HttpRequest, locality: Locality) -> HttpResponse:
    quarter = _quarter_param(request, _default_claim_quarter())
    can_manage = has_permission(request.user, Permission.MANAGE_SERVICES, locality)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("You do not have permission to decide claims.")
        _decide_claims(request, locality)
        return redirect(request.get_full_path())
    year = periods.financial_year_of(quarter)
    practices = list(locality.practices.order_by("code"))
    specs = list(
        EnhancedService.objects.filter(specifications__financial_year=year).order_by("name")
    )
    signed = {
        (s.practice_id, s.specification.service_id)
        for s in SignUp.objects.filter(
            practice__locality=locality, specification__financial_year=year
        ).select_related("specification")
        if s.active_between(quarter, periods.quarter_end(quarter))
    }
    claims = list(
        Claim.objects.filter(practice__locality=locality, quarter=quarter).select_related(
            "practice", "specification__service"
        )
    )
    return render(
        request,
        "services/enhanced_locality.jinja",
        {
            "title": f"Enhanced services in {locality.name}",
            "locality": locality,
            "quarter": quarter,
            "quarter_label": periods.quarter_label(quarter),
            "quarters": [(periods.quarter_label(q), q) for q in periods.quarters_of_year(year)],
            "practices": practices,
            "services": specs,
            "signed": signed,
            "claims": claims,
            "claims_total": sum((c.amount for c in claims), feeds.ZERO),
            "extended_hours": feeds.extended_hours_offered(quarter, locality=locality.slug),
            "quitters": feeds.smoking_quitters(quarter, locality=locality.slug),
            "can_manage": can_manage,
            "breadcrumbs": crumbs(("Services", reverse("services_index"))),
        },
    )


def _decide_claims(request: HttpRequest, locality: Locality) -> None:
    """Approve, reject or pay the selected claims as one batch: every claim or none."""
    ids = [int(i) for i in request.POST.getlist("claim") if i.isdigit()]
    claims = list(Claim.objects.filter(pk__in=ids, practice__locality=locality))
    decision = request.POST.get("decision")
    note = request.POST.get("note", "")
    try:
        if not claims:
            raise actions.Refused("Select the claims to decide")
        with transaction.atomic():
            if decision == "approve":
                for claim in claims:
                    actions.approve_claim(request.user, claim, note)
            elif decision == "reject":
                for claim in claims:
                    actions.reject_claim(request.user, claim, note)
            elif decision == "pay":
                month = parse_month(request.POST.get("month", ""))
                actions.pay_claims(request.user, claims, month)
            else:
                raise actions.Refused("Choose approve, reject or pay")
    except (actions.Refused, ValueError) as error:
        messages.error(request, f"{error}. No claim has been changed.")
        return
    messages.success(request, f"{len(claims)} claim(s): {decision} recorded.")


@requires(Permission.MANAGE_SERVICES, scope="locality")
def claims_upload(request: HttpRequest, locality: Locality) -> HttpResponse:
    form = ClaimsUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "title": f"Upload enhanced service claims for {locality.name}",
        "locality": locality,
        "form": form,
        "breadcrumbs": crumbs(
            ("Enhanced services", reverse("enhanced_locality", args=[locality.slug]))
        ),
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = read_table(checked_upload(upload), upload.name, upload_limits())
        except TableReadError as error:
            form.add_error("file", f"{error}.")
            return render(request, "services/claims_upload.jinja", context, status=400)
        check = check_claims(locality, form.cleaned_data["quarter"], table)
        try:
            stored = actions.submit_claims(request.user, locality, check)
        except actions.Refused as refusal:
            context.update({"refusal": str(refusal), "problems": refusal.problems})
            return render(request, "services/claims_upload.jinja", context, status=400)
        messages.success(
            request,
            f"{len(stored)} claims stored for {periods.quarter_label(check.quarter)}"
            + (f"; {len(check.problems)} over the cap and queried" if check.problems else ""),
        )
        url = reverse("enhanced_locality", args=[locality.slug])
        return redirect(f"{url}?quarter={periods.quarter_label(check.quarter)}")
    return render(
        request, "services/claims_upload.jinja", context, status=400 if form.errors else 200
    )


@requires(Permission.VIEW_PRACTICE, scope="practice")
def enhanced_practice(request: HttpRequest, practice: Practice) -> HttpResponse:
    return render(
        request,
        "services/enhanced_practice.jinja",
        {
            "title": f"Enhanced services: {practice.name}",
            "practice": practice,
            "can_sign_up": has_permission(request.user, Permission.SIGN_UP_SERVICES, practice),
            "sign_ups": SignUp.objects.filter(practice=practice).select_related(
                "specification__service"
            ),
            "claims": Claim.objects.filter(practice=practice).select_related(
                "specification__service"
            ),
            "spend": feeds.enhanced_services_spend(practice.code, "2008/09"),
            "breadcrumbs": crumbs((practice.name, reverse("practice", args=[practice.code]))),
        },
    )


@requires(Permission.SIGN_UP_SERVICES, scope="practice")
def practice_sign_up(request: HttpRequest, practice: Practice) -> HttpResponse:
    """A practice user (their own practice) or a PCT analyst signs the practice up to a
    service's specification for a financial year, or withdraws it (`actions.sign_up`,
    `actions.withdraw_sign_up`, both audited); problems are shown by their fields."""
    years = sorted(
        set(ServiceSpecification.objects.values_list("financial_year", flat=True)), reverse=True
    )
    sign_ups = list(
        SignUp.objects.filter(practice=practice)
        .select_related("specification__service")
        .order_by("-specification__financial_year", "specification__service__name")
    )
    active = [
        (s.pk, f"{s.specification.service.name} {s.specification.financial_year}")
        for s in sign_ups
        if s.withdrawn_on is None
    ]
    sign_up_form = SignUpForm(prefix="signup", years=years)
    withdraw_form = WithdrawForm(prefix="withdraw", sign_ups=active)
    if request.method == "POST":
        operation = request.POST.get("operation")
        if operation == "sign_up":
            sign_up_form = SignUpForm(request.POST, prefix="signup", years=years)
            if sign_up_form.is_valid():
                data = sign_up_form.cleaned_data
                try:
                    row = actions.sign_up(
                        request.user, practice, data["specification"], data["signed_on"]
                    )
                except actions.Refused as refusal:
                    _refusal_on(sign_up_form, refusal, "service")
                else:
                    messages.success(request, f"{practice.name} signed up to {row.specification}.")
                    return redirect(request.path)
        elif operation == "withdraw":
            withdraw_form = WithdrawForm(request.POST, prefix="withdraw", sign_ups=active)
            if withdraw_form.is_valid():
                row = next(s for s in sign_ups if s.pk == withdraw_form.cleaned_data["sign_up"])
                try:
                    actions.withdraw_sign_up(
                        request.user, row, withdraw_form.cleaned_data["withdrawn_on"]
                    )
                except actions.Refused as refusal:
                    _refusal_on(withdraw_form, refusal, "withdrawn_on")
                else:
                    messages.success(
                        request, f"{practice.name} withdrawn from {row.specification}."
                    )
                    return redirect(request.path)
        else:
            messages.error(request, "Choose to sign up or to withdraw.")
    failed = bool(sign_up_form.errors or withdraw_form.errors) or (
        request.method == "POST" and request.POST.get("operation") not in ("sign_up", "withdraw")
    )
    return render(
        request,
        "services/sign_up.jinja",
        {
            "title": f"Sign up to enhanced services: {practice.name}",
            "practice": practice,
            "sign_ups": sign_ups,
            "sign_up_form": sign_up_form,
            "withdraw_form": withdraw_form,
            "breadcrumbs": crumbs(
                (practice.name, reverse("practice", args=[practice.code])),
                ("Enhanced services", reverse("enhanced_practice", args=[practice.code])),
            ),
        },
        status=400 if failed else 200,
    )


# --- provider returns -------------------------------------------------------------------------


KEPT_RETURNS = "returns"  # checked returns kept for "accept with known problems"


def _contract_choices(provider: Provider) -> list[tuple[int, str]]:
    return [
        (c.pk, f"{TEMPLATES[c.template].name} ({c.locality.name})")
        for c in provider.contracts.select_related("locality")
    ]


@requires(Permission.SUBMIT_PROVIDER_RETURNS, scope="provider")
def provider_returns(request: HttpRequest, provider: Provider) -> HttpResponse:
    returns = (
        ProviderReturn.objects.filter(contract__provider=provider)
        .select_related("contract__locality")
        .order_by("-period", "-submitted_at")
    )
    chosen = None
    if request.GET.get("return", "").isdigit():
        chosen = get_object_or_404(returns, pk=int(request.GET["return"]))
    return render(
        request,
        "services/provider_returns.jinja",
        {
            "title": f"Returns from {provider.name}",
            "provider": provider,
            "returns": [
                (
                    r,
                    TEMPLATES[r.contract.template],
                    period_label(TEMPLATES[r.contract.template], r.period),
                )
                for r in returns
            ],
            "chosen": chosen,
            "breadcrumbs": crumbs(("Services", reverse("services_index"))),
        },
    )


@requires(Permission.SUBMIT_PROVIDER_RETURNS, scope="provider")
def return_upload(request: HttpRequest, provider: Provider) -> HttpResponse:
    contracts = {c.pk: c for c in provider.contracts.select_related("locality")}
    context: dict[str, Any] = {
        "title": f"Upload a return from {provider.name}",
        "provider": provider,
        "templates": [TEMPLATES[c.template] for c in contracts.values()],
        "breadcrumbs": crumbs(("Returns", reverse("provider_returns", args=[provider.code]))),
    }
    if request.method == "POST" and "token" in request.POST:
        return _confirm_return(request, provider, contracts, context)
    form = ReturnUploadForm(
        request.POST or None, request.FILES or None, contracts=_contract_choices(provider)
    )
    context["form"] = form
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "services/return_upload.jinja", context, status=400 if form.errors else 200
        )
    upload = form.cleaned_data["file"]
    contract = contracts[form.cleaned_data["contract"]]
    return _check_and_store(
        request,
        provider,
        contract,
        form.cleaned_data["month"],
        checked_upload(upload),
        upload.name,
        context,
    )


def _check_and_store(
    request: HttpRequest,
    provider: Provider,
    contract: ProviderContract,
    month: dt.date,
    path: Path,
    filename: str,
    context: dict[str, Any],
    *,
    accept: bool = False,
    note: str = "",
    confirm_form: ReturnConfirmForm | None = None,
) -> HttpResponse:
    template = TEMPLATES[contract.template]
    try:
        table = read_table(path, filename, upload_limits())
    except TableReadError as error:
        context.update({"refusal": f"The file cannot be read: {error}.", "problems": []})
        context.setdefault("form", ReturnUploadForm(contracts=_contract_choices(provider)))
        return render(request, "services/return_upload.jinja", context, status=400)
    practices = frozenset(contract.locality.practices.values_list("code", flat=True))
    checked = validate(template, table, month, practices, contract.locality.name)
    token = file_sha256(path)
    try:
        stored = actions.submit_return(
            request.user,
            contract,
            checked,
            filename=filename,
            sha256=token,
            accept_with_problems=accept,
            note=note,
        )
    except actions.Refused as refusal:
        not_kept = ""
        if checked.acceptable:
            try:  # for "accept with known problems", until it expires
                keep(path, KEPT_RETURNS, request.user, filename)
            except UploadRefused as refused:
                not_kept = f" It cannot be accepted with its problems now: {refused}."
        context.update(
            {
                "title": f"Problems in the {template.name} return",
                "refusal": str(refusal) + not_kept,
                "problems": refusal.problems,
                "validation": checked,
                "period_label": period_label(template, checked.period),
                "template": template,
                "confirm": confirm_form
                or ReturnConfirmForm(
                    initial={
                        "token": token,
                        "filename": filename,
                        "contract": contract.pk,
                        "month": month.strftime("%Y-%m"),
                    }
                )
                if checked.acceptable and not not_kept
                else None,
            }
        )
        return render(request, "services/return_problems.jinja", context, status=400)
    discard(KEPT_RETURNS, token, request.user)
    messages.success(
        request,
        f"{template.name} return for {period_label(template, stored.period)} accepted: "
        f"{stored.row_count} rows"
        + (f", {len(stored.problems)} known problems" if stored.problems else ""),
    )
    url = reverse("provider_returns", args=[provider.code])
    return redirect(f"{url}?return={stored.pk}")


def _confirm_return(
    request: HttpRequest,
    provider: Provider,
    contracts: dict[int, ProviderContract],
    context: dict[str, Any],
) -> HttpResponse:
    """Accept a checked upload with its known problems (the file is read and checked again)."""
    form = ReturnConfirmForm(request.POST)
    path = kept(KEPT_RETURNS, request.POST.get("token", ""), request.user)
    if path is None:
        raise Http404("That upload is no longer available: upload the file again.")
    try:
        contract = contracts[int(request.POST.get("contract", ""))]
        month = parse_month(request.POST.get("month", ""))
    except (KeyError, ValueError) as error:
        raise Http404("No such contract or month") from error
    accepted = form.is_valid()
    return _check_and_store(
        request,
        provider,
        contract,
        month,
        path,
        request.POST.get("filename", "return.csv")[:255],
        context,
        accept=accepted,
        note=form.cleaned_data["note"] if accepted else "",
        confirm_form=None if accepted else form,
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def returns_report(request: HttpRequest, locality: Locality) -> HttpResponse:
    contracts = list(ProviderContract.objects.filter(locality=locality).select_related("provider"))
    provider_code = request.GET.get("provider", "")
    if provider_code:
        contracts = [c for c in contracts if c.provider.code == provider_code]
        if not contracts:
            raise Http404("No contract with that provider")
    sections = reports.locality_report(contracts)
    return render(
        request,
        "services/returns_report.jinja",
        {
            "title": f"Provider performance for {locality.name}",
            "locality": locality,
            "sections": sections,
            "provider_code": provider_code,
            "providers": sorted(
                {
                    c.provider
                    for c in ProviderContract.objects.filter(locality=locality).select_related(
                        "provider"
                    )
                },
                key=lambda p: p.name,
            ),
            "period_label": period_label,
            "breadcrumbs": crumbs(("Services", reverse("services_index"))),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def awp_report(request: HttpRequest, locality: Locality) -> HttpResponse:
    """Any willing provider: accredited providers per service, their activity and cost per
    case, and returns from providers not accredited (aggregates only: no patient rows). A POST
    accredits a provider (`awp.accredit`: the PCT's analysts)."""
    back = reverse("awp_report", args=[locality.slug])
    if request.method == "POST" and request.POST.get("action") == "raise":
        return _raise_awp_findings(request, locality, back)
    if request.method == "POST":
        try:
            to_text = request.POST.get("accredited_to", "").strip()
            row = awp.accredit(
                request.user, locality,
                service=request.POST.get("service", ""),
                provider_code=request.POST.get("provider", ""),
                accredited_from=dt.date.fromisoformat(request.POST.get("accredited_from", "")),
                accredited_to=dt.date.fromisoformat(to_text) if to_text else None,
                price_per_case=request.POST.get("price_per_case", ""),
            )  # fmt: skip
        except PermissionDenied as err:
            audit.record(request.user, "denied", locality, detail=str(err), path=request.path)
            raise
        except ValueError as err:  # AccreditationError or a date not in YYYY-MM-DD form
            messages.error(request, f"Not accredited: {err}")
        else:
            messages.success(request, f"{row.provider.name} accredited from {row.accredited_from}.")
        return redirect(back)
    reports_ = [awp.report(locality, s) for s in awp.services_of(locality)]
    if request.GET.get("format") == "csv":
        return _awp_csv(locality, reports_)
    return render(
        request,
        "services/awp.jinja",
        {
            "title": f"Any willing provider: {locality.name}",
            "locality": locality,
            "reports": reports_,
            "practices": list(locality.practices.order_by("code")),
            "can_accredit": has_permission(request.user, Permission.MANAGE_SERVICES, locality),
            "can_raise": has_permission(request.user, Permission.REVIEW_FINDINGS, locality.pct),
            "services": [(k, t.name) for k, t in TEMPLATES.items() if t.cost == "case_cost"],
            "breadcrumbs": crumbs(("Services", reverse("services_index"))),
        },
    )


AWP_CSV_HEADER = [
    "service", "practice_code", "provider_code", "provider_name", "cases", "cost",
    "cost_per_case", "cases_not_chosen", "cases_before_any_choice", "latest_choice",
    "latest_choice_from",
]  # fmt: skip


def _awp_csv(locality: Locality, got: list[awp.AwpReport]) -> HttpResponse:
    """The page's cases per provider per practice as CSV (aggregates: no patient rows), written
    by the one safe writer."""
    rows: list[list[Any]] = [AWP_CSV_HEADER]
    for r in got:
        for c in r.by_practice:
            latest = (r.choices.get(c.practice_code) or [None])[-1]
            rows.append(
                [
                    r.service, c.practice_code, c.provider.code, c.provider.name, c.cases,
                    c.cost, c.cost_per_case if c.cost_per_case is not None else "",
                    c.not_chosen, c.no_choice,
                    " ".join(latest.providers) if latest else "",
                    latest.chosen_from.isoformat() if latest else "",
                ]
            )  # fmt: skip
    response = HttpResponse(exports.csv_text(rows), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="any-willing-provider-{locality.slug}.csv"'
    )
    return response


@requires(Permission.VIEW_PRACTICE, scope="practice")
def awp_practice(request: HttpRequest, practice: Practice) -> HttpResponse:
    """A practice's any willing provider services: the providers accredited now, the practice's
    choice among them (and its earlier ones), and its patients' cases and cost per case with
    each provider (aggregates only). A POST records a new choice (`awp.choose`: the practice's
    own users, its locality's managers and the PCT's analysts; audited)."""
    locality = practice.locality
    back = reverse("awp_practice", args=[practice.code])
    if request.method == "POST":
        try:
            try:
                month = periods.parse_month(request.POST.get("chosen_from", ""))
            except ValueError as err:
                raise awp.AccreditationError(f"chosen from: {err}") from err
            row = awp.choose(
                request.user, practice,
                service=request.POST.get("service", ""),
                provider_codes=request.POST.getlist("provider"),
                chosen_from=month,
            )  # fmt: skip
        except PermissionDenied as err:
            audit.record(request.user, "denied", practice, detail=str(err), path=request.path)
            raise
        except ValueError as err:  # AccreditationError or a month not in YYYY-MM form
            messages.error(request, f"Choice not recorded: {err}")
        else:
            messages.success(
                request,
                f"{practice.name} chose {', '.join(row.providers)} from {row.chosen_from:%B %Y}.",
            )
        return redirect(back)
    today = dt.date.today()
    sections = []
    for service in awp.services_of(locality):
        got = awp.report(locality, service)
        accredited = [
            a
            for a in Accreditation.objects.filter(locality=locality, service=service)
            .select_related("provider")
            .order_by("provider__name", "accredited_from")
            if a.accredited_to is None or a.accredited_to > today
        ]
        sections.append(
            {
                "report": got,
                "accredited": accredited,
                "choices": list(reversed(got.choices.get(practice.code, []))),
                "activity": [c for c in got.by_practice if c.practice_code == practice.code],
            }
        )
    return render(
        request,
        "services/awp_practice.jinja",
        {
            "title": f"Any willing provider: {practice.name}",
            "practice": practice,
            "sections": sections,
            "can_choose": has_permission(request.user, Permission.CHOOSE_PROVIDERS, practice),
            "can_see_locality": has_permission(request.user, Permission.VIEW_LOCALITY, locality),
            "breadcrumbs": crumbs((practice.name, reverse("practice", args=[practice.code]))),
        },
    )


def _raise_awp_findings(request: HttpRequest, locality: Locality, back: str) -> HttpResponse:
    """Put a service's any-willing-provider findings into the challenge process (the PCT's
    analysts: `awp.raise_findings`)."""
    from pbc.validation.actions import ActionRefused

    service = request.POST.get("service", "")
    if service not in awp.services_of(locality):
        messages.error(request, f"Not raised: '{service}' has no accredited providers here.")
        return redirect(back)
    try:
        n = awp.raise_findings(request.user, locality, service)
    except ActionRefused as err:
        audit.record(request.user, "denied", locality, detail=str(err), path=request.path)
        raise PermissionDenied(str(err)) from err
    messages.success(
        request,
        f"{n} finding(s) raised for challenge: see {locality.pct.name}'s findings with no practice.",
    )
    return redirect(back)


# --- patient experience -----------------------------------------------------------------------


@requires(Permission.VIEW_LOCALITY, scope="locality")
def experience_report(request: HttpRequest, locality: Locality) -> HttpResponse:
    quarters = experience.quarters_with_results(locality)
    quarter = _quarter_param(
        request, quarters[0] if quarters else periods.quarter_of(dt.date.today())
    )
    can_act = has_permission(request.user, Permission.MANAGE_PLANS, locality) or has_permission(
        request.user, Permission.MANAGE_SERVICES, locality
    )
    practices = [(p.code, p.name) for p in locality.practices.order_by("code")]
    form = SurveyActionForm(practices=practices)
    status_error = ""
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("You do not have permission to record survey actions.")
        if "action_id" in request.POST:
            status_form = SurveyActionStatusForm(request.POST)
            if status_form.is_valid():
                row = get_object_or_404(
                    SurveyAction, pk=status_form.cleaned_data["action_id"], locality=locality
                )
                actions.report_survey_action(
                    request.user,
                    row,
                    status=status_form.cleaned_data["status"],
                    reported_to_board_on=status_form.cleaned_data["reported_to_board_on"],
                )
                messages.success(request, "Action updated.")
                return redirect(request.get_full_path())
            status_error = "The action was not updated: " + "; ".join(
                f"{status_form[name].label}: {' '.join(errors)}"
                for name, errors in status_form.errors.items()
            )
        else:
            form = SurveyActionForm(request.POST, practices=practices)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    actions.record_survey_action(
                        request.user,
                        locality,
                        quarter=quarter,
                        domain=data["domain"],
                        action=data["action"],
                        owner=data["owner"],
                        practice=locality.practices.filter(code=data["practice"]).first(),
                    )
                except actions.Refused as refusal:
                    _refusal_on(form, refusal, "action")
                else:
                    messages.success(request, "Action recorded.")
                    return redirect(request.get_full_path())
    return render(
        request,
        "services/experience_report.jinja",
        {
            "title": f"Patient experience in {locality.name}, {periods.quarter_label(quarter)}",
            "locality": locality,
            "quarter": quarter,
            "quarter_label": periods.quarter_label(quarter),
            "quarters": [periods.quarter_label(q) for q in quarters],
            "results": experience.quarter_results(locality, quarter),
            "actions": experience.actions_for(locality, quarter),
            "form": form,
            "status_error": status_error,
            "can_act": can_act,
            "statuses": SurveyAction.Status.choices,
            "breadcrumbs": crumbs(("Services", reverse("services_index"))),
        },
        status=400 if form.errors or status_error else 200,
    )


@requires(Permission.MANAGE_SERVICES, scope="locality")
def survey_upload(request: HttpRequest, locality: Locality) -> HttpResponse:
    form = SurveyUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "title": f"Import patient survey results for {locality.name}",
        "locality": locality,
        "form": form,
        "template": SURVEY_TEMPLATE,
        "breadcrumbs": crumbs(
            ("Patient experience", reverse("experience_report", args=[locality.slug]))
        ),
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        quarter = form.cleaned_data["quarter"]
        try:
            table = read_table(checked_upload(upload), upload.name, upload_limits())
        except TableReadError as error:
            form.add_error("file", f"{error}.")
            return render(request, "services/survey_upload.jinja", context, status=400)
        practices = frozenset(locality.practices.values_list("code", flat=True))
        checked = validate(SURVEY_TEMPLATE, table, quarter, practices, locality.name)
        try:
            stored = actions.import_survey(request.user, locality, quarter, checked)
        except actions.Refused as refusal:
            context.update({"refusal": str(refusal), "problems": refusal.problems})
            return render(request, "services/survey_upload.jinja", context, status=400)
        messages.success(request, f"{len(stored)} survey results imported.")
        url = reverse("experience_report", args=[locality.slug])
        return redirect(f"{url}?quarter={periods.quarter_label(quarter)}")
    return render(
        request, "services/survey_upload.jinja", context, status=400 if form.errors else 200
    )


@requires(Permission.VIEW_PRACTICE, scope="practice")
def experience_practice(request: HttpRequest, practice: Practice) -> HttpResponse:
    quarters = experience.quarters_with_results(practice.locality)
    rows = []
    for quarter in quarters:
        for domain in experience.quarter_results(practice.locality, quarter):
            mine = next((p for p in domain.practices if p.practice_code == practice.code), None)
            if mine is not None:
                rows.append((periods.quarter_label(quarter), domain, mine))
    return render(
        request,
        "services/experience_practice.jinja",
        {
            "title": f"Patient experience: {practice.name}",
            "practice": practice,
            "rows": rows,
            "breadcrumbs": crumbs((practice.name, reverse("practice", args=[practice.code]))),
        },
    )


@public
def experience_public(request: HttpRequest, locality: str) -> HttpResponse:
    """Patient experience by practice for anyone: small numbers suppressed (`published`)."""
    found = get_object_or_404(Locality.objects.select_related("pct"), slug=locality)
    quarters = experience.quarters_with_results(found)
    quarter = _quarter_param(
        request, quarters[0] if quarters else periods.quarter_of(dt.date.today())
    )
    if quarters and quarter not in quarters:
        raise Http404("No published survey for that quarter")
    rule = disclosure.rule()
    return render(
        request,
        "services/experience_public.jinja",
        {
            "title": f"Patient experience in {found.name}, {periods.quarter_label(quarter)}",
            "locality": found,
            "quarter": quarter,
            "quarter_label": periods.quarter_label(quarter),
            "quarters": [(periods.quarter_label(q), q) for q in quarters],
            "results": published.publish(experience.quarter_results(found, quarter), rule)
            if quarters
            else [],
            "rule": rule,
            "min_responses": experience.MIN_RESPONSES_TO_COMPARE,
            "breadcrumbs": [{"text": "Published information", "href": reverse("public_home")}],
        },
    )
