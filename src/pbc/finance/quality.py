"""A contract's quality schedule (issue 20, item 3): measures with thresholds and the money
withheld when a month falls short, monitored from the provider's returns (the services app's
return standards, e.g. MRSA screening of elective admissions, contact within one working day)
or from an indicator at the provider (e.g. A&E within four hours).

- `add_measure(...)`: one action, scoped to the users who may manage the contract's PCT's
  budgets (`Permission.MANAGE_BUDGETS`), audited; refused with a message naming the field.
- `schedule(contract, through)`: each measure month by month from the contract year's first
  month to `through` (or the year's end), assessed by `pbc.analytics.finance.quality.assess`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from pbc.analytics.finance import quality as q
from pbc.finance.models import Contract, QualityMeasure
from pbc.indicators import definitions as indicator_definitions
from pbc.indicators import queries as indicators
from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.roles import Permission
from pbc.periods import months_of_year
from pbc.services import queries as services


class QualityError(ValueError):
    """A measure that cannot be added; the message names the field."""


def _percent(field: str, text: Any) -> Decimal:
    try:
        value = Decimal(str(text).strip().rstrip("%"))
    except InvalidOperation as err:
        raise QualityError(f"{field}: '{text}' is not a number") from err
    if not Decimal(0) <= value <= Decimal(100):
        raise QualityError(f"{field}: {value} is not a percentage from 0 to 100")
    return value.quantize(Decimal("0.01"))


def sources() -> list[tuple[str, str, str]]:
    """(source, key, label) a measure may be monitored from: every return standard and every
    indicator reported at provider level."""
    returns = [(QualityMeasure.Source.RETURN.value, k, label) for k, label in services.standards()]
    at_provider = [
        (QualityMeasure.Source.INDICATOR.value, d.id, f"Indicator: {d.title}")
        for d in indicator_definitions.catalogue().values()
        if "provider" in d.levels and d.statistic == "proportion"
    ]
    return returns + sorted(at_provider, key=lambda s: s[2])


def add_measure(
    user: Any,
    contract: Contract,
    *,
    name: str,
    category: str,
    source: str,
    threshold: Any,
    withheld_percent: Any,
) -> QualityMeasure:
    if not has_permission(user, Permission.MANAGE_BUDGETS, contract.pct):
        raise PermissionDenied("You may not change this PCT's contracts.")
    name = name.strip()
    if not name:
        raise QualityError("name: give the measure a name")
    if category not in QualityMeasure.Category.values:
        raise QualityError(f"category: '{category}' is not one of the categories")
    kind, _, key = source.partition(":")
    if (kind, key) not in {(s, k) for s, k, _ in sources()}:
        raise QualityError(f"source: '{source}' is not a return standard or provider indicator")
    if contract.quality_measures.filter(name=name).exists():
        raise QualityError(f"name: the contract already has a measure '{name}'")
    with transaction.atomic():
        measure = QualityMeasure.objects.create(
            contract=contract,
            name=name,
            category=category,
            source=kind,
            source_key=key,
            threshold=_percent("threshold", threshold),
            withheld_percent=_percent("withheld", withheld_percent),
            recorded_by=user.get_username(),
        )
        audit.record(
            user,
            "create",
            measure,
            after={
                "contract": contract.pk,
                "name": name,
                "source": f"{kind}:{key}",
                "threshold": str(measure.threshold),
                "withheld_percent": str(measure.withheld_percent),
            },
            detail=f"quality measure added to {contract}",
        )
    return measure


def observed(
    measure: QualityMeasure, start: dt.date, end: dt.date
) -> dict[dt.date, tuple[float, float]]:
    contract = measure.contract
    if measure.source == QualityMeasure.Source.RETURN:
        return services.monthly_compliance(
            contract.provider.code, measure.source_key, contract.pct.code, start, end
        )
    return indicators.provider_monthly(measure.source_key, contract.provider.code, start, end)


def schedule(contract: Contract, through: dt.date | None = None) -> list[q.MeasureResult]:
    months = [m for m in months_of_year(contract.financial_year) if through is None or m <= through]
    out = []
    for measure in contract.quality_measures.all():
        seen = observed(measure, months[0], months[-1]) if months else {}
        out.append(
            q.assess(
                measure.name,
                measure.threshold,
                measure.withheld_percent,
                contract.annual_value,
                months,
                seen,
            )
        )
    return out
