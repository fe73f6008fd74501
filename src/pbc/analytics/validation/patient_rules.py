"""Rules about the patient: duplicates, responsible commissioner, NHS numbers, follow-ups without
a first attendance, emergency readmissions.

Rules that compare a patient's rows use only rows with a valid NHS number (an invalid one is
its own finding, and cannot be matched safely), or, where a row has no NHS number, its
pseudonymised patient id (HES / SUS extracts: compared with other pseudonymised rows, never with
an NHS number). The NHS number and registration rules do not apply to pseudonymised rows.
Definitions: `pbc.synth.faults.RULES`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pbc.analytics.validation.common import (
    ACTIVITY_DATE,
    ATTENDED,
    EMERGENCY_METHODS,
    FIRST_ATTENDANCES,
    FOLLOW_UPS,
    MATERNITY_METHODS,
    Inputs,
    findings,
    with_nhs_check,
)
from pbc.analytics.validation.settings import ValidationSettings

# A pseudonymised patient id stands in `nhs_number` with this prefix, so it never equals a number.
PSEUDONYM_PREFIX = "pseudo:"


def _pseudonymised(table: ir.Table) -> ir.BooleanValue:
    """No NHS number, and a pseudonymised patient id instead (HES / SUS extracts)."""
    if "patient_pseudonym" not in table.columns:
        return ibis.literal(False)
    return table.nhs_number.isnull() & table.patient_pseudonym.notnull()


def _valid(table: ir.Table, pseudonyms: bool = True) -> ir.Table:
    """Rows whose patient can be matched: a valid NHS number, or (`pseudonyms`) no NHS number
    and a pseudonymised id, which then stands in `nhs_number` as "pseudo:<id>"."""
    checked = with_nhs_check(table)
    if not pseudonyms or "patient_pseudonym" not in checked.columns:
        return checked.filter(checked._nhs_ok).drop("_nhs_ok")
    marked = checked.mutate(_pseudo=_pseudonymised(checked))
    keyed = marked.mutate(
        nhs_number=ibis.ifelse(
            marked._pseudo,
            ibis.literal(PSEUDONYM_PREFIX).concat(marked.patient_pseudonym),
            marked.nhs_number,
        )
    )
    return keyed.filter(keyed._nhs_ok | keyed._pseudo).drop("_nhs_ok", "_pseudo")


def duplicate_spell(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """A spell that starts on the same day as, or before the discharge of, an earlier spell of
    the same patient (order: admission, discharge, spell id)."""
    apc = _valid(inputs.apc)
    order = ["admission_date", "discharge_date", "spell_id"]
    w = ibis.window(group_by="nhs_number", order_by=order)
    marked = apc.mutate(
        _prev_adm=apc.admission_date.lag().over(w),
        _max_dis=apc.discharge_date.max().over(
            ibis.window(group_by="nhs_number", order_by=order, rows=(None, 0))
        ),
    )
    marked = marked.mutate(_prev_max_dis=marked._max_dis.lag().over(w))
    flagged = marked.filter(
        marked._prev_adm.notnull()
        & (
            (marked.admission_date == marked._prev_adm)
            | (marked._prev_max_dis > marked.admission_date)
        )
    )
    rule = "duplicate_spell"
    return [findings(flagged, rule, "apc", settings.periods(rule))]


def duplicate_first_attendance(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Attended first attendances of one patient with one provider and treatment function on
    one day: every one but the lowest attendance id."""
    op = _valid(inputs.op)
    firsts = op.filter(
        op.first_attendance.isin(FIRST_ATTENDANCES) & op.attended_or_did_not_attend.isin(ATTENDED)
    )
    w = ibis.window(
        group_by=[
            firsts.nhs_number,
            firsts.provider_code,
            firsts.treatment_function_code,
            firsts.attendance_date,
        ],
        order_by=firsts.attendance_id,
    )
    ranked = firsts.mutate(_n=ibis.row_number().over(w))
    flagged = ranked.filter(ranked._n > 0)
    rule = "duplicate_first_attendance"
    return [findings(flagged, rule, "op", settings.periods(rule))]


