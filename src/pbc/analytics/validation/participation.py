"""Validation participation and providers' data quality over time (issue 20, item 7). Plain
Python over rows the app reads; no Django.

- **Participation.** For each month of findings (the month of the activity found), a practice
  *took part* when it reviewed at least one of its findings of that month (a decision by one of
  its own users: accepted, challenged or asked about). The month's figure is the practices that
  took part over the practices that had findings that month.
- **Quarantine by provider.** An import's rejected rows count for a provider and month when
  every partition the import wrote names that one provider and that one month (a provider's own
  monthly file, as SUS extracts and invoices arrive); an import spanning several providers or
  months cannot be split, and its rows count under `SEVERAL`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

SEVERAL = "(several)"


@dataclass(frozen=True)
class FindingRow:
    practice: str
    provider: str
    month: dt.date
    amount: Decimal
    reviewed: bool  # by one of the practice's own users


@dataclass
class PracticeMonth:
    findings: int = 0
    reviewed: int = 0

    @property
    def took_part(self) -> bool:
        return self.reviewed > 0


@dataclass
class Participation:
    months: list[dt.date]
    practices: list[str]
    cells: dict[tuple[str, dt.date], PracticeMonth] = field(default_factory=dict)

    def cell(self, practice: str, month: dt.date) -> PracticeMonth:
        return self.cells.get((practice, month), PracticeMonth())

    def month_figure(self, month: dt.date) -> tuple[int, int]:
        """(practices that took part, practices with findings) in the month."""
        with_findings = [p for p in self.practices if self.cell(p, month).findings]
        return sum(self.cell(p, month).took_part for p in with_findings), len(with_findings)


def participation(
    rows: Iterable[FindingRow], practices: Sequence[str], months: Sequence[dt.date]
) -> Participation:
    out = Participation(list(months), list(practices))
    wanted = set(months)
    for r in rows:
        if r.month not in wanted:
            continue
        cell = out.cells.setdefault((r.practice, r.month), PracticeMonth())
        cell.findings += 1
        cell.reviewed += r.reviewed
    return out


@dataclass
class ProviderMonth:
    findings: int = 0
    amount: Decimal = Decimal("0.00")
    quarantined: int = 0


def partition_of(name: str) -> dict[str, str]:
    """`period=2008-10/provider_code=RWG/...` -> {"period": "2008-10", "provider_code": ...}."""
    return dict(part.split("=", 1) for part in name.split("/") if "=" in part)


def quarantine_by_provider(
    runs: Iterable[tuple[Sequence[str], int]],
) -> dict[tuple[str, dt.date | None], int]:
    """(provider or SEVERAL, month or None) -> rejected rows, from (partitions, rows rejected)
    of each import."""
    out: dict[tuple[str, dt.date | None], int] = defaultdict(int)
    for partitions, rejected in runs:
        if not rejected:
            continue
        parts = [partition_of(p) for p in partitions]
        providers = {p.get("provider_code") for p in parts}
        months = {p.get("period") for p in parts}
        if len(providers) == 1 and len(months) == 1 and None not in providers | months:
            (provider,), (period,) = providers, months
            assert provider is not None and period is not None
            out[(provider, dt.date.fromisoformat(period + "-01"))] += rejected
        else:
            out[(SEVERAL, None)] += rejected
    return dict(out)


def provider_trend(
    rows: Iterable[FindingRow],
    quarantine: dict[tuple[str, dt.date | None], int],
    months: Sequence[dt.date],
) -> dict[str, dict[dt.date, ProviderMonth]]:
    """provider -> month -> findings (count, £) and quarantined rows, for `months`."""
    wanted = set(months)
    out: dict[str, dict[dt.date, ProviderMonth]] = defaultdict(dict)
    for r in rows:
        if r.month in wanted:
            cell = out[r.provider].setdefault(r.month, ProviderMonth())
            cell.findings += 1
            cell.amount += r.amount
    for (provider, month), rejected in quarantine.items():
        if month in wanted and provider != SEVERAL:
            out[provider].setdefault(month, ProviderMonth()).quarantined += rejected
    return {p: out[p] for p in sorted(out)}
