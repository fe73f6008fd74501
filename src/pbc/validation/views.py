"""Validation pages: findings by practice, patient-level detail, locality sign-off, challenge
schedules, provider responses, ledger.

Who sees what (the rule is declared on each view, the data is filtered to the URL's object):

- practice findings (`REVIEW_FINDINGS` on the practice): practice users and PCT analysts decide;
  no NHS numbers on this page;
- patient-level detail (`VIEW_PATIENT_ROWS` on the practice): the finding's own practice and
  the PCT's analysts only; every view writes a `view_patient_rows` audit event;
- locality sign-off and schedule export (`SIGN_OFF_CHALLENGES` on the locality);
- provider page, schedule and response upload (`RECORD_PROVIDER_RESPONSE` on the provider):
  the provider's own users (every challenge to the provider) and PCT analysts (their own
  PCT's challenges only: `actions.response_scope`);
- ledger (any signed-in user): aggregates of the organisations the user belongs to.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pbc.analytics.validation import DEFAULT_SETTINGS, RULES
from pbc.orgs import audit
from pbc.orgs.access import has_permission, memberships, visible_practices
from pbc.orgs.models import Locality, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role
from pbc.periods import month_or_none
from pbc.refresh.queries import staleness
from pbc.uploads import UploadRefused
from pbc.validation import actions, files, participation
from pbc.validation.models import Finding, Status
from pbc.web import tables
from pbc.web.rules import requires, signed_in
from pbc.web.uploads import checked_upload, upload_limits

PAGE_SIZE = 200
# A practice's findings table: (sort key, heading, field); the decision column is not sortable.
FINDING_COLUMNS = [
    ("month", "Month", "month"),
    ("provider", "Provider", "provider_code"),
    ("rule", "Rule", "rule_id"),
    ("row", "Row", "row_id"),
    ("charged", "Charged", "charged_price"),
    ("amount", "At stake", "amount"),
    ("status", "Status", "status"),
    ("decision", "Decision", None),
]
MONEY_COLUMNS = frozenset({"charged", "amount"})
TO_REVIEW = (Status.OPEN, Status.MORE_INFORMATION)
# The status filter's choices: "To review" (open or waiting for information, still flagged),
# then every status once; the open status, which "To review" includes, is named "Open".
STATUS_FILTERS = [
    ("review", "To review"),
    ("all", "All"),
    *((value, "Open" if value == Status.OPEN else label) for value, label in Status.choices),
]
CHALLENGE_STATES = (
    Status.CHALLENGED,
    Status.SIGNED_OFF,
    Status.AGREED,
    Status.DISPUTED,
    Status.WRITTEN_OFF,
)


def _month(request: HttpRequest) -> dt.date | None:
    return month_or_none(request.GET.get("month"))


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "title": r.title,
            "description": r.description,
            "datasets": ", ".join(r.datasets),
            "money": r.money_at_stake,
            "in_force": "; ".join(p.label() for p in DEFAULT_SETTINGS.periods(r.id)),
        }
        for r in RULES.values()
    ]


def _titles() -> dict[str, str]:
    return {**{r.id: r.title for r in RULES.values()}, **actions.RAISED_RULE_TITLES}


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    links = []
    for m in memberships(request.user):
        role = Role(m.role)
        if role == Role.PRACTICE_USER and m.practice:
            links.append(
                (
                    f"Findings for {m.practice.name}",
                    reverse("validation_practice", args=[m.practice.code]),
                )
            )
        if role in (Role.LOCALITY_MANAGER,) and m.locality:
            links.append(
                (
                    f"Sign-off for {m.locality.name}",
                    reverse("validation_locality", args=[m.locality.slug]),
                )
            )
        if role == Role.PROVIDER_USER and m.provider:
            links.append(
                (
                    f"Challenges to {m.provider.name}",
                    reverse("validation_provider", args=[m.provider.code]),
                )
            )
        if role == Role.PCT_ANALYST and m.pct:
            links.append(
                (
                    f"Findings with no practice for {m.pct.name} (invoice lines without activity)",
                    reverse("validation_pct_without_practice", args=[m.pct.slug]),
                )
            )
            for loc in m.pct.localities.all():
                links.append(
                    (f"Sign-off for {loc.name}", reverse("validation_locality", args=[loc.slug]))
                )
    for loc in Locality.objects.order_by("name"):
        if has_permission(request.user, Permission.VIEW_LOCALITY, loc):
            links.append(
                (
                    f"Practices taking part and providers' data quality, {loc.name}",
                    reverse("validation_participation", args=[loc.slug]),
                )
            )
    links.append(
        ("Ledger: £ challenged, agreed, recovered, written off", reverse("validation_ledger"))
    )
    return render(
        request,
        "validation/index.jinja",
        {
            "title": "Validation of hospital charges",
            "links": links,
            "sections": _finding_lists(request.user),
            "rules": _rules(),
        },
    )


def _finding_lists(user: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """For users who review several practices' findings or answer for several providers (PCT
    analysts): a link to each practice's findings and each provider's challenges."""
    practices = sorted(visible_practices(user, Permission.REVIEW_FINDINGS), key=lambda p: p.code)
    providers = [
        p
        for p in Provider.objects.order_by("code")
        if has_permission(user, Permission.RECORD_PROVIDER_RESPONSE, p)
    ]
    sections = []
    if len(practices) > 1:
        links = [
            (f"{p.code} {p.name}", reverse("validation_practice", args=[p.code])) for p in practices
        ]
        sections.append(("Findings by practice", links))
    if len(providers) > 1:
        links = [
            (f"{p.code} {p.name}", reverse("validation_provider", args=[p.code])) for p in providers
        ]
        sections.append(("Challenges by provider", links))
    return sections


def _filtered(
    request: HttpRequest, qs: QuerySet[Finding]
) -> tuple[QuerySet[Finding], dict[str, Any]]:
    month = _month(request)
    status = request.GET.get("status", "review")
    rule = request.GET.get("rule", "")
    if month:
        qs = qs.filter(month=month)
    if status == "review":
        qs = qs.filter(status__in=TO_REVIEW, still_flagged=True)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if rule in RULES:
        qs = qs.filter(rule_id=rule)
    return qs, {
        "month": month.strftime("%Y-%m") if month else "",
        "status": status,
        "rule": rule,
        "statuses": STATUS_FILTERS,
        "rule_choices": [("", "All rules"), *((r.id, r.title) for r in RULES.values())],
    }


def _decide_posted(request: HttpRequest, finding: Finding) -> None:
    """`actions.decide` on `finding` with the posted decision, reason and version (the version
    the user saw: a stale form is refused). Raises ValueError for a version that is not a
    number."""
    version = request.POST.get("version")
    actions.decide(
        request.user,
        finding.pk,
        request.POST.get("decision", ""),
        request.POST.get("reason", ""),
        int(version) if version else None,
    )


@requires(Permission.REVIEW_FINDINGS, scope="practice")
def practice_findings(request: HttpRequest, practice: Practice) -> HttpResponse:
    if request.method == "POST":
        try:
            finding = Finding.objects.get(
                pk=int(request.POST.get("finding", "0")), practice=practice
            )
            _decide_posted(request, finding)
            messages.success(
                request,
                f"{_titles().get(finding.rule_id, finding.rule_id)} ({finding.row_id}): {Finding.objects.get(pk=finding.pk).get_status_display()}.",
            )
        except (Finding.DoesNotExist, ValueError):
            messages.error(request, "That finding is not one of this practice's.")
        except actions.ActionRefused as err:
            messages.error(request, str(err))
        return redirect(request.get_full_path())
    qs, filters = _filtered(request, Finding.objects.filter(practice=practice))
    total = qs.aggregate(n=Count("id"), amount=Sum("amount"))
    page = tables.paged(
        request, qs, FINDING_COLUMNS, "-month", numeric=MONEY_COLUMNS, total=total["n"]
    )
    audit.record(request.user, "view", practice, path=request.get_full_path())
    return render(
        request,
        "validation/practice.jinja",
        {
            "title": f"Findings for {practice.name}",
            "practice": practice,
            "findings": page.rows,
            "page": page,
            "total": total,
            "titles": _titles(),
            "filters": filters,
            "stale": staleness("validation"),
        },
    )


@requires(Permission.REVIEW_FINDINGS, scope="pct")
def pct_without_practice(request: HttpRequest, pct: Pct) -> HttpResponse:
    """The PCT's findings that name no practice of its own (an invoice line without activity,
    activity whose practice is not known, a finding raised by hand such as any willing
    provider's), for its analysts; no NHS numbers. A POST decides one (`actions.decide`:
    accept, challenge, more information) or signs a challenged one off to the provider's
    schedule (`actions.sign_off`), each audited."""
    if request.method == "POST":
        return _decide_without_practice(request, pct)
    qs, filters = _filtered(request, Finding.objects.filter(pct=pct, practice__isnull=True))
    total = qs.aggregate(n=Count("id"), amount=Sum("amount"))
    rows = list(qs.order_by("-month", "rule_id", "row_id")[:PAGE_SIZE])
    return render(
        request,
        "validation/without_practice.jinja",
        {
            "title": f"{pct.name}: findings with no practice",
            "pct": pct,
            "findings": rows,
            "total": total,
            "shown": len(rows),
            "titles": _titles(),
            "filters": filters,
            "stale": staleness("validation"),
        },
    )


def _decide_without_practice(request: HttpRequest, pct: Pct) -> HttpResponse:
    try:
        finding = Finding.objects.get(
            pk=int(request.POST.get("finding", "0")), pct=pct, practice__isnull=True
        )
        if request.POST.get("decision") == "sign_off":
            actions.sign_off(request.user, [finding.pk])
        else:
            _decide_posted(request, finding)
        finding.refresh_from_db()
        messages.success(request, f"{finding.key}: {finding.get_status_display()}.")
    except (Finding.DoesNotExist, ValueError):
        messages.error(request, "That finding is not one of this PCT's findings with no practice.")
    except actions.ActionRefused as err:
        messages.error(request, str(err))
    return redirect(request.get_full_path())


@requires(Permission.VIEW_PATIENT_ROWS, scope="practice")
def patient_rows(request: HttpRequest, practice: Practice) -> HttpResponse:
    qs = Finding.objects.filter(practice=practice)
    key = request.GET.get("finding", "")
    if key:
        qs = qs.filter(key=key)
    else:
        qs, _ = _filtered(request, qs)
    rows = list(qs.order_by("-month", "rule_id", "row_id")[:PAGE_SIZE])
    audit.record(
        request.user,
        "view_patient_rows",
        practice,
        detail=f"{len(rows)} finding(s){f' {key}' if key else ''}",
        after={"findings": [f.key for f in rows]},
        path=request.get_full_path(),
    )
    return render(
        request,
        "validation/patients.jinja",
        {
            "title": f"Patient-level detail: {practice.name}",
            "practice": practice,
            "findings": rows,
            "titles": _titles(),
        },
    )


def _locality_findings(locality: Locality) -> QuerySet[Finding]:
    return Finding.objects.filter(practice__locality=locality)


@requires(Permission.SIGN_OFF_CHALLENGES, scope="locality")
def locality_signoff(request: HttpRequest, locality: Locality) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "write_off":
                finding = _locality_findings(locality).get(pk=int(request.POST.get("finding", "0")))
                actions.write_off(request.user, finding.pk, request.POST.get("reason", ""))
                messages.success(request, f"{finding.row_id}: written off.")
            else:
                ids = [int(i) for i in request.POST.getlist("finding")]
                mine = list(
                    _locality_findings(locality).filter(pk__in=ids).values_list("pk", flat=True)
                )
                if not ids:
                    raise actions.ActionRefused("Tick the challenges to sign off.")
                if len(mine) != len(set(ids)):
                    raise actions.ActionRefused("Some of those challenges are not this locality's.")
                done = actions.sign_off(request.user, mine)
                messages.success(request, f"{len(done)} challenge(s) signed off.")
        except (Finding.DoesNotExist, ValueError):
            messages.error(request, "That finding is not one of this locality's.")
        except actions.ActionRefused as err:
            messages.error(request, str(err))
        return redirect(request.get_full_path())
    awaiting = list(
        _locality_findings(locality).filter(status=Status.CHALLENGED).select_related("practice")
    )
    disputed = list(
        _locality_findings(locality).filter(status=Status.DISPUTED).select_related("practice")
    )
    scheduled = (
        _locality_findings(locality)
        .filter(status=Status.SIGNED_OFF)
        .values("provider_code")
        .annotate(n=Count("id"), amount=Sum("challenged_amount"))
        .order_by("provider_code")
    )
    audit.record(request.user, "view", locality, path=request.get_full_path())
    return render(
        request,
        "validation/locality.jinja",
        {
            "title": f"Challenges for sign-off: {locality.name}",
            "locality": locality,
            "awaiting": awaiting,
            "disputed": disputed,
            "scheduled": list(scheduled),
            "titles": _titles(),
            "stale": staleness("validation"),
        },
    )


def _schedule_response(qs: QuerySet[Finding], fmt: str, name: str, title: str) -> HttpResponse:
    rows = list(qs.order_by("provider_code", "month", "rule_id", "row_id"))
    if fmt == "xlsx":
        response = HttpResponse(
            files.schedule_xlsx(rows, title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(files.schedule_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _provider_filter(request: HttpRequest, qs: QuerySet[Finding]) -> tuple[QuerySet[Finding], str]:
    code = (request.GET.get("provider") or "").upper()
    if code:
        qs = qs.filter(provider_code=code)
    return qs, code


@requires(Permission.SIGN_OFF_CHALLENGES, scope="locality")
def locality_schedule_csv(request: HttpRequest, locality: Locality) -> HttpResponse:
    return _locality_schedule(request, locality, "csv")


@requires(Permission.SIGN_OFF_CHALLENGES, scope="locality")
def locality_schedule_xlsx(request: HttpRequest, locality: Locality) -> HttpResponse:
    return _locality_schedule(request, locality, "xlsx")


def _locality_schedule(request: HttpRequest, locality: Locality, fmt: str) -> HttpResponse:
    qs, code = _provider_filter(
        request, _locality_findings(locality).filter(status=Status.SIGNED_OFF)
    )
    audit.record(
        request.user,
        "export",
        locality,
        detail=f"challenge schedule {code or 'all providers'} {fmt}",
        path=request.get_full_path(),
    )
    name = f"challenges-{locality.slug}-{code or 'all'}-{dt.date.today():%Y-%m-%d}"
    return _schedule_response(
        qs, fmt, name, f"Challenge schedule: {locality.name}, provider {code or 'all'}"
    )


def _provider_findings(user: Any, provider: Provider) -> QuerySet[Finding]:
    return Finding.objects.filter(actions.response_scope(user, provider))


@requires(Permission.RECORD_PROVIDER_RESPONSE, scope="provider")
def provider_page(request: HttpRequest, provider: Provider) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose the response file to upload.")
            return redirect(request.path)
        try:
            rows = files.read_response_file(
                upload.name or "", checked_upload(upload), upload_limits()
            )
            record = actions.record_responses(request.user, provider, rows, upload.name or "")
            messages.success(
                request, f"Responses recorded: {record.agreed} agreed, {record.disputed} disputed."
            )
        except (UploadRefused, files.ResponseFileError, actions.ActionRefused) as err:
            messages.error(request, f"The file was not applied: {err}")
        return redirect(request.path)
    awaiting = list(
        _provider_findings(request.user, provider).filter(
            status__in=(Status.SIGNED_OFF, Status.DISPUTED)
        )
    )
    answered = list(
        _provider_findings(request.user, provider)
        .filter(status__in=(Status.AGREED, Status.WRITTEN_OFF))
        .order_by("-month")[:PAGE_SIZE]
    )
    audit.record(request.user, "view", provider, path=request.get_full_path())
    return render(
        request,
        "validation/provider.jinja",
        {
            "title": f"Challenges to {provider.name}",
            "provider": provider,
            "awaiting": awaiting,
            "answered": answered,
            "titles": _titles(),
        },
    )


@requires(Permission.RECORD_PROVIDER_RESPONSE, scope="provider")
def provider_schedule_csv(request: HttpRequest, provider: Provider) -> HttpResponse:
    return _provider_schedule(request, provider, "csv")


@requires(Permission.RECORD_PROVIDER_RESPONSE, scope="provider")
def provider_schedule_xlsx(request: HttpRequest, provider: Provider) -> HttpResponse:
    return _provider_schedule(request, provider, "xlsx")


def _provider_schedule(request: HttpRequest, provider: Provider, fmt: str) -> HttpResponse:
    qs = _provider_findings(request.user, provider).filter(
        status__in=(Status.SIGNED_OFF, Status.DISPUTED)
    )
    audit.record(
        request.user,
        "export",
        provider,
        detail=f"challenge schedule {fmt}",
        path=request.get_full_path(),
    )
    name = f"challenges-{provider.code}-{dt.date.today():%Y-%m-%d}"
    return _schedule_response(qs, fmt, name, f"Challenge schedule: {provider.name}")


def ledger_scope(user: Any) -> Q:
    """The findings whose money the user may see in aggregate: their organisations'."""
    scope = Q(pk__in=[])
    for m in memberships(user):
        role = Role(m.role)
        if role == Role.PCT_ANALYST and m.pct:
            scope |= Q(pct=m.pct) | Q(practice__locality__pct=m.pct)
        elif role in (Role.LOCALITY_MANAGER, Role.BOARD_MEMBER) and m.locality:
            scope |= Q(practice__locality=m.locality)
        elif role == Role.PRACTICE_USER and m.practice:
            scope |= Q(practice=m.practice)
        elif role == Role.PROVIDER_USER and m.provider:
            scope |= Q(provider_code=m.provider.code)
    return scope


