"""Indicator pages: catalogue, indicator (SPC, funnel, trend), dashboards, downloads, public
pages, manual entry and the RTT 17-week watch list.

Organisations in query strings are `level:code` (`?org=locality:dacorum`, `?org=pct:5P3`,
`?org=practice:E82601`, `?org=provider:RWG`); the view checks the user may see that
organisation (403 and an audit entry otherwise), as `@requires` does for URL arguments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pbc import exports
from pbc.indicators import actions, charts, present
from pbc.indicators import definitions as defs
from pbc.indicators.definitions import Definition
from pbc.indicators.models import IndicatorValue, WatchPathway
from pbc.orgs import audit
from pbc.orgs.access import has_permission, memberships, visible_practices
from pbc.orgs.models import Locality, Pct, Practice, Provider
from pbc.orgs.roles import Permission
from pbc.periods import parse_month
from pbc.refresh import results
from pbc.refresh.queries import staleness
from pbc.web import disclosure
from pbc.web.rules import public, requires, signed_in

LEVEL_PERMISSION = {
    "pct": Permission.VIEW_PCT,
    "locality": Permission.VIEW_LOCALITY,
    "practice": Permission.VIEW_PRACTICE,
    "provider": Permission.VIEW_PROVIDER,
}
LEVEL_LABEL = {"pct": "PCT", "locality": "Locality", "practice": "Practice", "provider": "Provider"}
PUBLIC_LEVELS = ("pct", "locality")


@dataclass(frozen=True)
class Org:
    level: str
    code: str
    name: str
    obj: Any

    @property
    def key(self) -> str:
        return f"{self.level}:{self.code}"


def org_of(obj: Any) -> Org:
    if isinstance(obj, Pct):
        return Org("pct", obj.code, obj.name, obj)
    if isinstance(obj, Locality):
        return Org("locality", obj.slug, f"{obj.name} locality", obj)
    if isinstance(obj, Practice):
        return Org("practice", obj.code, obj.name, obj)
    return Org("provider", obj.code, obj.name, obj)


def load_org(key: str) -> Org:
    level, _, code = key.partition(":")
    model: Any = {"pct": Pct, "locality": Locality, "practice": Practice, "provider": Provider}.get(
        level
    )
    if model is None:
        raise Http404("unknown organisation level")
    field = "slug" if level == "locality" else "code"
    obj = model.objects.filter(**{field: code}).first()
    if obj is None:
        raise Http404("unknown organisation")
    return org_of(obj)


def may_see(user: Any, org: Org) -> bool:
    return has_permission(user, LEVEL_PERMISSION[org.level], org.obj)


def visible_orgs(user: Any, levels: tuple[str, ...]) -> list[Org]:
    """Organisations at these levels the user may see (PCT, localities, practices, providers)."""
    out: list[Org] = []
    if "pct" in levels:
        out += [
            org_of(p) for p in Pct.objects.all() if has_permission(user, Permission.VIEW_PCT, p)
        ]
    if "locality" in levels:
        out += [
            org_of(loc)
            for loc in Locality.objects.select_related("pct")
            if has_permission(user, Permission.VIEW_LOCALITY, loc)
        ]
    if "practice" in levels:
        out += [org_of(p) for p in sorted(visible_practices(user), key=lambda p: p.code)]
    if "provider" in levels:
        out += [
            org_of(p)
            for p in Provider.objects.all()
            if has_permission(user, Permission.VIEW_PROVIDER, p)
        ]
    return out


def default_org(user: Any, definition: Definition) -> Org | None:
    for m in memberships(user):
        org = org_of(m.organisation)
        if org.level in definition.levels and may_see(user, org):
            return org
    options = visible_orgs(user, definition.levels)
    return options[0] if options else None


def definition_or_404(indicator: str) -> Definition:
    definition = defs.get(indicator)
    if definition is None:
        raise Http404("no such indicator")
    return definition


def chosen_org(request: HttpRequest, definition: Definition) -> Org | None:
    key = request.GET.get("org")
    if not key:
        return default_org(request.user, definition)
    org = load_org(key)
    if not may_see(request.user, org):
        audit.record(
            request.user, "denied", org.obj, detail="indicator page", path=request.get_full_path()
        )
        raise PermissionDenied("You do not have permission to see this organisation's figures.")
    return org


def comparison_orgs(user: Any, org: Org) -> list[Org]:
    """The organisations a funnel compares the chosen one with (those the user may see)."""
    if org.level == "provider":
        return visible_orgs(user, ("provider",))
    if org.level == "pct":
        practices = Practice.objects.filter(locality__pct=org.obj)
    elif org.level == "locality":
        practices = Practice.objects.filter(locality=org.obj)
    else:
        practices = Practice.objects.filter(locality=org.obj.locality)
    return [
        org_of(p)
        for p in practices.select_related("locality__pct").order_by("code")
        if has_permission(user, Permission.VIEW_PRACTICE, p)
    ]


def indicator_context(
    definition: Definition, org: Org, rows: list[present.Row], *, public_page: bool
) -> dict[str, Any]:
    last_month = rows[-1].month if rows else dt.date.today().replace(day=1)
    resolved = present.resolve_target(definition, org.level, org.code, last_month)
    target = resolved.value
    chart = present.spc(definition, rows, target)
    return {
        "definition": definition,
        "org": org,
        "rows": rows,
        "spc": chart,
        "spc_figure": charts.spc_figure(chart, f"{definition.title}: {org.name}", definition.unit)
        if chart
        else None,
        "target": target,
        "target_note": resolved.note if resolved.source in ("derived", "") else "",
        "latest": next((r for r in reversed(rows) if r.value is not None), None),
        "public_page": public_page,
        "fmt": present.fmt,
    }


# --- signed-in pages ---------------------------------------------------------------------------


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    groups: dict[str, list[Definition]] = {}
    for d in defs.catalogue().values():
        groups.setdefault(d.group, []).append(d)
    return render(
        request,
        "indicators/index.jinja",
        {
            "title": "Performance indicators",
            "groups": sorted(groups.items()),
            "work": _work_links(request.user),
        },
    )


def _work_links(user: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The user's indicator pages other than the catalogue, by heading: a dashboard for each
    organisation it may see, its prescribing incentive scheme pages, the 17-week watch lists,
    and (analysts) manual entry and targets."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    dashboards = [
        (
            "PCT dashboards",
            "indicators_pct",
            [(o.name, o.obj.slug) for o in visible_orgs(user, ("pct",))],
        ),
        (
            "Locality dashboards",
            "indicators_locality",
            [(o.name, o.code) for o in visible_orgs(user, ("locality",))],
        ),
        (
            "Practice dashboards",
            "indicators_practice",
            [(o.name, o.code) for o in visible_orgs(user, ("practice",))],
        ),
    ]
    for heading, view, orgs in dashboards:
        if orgs:
            sections.append((heading, [(name, reverse(view, args=[key])) for name, key in orgs]))
    watch = [
        (f"{pct.name}: every practice", reverse("rtt_watch_pct", args=[pct.slug]))
        for pct in Pct.objects.order_by("name")
        if has_permission(user, Permission.VIEW_PATIENT_ROWS, pct)
    ]
    watch += [
        (p.name, reverse("rtt_watch_practice", args=[p.code]))
        for p in sorted(visible_practices(user, Permission.VIEW_PATIENT_ROWS), key=lambda p: p.code)
    ]
    # The prescribing incentive scheme: a page for each organisation the user may see.
    scheme = [
        (name, reverse(view, args=[key]))
        for (_heading, _dashboard, orgs), view in zip(
            dashboards, ("scheme_pct", "scheme_locality", "scheme_practice"), strict=True
        )
        for name, key in orgs
    ]
    if scheme:
        sections.append(("Prescribing incentive scheme", scheme))
    rtt = [("Pathways by week band", reverse("rtt_week_bands"))]
    sections.append(
        ("Referral to treatment", rtt + [(f"17-week watch list: {t}", h) for t, h in watch])
    )
    entry = []
    for pct in Pct.objects.order_by("name"):
        if has_permission(user, Permission.IMPORT_DATA, pct):
            entry.append(
                (f"Enter values by hand: {pct.name}", reverse("indicators_manual", args=[pct.slug]))
            )
            entry.append(
                (
                    f"Targets and trajectories: {pct.name}",
                    reverse("indicators_targets", args=[pct.slug]),
                )
            )
    if entry:
        sections.append(("Values and targets", entry))
    return sections


@signed_in
def indicator_page(request: HttpRequest, indicator: str) -> HttpResponse:
    definition = definition_or_404(indicator)
    org = chosen_org(request, definition)
    context: dict[str, Any] = {
        "title": definition.title,
        "definition": definition,
        "org": org,
        "options": visible_orgs(request.user, definition.levels),
        "breadcrumbs": [{"text": "Indicators", "href": reverse("indicators_index")}],
        "stale": staleness("indicators"),
    }
    if org is not None:
        others = comparison_orgs(request.user, org)
        context.update(indicator_figures(definition, org, others))
    return render(request, "indicators/indicator.jinja", context)


def _indicator_figures(definition: Definition, org: Org, others: list[Org]) -> dict[str, Any]:
    rows = present.series(definition, org.level, org.code)
    figures = indicator_context(definition, org, rows, public_page=False)
    level = others[0].level if others else org.level
    funnel = present.funnel(definition, level, [(o.code, o.name) for o in others])
    figures["funnel"] = funnel
    figures["funnel_figure"] = (
        charts.funnel_figure(
            funnel,
            f"{definition.title}: {funnel.first:%b %Y} to {funnel.last:%b %Y}",
            definition.unit,
            definition.denominator.description if definition.denominator else "",
        )
        if funnel
        else None
    )
    return figures


def indicator_figures(definition: Definition, org: Org, others: list[Org]) -> dict[str, Any]:
    """The indicator page's figures for `org`, its funnel comparing `others` (the organisations
    the user may see), from the result store: keyed by the indicator, the organisation and the
    organisations compared, so that users who may see different ones never share a funnel.
    Call it after the user's permission for `org` has been checked."""
    return results.stored(
        "indicator page",
        org.obj,
        lambda: _indicator_figures(definition, org, others),
        definition.id,
        ",".join(o.key for o in others),
    )


