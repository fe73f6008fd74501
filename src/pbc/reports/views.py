"""Board pack pages: the reports index, a locality's months, and the pack for one month.

The pack uses the plan board report's rule (`VIEW_LOCALITY` on the locality: PCT analysts of
its PCT, its locality managers and board members). It holds aggregates only; each view of it
(page or download) is recorded in the audit log, as the plan report's are.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality
from pbc.orgs.roles import Permission
from pbc.periods import month_or_none
from pbc.reports import board, documents, formats
from pbc.web.rules import requires, signed_in


def crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": text, "href": href} for text, href in items]


def available_months(locality: Locality) -> tuple[dt.date, list[dt.date]]:
    """The default month and the months up to it that the pages offer (newest first)."""
    latest = board.default_month(locality)
    return latest, [m for m in board.months_for(locality, latest) if m <= latest]


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    localities = [
        (loc, board.default_month(loc))
        for loc in Locality.objects.select_related("pct").order_by("pct__name", "name")
        if has_permission(request.user, Permission.VIEW_LOCALITY, loc)
    ]
    return render(
        request,
        "reports/index.jinja",
        {
            "title": "Locality performance reports",
            "localities": localities,
            "breadcrumbs": crumbs(("Home", reverse("home"))),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def locality_reports(request: HttpRequest, locality: Locality) -> HttpResponse:
    latest, months = available_months(locality)
    return render(
        request,
        "reports/locality.jinja",
        {
            "title": f"{locality.name} locality performance reports",
            "locality": locality,
            "latest": latest,
            "months": months,
            "breadcrumbs": crumbs(
                ("Home", reverse("home")),
                (f"{locality.name} locality", reverse("locality", args=[locality.slug])),
                ("Performance reports", reverse("reports_index")),
            ),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def board_pack(request: HttpRequest, locality: Locality, month: str) -> HttpResponse:
    """The pack as a page; ?format=pdf|xlsx|html downloads it; ?month=YYYY-MM goes to that
    month's page (the month chooser)."""
    chosen = request.GET.get("month")
    if chosen is not None:
        if month_or_none(chosen) is None:
            raise Http404("month must be YYYY-MM")
        return redirect("reports_board", locality=locality.slug, month=chosen)
    when = month_or_none(month)
    if when is None:
        raise Http404("month must be YYYY-MM")
    fmt = request.GET.get("format", "page")
    if fmt not in (*formats.FORMATS, "page"):
        raise Http404("format must be html, pdf or xlsx")
    # Built once per data state and kept in the result store, the documents too (the access
    # rule above has checked the user's permission for this locality).
    audit.record(request.user, "view", locality, detail=f"board pack {when:%Y-%m} {fmt}")
    if fmt in formats.FORMATS:
        response = HttpResponse(
            documents.document(locality, when, fmt), content_type=formats.CONTENT_TYPES[fmt]
        )
        # Every format is a download, the HTML document too: its own <style> block (it is also
        # the PDF's source) is not allowed on a page under the content security policy.
        response["Content-Disposition"] = (
            f'attachment; filename="{documents.filename(locality, when, fmt)}"'
        )
        return response
    pack = documents.page(locality, when)
    latest, months = available_months(locality)
    if when not in months:
        months = sorted({*months, when}, reverse=True)
    return render(
        request,
        "reports/board.jinja",
        {
            "title": pack.title,
            "pack": pack,
            "locality": locality,
            "months": [(m.strftime("%Y-%m"), m.strftime("%B %Y")) for m in months],
            "breadcrumbs": crumbs(
                ("Home", reverse("home")),
                (f"{locality.name} locality", reverse("locality", args=[locality.slug])),
                ("Performance reports", reverse("reports_locality", args=[locality.slug])),
            ),
        },
    )
