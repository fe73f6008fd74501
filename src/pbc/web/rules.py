"""Access rules declared next to each view.

Every view is wrapped in exactly one of:

- `@public`: anyone, signed in or not (the published pages);
- `@signed_in`: any signed-in user (their home page);
- `@requires(permission, scope="practice")`: the user must hold `permission` for the object named
  by the URL keyword argument `scope` (looked up by the loader registered for that name, e.g.
  `practice` → `Practice` by ODS code). The view receives the object instead of the string. A
  refusal is written to the audit log and answered with 403.

The permission matrix test walks the URL configuration and fails for any view without a rule, so
a view added later cannot forget to declare who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality, Pct, Practice, Provider
from pbc.orgs.roles import Permission

View = Callable[..., HttpResponse]

# URL keyword argument name -> how to load the object it names.
SCOPE_LOADERS: dict[str, Callable[[str], Any]] = {
    "pct": lambda value: get_object_or_404(Pct, slug=value),
    "locality": lambda value: get_object_or_404(Locality.objects.select_related("pct"), slug=value),
    "practice": lambda value: get_object_or_404(
        Practice.objects.select_related("locality__pct"), code=value
    ),
    "provider": lambda value: get_object_or_404(Provider, code=value),
}


def register_scope(name: str, loader: Callable[[str], Any]) -> None:
    """Let a later app name its own objects in URLs (e.g. "plan" → Plan by id)."""
    SCOPE_LOADERS[name] = loader


@dataclass(frozen=True)
class Access:
    public: bool = False
    permission: Permission | None = None
    scope: str | None = None


def public(view: View) -> View:
    view.access = Access(public=True)  # type: ignore[attr-defined]
    return view


def signed_in(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.access = Access()  # type: ignore[attr-defined]
    return wrapped


def requires(permission: Permission, scope: str | None = None) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            obj = None
            if scope is not None:
                obj = SCOPE_LOADERS[scope](kwargs[scope])
                kwargs[scope] = obj
            if not has_permission(request.user, permission, obj):
                audit.record(
                    request.user,
                    "denied",
                    obj,
                    detail=f"needs {permission.value}",
                    path=request.get_full_path(),
                )
                needed = permission.value.replace("_", " ")
                raise PermissionDenied(f"You do not have permission to see this page ({needed}).")
            return view(request, *args, **kwargs)

        wrapped.access = Access(permission=permission, scope=scope)  # type: ignore[attr-defined]
        return wrapped

    return decorate


def access_of(view: Any) -> Access | None:
    """The rule declared on a view (following Django's class-based view wrappers)."""
    rule = getattr(view, "access", None)
    if rule is None and hasattr(view, "view_class"):
        rule = getattr(view.view_class, "access", None)
    return rule