def _table(definition: Definition, org: Org, rows: list[present.Row]) -> list[list[Any]]:
    """The download: one row per month; prescribing measures add the practice's decile in its
    PCT, the PCT's 10th centile and the potential saving at it (£, two decimals)."""
    header = ["indicator", "organisation_level", "organisation", "month", "numerator",
              "denominator", "value", "lower_95", "upper_95", "unit", "spc_point"]  # fmt: skip
    prescribing = definition.prescribing_measure
    if prescribing:
        header += ["decile", "pct_10th_centile", "potential_saving_at_10th_gbp"]
    out: list[list[Any]] = [header]
    for r in rows:
        line = [definition.id, org.level, org.code, r.month.isoformat(), r.numerator,
                r.denominator, r.value, r.lower, r.upper, definition.unit,
                "suppressed" if r.suppressed else r.point_type]  # fmt: skip
        if prescribing:
            line += [r.decile, r.centile_10, r.saving_at_10th]
        out.append(line)
    return out


def _download(table: list[list[Any]], name: str, fmt: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(exports.csv_text(table), content_type=exports.CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(
            exports.table_xlsx(table, "Indicator"), content_type=exports.XLSX_CONTENT_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _indicator_download(request: HttpRequest, indicator: str, fmt: str) -> HttpResponse:
    definition = definition_or_404(indicator)
    org = chosen_org(request, definition)
    if org is None:  # no organisation the user may see reports it: the header alone
        return _download(_table(definition, Org("", "", "", None), []), definition.id, fmt)
    rows = present.series(definition, org.level, org.code)
    if rows:
        target = present.target_for(definition, org.level, org.code, rows[-1].month)
        present.spc(definition, rows, target)  # marks each row's SPC point type
    return _download(_table(definition, org, rows), f"{definition.id}-{org.code}", fmt)


@signed_in
def indicator_csv(request: HttpRequest, indicator: str) -> HttpResponse:
    return _indicator_download(request, indicator, "csv")


@signed_in
def indicator_xlsx(request: HttpRequest, indicator: str) -> HttpResponse:
    return _indicator_download(request, indicator, "xlsx")


def public_rows(definition: Definition, org: Org, rows: list[present.Row]) -> list[present.Row]:
    """Rows safe to publish: small numbers hidden, and localities hidden where the PCT total
    would give a hidden one away (or the PCT total withheld)."""
    pct = org.obj if org.level == "pct" else org.obj.pct
    localities = list(pct.localities.values_list("slug", flat=True))
    rule = disclosure.rule()
    also = present.hidden_across_pct(definition, pct.code, localities, org.code, rule)
    return present.suppress_rows(definition, rows, rule, also_hidden=also)


@dataclass
class DashboardLine:
    definition: Definition
    latest: present.Row | None
    target: float | None
    spc: present.Spc | None
    href: str


def dashboard_lines(
    org: Org, *, public_page: bool = False, link_name: str = "indicator"
) -> list[DashboardLine]:
    lines = []
    for d in defs.catalogue().values():
        if org.level not in d.levels:
            continue
        rows = present.series(d, org.level, org.code)
        if public_page:
            rows = public_rows(d, org, rows)
        latest = next((r for r in reversed(rows) if r.value is not None), None)
        target = present.target_for(d, org.level, org.code, latest.month) if latest else d.target
        chart = present.spc(d, rows, target)
        href = reverse(link_name, args=[d.id]) + f"?org={org.key}"
        lines.append(DashboardLine(d, latest, target, chart, href))
    return lines


def _dashboard(request: HttpRequest, obj: Any) -> HttpResponse:
    org = org_of(obj)
    fmt = request.GET.get("format")
    lines = results.stored("indicator dashboard", obj, lambda: dashboard_lines(org))
    if fmt in ("csv", "xlsx"):
        table: list[list[Any]] = [["indicator", "title", "month", "value", "lower_95", "upper_95",
                                   "unit", "target", "variation", "assurance"]]  # fmt: skip
        for line in lines:
            r = line.latest
            table.append(
                [line.definition.id, line.definition.title, r.month.isoformat() if r else None,
                 r.value if r else None, r.lower if r else None, r.upper if r else None,
                 line.definition.unit, line.target,
                 line.spc.variation_icon if line.spc else None,
                 line.spc.assurance if line.spc else None]
            )  # fmt: skip
        return _download(table, f"indicators-{org.code}", fmt)
    return render(
        request,
        "indicators/dashboard.jinja",
        {
            "title": f"Indicators: {org.name}",
            "org": org,
            "lines": lines,
            "fmt": present.fmt,
            "public_page": False,
            "breadcrumbs": [{"text": "Indicators", "href": reverse("indicators_index")}],
            "stale": staleness("indicators"),
        },
    )


@requires(Permission.VIEW_PCT, scope="pct")
def pct_dashboard(request: HttpRequest, pct: Pct) -> HttpResponse:
    return _dashboard(request, pct)


@requires(Permission.VIEW_LOCALITY, scope="locality")
def locality_dashboard(request: HttpRequest, locality: Locality) -> HttpResponse:
    return _dashboard(request, locality)


@requires(Permission.VIEW_PRACTICE, scope="practice")
def practice_dashboard(request: HttpRequest, practice: Practice) -> HttpResponse:
    return _dashboard(request, practice)


# --- RTT 17-week watch list (patient level, audited) -------------------------------------------


def _watch(request: HttpRequest, obj: Any, rows: Any) -> HttpResponse:
    provider = request.GET.get("provider", "")
    specialty = request.GET.get("specialty", "")
    all_rows = list(rows)
    shown = [
        r
        for r in all_rows
        if (not provider or r.provider_code == provider)
        and (not specialty or r.treatment_function_code == specialty)
    ]
    audit.record(
        request.user,
        "view_patient_rows",
        obj,
        detail=f"RTT 17-week watch list: {len(shown)} pathways",
        path=request.get_full_path(),
    )
    org = org_of(obj)
    return render(
        request,
        "indicators/watch.jinja",
        {
            "title": f"Pathways at 17 weeks or more: {org.name}",
            "org": org,
            "rows": shown,
            "census": all_rows[0].census_date if all_rows else None,
            "providers": sorted({r.provider_code for r in all_rows}),
            "specialties": sorted({r.treatment_function_code for r in all_rows}),
            "provider": provider,
            "specialty": specialty,
        },
    )


@requires(Permission.VIEW_PATIENT_ROWS, scope="practice")
def watch_practice(request: HttpRequest, practice: Practice) -> HttpResponse:
    return _watch(request, practice, WatchPathway.objects.filter(practice_code=practice.code))


@requires(Permission.VIEW_PATIENT_ROWS, scope="pct")
def watch_pct(request: HttpRequest, pct: Pct) -> HttpResponse:
    codes = list(Practice.objects.filter(locality__pct=pct).values_list("code", flat=True))
    return _watch(request, pct, WatchPathway.objects.filter(practice_code__in=codes))


# --- manual entry -------------------------------------------------------------------------------


class ManualValueForm(forms.Form):
    indicator = forms.ChoiceField()
    organisation = forms.ChoiceField()
    month = forms.CharField(help_text="YYYY-MM (first month of the quarter or year for "
                            "quarterly or annual indicators)")  # fmt: skip
    numerator = forms.FloatField(min_value=0)
    denominator = forms.FloatField(min_value=0, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, orgs: list[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manual = [d for d in defs.catalogue().values() if d.accepts_manual_entry]
        self.fields["indicator"].choices = [(d.id, d.title) for d in manual]  # type: ignore[attr-defined]
        self.fields["organisation"].choices = [(o.key, o.name) for o in orgs]  # type: ignore[attr-defined]

    def clean_month(self) -> dt.date:
        text = self.cleaned_data["month"]
        try:
            return parse_month(text)
        except ValueError:
            raise ValidationError("Enter the month as YYYY-MM, for example 2008-11") from None


@requires(Permission.IMPORT_DATA, scope="pct")
def manual_entry(request: HttpRequest, pct: Pct) -> HttpResponse:
    orgs = [org_of(pct)] + [org_of(loc) for loc in pct.localities.order_by("name")]
    orgs += [org_of(p) for p in Practice.objects.filter(locality__pct=pct).order_by("code")]
    form = ManualValueForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        org = load_org(form.cleaned_data["organisation"])
        try:
            actions.record_manual_value(
                request.user,
                form.cleaned_data["indicator"],
                org.level,
                org.code,
                form.cleaned_data["month"],
                form.cleaned_data["numerator"],
                form.cleaned_data["denominator"],
                form.cleaned_data["note"],
            )
        except ValidationError as err:
            form.add_error(None, err)
        else:
            messages.success(request, "Value saved.")
            return redirect(reverse("indicators_manual", args=[pct.slug]))
    recent = IndicatorValue.objects.filter(source=IndicatorValue.Source.MANUAL).order_by(
        "-updated_at"
    )[:20]
    return render(
        request,
        "indicators/manual.jinja",
        {"title": "Enter indicator values", "pct": pct, "form": form, "recent": recent},
    )


# --- public pages -------------------------------------------------------------------------------


@public
def public_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "indicators/public_index.jinja",
        {
            "title": "Published performance indicators",
            "pcts": Pct.objects.all(),
            "localities": Locality.objects.select_related("pct").order_by("name"),
        },
    )


@public
def public_locality(request: HttpRequest, locality: str) -> HttpResponse:
    obj = Locality.objects.filter(slug=locality).first()
    if obj is None:
        raise Http404("no such locality")
    org = org_of(obj)
    return render(
        request,
        "indicators/dashboard.jinja",
        {
            "title": f"Published indicators: {org.name}",
            "org": org,
            "lines": dashboard_lines(
                org, public_page=True, link_name="indicators_public_indicator"
            ),
            "fmt": present.fmt,
            "public_page": True,
        },
    )


@public
def public_indicator(request: HttpRequest, indicator: str) -> HttpResponse:
    definition = definition_or_404(indicator)
    levels = [lv for lv in PUBLIC_LEVELS if lv in definition.levels]
    key = request.GET.get("org")
    org: Org | None = None
    if key and key.partition(":")[0] in levels:
        org = load_org(key)
    elif levels:
        first = Pct.objects.first() if levels[0] == "pct" else Locality.objects.first()
        org = org_of(first) if first else None
    context: dict[str, Any] = {"title": definition.title, "definition": definition, "org": org}
    if org is not None:
        rows = public_rows(definition, org, present.series(definition, org.level, org.code))
        context.update(indicator_context(definition, org, rows, public_page=True))
    return render(request, "indicators/public_indicator.jinja", context)


PLOTLY_JS = Path(__import__("plotly").__file__).parent / "package_data" / "plotly.min.js"


@public
def plotly_js(request: HttpRequest) -> FileResponse:
    """Plotly's JavaScript from the installed package (the machine is offline: no CDN)."""
    response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- targets (PCT analysts) ---------------------------------------------------------------------


class TargetForm(forms.Form):
    indicator = forms.ChoiceField()
    organisation = forms.ChoiceField(help_text="The level follows from the organisation")
    financial_year = forms.CharField(help_text="For example 2008/09")
    value = forms.FloatField(required=False, label="Target for the year (from April)")
    trajectory = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: one line per month, YYYY-MM = value (for example 2008-12 = 45)",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, orgs: list[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targetable = [d for d in defs.catalogue().values() if d.polarity != "neutral"]
        self.fields["indicator"].choices = [(d.id, d.title) for d in targetable]  # type: ignore[attr-defined]
        self.fields["organisation"].choices = [(o.key, o.name) for o in orgs]  # type: ignore[attr-defined]

    def clean_trajectory(self) -> list[tuple[dt.date, float]]:
        points = []
        for number, line in enumerate(self.cleaned_data["trajectory"].splitlines(), start=1):
            if not line.strip():
                continue
            month_text, _, value_text = line.partition("=")
            try:
                points.append((parse_month(month_text), float(value_text)))
            except ValueError:
                raise ValidationError(
                    f"Line {number}: write YYYY-MM = value, for example 2008-12 = 45"
                ) from None
        return points


class BaselineForm(forms.Form):
    """One organisation's dated baseline of an indicator whose target is worked out from an
    entered baseline (MRSA: half the 2003/04 count)."""

    baseline_indicator = forms.ChoiceField(label="Indicator")
    baseline_organisation = forms.ChoiceField(label="Organisation")
    baseline_value = forms.FloatField(
        required=False,
        min_value=0,
        label="Baseline count",
        help_text="Leave empty to remove the baseline entered",
    )
    baseline_source = forms.CharField(
        required=False, label="Source", help_text="Where the figure comes from"
    )

    def __init__(self, *args: Any, orgs: list[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entered = [d for d in defs.catalogue().values() if d.baseline_entered]
        self.fields["baseline_indicator"].choices = [  # type: ignore[attr-defined]
            (d.id, f"{d.title} ({d.baseline_period})") for d in entered
        ]
        self.fields["baseline_organisation"].choices = [(o.key, o.name) for o in orgs]  # type: ignore[attr-defined]


def _save_baseline(request: HttpRequest, form: BaselineForm) -> bool:
    org = load_org(form.cleaned_data["baseline_organisation"])
    definition = defs.get(form.cleaned_data["baseline_indicator"])
    assert definition is not None
    try:
        actions.set_baseline(
            request.user,
            definition.id,
            org.level,
            org.code,
            definition.baseline_period,
            form.cleaned_data["baseline_value"],
            form.cleaned_data["baseline_source"],
        )
    except ValidationError as err:
        for field, messages_ in err.message_dict.items():
            name = f"baseline_{'organisation' if field == 'level' else field}"
            form.add_error(name if name in form.fields else None, messages_)
        return False
    messages.success(request, "Baseline saved.")
    return True


@requires(Permission.IMPORT_DATA, scope="pct")
def targets(request: HttpRequest, pct: Pct) -> HttpResponse:
    """Set an indicator's target and trajectory for a financial year, and enter the dated
    baselines derived targets need (PCT analysts)."""
    from pbc.indicators.models import Baseline, Target, TargetChange

    orgs = [org_of(pct)] + [org_of(loc) for loc in pct.localities.order_by("name")]
    orgs += [org_of(p) for p in Practice.objects.filter(locality__pct=pct).order_by("code")]
    acute = Provider.objects.filter(kind=Provider.Kind.ACUTE).order_by("code")
    baseline_orgs = [org_of(pct)] + [org_of(p) for p in acute]
    posted_baseline = request.method == "POST" and "baseline_indicator" in request.POST
    baseline_form = BaselineForm(request.POST if posted_baseline else None, orgs=baseline_orgs)
    if posted_baseline and baseline_form.is_valid() and _save_baseline(request, baseline_form):
        return redirect(reverse("indicators_targets", args=[pct.slug]))
    form = TargetForm(request.POST if not posted_baseline else None, orgs=orgs)
    if request.method == "POST" and not posted_baseline and form.is_valid():
        org = load_org(form.cleaned_data["organisation"])
        try:
            actions.set_target(
                request.user,
                form.cleaned_data["indicator"],
                org.level,
                form.cleaned_data["financial_year"].strip(),
                form.cleaned_data["value"],
                form.cleaned_data["trajectory"],
                org_code=org.code,
                note=form.cleaned_data["note"],
            )
        except ValidationError as err:
            fields = {"level": "organisation"}
            for field, messages_ in err.message_dict.items():
                name = fields.get(field, field)
                form.add_error(name if name in form.fields else None, messages_)
        else:
            messages.success(request, "Target saved.")
            return redirect(reverse("indicators_targets", args=[pct.slug]))
    codes = [o.code for o in orgs]
    titles = {d.id: d.title for d in defs.catalogue().values()}
    return render(
        request,
        "indicators/targets.jinja",
        {
            "title": "Indicator targets",
            "pct": pct,
            "form": form,
            "baseline_form": baseline_form,
            "baselines": Baseline.objects.filter(
                org_code__in=[o.code for o in baseline_orgs]
            ).select_related("entered_by"),
            "titles": titles,
            "current": Target.objects.filter(org_code__in=codes).order_by(
                "indicator_id", "level", "org_code", "valid_from"
            ),
            "history": TargetChange.objects.filter(org_code__in=codes).select_related("changed_by")[
                :50
            ],
            "breadcrumbs": [{"text": "Indicators", "href": reverse("indicators_index")}],
        },
    )


# --- RTT week bands (aggregate counts, published layout) -----------------------------------------


def _rtt_months(org: Org) -> list[dt.date]:
    return sorted(
        set(
            IndicatorValue.objects.filter(
                indicator_id="rtt-admitted-18-weeks", level=org.level, org_code=org.code
            ).values_list("month", flat=True)
        )
    )


@signed_in
def rtt_week_bands(request: HttpRequest) -> HttpResponse:
    """Pathways by the published week bands for admitted, non-admitted and incomplete
    pathways, by provider and treatment function, for a chosen month and organisation."""
    from pbc.indicators import weekbands

    definition = definition_or_404("rtt-admitted-18-weeks")
    org = chosen_org(request, definition)
    options = visible_orgs(request.user, definition.levels)
    months = _rtt_months(org) if org else []
    month: dt.date | None = None
    text = request.GET.get("month", "")
    if text:
        try:
            month = parse_month(text)
        except ValueError:
            raise Http404("month must be YYYY-MM") from None
    elif months:
        month = months[-1]
    table = (
        weekbands.table(org.level, org.code, org.obj, month)
        if org is not None and month is not None
        else None
    )
    if table is not None and request.GET.get("format") == "csv":
        return _download(
            weekbands.csv_rows(table), f"rtt-week-bands-{org.code}-{month:%Y-%m}", "csv"
        )
    return render(
        request,
        "indicators/rtt_week_bands.jinja",
        {
            "title": "RTT pathways by week band",
            "org": org,
            "options": options,
            "months": months,
            "month": month,
            "table": table,
            "types": weekbands.PATHWAY_TYPES,
            "breadcrumbs": [{"text": "Indicators", "href": reverse("indicators_index")}],
        },
    )