@signed_in
def ledger(request: HttpRequest) -> HttpResponse:
    qs = Finding.objects.filter(ledger_scope(request.user), status__in=CHALLENGE_STATES)
    month = _month(request)
    if month:
        qs = qs.filter(month=month)
    sums = {
        "challenged": Sum("challenged_amount"),
        "agreed": Sum("agreed_amount"),
        "recovered": Sum("recovered_amount"),
        "written_off": Sum("written_off_amount"),
        "n": Count("id"),
    }
    rows = list(
        qs.values("practice_code", "provider_code", "month")
        .annotate(**sums)
        .order_by("-month", "practice_code", "provider_code")
    )
    totals = qs.aggregate(**sums)
    for key in ("challenged", "agreed", "recovered", "written_off"):
        totals[key] = totals[key] or Decimal("0.00")
    return render(
        request,
        "validation/ledger.jinja",
        {
            "title": "Challenge ledger",
            "rows": rows,
            "totals": totals,
            "month": month.strftime("%Y-%m") if month else "",
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def locality_participation(request: HttpRequest, locality: Locality) -> HttpResponse:
    """Which practices reviewed their findings each month, and each provider's findings and
    quarantined rows by month (aggregates only)."""
    year = request.GET.get("year") or participation.latest_year(locality)
    data = None
    if year:
        try:
            data = participation.report(locality, year)
        except ValueError:
            data = None
    return render(
        request,
        "validation/participation.jinja",
        {
            "title": f"Validation participation, {locality.name}",
            "locality": locality,
            "report": data,
            "breadcrumbs": [
                {"text": "Home", "href": reverse("home")},
                {"text": "Validation", "href": reverse("validation_index")},
            ],
        },
    )
