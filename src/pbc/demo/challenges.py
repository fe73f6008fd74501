"""The validation demo's work in progress: findings reviewed, challenged, signed off, answered.

After the findings are stored, the demo's two Dacorum practice users review some of their
findings of October to December 2008 (the last whole quarter invoiced in the demo), the
locality manager signs off most of the challenges, and West Hertfordshire Hospitals (RWG)
answers its schedule, so that every workflow page has rows: findings to review and decided,
challenges awaiting sign-off, schedules awaiting a response, agreed, disputed and written-off
challenges, and the recoveries the statements count.

Every step goes through `pbc.validation.actions` as the pages do (permission checks, decisions
and audit events). Deterministic (findings in key order) and done once: nothing is done when
any decision has been recorded already (a rebuild keeps what users did on the site).

Per practice: up to 6 challenges (findings on RWG first, the rules a practice challenges on the
invoice), 3 accepted charges and 1 question. The locality signs off all but the last challenge
of each practice; RWG leaves the last on its schedule unanswered, disputes the second and third
it answers and every other one after the fourth, and agrees to the rest (the fourth, eighth...
at half the amount); the locality writes off the first disputed challenge when more than one
is disputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model

from pbc.orgs.models import Membership, Provider
from pbc.validation import actions
from pbc.validation.models import Decision, Finding, Status

PRACTICE_USERS = ("practice", "practice2")
LOCALITY_USER = "locality"
PROVIDER_USER, PROVIDER = "provider", "RWG"
QUARTER = (dt.date(2008, 10, 1), dt.date(2008, 12, 1))  # first and last month reviewed
CHALLENGES, ACCEPTED, QUESTIONS = 6, 3, 1
UNANSWERED = 1  # signed-off challenges on RWG's schedule still awaiting its response
# The rules a practice challenges on the invoice (not the clinical-review queue).
CHALLENGE_RULES = (
    "duplicate_spell",
    "duplicate_first_attendance",
    "not_registered_in_pct",
    "invalid_nhs_number",
    "follow_up_without_first",
    "op_procedure_as_day_case",
    "zero_day_elective_as_inpatient",
    "unsupported_excess_bed_days",
    "short_stay_not_applied",
    "c2c_without_gp_approval",
    "over_cap_follow_up_ratio",
)
REASONS = {
    "duplicate_spell": "The same admission is charged twice.",
    "duplicate_first_attendance": "Second first attendance on the same day: one visit.",
    "not_registered_in_pct": "Not our patient on the day: registered outside West Herts.",
    "invalid_nhs_number": "No valid NHS number: the patient cannot be confirmed as ours.",
    "follow_up_without_first": "No first attendance in this specialty: charge as a first?",
    "op_procedure_as_day_case": "Outpatient procedure: charge the outpatient price.",
    "zero_day_elective_as_inpatient": "No overnight stay: charge as a day case.",
    "unsupported_excess_bed_days": "Excess bed days beyond the length of stay.",
    "short_stay_not_applied": "Short stay: the emergency adjustment applies.",
    "c2c_without_gp_approval": "Consultant-to-consultant referral without our approval.",
    "over_cap_follow_up_ratio": "Follow-ups above the agreed ratio for this specialty.",
}
QUESTION = "Please send the discharge summary: we cannot match this to our records."


def _user(username: str) -> object | None:
    return get_user_model().objects.filter(username=username).first()


def _practice_work(user: object, practice_id: int) -> tuple[list[Finding], int]:
    """The practice's decisions; returns its challenges and how many findings it decided."""
    base = Finding.objects.filter(
        practice_id=practice_id,
        status=Status.OPEN,
        still_flagged=True,
        in_force=True,
        month__gte=QUARTER[0],
        month__lte=QUARTER[1],
    )
    candidates = list(base.filter(rule_id__in=CHALLENGE_RULES).order_by("key"))
    on_provider = [f for f in candidates if f.provider_code == PROVIDER]
    others = [f for f in candidates if f.provider_code != PROVIDER]
    to_challenge = (on_provider + others)[:CHALLENGES]
    rest = [f for f in base.order_by("key") if f not in to_challenge]
    for finding in to_challenge:
        actions.decide(user, finding.pk, "challenge", REASONS[finding.rule_id])
    for finding in rest[:ACCEPTED]:
        actions.decide(user, finding.pk, "accept")
    for finding in rest[ACCEPTED : ACCEPTED + QUESTIONS]:
        actions.decide(user, finding.pk, "more_information", QUESTION)
    decided = len(to_challenge) + len(rest[: ACCEPTED + QUESTIONS])
    return to_challenge, decided


def _answer(provider_user: object, signed_off: list[Finding]) -> tuple[int, int]:
    """RWG's response file (see the module's docstring). Returns (agreed, disputed)."""
    provider = Provider.objects.filter(code=PROVIDER).first()
    # In key order, so that which are agreed, disputed or part-recovered is the same each build.
    on_schedule = sorted(
        (f for f in signed_off if f.provider_code == PROVIDER), key=lambda f: f.key
    )
    on_schedule = on_schedule[: len(on_schedule) - UNANSWERED]  # the last await the response
    if provider is None or not on_schedule:
        return 0, 0
    rows = []
    for i, finding in enumerate(on_schedule, start=1):
        finding.refresh_from_db()
        if i not in (2, 3) and (i < 4 or i % 2 == 0):
            half = (finding.challenged_amount / 2).quantize(Decimal("0.01"))
            amount = half if i % 4 == 0 and half > 0 else None
            rows.append(actions.ResponseRow(i, finding.key, "agreed", "", amount))
        else:
            reason = "Coded as recorded in the notes; the charge stands."
            rows.append(actions.ResponseRow(i, finding.key, "disputed", reason))
    record = actions.record_responses(provider_user, provider, rows, "rwg-responses-2009-01.csv")
    return record.agreed, record.disputed


def load(report: Callable[[str], None] = print) -> None:
    if Decision.objects.exists():
        report("challenges: decisions already recorded, left as they are")
        return
    locality_user = _user(LOCALITY_USER)
    provider_user = _user(PROVIDER_USER)
    to_sign: list[Finding] = []
    decided = 0
    for username in PRACTICE_USERS:
        user = _user(username)
        membership = Membership.objects.filter(user=user, practice__isnull=False).first()
        if user is None or membership is None or membership.practice_id is None:
            continue
        challenged, count = _practice_work(user, membership.practice_id)
        decided += count
        to_sign += challenged[:-1]  # the last challenge of each practice awaits sign-off
    signed = actions.sign_off(locality_user, [f.pk for f in to_sign]) if to_sign else []
    agreed, disputed = _answer(provider_user, signed) if provider_user else (0, 0)
    disputed_findings = Finding.objects.filter(
        pk__in=[f.pk for f in signed], status=Status.DISPUTED
    ).order_by("key")
    first_disputed = disputed_findings.first()
    if first_disputed is not None and disputed_findings.count() > 1:  # one stays disputed
        actions.write_off(
            locality_user,
            first_disputed.pk,
            "Evidence supports the provider's coding: not worth taking to arbitration.",
        )
    report(
        f"challenges: {decided} findings decided, {len(signed)} challenges signed off, "
        f"{agreed} agreed and {disputed} disputed by {PROVIDER}"
    )
