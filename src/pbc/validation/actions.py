"""Business writes of the challenge process: one function per action, each atomic and audited.

- `decide`: a practice user (or PCT analyst) accepts a finding's charge, challenges it with a
  reason, or asks for more information. Only open findings or those awaiting information can be
  decided; the caller may pass the `version` it saw (optimistic locking).
- `sign_off`: the locality (or a PCT analyst) signs off challenged findings: they go on the
  provider's challenge schedule.
- `record_responses`: the provider's answers to its schedule (agreed, disputed with reason),
  uploaded by the provider's own user or a PCT analyst. The provider's user answers every
  challenge to that provider; a PCT analyst only its own PCT's (`response_scope`): another
  PCT's finding in the file is refused as "not on the schedule", like an unknown key. Agreed money is recovered through the
  next contract payment, so the recovery is recorded with the agreement; a partial agreement
  writes off the rest.
- `write_off`: the locality or an analyst drops a disputed challenge.
- `store_findings`: copy the rules' findings in (used by `refresh`): new keys are added,
  existing ones get the rule's latest figures, decisions are never touched.
- `raise_findings`: a PCT analyst puts findings another part of pbc makes (any willing
  provider: a return or invoice from a provider not accredited that month) into the same
  challenge process, as findings of the PCT with no practice (`RAISED_DATASETS`); the rules'
  refresh never marks them gone.

Each raises `ActionRefused` (nothing written) when the user lacks the permission for the
finding's organisation or the finding is not in a state the action applies to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pbc.bulk import insert_rows
from pbc.orgs import audit
from pbc.orgs.access import has_permission, memberships
from pbc.orgs.models import Pct, Practice, Provider
from pbc.orgs.roles import Permission, Role
from pbc.validation.models import Decision, Finding, ResponseImport, Status

ZERO = Decimal("0.00")
DECIDABLE = (Status.OPEN, Status.MORE_INFORMATION)
PRACTICE_DECISIONS = {
    "accept": (Decision.Action.ACCEPT, Status.ACCEPTED),
    "challenge": (Decision.Action.CHALLENGE, Status.CHALLENGED),
    "more_information": (Decision.Action.MORE_INFORMATION, Status.MORE_INFORMATION),
}


class ActionRefused(Exception):
    """The action is not allowed for this user or this finding; nothing was written."""


# Findings raised by hand from other parts of pbc (not by the validation rules), by dataset:
# the rules' refresh leaves them alone.
RAISED_DATASETS = ("awp",)
RAISED_RULE_TITLES = {
    "awp-return-not-accredited": "Any willing provider: a return from a provider not accredited",
    "awp-invoice-not-accredited": "Any willing provider: an invoice from a provider not accredited",
}


@dataclass(frozen=True)
class RaisedFinding:
    """A finding made outside the rules: one provider's charge for one month."""

    rule_id: str  # a `RAISED_RULE_TITLES` key
    dataset: str  # a `RAISED_DATASETS` value
    row_id: str  # unique within the rule and dataset
    provider_code: str
    month: dt.date
    amount: Decimal
    detail: str


@transaction.atomic
def raise_findings(user: Any, pct: Pct, raised: Sequence[RaisedFinding]) -> list[Finding]:
    """Put findings into the challenge process as the PCT's findings with no practice (its
    analysts challenge and sign them off on the PCT's page; the provider answers them on its
    schedule). A finding already raised (same key) is left as it is. Returns the new ones."""
    _require(user, Permission.REVIEW_FINDINGS, pct)
    providers = {
        p.code: p for p in Provider.objects.filter(code__in={r.provider_code for r in raised})
    }
    created = []
    for r in raised:
        if r.rule_id not in RAISED_RULE_TITLES or r.dataset not in RAISED_DATASETS:
            raise ActionRefused(f"{r.rule_id} on {r.dataset} is not a finding pbc raises")
        if r.amount < 0:
            raise ActionRefused(f"{r.row_id}: the amount {r.amount} is negative")
        key = f"{r.rule_id}:{r.dataset}:{r.row_id}"
        if Finding.objects.filter(key=key).exists():
            continue
        amount = r.amount.quantize(Decimal("0.01"))
        finding = Finding.objects.create(
            key=key,
            rule_id=r.rule_id,
            dataset=r.dataset,
            row_id=r.row_id,
            pct=pct,
            provider=providers.get(r.provider_code),
            provider_code=r.provider_code,
            commissioner_code=pct.code,
            month=r.month,
            activity_date=r.month,
            charged_price=amount,
            amount=amount,
            detail=r.detail,
        )
        audit.record(user, "create", finding, after=finding.snapshot(), detail=r.detail)
        created.append(finding)
    return created


