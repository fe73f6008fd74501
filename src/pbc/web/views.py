"""The web shell: sign-in, each role's home page, organisation pages, the audit log, errors."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import sys
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pbc.orgs import actions, audit
from pbc.orgs.access import has_permission, memberships
from pbc.orgs.forms import PracticeForm
from pbc.orgs.models import AuditEvent, Locality, Membership, Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role
from pbc.signin import reauth
from pbc.signin.temporary_passwords import TemporaryPasswordForm
from pbc.web import homes, tables
from pbc.web.rules import public, requires

errors = logging.getLogger("pbc.errors")


def crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": href} for text, href in items]


class SignInView(LoginView):
    template_name = "web/login.jinja"
    form_class = TemporaryPasswordForm
    redirect_authenticated_user = True
    extra_context = {"title": "Sign in"}


sign_in = public(SignInView.as_view())


@public
@csrf_exempt  # signing out is harmless to force; the header's sign-out form carries no token
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    response = redirect("login")
    # The browser drops what it cached and stored for this site (ASVS 8.2.3); not its cookies,
    # which would also forget that this browser has signed in before (pbc.signin.browsers).
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@public
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's home; a visitor who is not signed in gets the published
    information (which has the sign-in link in its header)."""
    if not request.user.is_authenticated:
        return redirect("public_home")
    return user_home(request)


def user_home(request: HttpRequest) -> HttpResponse:
    """Each membership contributes a panel: PCT, locality, practice or provider."""
    panels: list[dict[str, Any]] = []
    for m in memberships(request.user):
        role = Role(m.role)
        org = m.organisation
        panel: dict[str, Any] = {
            "role": role,
            "organisation": org,
            "work": homes.work_for(request.user, org),
        }
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
            "manages_users": has_permission(request.user, Permission.MANAGE_USERS, pct),
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
            "links": _provider_links(request.user, provider),
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


def _provider_links(user: Any, provider: Provider) -> list[tuple[str, str]]:
    """The provider's pages this user may open: contracts, returns and challenges."""
    wanted = [
        (Permission.VIEW_PROVIDER, "Contracts: plan against actual", "finance_contracts"),
        (Permission.SUBMIT_PROVIDER_RETURNS, "Returns", "provider_returns"),
        (Permission.RECORD_PROVIDER_RESPONSE, "Challenges to answer", "validation_provider"),
    ]
    return [
        (text, reverse(name, args=[provider.code]))
        for permission, text, name in wanted
        if has_permission(user, permission, provider)
    ]


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


def _organisation_choices(pct: Pct) -> list[tuple[str, str]]:
    out = [(f"pct:{pct.code}", pct.name)]
    for loc in pct.localities.order_by("name"):
        out.append((f"locality:{loc.slug}", f"{loc.name} locality"))
    for practice in Practice.objects.filter(locality__pct=pct).order_by("code"):
        out.append((f"practice:{practice.code}", str(practice)))
    return out


def _organisation_named(pct: Pct, value: str) -> Pct | Locality | Practice | None:
    kind, _, key = value.partition(":")
    if kind == "pct":
        return Pct.objects.filter(code=key, pk=pct.pk).first()
    if kind == "locality":
        return Locality.objects.filter(slug=key, pct=pct).select_related("pct").first()
    if kind == "practice":
        return (
            Practice.objects.filter(code=key, locality__pct=pct)
            .select_related("locality__pct")
            .first()
        )
    return None


