"""Community matrons' caseloads: taking patients on from the case-finding list, and what
happened to them.

- `take_on(...)`: one action, one transaction. The user must be allowed to see the practice's
  patient rows (its own users and its PCT's analysts: `Permission.VIEW_PATIENT_ROWS`); every
  patient must be on the practice's current case-finding list and not already on its caseload.
  One `create` audit event per patient, naming the practice, the matron and the date.
- `discharge(...)`: a patient leaves the caseload on a date for a reason (same permission; one
  `update` audit event with the entry before and after). The year after is still counted from
  the date taken on: the comparison asks what happened to the patients taken on, discharged or
  not.
- `report(practice)`: the practice's caseload with each patient's emergency admissions and bed
  days in the year before and after they were taken on, against a comparison group matched on
  risk score from the locality's case-finding lists
  (`pbc.analytics.population.caseload`), and the matrons' return's contacts within one working
  day for the caseload's patients (`pbc.services.queries.matron_contacts`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import transaction

from pbc.analytics.population import caseload as cl
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Practice
from pbc.orgs.roles import Permission
from pbc.population import risk
from pbc.population.models import DISCHARGE_REASONS, CaseloadEntry, RiskScore
from pbc.services import queries as services
from pbc.warehouse import engine as wh


class CaseloadError(ValueError):
    """A request to take patients on that cannot be done; the message says why."""


def take_on(
    user: Any,
    practice: Practice,
    nhs_numbers: list[str],
    *,
    matron: str,
    taken_on: dt.date,
    path: str = "",
) -> list[CaseloadEntry]:
    if not has_permission(user, Permission.VIEW_PATIENT_ROWS, practice):
        audit.record(user, "denied", practice, detail="take onto caseload", path=path)
        raise PermissionError("You may not change this practice's caseload.")
    matron = matron.strip()
    if not matron:
        raise CaseloadError("matron: give the community matron's name")
    if len(matron) > 150:
        raise CaseloadError("matron: at most 150 characters")
    if taken_on > dt.date.today():
        raise CaseloadError(f"taken on: {taken_on:%d %b %Y} is in the future")
    wanted = list(dict.fromkeys(n.strip() for n in nhs_numbers if n.strip()))
    if not wanted:
        raise CaseloadError("patients: tick at least one patient on the case-finding list")
    model = risk.current_model()
    scores = {
        s.nhs_number: s
        for s in RiskScore.objects.filter(
            model=model, gp_practice_code=practice.code, nhs_number__in=wanted
        )
    }
    missing = [n for n in wanted if n not in scores]
    if missing:
        raise CaseloadError(
            f"patients: {', '.join(missing)} not on {practice.code}'s case-finding list"
        )
    already = set(
        CaseloadEntry.objects.filter(practice=practice, nhs_number__in=wanted).values_list(
            "nhs_number", flat=True
        )
    )
    if already:
        raise CaseloadError(f"patients: {', '.join(sorted(already))} already on the caseload")
    entries = []
    with transaction.atomic():
        for nhs in wanted:
            s = scores[nhs]
            entry = CaseloadEntry.objects.create(
                practice=practice,
                nhs_number=nhs,
                matron=matron,
                taken_on=taken_on,
                risk_score=s.score,
                risk_rank=s.rank,
                recorded_by=user.get_username(),
            )
            audit.record(
                user,
                "create",
                entry,
                after={
                    "practice": practice.code,
                    "nhs_number": nhs,
                    "matron": matron,
                    "taken_on": taken_on.isoformat(),
                    "risk_score": s.score,
                },
                detail=f"taken onto {matron}'s caseload at {practice.code}",
                path=path,
            )
            entries.append(entry)
    return entries


REASONS = dict(DISCHARGE_REASONS)


def discharge(
    user: Any,
    entry: CaseloadEntry,
    *,
    on: dt.date,
    reason: str,
    path: str = "",
) -> CaseloadEntry:
    """Discharge a patient from the caseload on `on` for `reason` (a `DISCHARGE_REASONS` key)."""
    practice = entry.practice
    if not has_permission(user, Permission.VIEW_PATIENT_ROWS, practice):
        audit.record(user, "denied", practice, detail="discharge from caseload", path=path)
        raise PermissionError("You may not change this practice's caseload.")
    if reason not in REASONS:
        raise CaseloadError(f"reason: '{reason}' is not one of the discharge reasons")
    if on > dt.date.today():
        raise CaseloadError(f"discharged: {on:%d %b %Y} is in the future")
    with transaction.atomic():
        entry = CaseloadEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.discharged_on is not None:
            raise CaseloadError(
                f"patients: {entry.nhs_number} was discharged on {entry.discharged_on:%d %b %Y}"
            )
        if on < entry.taken_on:
            raise CaseloadError(
                f"discharged: {on:%d %b %Y} is before {entry.nhs_number} was taken on "
                f"({entry.taken_on:%d %b %Y})"
            )
        entry.discharged_on, entry.discharge_reason = on, reason
        entry.discharged_by = user.get_username()
        entry.save(update_fields=["discharged_on", "discharge_reason", "discharged_by"])
        audit.record(
            user,
            "update",
            entry,
            before={"nhs_number": entry.nhs_number, "discharged_on": None},
            after={
                "nhs_number": entry.nhs_number,
                "discharged_on": on.isoformat(),
                "reason": reason,
            },
            detail=f"discharged from {entry.matron}'s caseload at {practice.code}: "
            f"{REASONS[reason]}",
            path=path,
        )
    return entry


@dataclass(frozen=True)
class PatientRow:
    entry: CaseloadEntry
    before_admissions: int
    after_admissions: int
    before_bed_days: int
    after_bed_days: int
    observed_days: int
    contacts: list[services.MatronContact]


@dataclass(frozen=True)
class CaseloadReport:
    rows: list[PatientRow]
    comparison: cl.Comparison | None
    data_end: dt.date | None
    contacts_met: int
    contacts_applicable: int


def comparison_pool(practice: Practice) -> list[tuple[str, float]]:
    """(NHS number, risk score) of the locality's case-finding lists, less everyone on a
    caseload of the locality (the comparison group is drawn from it)."""
    model = risk.current_model()
    codes = list(practice.locality.practices.values_list("code", flat=True))
    on_caseload = set(
        CaseloadEntry.objects.filter(practice__code__in=codes).values_list("nhs_number", flat=True)
    )
    pool = RiskScore.objects.filter(model=model, gp_practice_code__in=codes).values_list(
        "nhs_number", "score"
    )
    return [(n, s) for n, s in pool if n not in on_caseload]


def outcomes(
    people: list[cl.Person], engine: str | None = None, data_dir: Any = None
) -> tuple[list[dict[str, Any]], dt.date | None]:
    """`admissions_around` for these people on the warehouse, as dicts, and the last day the
    warehouse covers (its latest discharge date, as `risk.default_score_date` reads it)."""
    con = wh.connect(engine)
    apc = wh.table(con, "apc", data_dir=data_dir if data_dir is not None else settings.DATA_DIR)
    last = apc.discharge_date.max().execute()
    data_end = None if last is None or pd.isna(last) else pd.Timestamp(last).date()
    if not people:
        return [], data_end
    frame = cl.admissions_around(apc, cl.people_table(people)).to_pandas()
    return frame.to_dict("records"), data_end


def report(practice: Practice) -> CaseloadReport:
    entries = list(CaseloadEntry.objects.filter(practice=practice))
    people = cl.followed(
        [(e.nhs_number, e.taken_on, e.risk_score) for e in entries], comparison_pool(practice)
    )
    rows, data_end = outcomes(people)
    mine = {r["nhs_number"]: r for r in rows if r["group"] == cl.CASE}
    contacts = services.matron_contacts(practice.code, {e.nhs_number for e in entries})
    by_patient: dict[str, list[services.MatronContact]] = {}
    for c in contacts:
        by_patient.setdefault(c.nhs_number, []).append(c)
    patient_rows = []
    for e in entries:
        r = mine.get(e.nhs_number, {})
        patient_rows.append(
            PatientRow(
                entry=e,
                before_admissions=int(r.get("before_admissions", 0)),
                after_admissions=int(r.get("after_admissions", 0)),
                before_bed_days=int(r.get("before_bed_days", 0)),
                after_bed_days=int(r.get("after_bed_days", 0)),
                observed_days=cl.observed_after(e.taken_on, data_end),
                contacts=by_patient.get(e.nhs_number, []),
            )
        )
    applicable = [c for c in contacts if c.within_one_working_day is not None]
    return CaseloadReport(
        rows=patient_rows,
        comparison=cl.compare(rows) if entries else None,
        data_end=data_end,
        contacts_met=sum(bool(c.within_one_working_day) for c in applicable),
        contacts_applicable=len(applicable),
    )