def _user_name(user: Any) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


def _require(user: Any, permission: Permission, obj: Any) -> None:
    if not has_permission(user, permission, obj):
        raise ActionRefused(f"You do not have permission to do this ({permission.value}).")


def _step(
    user: Any,
    finding: Finding,
    action: str,
    before: dict[str, Any],
    reason: str = "",
    amount: Decimal | None = None,
) -> None:
    finding.version += 1
    finding.save()
    Decision.objects.create(
        finding=finding,
        action=action,
        reason=reason,
        amount=amount,
        user=user if user is not None and user.is_authenticated else None,
        username=_user_name(user),
    )
    audit.record(
        user, "update", finding, before=before, after=finding.snapshot(), detail=f"{action}"
    )


@transaction.atomic
def decide(
    user: Any, finding_id: int, decision: str, reason: str = "", version: int | None = None
) -> Finding:
    """The practice's decision on one finding: "accept", "challenge" or "more_information"."""
    if decision not in PRACTICE_DECISIONS:
        raise ActionRefused(f"Unknown decision {decision!r}.")
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("practice__locality")
        .get(pk=finding_id)
    )
    _require(user, Permission.REVIEW_FINDINGS, finding)
    if version is not None and version != finding.version:
        raise ActionRefused(
            "Someone else changed this finding while you were looking at it: check it again."
        )
    if finding.status not in DECIDABLE:
        raise ActionRefused(f"This finding is already {finding.get_status_display().lower()}.")
    reason = reason.strip()
    if decision in ("challenge", "more_information") and not reason:
        raise ActionRefused("Say why: a challenge or a question needs a reason.")
    if decision == "challenge" and not finding.in_force:
        raise ActionRefused(
            "This rule was not in force on the invoice date: the finding is information only."
        )
    action, status = PRACTICE_DECISIONS[decision]
    before = finding.snapshot()
    finding.status = status
    finding.reason = reason
    if status == Status.CHALLENGED:
        finding.challenged_amount = finding.amount
    _step(user, finding, action, before, reason, finding.challenged_amount or None)
    return finding


@transaction.atomic
def sign_off(user: Any, finding_ids: Iterable[int]) -> list[Finding]:
    """Sign off challenged findings (all or nothing): they join the providers' schedules."""
    findings = list(
        Finding.objects.select_for_update(of=("self",))
        .select_related("practice__locality")
        .filter(pk__in=list(finding_ids))
        .order_by("pk")
    )
    if not findings:
        raise ActionRefused("Choose at least one challenge to sign off.")
    for finding in findings:
        _require(user, Permission.SIGN_OFF_CHALLENGES, finding)
        if finding.status != Status.CHALLENGED:
            raise ActionRefused(f"{finding.key} is not awaiting sign-off.")
    for finding in findings:
        before = finding.snapshot()
        finding.status = Status.SIGNED_OFF
        _step(user, finding, Decision.Action.SIGN_OFF, before, amount=finding.challenged_amount)
    return findings


@transaction.atomic
def write_off(user: Any, finding_id: int, reason: str) -> Finding:
    """Drop a disputed challenge: the challenged money is written off."""
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("practice__locality")
        .get(pk=finding_id)
    )
    _require(user, Permission.SIGN_OFF_CHALLENGES, finding)
    if finding.status != Status.DISPUTED:
        raise ActionRefused("Only a disputed challenge can be written off.")
    if not reason.strip():
        raise ActionRefused("Say why the challenge is written off.")
    before = finding.snapshot()
    finding.status = Status.WRITTEN_OFF
    finding.written_off_amount = finding.challenged_amount - finding.agreed_amount
    _step(
        user, finding, Decision.Action.WRITE_OFF, before, reason.strip(), finding.written_off_amount
    )
    return finding