@requires(Permission.MANAGE_USERS, scope="pct")
@reauth.recent_password
def pct_users(request: HttpRequest, pct: Pct) -> HttpResponse:
    """A PCT administrator gives and takes away its users' roles (`pbc.orgs.actions`)."""
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                membership = Membership.objects.filter(actions.inside(pct)).get(
                    pk=int(request.POST["revoke"])
                )
                actions.revoke_membership(request.user, membership)
                messages.success(request, f"Role removed from {membership.user}.")
            else:
                user = get_user_model().objects.get(username=request.POST.get("username", ""))
                role = Role(request.POST.get("role", ""))
                organisation = _organisation_named(pct, request.POST.get("organisation", ""))
                if organisation is None:
                    raise actions.ActionRefused(f"Choose an organisation of {pct.name}.")
                actions.grant_membership(request.user, user, role, organisation)
                messages.success(request, f"{user} is now {role.label} of {organisation}.")
        except (Membership.DoesNotExist, ValueError):
            messages.error(request, f"That role is not one of {pct.name}'s.")
        except get_user_model().DoesNotExist:
            messages.error(request, "There is no user with that username.")
        except actions.ActionRefused as err:
            messages.error(request, str(err))
        return redirect(request.path)
    held = (
        Membership.objects.filter(actions.inside(pct))
        .select_related("user", "pct", "locality", "practice")
        .order_by("user__username", "role")
    )
    return render(
        request,
        "web/pct_users.jinja",
        {
            "title": f"Users of {pct.name}",
            "pct": pct,
            "memberships": list(held),
            "roles": [(r.value, r.label) for r in Role if r != Role.PROVIDER_USER],
            "organisations": _organisation_choices(pct),
            "breadcrumbs": crumbs(
                ("Home", reverse("home")), (pct.name, reverse("pct", args=[pct.slug]))
            ),
        },
    )


def audit_users(viewer: Any) -> Any:
    """The users whose events `viewer` may read: members of the PCTs where it holds
    `view_audit_log` (the PCT, its localities, its practices)."""
    scope = Q(pk__in=[])
    for m in memberships(viewer):
        if m.pct is not None and Permission.VIEW_AUDIT_LOG in Role(m.role).permissions:
            scope |= actions.inside(m.pct)
    return Membership.objects.filter(scope).values("user_id")


AUDIT_COLUMNS = [
    ("at", "When", "at"),
    ("user", "Who", "username"),
    ("action", "Action", "action"),
    ("object", "Object", "object_type"),
    ("detail", "Detail", None),
]


def _date_or_none(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@requires(Permission.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The events of the viewer's PCT: those done by users holding a role inside it, filtered by
    user, event type and date range (all in the query string), newest first, a page at a time."""
    scoped = AuditEvent.objects.filter(user__in=audit_users(request.user))
    events = scoped
    action = request.GET.get("action", "")
    username = request.GET.get("user", "")
    since = _date_or_none(request.GET.get("from", ""))
    until = _date_or_none(request.GET.get("to", ""))
    if action:
        events = events.filter(action=action)
    if username:
        events = events.filter(username=username)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    page = tables.paged(request, events, AUDIT_COLUMNS, "-at")
    return render(
        request,
        "web/audit_log.jinja",
        {
            "title": "Audit log",
            "page": page,
            "events": page.rows,
            "action": action,
            "user": username,
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
            "actions": sorted(set(scoped.values_list("action", flat=True).distinct())),
            "usernames": sorted(set(scoped.values_list("username", flat=True).distinct())),
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


@public
def public_home(request: HttpRequest) -> HttpResponse:
    """Each locality's published plan, indicator dashboard and patient experience."""
    from pbc.plans.queries import published_plans

    plans = published_plans()
    pcts = [
        (pct, [(loc, plans.get(loc.slug, [])) for loc in pct.localities.order_by("name")])
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
    """The last-resort error page (ASVS 7.4.1): a generic message and an incident id, which
    the server log (logger "pbc.errors", with the traceback) and the audit log also carry, so
    that a user quoting it finds the error without the page saying anything about it."""
    incident = secrets.token_hex(4).upper()
    path = request.path[:500]
    errors.error(
        "incident %s: %s %s", incident, request.method, path, exc_info=sys.exc_info()[0] is not None
    )
    try:  # the database may be what failed: the log line above is the record then
        with transaction.atomic():
            audit.record(
                getattr(request, "user", None), "error", path=path, detail=f"incident {incident}"
            )
    except Exception:  # noqa: BLE001 - the error page must still be shown
        errors.exception("incident %s: the audit event could not be written", incident)
    return render(
        request,
        "web/error.jinja",
        {"title": "Sorry, there is a problem with the service", "code": 500, "incident": incident},
        status=500,
    )
