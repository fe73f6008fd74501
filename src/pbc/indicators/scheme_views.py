"""Prescribing incentive scheme pages (`pbc.indicators.scheme`): for a PCT (its analysts and
commissioners), a locality (its manager and board: its own practices) and a practice (its own
rows only). Each page names at most one organisation and is checked by `requires`; another
practice's page is refused (and the refusal audited). `download.csv` gives the page's
achievement table through the one safe writer (`pbc.exports`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from pbc import exports
from pbc.indicators import scheme as sc
from pbc.orgs.models import Locality, Pct, Practice
from pbc.orgs.roles import Permission
from pbc.web.rules import requires

HEADER = (
    "practice",
    "measure",
    "numerator items",
    "denominator items",
    "value",
    "target",
    "met",
    "registered patients",
    "payment (GBP)",
)


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    if not raw:
        return None
    if not (raw.isdigit() and len(raw) == 4):
        raise Http404("year is the first year of a financial year, e.g. 2008")
    return int(raw)


def _scheme(request: HttpRequest, pct: Pct, shown: list[str]) -> sc.Scheme:
    practices = list(Practice.objects.filter(locality__pct=pct).values_list("code", flat=True))
    return sc.scheme(pct.code, practices, _year(request)).for_practices(shown)


def _rows(s: sc.Scheme) -> list[list[Any]]:
    return [list(HEADER)] + [
        [
            a.practice,
            a.indicator,
            a.numerator,
            a.denominator,
            None if a.value is None else round(a.value, 2),
            a.target_value,
            {True: "yes", False: "no", None: "no value"}[a.met],
            a.list_size,
            a.payment,
        ]
        for a in s.achievements
    ]


def _page(request: HttpRequest, name: str, s: sc.Scheme, names: dict[str, str]) -> HttpResponse:
    if request.GET.get("format") == "csv":
        response = HttpResponse(exports.csv_text(_rows(s)), content_type=exports.CSV_CONTENT_TYPE)
        year = s.year_start or "none"
        response["Content-Disposition"] = f'attachment; filename="prescribing-scheme-{year}.csv"'
        return response
    by_practice: dict[str, list[Any]] = {}
    for a in s.achievements:
        by_practice.setdefault(a.practice, []).append(a)
    switches: dict[str, list[Any]] = {}
    for p in s.practice_switches:
        switches.setdefault(p.practice, []).append(p)
    return render(
        request,
        "indicators/scheme.jinja",
        {
            "title": f"Prescribing incentive scheme: {name}",
            "scheme": s,
            "year_label": None
            if s.year_start is None
            else f"{s.year_start}/{(s.year_start + 1) % 100:02d}",
            "by_practice": by_practice,
            "switches": switches,
            "savings_by_practice": s.saving_by_practice(),
            "names": names,
        },
    )


@requires(Permission.VIEW_PCT, scope="pct")
def scheme_pct(request: HttpRequest, pct: Pct) -> HttpResponse:
    practices = list(Practice.objects.filter(locality__pct=pct).order_by("code"))
    s = _scheme(request, pct, [p.code for p in practices])
    return _page(request, pct.name, s, {p.code: p.name for p in practices})


@requires(Permission.VIEW_LOCALITY, scope="locality")
def scheme_locality(request: HttpRequest, locality: Locality) -> HttpResponse:
    practices = list(locality.practices.order_by("code"))
    s = _scheme(request, locality.pct, [p.code for p in practices])
    return _page(request, f"{locality.name} locality", s, {p.code: p.name for p in practices})


@requires(Permission.VIEW_PRACTICE, scope="practice")
def scheme_practice(request: HttpRequest, practice: Practice) -> HttpResponse:
    s = _scheme(request, practice.locality.pct, [practice.code])
    return _page(request, practice.name, s, {practice.code: practice.name})
