"""Plan pages: dashboard, upload with preview, milestone updates, report, business cases, public.

The upload keeps the file between the preview and the confirmation under the data directory
(`plan-uploads/<sha256>`), named by its checksum; confirming reads it again, imports it and
removes it. Nothing is written to the plan until the confirmation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from pbc.indicators.queries import indicator_titles, public_latest
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality
from pbc.orgs.roles import Permission
from pbc.periods import month_or_none
from pbc.plans import actions, measures, meetings, report
from pbc.plans.forms import (
    BusinessCaseChangeForm,
    BusinessCaseForm,
    ConfirmImportForm,
    MilestoneUpdateForm,
    UploadForm,
    month_choices,
)
from pbc.plans.models import BusinessCase, Meeting, MeetingItem, Milestone, Objective, Plan
from pbc.plans.reading import PlanReadError, read_plan
from pbc.plans.tracking import default_month, plan_for_month, plan_month
from pbc.uploads import UploadRefused
from pbc.web.rules import public, requires, signed_in
from pbc.web.uploads import checked_upload, discard, keep, kept, upload_limits


def crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": href} for text, href in items]


def locality_crumbs(locality: Locality) -> list[dict[str, str]]:
    return crumbs(
        ("Home", reverse("home")),
        (f"{locality.name} plan", reverse("plans_dashboard", args=[locality.slug])),
    )


def chosen_plan(locality: Locality, request: HttpRequest) -> tuple[Plan | None, dt.date | None]:
    """The plan and month asked for (?month=YYYY-MM), else the latest plan and its default month."""
    plans = list(locality.plans.all())  # newest financial year first
    month = month_or_none(request.GET.get("month"))
    if month is not None:
        plan = plan_for_month(plans, month)
        if plan is None:
            raise Http404(f"{locality.name} has no plan for {month:%B %Y}")
        return plan, month
    if not plans:
        return None, None
    return plans[0], default_month(plans[0])


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    localities = [
        loc
        for loc in Locality.objects.select_related("pct").prefetch_related("plans")
        if has_permission(request.user, Permission.VIEW_LOCALITY, loc)
    ]
    return render(
        request,
        "plans/index.jinja",
        {
            "title": "Commissioning plans",
            "localities": localities,
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def dashboard(request: HttpRequest, locality: Locality) -> HttpResponse:
    plan, month = chosen_plan(locality, request)
    context: dict[str, Any] = {
        "title": f"{locality.name} commissioning plan",
        "locality": locality,
        "plan": plan,
        "can_manage": has_permission(request.user, Permission.MANAGE_PLANS, locality),
        "can_update": has_permission(request.user, Permission.UPDATE_MILESTONES, locality),
        "breadcrumbs": crumbs(("Home", reverse("home")), ("Plans", reverse("plans_index"))),
    }
    if plan is not None and month is not None:
        context["current"] = plan_month(plan, month)
        context["month"] = month
        context["months"] = [(m.strftime("%Y-%m"), m.strftime("%B %Y")) for m in plan.months()]
        context["business_cases"] = BusinessCase.objects.filter(
            objective__plan=plan, status__in=["approved", "implemented"]
        ).select_related("objective")
    return render(request, "plans/dashboard.jinja", context)


KEPT_PLANS = "plans"  # checked plan documents kept between the preview and the confirm step


@requires(Permission.MANAGE_PLANS, scope="locality")
def upload(request: HttpRequest, locality: Locality) -> HttpResponse:
    """Upload a plan document; a preview of what was read; then confirm (or go back)."""
    context: dict[str, Any] = {
        "title": f"Import a plan for {locality.name}",
        "locality": locality,
        "breadcrumbs": locality_crumbs(locality),
    }
    if request.method == "POST" and "token" in request.POST:
        return confirm_upload(request, locality, context)
    form = UploadForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method != "POST" or not form.is_valid():
        return render(request, "plans/upload.jinja", context, status=400 if form.errors else 200)
    uploaded = form.cleaned_data["file"]
    path = checked_upload(uploaded)
    try:
        parsed = read_plan(
            path,
            filename=uploaded.name,
            financial_year=form.cleaned_data["financial_year"],
            limits=upload_limits(),
        )
    except PlanReadError as error:
        form.add_error("file", f"{error}.")
        return render(request, "plans/upload.jinja", context, status=400)
    try:
        token = keep(path, KEPT_PLANS, request.user, uploaded.name)  # for the confirm step
    except UploadRefused as refused:
        form.add_error("file", f"{refused}.")
        return render(request, "plans/upload.jinja", context, status=400)
    context.update(
        {
            "title": f"Check the plan for {locality.name}",
            "parsed": parsed,
            "assessment": actions.assess_import(locality, parsed),
            "confirm": ConfirmImportForm(
                initial={
                    "token": token,
                    "filename": uploaded.name,
                    "financial_year": parsed.financial_year,
                }
            ),
        }
    )
    return render(request, "plans/preview.jinja", context)


def confirm_upload(
    request: HttpRequest, locality: Locality, context: dict[str, Any]
) -> HttpResponse:
    form = ConfirmImportForm(request.POST)
    stored = kept(KEPT_PLANS, form.cleaned_data["token"], request.user) if form.is_valid() else None
    if stored is None:
        messages.error(request, "The uploaded file has expired: upload it again.")
        return redirect("plans_upload", locality=locality.slug)
    data = stored.read_bytes()
    name = form.cleaned_data["filename"]
    try:
        parsed = read_plan(
            data,
            filename=name,
            financial_year=form.cleaned_data["financial_year"],
            limits=upload_limits(),
        )
        result = actions.import_plan(request.user, locality, parsed, data, filename=name)
    except (PlanReadError, actions.PlanImportRefused) as error:
        messages.error(request, str(error))
        return redirect("plans_upload", locality=locality.slug)
    discard(KEPT_PLANS, form.cleaned_data["token"], request.user)
    done = {
        "create": "Plan imported",
        "replace": "Plan replaced",
        "unchanged": "Nothing changed",
    }[result.outcome]
    messages.success(request, f"{done}: {result.message}")
    return redirect("plans_dashboard", locality=locality.slug)


@requires(Permission.VIEW_LOCALITY, scope="milestone")
def milestone_page(request: HttpRequest, milestone: Milestone) -> HttpResponse:
    locality = milestone.objective.plan.locality
    return render(
        request,
        "plans/milestone.jinja",
        {
            "title": f"Milestone {milestone.ref}",
            "milestone": milestone,
            "updates": milestone.updates.all(),
            "can_update": has_permission(request.user, Permission.UPDATE_MILESTONES, milestone),
            "breadcrumbs": locality_crumbs(locality),
        },
    )


@requires(Permission.UPDATE_MILESTONES, scope="milestone")
def milestone_update(request: HttpRequest, milestone: Milestone) -> HttpResponse:
    """Record a month's progress. A save based on an old version is refused, the text kept."""
    plan = milestone.objective.plan
    today = timezone.localdate()
    latest = actions.latest_update(milestone)
    initial: dict[str, Any] = {"version": milestone.version}
    if latest:
        initial.update({"status": latest.status, "month": default_month(plan).strftime("%Y-%m")})
    form = MilestoneUpdateForm(request.POST or None, initial=initial, plan=plan, today=today)
    conflict: actions.MilestoneChanged | None = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_milestone_update(
                request.user,
                milestone,
                based_on_version=data["version"],
                month=data["month"],
                status=data["status"],
                commentary=data["commentary"],
                evidence_url=data["evidence_url"],
                private=data["private"],
            )
        except actions.MilestoneChanged as error:
            conflict = error
            latest = error.latest
            # Keep what they typed; base a second save on the version they have now seen.
            values = request.POST.copy()
            values["version"] = str(error.milestone.version)
            form = MilestoneUpdateForm(values, plan=plan, today=today)
            form.is_valid()
            status = 409
        except actions.UpdateRefused as error:
            form.add_error(None, str(error))
            status = 400
        else:
            messages.success(
                request,
                f"Milestone {milestone.ref} updated for {data['month']:%B %Y}: "
                f"{dict(form.fields['status'].choices)[data['status']]}.",
            )
            return redirect(
                reverse("plans_dashboard", args=[plan.locality.slug])
                + f"?month={data['month']:%Y-%m}"
            )
    elif form.errors:
        status = 400
    return render(
        request,
        "plans/milestone_update.jinja",
        {
            "title": f"Update milestone {milestone.ref}",
            "milestone": milestone,
            "form": form,
            "latest": latest,
            "conflict": conflict,
            "has_months": bool(month_choices(plan, today)),
            "breadcrumbs": locality_crumbs(plan.locality),
        },
        status=status,
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def report_page(request: HttpRequest, locality: Locality) -> HttpResponse:
    """The board status report: ?month=YYYY-MM, ?format=html, pdf or xlsx (a file to download)."""
    plan, month = chosen_plan(locality, request)
    if plan is None or month is None:
        raise Http404(f"{locality.name} has no plan yet")
    built = report.build_report(locality, month)
    fmt = request.GET.get("format", "page")
    audit.record(request.user, "view", plan, detail=f"plan report {month:%Y-%m} {fmt}")
    if fmt in report.FORMATS:
        response = HttpResponse(report.render(built, fmt), content_type=report.CONTENT_TYPES[fmt])
        # Every format is a download, the HTML document too: its own <style> block (it is also
        # the PDF's source) is not allowed on a page under the content security policy.
        response["Content-Disposition"] = f'attachment; filename="{report.filename(built, fmt)}"'
        return response
    return render(
        request,
        "plans/report.jinja",
        {
            "title": built.title,
            "report": built,
            "locality": locality,
            "months": [(m.strftime("%Y-%m"), m.strftime("%B %Y")) for m in plan.months()],
            "breadcrumbs": locality_crumbs(locality),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def business_cases(request: HttpRequest, locality: Locality) -> HttpResponse:
    return render(
        request,
        "plans/business_cases.jinja",
        {
            "title": f"{locality.name} business cases",
            "locality": locality,
            "cases": locality.business_cases.select_related("objective", "threshold"),
            "can_manage": has_permission(request.user, Permission.MANAGE_PLANS, locality),
            "breadcrumbs": locality_crumbs(locality),
        },
    )


@requires(Permission.MANAGE_PLANS, scope="locality")
def business_case_new(request: HttpRequest, locality: Locality) -> HttpResponse:
    latest = locality.plans.first()
    objectives = latest.objectives.all() if latest else Objective.objects.none()
    form = BusinessCaseForm(request.POST or None, objectives=objectives)
    if request.method == "POST" and form.is_valid():
        case = actions.create_business_case(request.user, locality, **form.cleaned_data)
        return redirect("business_case", case=case.ref)
    return render(
        request,
        "plans/business_case_form.jinja",
        {
            "title": f"New business case for {locality.name}",
            "locality": locality,
            "form": form,
            "breadcrumbs": locality_crumbs(locality),
        },
        status=400 if form.errors else 200,
    )


@requires(Permission.VIEW_LOCALITY, scope="case")
def business_case(request: HttpRequest, case: BusinessCase) -> HttpResponse:
    return render(
        request,
        "plans/business_case.jinja",
        {
            "title": case.service,
            "case": case,
            "form": BusinessCaseChangeForm(),
            "can_manage": has_permission(request.user, Permission.MANAGE_PLANS, case),
            "breadcrumbs": locality_crumbs(case.locality)
            + crumbs(("Business cases", reverse("business_cases", args=[case.locality.slug]))),
        },
    )


@requires(Permission.MANAGE_PLANS, scope="case")
def business_case_change(request: HttpRequest, case: BusinessCase) -> HttpResponse:
    form = BusinessCaseChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["change"] == "submit":
                actions.submit_business_case(
                    request.user, case, data["on"], data["decision_due_on"]
                )
            elif data["change"] in ("approve", "reject"):
                actions.decide_business_case(
                    request.user,
                    case,
                    approved=data["change"] == "approve",
                    on=data["on"],
                    notes=data["notes"],
                )
            elif data["change"] == "implement":
                actions.mark_business_case_implemented(request.user, case, data["on"])
            else:
                actions.record_realised_benefit(request.user, case, data["value"], data["on"])
        except actions.UpdateRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{case.service}: {case.get_status_display().lower()}.")
            return redirect("business_case", case=case.ref)
    return render(
        request,
        "plans/business_case.jinja",
        {
            "title": case.service,
            "case": case,
            "form": form,
            "can_manage": True,
            "breadcrumbs": locality_crumbs(case.locality),
        },
        status=400 if form.errors else 200,
    )


@public
def public_index(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.exclude(status=Plan.Status.DRAFT).select_related("locality__pct")
    return render(
        request,
        "plans/public_index.jinja",
        {
            "title": "Locality commissioning plans",
            "plans": plans,
            "breadcrumbs": crumbs(("Published information", reverse("public_home"))),
        },
    )


@public
def public_plan(request: HttpRequest, plan: str) -> HttpResponse:
    """A plan and its progress for anyone: statuses shown, private commentary left out."""
    found = get_object_or_404(
        Plan.objects.exclude(status=Plan.Status.DRAFT).select_related("locality__pct"), slug=plan
    )
    month = default_month(found)
    return render(
        request,
        "plans/public_plan.jinja",
        {
            "title": found.title,
            "plan": found,
            "current": plan_month(found, month),
            "month": month,
            "measures": measures.plan_links(found),
            "published": public_latest(found.locality),
            "titles": indicator_titles(),
            "breadcrumbs": crumbs(
                ("Published information", reverse("public_home")),
                ("Commissioning plans", reverse("plans_public_index")),
            ),
        },
    )


# --- meetings and actions ----------------------------------------------------------------------


@requires(Permission.VIEW_LOCALITY, scope="locality")
def meetings_page(request: HttpRequest, locality: Locality) -> HttpResponse:
    """The locality's meetings with their attendees, decisions and actions. POST action=record
    (kind, held_on, title, attendees, items: `pbc.plans.meetings.parse_*`) records a meeting;
    action=done (item, done_on) marks an action done. Both need manage plans."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "done":
                item = MeetingItem.objects.filter(
                    meeting__locality=locality, pk=request.POST.get("item")
                ).first()
                if item is None:
                    raise Http404("no such action")
                meetings.complete_action(
                    request.user, item, dt.date.fromisoformat(request.POST.get("done_on", ""))
                )
                messages.success(request, "Action marked done.")
            else:
                held_on = dt.date.fromisoformat(request.POST.get("held_on", ""))
                meeting = meetings.record_meeting(
                    request.user,
                    locality,
                    request.POST.get("kind", ""),
                    held_on,
                    meetings.parse_attendees(request.POST.get("attendees", "")),
                    meetings.parse_items(request.POST.get("items", "")),
                    request.POST.get("title", ""),
                )
                messages.success(request, f"Recorded: {meeting}.")
        except PermissionDenied as err:
            audit.record(request.user, "denied", locality, detail=str(err), path=request.path)
            messages.error(request, str(err))
        except ValueError as err:  # MeetingRefused, or a date that is not YYYY-MM-DD
            messages.error(request, f"Not recorded: {err}")
        return redirect("plans_meetings", locality=locality.slug)
    today = timezone.localdate()
    return render(
        request,
        "plans/meetings.jinja",
        {
            "title": f"{locality.name} meetings and actions",
            "locality": locality,
            "meetings": locality.meetings.prefetch_related(
                "attendees", "items__objective", "items__contract__provider"
            ),
            "overdue": {a.pk for a in meetings.overdue_actions(locality, today)},
            "today": today,
            "kinds": Meeting.Kind.choices,
            "can_manage": has_permission(request.user, Permission.MANAGE_PLANS, locality),
            "breadcrumbs": locality_crumbs(locality),
        },
    )


# --- measures: outcomes and milestones linked to indicators -----------------------------------


@requires(Permission.MANAGE_PLANS, scope="locality")
def measures_page(request: HttpRequest, locality: Locality) -> HttpResponse:
    """Link the plan's outcomes (and milestones that state a number) to indicators with the
    plan's target, with suggestions from their words. POST action=link (subject, indicator,
    target) or action=unlink (link); each audited (`pbc.plans.measures`)."""
    plan, month = chosen_plan(locality, request)
    if plan is None:
        raise Http404(f"{locality.name} has no plan yet")
    if request.method == "POST":
        here = reverse("plans_measures", args=[locality.slug])
        here += f"?month={month:%Y-%m}" if month and request.GET.get("month") else ""
        try:
            if request.POST.get("action") == "unlink":
                link = next(
                    (
                        link
                        for link in measures.plan_links(plan)
                        if str(link.pk) == request.POST.get("link", "")
                    ),
                    None,
                )
                if link is None:
                    raise Http404("no such link on this plan")
                measures.unlink_measure(request.user, link)
                messages.success(request, f"Unlinked {link.subject_ref} from {link.indicator_id}.")
            else:
                subject = measures.find_subject(plan, request.POST.get("subject", ""))
                if subject is None:
                    raise Http404("no such outcome or milestone on this plan")
                link = measures.link_measure(
                    request.user,
                    subject,
                    request.POST.get("indicator", ""),
                    request.POST.get("target", ""),
                )
                messages.success(
                    request, f"Linked {link.subject_ref} to {link.indicator_id}: {link.target}."
                )
        except measures.MeasureRefused as err:
            messages.error(request, f"Not linked: {err}")
        return redirect(f"{here}#measure-{request.POST.get('subject', '')}")
    subjects = measures.subjects(plan)
    titles = indicator_titles()
    return render(
        request,
        "plans/measures.jinja",
        {
            "title": f"{plan.title}: measures",
            "locality": locality,
            "plan": plan,
            "subjects": subjects,
            "linked": sum(1 for s in subjects if s.links),
            "catalogue": sorted(titles.items(), key=lambda item: item[1]),
            "catalogue_titles": titles,
            "breadcrumbs": locality_crumbs(locality),
        },
    )
