"""Validation participation of a locality's practices and its providers' data quality over
time (issue 20, item 7): reads the findings, their decisions and the import records, and hands
them to `pbc.analytics.validation.participation`. Aggregates only (no patient rows).

The plan: "Locality GP practices continue to validate secondary care activity ... Most practices
are participating." A practice reviewed a finding when one of its own users (a practice user
of that practice) accepted, challenged or asked about it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pbc.analytics.validation import participation as pt
from pbc.imports import queries as imports
from pbc.orgs.models import Locality, Membership
from pbc.orgs.roles import Role
from pbc.periods import financial_year_of, months_of_year
from pbc.validation.models import Decision, Finding

REVIEW_ACTIONS = (
    Decision.Action.ACCEPT,
    Decision.Action.CHALLENGE,
    Decision.Action.MORE_INFORMATION,
)


@dataclass(frozen=True)
class Report:
    year: str
    months: list[dt.date]
    participation: pt.Participation
    names: dict[str, str]
    trend: dict[str, dict[dt.date, pt.ProviderMonth]]
    unattributed: int  # quarantined rows of imports spanning several providers or months


def finding_rows(locality: Locality, months: list[dt.date]) -> list[pt.FindingRow]:
    findings = list(
        Finding.objects.filter(practice__locality=locality, month__in=months).values_list(
            "pk", "practice_id", "practice_code", "provider_code", "month", "amount"
        )
    )
    members = set(
        Membership.objects.filter(role=Role.PRACTICE_USER, practice__locality=locality).values_list(
            "user_id", "practice_id"
        )
    )
    reviewed = {
        finding_id
        for finding_id, user_id, practice_id in Decision.objects.filter(
            finding__practice__locality=locality,
            finding__month__in=months,
            action__in=REVIEW_ACTIONS,
        ).values_list("finding_id", "user_id", "finding__practice_id")
        if (user_id, practice_id) in members
    }
    return [
        pt.FindingRow(practice, provider, month, amount, pk in reviewed)
        for pk, _, practice, provider, month, amount in findings
    ]


def latest_year(locality: Locality) -> str | None:
    month = (
        Finding.objects.filter(practice__locality=locality)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return financial_year_of(month) if month else None


def report(locality: Locality, year: str) -> Report:
    months = months_of_year(year)
    rows = finding_rows(locality, months)
    practices = list(locality.practices.order_by("code").values_list("code", "name"))
    pct = locality.pct.code
    runs = [
        (partitions, rejected)
        for partitions, rejected in imports.rejected_rows_by_run()
        if any(pt.partition_of(p).get("commissioner_code") in (pct, None) for p in partitions)
    ]
    quarantine = pt.quarantine_by_provider(runs)
    return Report(
        year=year,
        months=months,
        participation=pt.participation(rows, [c for c, _ in practices], months),
        names=dict(practices),
        trend=pt.provider_trend(rows, quarantine, months),
        unattributed=quarantine.get((pt.SEVERAL, None), 0),
    )
