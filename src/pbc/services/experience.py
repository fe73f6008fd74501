"""Patient experience: survey results per practice for the Dacorum plan's seven domains.

A survey file (CSV or XLSX) for one locality and quarter has one row per practice and domain:
`gp_practice_code`, `domain` (the domain's key or its name, e.g. "Privacy and dignity"),
`responses` (people who answered) and `positive` (answered positively). It is stored whole or
not at all.

Each practice's percentage positive has a Wilson 95% interval (`pbc.stats.proportion_ci`). The
locality figure pools every practice's answers. A practice is "better" or "worse" than the
locality when the locality's percentage lies outside the practice's interval, else "similar";
fewer than 30 responses are shown but not compared (too few to say).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pbc.orgs.models import Locality
from pbc.services.models import SurveyAction, SurveyResult
from pbc.services.reports import Rate, rate
from pbc.services.return_templates import Column, ReturnTemplate
from pbc.services.validation import normalise_choice

DOMAINS = [(value, label) for value, label in SurveyResult.Domain.choices]
MIN_RESPONSES_TO_COMPARE = 30


def _positive_within(row: dict[str, object]) -> list[tuple[str, str]]:
    positive, responses = row.get("positive"), row.get("responses")
    if isinstance(positive, int) and isinstance(responses, int) and positive > responses:
        return [("positive", f"is more than the {responses} responses")]
    return []


SURVEY_TEMPLATE = ReturnTemplate(
    key="patient-survey",
    name="Patient experience survey",
    frequency="quarterly",
    provider_kinds=(),
    columns=(
        Column("gp_practice_code", "GP practice", "practice"),
        Column(
            "domain",
            "Domain",
            "choice",
            choices=tuple(SurveyResult.Domain.values)
            + tuple(normalise_choice(label) for _, label in DOMAINS),
        ),
        Column("responses", "Responses", "integer"),
        Column("positive", "Positive responses", "integer"),
    ),
    row_checks=(_positive_within,),
    unique=("gp_practice_code", "domain"),
)
DOMAIN_BY_NAME = {normalise_choice(label): value for value, label in DOMAINS}


def canonical_domain(value: str) -> str:
    return DOMAIN_BY_NAME.get(value, value)


@dataclass(frozen=True)
class PracticeResult:
    practice_code: str
    practice_name: str
    rate: Rate
    comparison: str  # "better", "similar", "worse", "too few"


@dataclass(frozen=True)
class DomainResult:
    domain: str
    label: str
    locality: Rate
    practices: list[PracticeResult]


def compare(practice: Rate, locality: Rate) -> str:
    if practice.interval is None or locality.interval is None:
        return "too few"
    if practice.denominator < MIN_RESPONSES_TO_COMPARE:
        return "too few"
    if locality.interval.value < practice.interval.lower:
        return "better"
    if locality.interval.value > practice.interval.upper:
        return "worse"
    return "similar"


def quarter_results(locality: Locality, quarter: dt.date) -> list[DomainResult]:
    rows = list(
        SurveyResult.objects.filter(practice__locality=locality, quarter=quarter).select_related(
            "practice"
        )
    )
    results = []
    for domain, label in DOMAINS:
        mine = [r for r in rows if r.domain == domain]
        pooled = rate(sum(r.positive for r in mine), sum(r.responses for r in mine))
        practices = [
            PracticeResult(
                r.practice.code,
                r.practice.name,
                rate(r.positive, r.responses),
                compare(rate(r.positive, r.responses), pooled),
            )
            for r in sorted(mine, key=lambda r: r.practice.code)
        ]
        results.append(DomainResult(domain, label, pooled, practices))
    return results


def quarters_with_results(locality: Locality) -> list[dt.date]:
    return sorted(
        set(
            SurveyResult.objects.filter(practice__locality=locality).values_list(
                "quarter", flat=True
            )
        ),
        reverse=True,
    )


def actions_for(locality: Locality, quarter: dt.date | None = None) -> list[SurveyAction]:
    query = SurveyAction.objects.filter(locality=locality).select_related("practice")
    if quarter is not None:
        query = query.filter(quarter=quarter)
    return list(query)
