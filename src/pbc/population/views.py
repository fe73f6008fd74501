"""Population health pages: disease registers, the risk model card, case-finding lists,
inequalities in life expectancy.

Access:
- registers and inequalities are aggregates of a locality (VIEW_LOCALITY for that locality);
- the model card holds no patient rows: any signed-in user;
- a case-finding list is patient rows of one practice (VIEW_PATIENT_ROWS for that practice:
  the practice's own users and the PCT's analysts). Every view and every CSV export writes a
  `view_patient_rows` audit event naming the practice, the filter and the rows shown.
- a matrons' caseload is patient rows of one practice too (same rule, same audit); taking
  patients on from the case-finding list is a POST to the caseload (`caseload.take_on`).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pbc import exports
from pbc.analytics.population import inequalities as iq
from pbc.analytics.population import risk_model as rm
from pbc.analytics.population.cohort import CONDITION_LABELS, CONDITIONS
from pbc.orgs import audit
from pbc.orgs.access import has_permission, visible_practices
from pbc.orgs.models import Locality, Practice
from pbc.orgs.roles import Permission
from pbc.population import caseload, present, risk
from pbc.population.models import DISCHARGE_REASONS, CaseloadEntry, RiskScore
from pbc.population.queries import locality_inequalities
from pbc.refresh import results
from pbc.web import tables
from pbc.web.rules import requires, signed_in

REFERENCE_MODELS = (
    ("PARR (King's Fund, 2006)", "PPV about 65% at risk score 50"),
    ("PARR-30 (2012)", "AUC about 0.70"),
    ("QAdmissions (2013)", "ROC about 0.76-0.78"),
)


def _crumbs(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"text": t, "href": h} for t, h in items]


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    localities = [
        loc
        for loc in Locality.objects.select_related("pct").order_by("name")
        if has_permission(user, Permission.VIEW_LOCALITY, loc)
    ]
    practices = sorted(visible_practices(user, Permission.VIEW_PATIENT_ROWS), key=lambda p: p.code)
    return render(
        request,
        "population/index.jinja",
        {
            "title": "Population health",
            "localities": localities,
            "practices": practices,
            "model": risk.latest_model(),
            "breadcrumbs": _crumbs(("Home", reverse("home"))),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def registers(request: HttpRequest, locality: Locality) -> HttpResponse:
    practices = list(locality.practices.order_by("code"))
    names = {p.code: p.name for p in practices}
    data = results.stored(
        "registers", locality, lambda: present.registers_for([p.code for p in practices])
    )
    sections = []
    if data is not None:
        for condition in CONDITIONS:
            comparison = data.comparisons.get(condition)
            rows = data.rows(condition)
            if comparison is None:
                continue
            sections.append(
                {
                    "condition": condition,
                    "label": CONDITION_LABELS[condition],
                    "comparison": comparison,
                    "rows": rows,
                    "figure": present.register_funnel(comparison, rows, names, data.source),
                }
            )
    return render(
        request,
        "population/registers.jinja",
        {
            "title": f"Disease registers, {locality.name}",
            "locality": locality,
            "on": data.on if data else None,
            "source": data.source if data else None,
            "sections": sections,
            "names": names,
            "breadcrumbs": _crumbs(
                ("Home", reverse("home")),
                (f"{locality.name} locality", reverse("locality", args=[locality.slug])),
            ),
        },
    )


@requires(Permission.VIEW_LOCALITY, scope="locality")
def inequalities(request: HttpRequest, locality: Locality) -> HttpResponse:
    series, editions = locality_inequalities(locality)
    pct_name = locality.pct.name
    latest_pct = series[pct_name][-1] if series[pct_name] else None
    return render(
        request,
        "population/inequalities.jinja",
        {
            "title": f"Inequalities in life expectancy, {locality.name}",
            "locality": locality,
            "series": series,
            "trajectories": {name: iq.against_halving(years) for name, years in series.items()},
            "editions": editions,
            "gap_figure": present.gap_figure(series),
            "halving_lines": {name: iq.halving_line(years) for name, years in series.items()},
            "mortality_figure": present.mortality_figure(series),
            "quintile_figure": present.quintile_figure(latest_pct, pct_name)
            if latest_pct
            else None,
            "breadcrumbs": _crumbs(
                ("Home", reverse("home")),
                (f"{locality.name} locality", reverse("locality", args=[locality.slug])),
            ),
        },
    )


@signed_in
def model_card(request: HttpRequest) -> HttpResponse:
    row = risk.latest_model()
    card = row.card if row else {}
    order = ["gradient_boosting", "logistic_regression", "baseline"]
    evaluation = [
        {"key": k, "label": rm.MODEL_LABELS[k], **card["evaluation"][k]}
        for k in order
        if row and k in card.get("evaluation", {})
    ]
    return render(
        request,
        "population/model_card.jinja",
        {
            "title": "Risk model card",
            "model": row,
            "card": card,
            "evaluation": evaluation,
            "fractions": rm.TOP_FRACTIONS,
            "labels": rm.MODEL_LABELS,
            "features": row.features if row else [],
            "factor_groups": [label for label, _ in rm.FACTOR_GROUPS.values()],
            "references": REFERENCE_MODELS,
            "calibration_figure": present.calibration_figure(card) if row else None,
            "breadcrumbs": _crumbs(
                ("Home", reverse("home")), ("Population health", reverse("population_index"))
            ),
        },
    )


def _scores(practice: Practice, condition: str) -> Any:
    model = risk.current_model()
    if model is None:
        return None, RiskScore.objects.none()
    qs = RiskScore.objects.filter(model=model, gp_practice_code=practice.code)
    if condition in CONDITIONS:
        qs = qs.filter(**{condition: True})
    return model, qs.order_by("rank")


def _conditions_of(score: RiskScore) -> list[str]:
    return [CONDITION_LABELS[c] for c in CONDITIONS if getattr(score, c)]


# The case-finding table: (sort key, heading, field); a page at a time (`pbc.web.tables`).
CASE_FINDING_COLUMNS = [
    ("rank", "Rank", "rank"),
    ("nhs", "NHS number", None),
    ("risk", "Risk", "score"),
    ("age", "Age, sex", "age"),
    ("deprivation", "Deprivation quintile", "deprivation_quintile"),
    ("conditions", "Conditions", None),
    ("factors", "Main contributing factors", None),
]
CASE_FINDING_NUMERIC = frozenset({"rank", "risk", "deprivation"})


@requires(Permission.VIEW_PATIENT_ROWS, scope="practice")
def case_finding(request: HttpRequest, practice: Practice) -> HttpResponse:
    condition = request.GET.get("condition", "")
    if condition not in CONDITIONS:
        condition = ""
    model, qs = _scores(practice, condition)
    if request.GET.get("format") == "csv":
        return _case_finding_csv(request, practice, condition, qs)
    page = tables.paged(request, qs, CASE_FINDING_COLUMNS, "rank", numeric=CASE_FINDING_NUMERIC)
    rows, total = page.rows, page.total
    audit.record(
        request.user,
        "view_patient_rows",
        practice,
        detail=(
            f"case-finding list: {len(rows)} of {total} patients"
            f"{', condition ' + condition if condition else ''}"
        ),
        path=request.get_full_path(),
    )
    return render(
        request,
        "population/case_finding.jinja",
        {
            "title": f"Case finding, {practice.name}",
            "practice": practice,
            "model": model,
            "rows": [{"score": r, "conditions": _conditions_of(r)} for r in rows],
            "total": total,
            "page": page,
            "condition": condition,
            "conditions": [(c, CONDITION_LABELS[c]) for c in CONDITIONS],
            "on_caseload": set(practice.caseload_entries.values_list("nhs_number", flat=True)),
            "today": dt.date.today(),
            "breadcrumbs": _crumbs(
                ("Home", reverse("home")),
                (practice.name, reverse("practice", args=[practice.code])),
            ),
        },
    )


CSV_COLUMNS = (
    "rank",
    "nhs_number",
    "risk_percent",
    "age",
    "sex",
    "deprivation_quintile",
    "emergency_admissions_last_year",
    "conditions",
    "main_factors",
)


def _case_finding_csv(
    request: HttpRequest, practice: Practice, condition: str, qs: Any
) -> HttpResponse:
    buffer = io.StringIO()
    writer = exports.csv_writer(buffer)
    writer.writerow(CSV_COLUMNS)
    n = 0
    for r in qs.iterator():
        writer.writerow(
            [
                r.rank,
                r.nhs_number,
                f"{r.score * 100:.1f}",
                r.age,
                r.sex,
                r.deprivation_quintile,
                r.emergency_admissions,
                "; ".join(_conditions_of(r)),
                "; ".join(r.factors),
            ]
        )
        n += 1
    audit.record(
        request.user,
        "view_patient_rows",
        practice,
        detail=(
            f"case-finding list CSV export: {n} patients"
            f"{', condition ' + condition if condition else ''}"
        ),
        path=request.get_full_path(),
    )
    response = HttpResponse(buffer.getvalue(), content_type=exports.CSV_CONTENT_TYPE)
    suffix = f"-{condition}" if condition else ""
    response["Content-Disposition"] = (
        f'attachment; filename="case-finding-{practice.code}{suffix}.csv"'
    )
    return response


def _take_on(request: HttpRequest, practice: Practice) -> HttpResponse:
    back = reverse("population_case_finding", args=[practice.code])
    try:
        taken_on = dt.date.fromisoformat(request.POST.get("taken_on", "").strip())
    except ValueError:
        messages.error(request, "Taken on: give the date as YYYY-MM-DD. No patient was taken on.")
        return redirect(back)
    try:
        entries = caseload.take_on(
            request.user,
            practice,
            request.POST.getlist("nhs_number"),
            matron=request.POST.get("matron", ""),
            taken_on=taken_on,
            path=request.get_full_path(),
        )
    except PermissionError as error:
        raise PermissionDenied(str(error)) from error
    except caseload.CaseloadError as error:
        messages.error(request, f"{error}. No patient was taken on.")
        return redirect(back)
    messages.success(
        request, f"{len(entries)} patient(s) taken onto {entries[0].matron}'s caseload."
    )
    return redirect(reverse("population_caseload", args=[practice.code]))


def _discharge(request: HttpRequest, practice: Practice) -> HttpResponse:
    back = reverse("population_caseload", args=[practice.code])
    try:
        entry = practice.caseload_entries.get(pk=int(request.POST.get("entry", "")))
    except (ValueError, CaseloadEntry.DoesNotExist) as error:
        raise Http404("no such patient on this practice's caseload") from error
    try:
        on = dt.date.fromisoformat(request.POST.get("discharged_on", "").strip())
    except ValueError:
        messages.error(request, "Discharged: give the date as YYYY-MM-DD. Not discharged.")
        return redirect(back)
    try:
        caseload.discharge(
            request.user, entry, on=on, reason=request.POST.get("reason", ""),
            path=request.get_full_path(),
        )  # fmt: skip
    except PermissionError as error:
        raise PermissionDenied(str(error)) from error
    except caseload.CaseloadError as error:
        messages.error(request, f"{error}. Not discharged.")
        return redirect(back)
    messages.success(request, f"{entry.nhs_number} discharged from the caseload.")
    return redirect(back)


CASELOAD_CSV_COLUMNS = (
    "nhs_number",
    "matron",
    "taken_on",
    "risk_percent_when_taken_on",
    "rank_when_taken_on",
    "discharged_on",
    "discharge_reason",
    "emergency_admissions_year_before",
    "emergency_admissions_year_after",
    "bed_days_year_before",
    "bed_days_year_after",
    "days_of_year_after_observed",
    "matron_contacts_within_one_working_day",
    "matron_contacts_applicable",
)


def _caseload_csv(request: HttpRequest, practice: Practice, data: Any) -> HttpResponse:
    """The practice's caseload, one row per patient, through `pbc.exports` (patient rows:
    audited like the page)."""
    rows: list[list[Any]] = [list(CASELOAD_CSV_COLUMNS)]
    for r in data.rows:
        e = r.entry
        met = [c.within_one_working_day for c in r.contacts if c.within_one_working_day is not None]
        rows.append(
            [
                e.nhs_number, e.matron, e.taken_on.isoformat(), f"{e.risk_score * 100:.1f}",
                e.risk_rank, e.discharged_on.isoformat() if e.discharged_on else "",
                e.get_discharge_reason_display() if e.discharge_reason else "",
                r.before_admissions, r.after_admissions, r.before_bed_days, r.after_bed_days,
                r.observed_days, sum(met), len(met),
            ]
        )  # fmt: skip
    audit.record(
        request.user,
        "view_patient_rows",
        practice,
        detail=f"community matron caseload CSV export: {len(data.rows)} patients",
        path=request.get_full_path(),
    )
    response = HttpResponse(exports.csv_text(rows), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="caseload-{practice.code}.csv"'
    return response


@requires(Permission.VIEW_PATIENT_ROWS, scope="practice")
def caseload_page(request: HttpRequest, practice: Practice) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "discharge":
        return _discharge(request, practice)
    if request.method == "POST":
        return _take_on(request, practice)
    data = caseload.report(practice)
    if request.GET.get("format") == "csv":
        return _caseload_csv(request, practice, data)
    audit.record(
        request.user,
        "view_patient_rows",
        practice,
        detail=f"community matron caseload: {len(data.rows)} patients",
        path=request.get_full_path(),
    )
    return render(
        request,
        "population/caseload.jinja",
        {
            "title": f"Community matron caseload, {practice.name}",
            "practice": practice,
            "report": data,
            "reasons": DISCHARGE_REASONS,
            "breadcrumbs": _crumbs(
                ("Home", reverse("home")),
                (practice.name, reverse("practice", args=[practice.code])),
                ("Case finding", reverse("population_case_finding", args=[practice.code])),
            ),
        },
    )
