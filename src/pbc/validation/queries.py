"""What other apps read of validation findings, as plain data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum

from pbc.analytics.validation import RULES
from pbc.orgs.models import Locality
from pbc.validation.models import Decision, Finding, Status


@dataclass(frozen=True)
class LedgerRow:
    key: str
    label: str
    findings: int
    at_stake: Decimal
    to_review: int
    accepted: int
    challenges: int
    challenged: Decimal
    agreed: Decimal
    recovered: Decimal
    written_off: Decimal


@dataclass(frozen=True)
class Ledger:
    """A locality's findings on activity from `start` to `end` (the ledger page's scope for a
    locality: its practices' findings), summed by rule (largest amount at stake first), by
    provider, in total, and for the month `end` alone."""

    start: dt.date
    end: dt.date
    by_rule: list[LedgerRow]
    by_provider: list[LedgerRow]
    total: LedgerRow
    this_month: LedgerRow

    @property
    def empty(self) -> bool:
        return self.total.findings == 0


SUMS: dict[str, Any] = {
    "findings": Count("id"),
    "at_stake": Sum("amount"),
    "to_review": Count("id", filter=Q(status__in=[Status.OPEN, Status.MORE_INFORMATION])),
    "accepted": Count("id", filter=Q(status=Status.ACCEPTED)),
    "challenges": Count(
        "id",
        filter=Q(
            status__in=[
                Status.CHALLENGED,
                Status.SIGNED_OFF,
                Status.AGREED,
                Status.DISPUTED,
                Status.WRITTEN_OFF,
            ]
        ),
    ),
    "challenged": Sum("challenged_amount"),
    "agreed": Sum("agreed_amount"),
    "recovered": Sum("recovered_amount"),
    "written_off": Sum("written_off_amount"),
}


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _row(key: str, label: str, sums: dict[str, Any]) -> LedgerRow:
    return LedgerRow(
        key=key,
        label=label,
        findings=sums["findings"] or 0,
        at_stake=_money(sums["at_stake"]),
        to_review=sums["to_review"] or 0,
        accepted=sums["accepted"] or 0,
        challenges=sums["challenges"] or 0,
        challenged=_money(sums["challenged"]),
        agreed=_money(sums["agreed"]),
        recovered=_money(sums["recovered"]),
        written_off=_money(sums["written_off"]),
    )


def locality_ledger(locality: Locality, start: dt.date, end: dt.date) -> Ledger:
    findings = Finding.objects.filter(practice__locality=locality, month__gte=start, month__lte=end)
    titles = {r.id: r.title for r in RULES.values()}
    by_rule = [
        _row(r["rule_id"], titles.get(r["rule_id"], r["rule_id"]), r)
        for r in findings.values("rule_id").annotate(**SUMS).order_by("rule_id")
    ]
    by_rule.sort(key=lambda row: (-row.at_stake, row.key))
    names = dict(
        Finding.objects.filter(provider__isnull=False)
        .values_list("provider_code", "provider__name")
        .distinct()
    )
    by_provider = [
        _row(r["provider_code"], names.get(r["provider_code"], r["provider_code"]), r)
        for r in findings.values("provider_code").annotate(**SUMS).order_by("provider_code")
    ]
    total = _row("total", "Total", findings.aggregate(**SUMS))
    this_month = _row("month", f"{end:%B %Y}", findings.filter(month=end).aggregate(**SUMS))
    return Ledger(start, end, by_rule, by_provider, total, this_month)


def recoveries_agreed_since(since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many findings with money recovered a provider agreed after `since`, and when the
    latest was agreed (what the finance statements credit: `pbc.validation.finance`)."""
    agreed = Decision.objects.filter(
        action=Decision.Action.AGREE, at__gt=since, finding__recovered_amount__gt=0
    ).aggregate(n=Count("finding", distinct=True), latest=Max("at"))
    return int(agreed["n"] or 0), agreed["latest"]


@dataclass(frozen=True)
class Tally:
    """How many findings, and the money in them."""

    n: int
    amount: Decimal


def _count(qs: Any, field: str = "amount") -> Tally:
    sums = qs.aggregate(n=Count("id"), amount=Sum(field))
    return Tally(sums["n"] or 0, _money(sums["amount"]))


def to_review(practice_codes: list[str]) -> dict[str, Tally]:
    """For each of these practices with findings waiting for its decision (open or more
    information asked, still flagged): how many and the money at stake."""
    rows = (
        Finding.objects.filter(
            practice__code__in=practice_codes,
            status__in=(Status.OPEN, Status.MORE_INFORMATION),
            still_flagged=True,
        )
        .values("practice__code")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    return {r["practice__code"]: Tally(r["n"], _money(r["amount"])) for r in rows}


def awaiting_sign_off(locality: Locality) -> Tally:
    """The locality's challenges waiting for its sign-off, and the money challenged."""
    qs = Finding.objects.filter(practice__locality=locality, status=Status.CHALLENGED)
    return _count(qs, "challenged_amount")


def awaiting_provider(provider_code: str) -> Tally:
    """Signed-off challenges to the provider that it has not answered, and the money."""
    qs = Finding.objects.filter(provider_code=provider_code, status=Status.SIGNED_OFF)
    return _count(qs, "challenged_amount")
