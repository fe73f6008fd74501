"""Rules from the PCT's local contract: consultant-to-consultant referrals that needed GP
approval, and follow-ups beyond the agreed new-to-follow-up cap."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pbc.analytics.periods import financial_year_of
from pbc.analytics.validation.common import ATTENDED, FIRST_ATTENDANCES, Inputs, findings
from pbc.analytics.validation.settings import ValidationSettings


def c2c_without_gp_approval(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """A routine first attendance referred consultant to consultant without the GP's approval
    (missing approval counts as not approved)."""
    op = inputs.op
    flagged = op.filter(
        op.first_attendance.isin(FIRST_ATTENDANCES)
        & (op.referral_source == "05")
        & (op.priority_type == "1")
        & ~op.gp_approval.fill_null(False)
    )
    rule = "c2c_without_gp_approval"
    return [findings(flagged, rule, "op", settings.periods(rule))]


def over_cap_follow_up_ratio(inputs: Inputs, settings: ValidationSettings) -> list[ir.Table]:
    """Per provider, treatment function and financial year, the attended follow-ups beyond
    floor(cap x attended first attendances): the latest ones (by date, then attendance id)."""
    op = inputs.op
    attended = op.filter(op.attended_or_did_not_attend.isin(ATTENDED)).mutate(
        _fy=financial_year_of(op.attendance_date),
        _first=op.first_attendance.isin(FIRST_ATTENDANCES),
    )
    cell = [attended.provider_code, attended.treatment_function_code, attended._fy]
    counted = attended.mutate(
        _n_first=attended._first.cast("int64").sum().over(ibis.window(group_by=cell)),
    )
    fups = counted.filter(~counted._first)
    caps_table = inputs.follow_up_caps
    by_pct = "commissioner_code" in caps_table.columns
    caps = caps_table.select(
        c_year="financial_year",
        c_tf="treatment_function_code",
        c_cap="follow_up_ratio_cap",
        c_pct=caps_table.commissioner_code if by_pct else ibis.null("string"),
    )
    # Each PCT agrees its own caps: a follow-up is held to its commissioner's cap (a list with
    # no commissioner applies to every one). The cell counted stays provider x treatment
    # function x year.
    on = [fups._fy == caps.c_year, fups.treatment_function_code == caps.c_tf]
    if by_pct:
        on.append(fups.commissioner_code == caps.c_pct)
    fups = fups.join(caps, on).drop("c_pct")
    fcell = [fups.provider_code, fups.treatment_function_code, fups._fy]
    latest_first = ibis.window(
        group_by=fcell, order_by=[fups.attendance_date.desc(), fups.attendance_id.desc()]
    )
    ranked = fups.mutate(
        _rank=ibis.row_number().over(latest_first),
        _n_fu=fups.attendance_id.count().over(ibis.window(group_by=fcell)),
        _allowed=(fups.c_cap.cast("float64") * fups._n_first + 1e-9).floor(),
    )
    flagged = ranked.filter(ranked._rank < ranked._n_fu - ranked._allowed)
    rule = "over_cap_follow_up_ratio"
    return [findings(flagged, rule, "op", settings.periods(rule))]