def response_scope(user: Any, provider: Provider) -> Q:
    """The findings on `provider`'s challenge schedule that `user` may see and answer.

    The provider's own users: every finding on the provider. A PCT analyst: the findings of its
    own PCT only (the patient's practice's PCT, or the invoiced PCT for a row of no known
    practice), never another PCT's, although every PCT commissions from every provider.
    Anyone else: none."""
    scope = Q(pk__in=[])
    for m in memberships(user):
        if Permission.RECORD_PROVIDER_RESPONSE not in Role(m.role).permissions:
            continue
        if m.provider_id is not None and m.provider_id == provider.pk:
            scope |= Q(pk__isnull=False)
        elif m.pct_id is not None:
            scope |= Q(practice__locality__pct_id=m.pct_id) | Q(
                practice__isnull=True, pct_id=m.pct_id
            )
    return Q(provider_code=provider.code) & scope


@dataclass(frozen=True)
class ResponseRow:
    """One line of a provider's response file (source line number for error messages)."""

    line: int
    finding_key: str
    response: str  # "agreed" or "disputed"
    reason: str = ""
    amount_agreed: Decimal | None = None


@transaction.atomic
def record_responses(
    user: Any, provider: Provider, rows: Sequence[ResponseRow], source_name: str
) -> ResponseImport:
    """Apply a provider's responses. Every row is checked first; any error refuses the whole
    file (ActionRefused listing the errors) so a file is never half applied."""
    _require(user, Permission.RECORD_PROVIDER_RESPONSE, provider)
    keys = [r.finding_key for r in rows]
    found = {
        f.key: f
        for f in Finding.objects.select_for_update(of=("self",))
        .filter(response_scope(user, provider), key__in=keys)
        .order_by("pk")
    }
    errors: list[str] = []
    seen: set[str] = set()
    for r in rows:
        where = f"line {r.line}"
        finding = found.get(r.finding_key)
        if r.finding_key in seen:
            errors.append(f"{where}: {r.finding_key} appears twice")
        seen.add(r.finding_key)
        if finding is None or finding.provider_code != provider.code:
            errors.append(
                f"{where}: {r.finding_key or '(blank)'} is not on {provider.code}'s schedule"
            )
            continue
        if finding.status not in (Status.SIGNED_OFF, Status.DISPUTED):
            errors.append(f"{where}: {r.finding_key} is not awaiting a response")
        if r.response not in ("agreed", "disputed"):
            errors.append(f"{where}: response must be agreed or disputed, not {r.response!r}")
        if r.response == "disputed" and not r.reason.strip():
            errors.append(f"{where}: a dispute needs a reason")
        if r.amount_agreed is not None and not (
            ZERO < r.amount_agreed <= finding.challenged_amount
        ):
            errors.append(
                f"{where}: amount agreed must be above 0 and at most {finding.challenged_amount}"
            )
    if not rows:
        errors.append("the file has no responses")
    if errors:
        raise ActionRefused("; ".join(errors))
    record = ResponseImport.objects.create(
        provider=provider,
        source_name=source_name[:255],
        user=user if user is not None and user.is_authenticated else None,
        rows_read=len(rows),
    )
    for r in rows:
        finding = found[r.finding_key]
        before = finding.snapshot()
        finding.provider_reason = r.reason.strip()
        if r.response == "agreed":
            agreed = r.amount_agreed if r.amount_agreed is not None else finding.challenged_amount
            finding.status = Status.AGREED
            finding.agreed_amount = agreed
            finding.recovered_amount = agreed
            finding.written_off_amount = finding.challenged_amount - agreed
            record.agreed += 1
            _step(user, finding, Decision.Action.AGREE, before, finding.provider_reason, agreed)
        else:
            finding.status = Status.DISPUTED
            record.disputed += 1
            _step(user, finding, Decision.Action.DISPUTE, before, finding.provider_reason)
    record.save()
    audit.record(
        user,
        "import",
        record,
        after={"agreed": record.agreed, "disputed": record.disputed},
        detail=f"provider responses {source_name}",
    )
    return record


@dataclass(frozen=True)
class StoreResult:
    created: int
    updated: int
    unchanged: int
    no_longer_flagged: int


