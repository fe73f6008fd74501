"""A contract's quality schedule (issue 20, item 3): measures with thresholds and the money
withheld when a month falls short, monitored from the provider's returns (the services app's
return standards, e.g. MRSA screening of elective admissions, contact within one working day)
or from an indicator at the provider (e.g. A&E within four hours).

- `add_measure(...)`, `change_measure(...)`, `remove_measure(...)`: actions scoped to the users
  who may manage the contract's PCT's budgets (`Permission.MANAGE_BUDGETS`), each audited (a
  change with the measure before and after, a removal with what was removed); refused with a
  message naming the field.
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


def _checked(
    contract: Contract, *, name: str, category: str, source: str, threshold: Any,
    withheld_percent: Any, other_than: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A measure's fields checked (QualityError naming the field)."""
    name = name.strip()
    if not name:
        raise QualityError("name: give the measure a name")
    if category not in QualityMeasure.Category.values:
        raise QualityError(f"category: '{category}' is not one of the categories")
    kind, _, key = source.partition(":")
    if (kind, key) not in {(s, k) for s, k, _ in sources()}:
        raise QualityError(f"source: '{source}' is not a return standard or provider indicator")
    if contract.quality_measures.filter(name=name).exclude(pk=other_than).exists():
        raise QualityError(f"name: the contract already has a measure '{name}'")
    return {
        "name": name,
        "category": category,
        "source": kind,
        "source_key": key,
        "threshold": _percent("threshold", threshold),
        "withheld_percent": _percent("withheld", withheld_percent),
    }


def _state(measure: QualityMeasure) -> dict[str, Any]:
    """A measure for the audit log."""
    return {
        "contract": measure.contract_id,
        "name": measure.name,
        "category": measure.category,
        "source": f"{measure.source}:{measure.source_key}",
        "threshold": str(measure.threshold),
        "withheld_percent": str(measure.withheld_percent),
    }


def _may_change(user: Any, contract: Contract) -> None:
    if not has_permission(user, Permission.MANAGE_BUDGETS, contract.pct):
        raise PermissionDenied("You may not change this PCT's contracts.")


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
    _may_change(user, contract)
    fields = _checked(
        contract, name=name, category=category, source=source, threshold=threshold,
        withheld_percent=withheld_percent,
    )  # fmt: skip
    with transaction.atomic():
        measure = QualityMeasure.objects.create(
            contract=contract, recorded_by=user.get_username(), **fields
        )
        audit.record(
            user, "create", measure, after=_state(measure),
            detail=f"quality measure added to {contract}",
        )  # fmt: skip
    return measure


def change_measure(
    user: Any,
    measure: QualityMeasure,
    *,
    name: str,
    category: str,
    source: str,
    threshold: Any,
    withheld_percent: Any,
) -> QualityMeasure:
    """Change a measure's name, category, source, threshold or withheld percentage (the
    schedule is worked out again from them for every month of the year)."""
    contract = measure.contract
    _may_change(user, contract)
    fields = _checked(
        contract, name=name, category=category, source=source, threshold=threshold,
        withheld_percent=withheld_percent, other_than=measure.pk,
    )  # fmt: skip
    with transaction.atomic():
        measure = QualityMeasure.objects.select_for_update().get(pk=measure.pk)
        before = _state(measure)
        for key, value in fields.items():
            setattr(measure, key, value)
        measure.save()
        audit.record(
            user, "update", measure, before=before, after=_state(measure),
            detail=f"quality measure '{measure.name}' of {contract} changed",
        )  # fmt: skip
    return measure


def remove_measure(user: Any, measure: QualityMeasure) -> None:
    """Take a measure out of the contract's schedule (the audit log keeps what it was)."""
    contract = measure.contract
    _may_change(user, contract)
    with transaction.atomic():
        before = _state(measure)
        audit.record(
            user, "delete", measure, before=before,
            detail=f"quality measure '{measure.name}' removed from {contract}",
        )  # fmt: skip
        measure.delete()


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
