"""Patient experience as published: small numbers suppressed with the disclosure setting.

For each quarter and domain a locality's results form one table of counts: a row per practice,
two cells (answered positively, did not) whose row total is the practice's responses and whose
column totals give the locality. `pbc.stats.suppress` applies the disclosure rule to it: primary
suppression of small counts, secondary suppression so that no hidden count can be worked out
from the published totals, then rounding. What is shown follows from what survives:

- a practice's responses when its row total is published (rounded);
- its percentage positive, 95% interval and comparison with the locality only when both its
  cells are published (a percentage of a hidden count would give the count away);
- the locality's responses when the grand total is published, and its percentage and interval
  when both column totals are too (with one practice, when that practice's row is shown);
- a practice is compared with the locality only when both figures are published.

Percentages and intervals come from the unrounded counts, as on the indicator pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbc import stats
from pbc.services.experience import DomainResult
from pbc.services.reports import Rate
from pbc.stats import DisclosureRule


@dataclass(frozen=True)
class PublishedPractice:
    practice_code: str
    practice_name: str
    responses: int | None  # rounded; None when withheld
    rate: Rate | None  # None when suppressed
    comparison: str | None


@dataclass(frozen=True)
class PublishedDomain:
    domain: str
    label: str
    responses: int | None
    locality: Rate | None
    practices: list[PublishedPractice]

    @property
    def suppressed(self) -> int:
        return sum(p.rate is None for p in self.practices)


def publish(results: list[DomainResult], rule: DisclosureRule) -> list[PublishedDomain]:
    out = []
    for d in results:
        if not d.practices:
            out.append(PublishedDomain(d.domain, d.label, None, None, []))
            continue
        counts = [[p.rate.numerator, p.rate.denominator - p.rate.numerator] for p in d.practices]
        table = stats.suppress(counts, rule)
        single = len(d.practices) == 1
        shown = [all(cell is not None for cell in table.cells[i]) for i in range(len(d.practices))]
        # a one-row table's column totals would repeat its cells: the practice is the locality
        locality_shown = (
            shown[0]
            if single
            else table.grand_total is not None
            and all(total is not None for total in table.column_totals)
        )
        locality = d.locality if locality_shown else None
        practices = [
            PublishedPractice(
                p.practice_code,
                p.practice_name,
                table.row_totals[i],
                p.rate if shown[i] else None,
                p.comparison if shown[i] and locality is not None else None,
            )
            for i, p in enumerate(d.practices)
        ]
        out.append(PublishedDomain(d.domain, d.label, table.grand_total, locality, practices))
    return out