def not_registered_in_pct(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Rows whose patient was not registered, on the activity date, with a practice of the PCT
    that was invoiced (the responsible commissioner is someone else)."""
    pats = inputs.patients
    prac = inputs.practices.select("gp_practice_code", "pct_code")
    reg = pats.join(prac, pats.gp_practice_code == prac.gp_practice_code).select(
        r_nhs=pats.nhs_number,
        r_start=pats.registration_start_date,
        r_end=pats.registration_end_date,
        r_pct=prac.pct_code,
    )
    rule = "not_registered_in_pct"
    out = []
    for dataset in ("apc", "op", "ae"):
        # The register is by NHS number: a pseudonymised row cannot be matched to it, so the
        # rule does not apply to it (not a finding).
        rows = _valid(inputs.activity(dataset), pseudonyms=False)
        day = rows[ACTIVITY_DATE[dataset]]
        # One anti join: no registration of the patient with the PCT covers the day.
        flagged = rows.anti_join(
            reg,
            [
                rows.nhs_number == reg.r_nhs,
                rows.commissioner_code == reg.r_pct,
                reg.r_start <= day,
                reg.r_end.isnull() | (day <= reg.r_end),
            ],
        )
        out.append(findings(flagged, rule, dataset, settings.periods(rule)))
    return out


def invalid_nhs_number(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """NHS number missing, or not ten digits passing modulus 11; not applicable to a row that
    identifies its patient by a pseudonymised id instead (HES / SUS extracts)."""
    rule = "invalid_nhs_number"
    out = []
    for dataset in ("apc", "op", "ae"):
        rows = with_nhs_check(inputs.activity(dataset))
        flagged = rows.filter(~rows._nhs_ok & ~_pseudonymised(rows))
        out.append(findings(flagged, rule, dataset, settings.periods(rule)))
    return out


def follow_up_without_first(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """An attended follow-up with no attended first attendance of the same patient and
    treatment function on or before its date (with any provider)."""
    op = _valid(inputs.op)
    attended = op.filter(op.attended_or_did_not_attend.isin(ATTENDED))
    firsts = (
        attended.filter(attended.first_attendance.isin(FIRST_ATTENDANCES))
        .group_by(f_nhs=attended.nhs_number, f_tf=attended.treatment_function_code)
        .aggregate(f_date=attended.attendance_date.min())
    )
    fups = attended.filter(attended.first_attendance.isin(FOLLOW_UPS))
    flagged = fups.anti_join(
        firsts,
        [
            fups.nhs_number == firsts.f_nhs,
            fups.treatment_function_code == firsts.f_tf,
            firsts.f_date <= fups.attendance_date,
        ],
    )
    rule = "follow_up_without_first"
    return [findings(flagged, rule, "op", settings.periods(rule))]


def _neoplasm(code: ir.StringValue) -> ir.BooleanValue:
    """ICD-10 C00-D48."""
    return code.re_search(r"^(C|D[0-3]|D4[0-8])").fill_null(False)


def emergency_readmission(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """An emergency spell starting within the window after the discharge of the patient's
    previous spell (the latest discharged on or before this admission), with the national
    exclusions (maternity either side, death at the first discharge, under 4, cancer).

    One pass of window functions, no self join: every spell is a "discharge" event at
    (discharge, admission, spell id) and every candidate readmission a "query" event at
    (admission, admission, spell id); sorted per patient (queries first on a tie, so a spell
    never follows itself), each query's previous spell is the last discharge event before it.
    """
    apc = _valid(inputs.apc)
    discharges = apc.select(
        nhs_number=apc.nhs_number,
        k1=apc.discharge_date,
        k2=apc.admission_date,
        k3=apc.spell_id,
        kind=ibis.literal(1),
        p_dis=apc.discharge_date,
        p_ok=(apc.discharge_method != "4") & ~apc.admission_method.isin(MATERNITY_METHODS),
        q_id=ibis.null("string"),
    )
    candidates = apc.filter(
        apc.admission_method.isin(EMERGENCY_METHODS)
        & ~_neoplasm(apc.primary_diagnosis_code)
        & (apc.age_on_admission.fill_null(99) >= 4)
    )
    queries = candidates.select(
        nhs_number=candidates.nhs_number,
        k1=candidates.admission_date,
        k2=candidates.admission_date,
        k3=candidates.spell_id,
        kind=ibis.literal(0),
        p_dis=ibis.null("date"),
        p_ok=ibis.null("boolean"),
        q_id=candidates.spell_id,
    )
    shape = ibis.schema(
        {
            "nhs_number": "string",
            "k1": "date",
            "k2": "date",
            "k3": "string",
            "kind": "int64",
            "p_dis": "date",
            "p_ok": "boolean",
            "q_id": "string",
        }
    )
    events = discharges.cast(shape).union(queries.cast(shape), distinct=False)
    order = [events.k1, events.k2, events.k3, events.kind]
    cumulative = ibis.window(group_by=events.nhs_number, order_by=order, rows=(None, 0))
    events = events.mutate(grp=events.kind.sum().over(cumulative))
    per_group = ibis.window(group_by=[events.nhs_number, events.grp])
    events = events.mutate(
        prev_dis=events.p_dis.max().over(per_group),
        prev_ok=events.p_ok.cast("int8").max().over(per_group),
    )
    window = settings.readmission_window_days
    hits = events.filter(
        (events.kind == 0)
        & events.prev_dis.notnull()
        & (events.prev_ok == 1)
        & (events.k1 <= events.prev_dis + ibis.interval(days=window))
    ).select(_key=events.q_id)
    flagged = candidates.semi_join(hits, candidates.spell_id == hits._key)
    rule = "emergency_readmission_30d"
    return [findings(flagged, rule, "apc", settings.periods(rule))]
