"""Business writes of the indicators app: one function per action, atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from pbc.indicators import definitions as defs
from pbc.indicators.models import IndicatorValue, ManualValue
from pbc.indicators.refresh import value_from_manual
from pbc.orgs import audit


@transaction.atomic
def record_manual_value(
    user: Any,
    indicator_id: str,
    level: str,
    org_code: str,
    month: dt.date,
    numerator: float,
    denominator: float | None = None,
    note: str = "",
) -> ManualValue:
    """Enter (or correct) a manual-entry indicator's value for one organisation and period;
    the shown value is updated in the same transaction and the change audited."""
    definition = defs.get(indicator_id)
    if definition is None or not definition.manual:
        raise ValidationError(f"{indicator_id} is not a manual-entry indicator")
    if level not in definition.levels:
        raise ValidationError(f"{definition.title} is not reported at {level} level")
    if definition.denominator is not None and denominator is None:
        raise ValidationError("this indicator needs a denominator")
    if numerator < 0 or (denominator is not None and denominator < numerator):
        raise ValidationError("the numerator must lie between 0 and the denominator")
    month = month.replace(day=1)
    existing = ManualValue.objects.filter(
        indicator_id=indicator_id, level=level, org_code=org_code, month=month
    ).first()
    before = (
        None
        if existing is None
        else {"numerator": existing.numerator, "denominator": existing.denominator}
    )
    manual, _ = ManualValue.objects.update_or_create(
        indicator_id=indicator_id,
        level=level,
        org_code=org_code,
        month=month,
        defaults={
            "numerator": numerator,
            "denominator": denominator if definition.denominator is not None else None,
            "note": note,
            "entered_by": user,
        },
    )
    shown = value_from_manual(definition, manual)
    IndicatorValue.objects.update_or_create(
        indicator_id=indicator_id,
        level=level,
        org_code=org_code,
        month=month,
        defaults={
            "numerator": shown.numerator,
            "denominator": shown.denominator,
            "value": shown.value,
            "lower": shown.lower,
            "upper": shown.upper,
            "source": IndicatorValue.Source.MANUAL,
        },
    )
    audit.record(
        user,
        "update" if existing else "create",
        manual,
        before=before,
        after={"numerator": numerator, "denominator": manual.denominator},
        detail=f"{indicator_id} {level}:{org_code} {month:%Y-%m}",
    )
    return manual