def _text(value: Any) -> str:
    """A string column value; None / NaN (a missing value from a data frame) -> ""."""
    return value if isinstance(value, str) else ""


FIGURES = (
    "charged_price", "amount", "in_force", "nhs_number", "month", "activity_date", "detail",
)  # fmt: skip


@transaction.atomic
def store_findings(
    records: Sequence[dict[str, Any]], month: dt.date | None = None, user: Any = None
) -> StoreResult:
    """Upsert findings by key. `records` are rows of `pbc.analytics.validation.FINDING_SCHEMA`.

    Existing findings keep their status, reasons and money of the challenge; only the rule's
    figures are refreshed. Findings of the same scope (the month, or everything) that the rules
    no longer produce are marked `still_flagged = False`, never deleted (they may carry
    decisions)."""
    practices = {p.code: p for p in Practice.objects.all()}
    providers = {p.code: p for p in Provider.objects.all()}
    pcts = {p.code: p for p in Pct.objects.all()}
    keys = [f"{r['rule_id']}:{r['dataset']}:{r['row_id']}" for r in records]
    existing: dict[str, Finding] = {}
    # Into an empty table (a new database, the demo's first build) every finding is new and
    # none can have gone: the look-ups below are skipped.
    any_stored = Finding.objects.exists()
    for start in range(0, len(keys) if any_stored else 0, 5000):
        chunk = keys[start : start + 5000]
        existing.update({f.key: f for f in Finding.objects.filter(key__in=chunk)})
    new: list[dict[str, Any]] = []
    changed: list[Finding] = []
    unchanged = 0
    now = timezone.now()
    for key, r in zip(keys, records, strict=True):
        values = {
            "charged_price": Decimal(r["charged_price"]).quantize(Decimal("0.01")),
            "amount": Decimal(r["amount"]).quantize(Decimal("0.01")),
            "in_force": bool(r["in_force"]),
            "nhs_number": _text(r["nhs_number"]),
            "month": r["month"],
            "activity_date": r["activity_date"],
            "detail": _text(r.get("detail")),
        }
        current = existing.get(key)
        if current is None:
            pct, practice = pcts.get(r["commissioner_code"]), practices.get(r["gp_practice_code"])
            provider = providers.get(r["provider_code"])
            new.append(
                {
                    "key": key,
                    "rule_id": r["rule_id"],
                    "dataset": r["dataset"],
                    "row_id": r["row_id"],
                    "pct_id": pct.pk if pct else None,
                    "practice_id": practice.pk if practice else None,
                    "practice_code": _text(r["gp_practice_code"]),
                    "provider_id": provider.pk if provider else None,
                    "provider_code": r["provider_code"],
                    "commissioner_code": _text(r["commissioner_code"]),
                    "first_found_at": now,
                    "last_found_at": now,
                    **values,
                }
            )
            continue
        if all(getattr(current, k) == v for k, v in values.items()) and current.still_flagged:
            unchanged += 1
            continue
        for k, v in values.items():
            setattr(current, k, v)
        current.still_flagged = True
        current.last_found_at = now
        changed.append(current)
    # In key order: the rules' rows come from the engine in no fixed order, and new findings'
    # ids (the order lists fall back on) should not depend on it.
    new.sort(key=lambda row: row["key"])
    insert_rows(Finding, new)
    Finding.objects.bulk_update(
        changed, [*FIGURES, "still_flagged", "last_found_at"], batch_size=2000
    )
    scope = Finding.objects.filter(still_flagged=True).exclude(dataset__in=RAISED_DATASETS)
    if month is not None:
        scope = scope.filter(month=month)
    produced = set(keys)
    stored = scope.values_list("pk", "key") if any_stored else []
    gone_ids = [pk for pk, key in stored if key not in produced]
    n_gone = 0
    for start in range(0, len(gone_ids), 5000):
        n_gone += Finding.objects.filter(pk__in=gone_ids[start : start + 5000]).update(
            still_flagged=False
        )
    result = StoreResult(len(new), len(changed), unchanged, n_gone)
    audit.record(
        user,
        "import",
        None,
        after=result.__dict__,
        detail=f"validation findings{f' for {month:%Y-%m}' if month else ''}",
    )
    return result
