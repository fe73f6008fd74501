"""The web shell: sign-in, each role's home page, organisation pages, the audit log, errors."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pbc.orgs import actions
from pbc.orgs.access import has_permission, memberships
from pbc.orgs.forms import PracticeForm
from pbc.orgs.models import AuditEvent, Locality, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role
from pbc.web.rules import public, requires, signed_in


def crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": href} for text, href in items]


class SignInView(LoginView):
    template_name = "web/login.jinja"
    redirect_authenticated_user = True


sign_in = public(SignInView.as_view())


@public
@csrf_exempt  # signing out is harmless to force; the header's sign-out form carries no token
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("login")


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """Each membership contributes a panel: PCT, locality, practice or provider."""
    panels: list[dict[str, Any]] = []
    for m in memberships(request.user):
        role = Role(m.role)
        org = m.organisation
        panel: dict[str, Any] = {"role": role, "organisation": org}
        if isinstance(org, Pct):
            panel["href"] = reverse("pct", args=[org.slug])
            panel["localities"] = org.localities.annotate(practice_count=Count("practices"))
        elif isinstance(org, Locality):
            panel["href"] = reverse("locality", args=[org.slug])
            panel["practices"] = org.practices.all()
        elif isinstance(org, Practice):
            panel["href"] = reverse("practice", args=[org.code])
        else:
            panel["href"] = reverse("provider", args=[org.code])
        panels.append(panel)
    return render(request, "web/home.jinja", {"title": "Home", "panels": panels})


@requires(Permission.VIEW_PCT, scope="pct")
def pct_page(request: HttpRequest, pct: Pct) -> HttpResponse:
    localities = pct.localities.annotate(practice_count=Count("practices"))
    return render(
        request,
        "web/pct.jinja",
        {
            "title": pct.name,
            "pct": pct,
            "localities": localities,
            "providers": Provider.objects.all(),
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def locality_page(request: HttpRequest, locality: Locality) -> HttpResponse:
    breadcrumbs = [("Home", reverse("home"))]
    if has_permission(request.user, Permission.VIEW_PCT, locality.pct):
        breadcrumbs.append((locality.pct.name, reverse("pct", args=[locality.pct.slug])))
    return render(
        request,
        "web/locality.jinja",
        {
            "title": f"{locality.name} locality",
            "locality": locality,
            "practices": locality.practices.all(),
            "can_add_practice": has_permission(
                request.user, Permission.MANAGE_ORGANISATIONS, locality
            ),
            "breadcrumbs": crumbs(*breadcrumbs),
        },
    )


@requires(Permission.VIEW_PRACTICE, scope="practice")
def practice_page(request: HttpRequest, practice: Practice) -> HttpResponse:
    breadcrumbs = [("Home", reverse("home"))]
    if has_permission(request.user, Permission.VIEW_LOCALITY, practice.locality):
        breadcrumbs.append(
            (
                f"{practice.locality.name} locality",
                reverse("locality", args=[practice.locality.slug]),
            )
        )
    return render(
        request,
        "web/practice.jinja",
        {"title": practice.name, "practice": practice, "breadcrumbs": crumbs(*breadcrumbs)},
    )


@requires(Permission.VIEW_PROVIDER, scope="provider")
def provider_page(request: HttpRequest, provider: Provider) -> HttpResponse:
    return render(
        request,
        "web/provider.jinja",
        {
            "title": provider.name,
            "provider": provider,
            "mff": provider.mff_values.all(),
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


@requires(Permission.MANAGE_ORGANISATIONS, scope="locality")
def practice_new(request: HttpRequest, locality: Locality) -> HttpResponse:
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        practice = actions.create_practice(
            request.user, locality, form.cleaned_data["code"], form.cleaned_data["name"]
        )
        return redirect("practice", practice=practice.code)
    return render(
        request,
        "web/practice_form.jinja",
        {
            "title": f"Add a practice to {locality.name}",
            "form": form,
            "locality": locality,
            "breadcrumbs": crumbs(
                ("Home", reverse("home")),
                (f"{locality.name} locality", reverse("locality", args=[locality.slug])),
            ),
        },
        status=400 if form.errors else 200,
    )


@requires(Permission.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.all()
    action = request.GET.get("action")
    if action:
        events = events.filter(action=action)
    return render(
        request,
        "web/audit_log.jinja",
        {
            "title": "Audit log",
            "events": events[:200],
            "action": action,
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


@public
def public_home(request: HttpRequest) -> HttpResponse:
    """Each locality's published plan, indicator dashboard and patient experience."""
    from pbc.plans.models import Plan

    plans: dict[int, list[Plan]] = {}
    for plan in Plan.objects.exclude(status=Plan.Status.DRAFT).order_by("-financial_year"):
        plans.setdefault(plan.locality_id, []).append(plan)
    pcts = [
        (pct, [(loc, plans.get(loc.pk, [])) for loc in pct.localities.order_by("name")])
        for pct in Pct.objects.order_by("name")
    ]
    return render(
        request, "web/public_home.jinja", {"title": "Published information", "pcts": pcts}
    )


@public
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "web/about.jinja", {"title": "About this service"})


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.jinja",
        {"title": "You cannot see this page", "code": 403, "message": str(exception or "")},
        status=403,
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.jinja", {"title": "Page not found", "code": 404}, status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/error.jinja",
        {"title": "Sorry, there is a problem with the service", "code": 500},
        status=500,
    )
