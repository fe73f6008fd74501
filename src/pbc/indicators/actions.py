"""Business writes of the indicators app: one function per action, atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pbc.indicators import definitions as defs
from pbc.indicators.models import IndicatorValue, ManualValue
from pbc.indicators.refresh import value_from_manual
from pbc.orgs import audit
from pbc.periods import year_start


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
    if definition is None or not definition.accepts_manual_entry:
        raise ValidationError(f"{indicator_id} is not a manual-entry indicator")
    if level not in definition.levels:
        raise ValidationError(f"{definition.title} is not reported at {level} level")
    if definition.denominator is not None and denominator is None:
        raise ValidationError("this indicator needs a denominator")
    if numerator < 0 or (denominator is not None and denominator < numerator):
        raise ValidationError("the numerator must lie between 0 and the denominator")
    month = month.replace(day=1)
    if (
        definition.services_feed
        and IndicatorValue.objects.filter(
            indicator_id=indicator_id,
            level=level,
            org_code=org_code,
            month=month,
            source=IndicatorValue.Source.SERVICES,
        ).exists()
    ):
        raise ValidationError(
            f"{definition.title} for this period comes from the services data; "
            "manual entry is only for periods the services data does not cover"
        )
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


def _target_bounds(definition: defs.Definition) -> tuple[float, float | None]:
    if definition.statistic == "proportion":
        return 0.0, definition.multiplier
    return 0.0, None


@transaction.atomic
def set_target(
    user: Any,
    indicator_id: str,
    level: str,
    financial_year: str,
    value: float | None,
    trajectory: list[tuple[dt.date, float]] | None = None,
    org_code: str = "",
    note: str = "",
) -> list[Any]:
    """Set (or, with `value=None` and no trajectory, remove) an indicator's target for a
    financial year at a level, overriding the YAML target and trajectory in that year.

    The year's target applies from April; each trajectory point (month, value) from its month
    on. The year's previous rows are replaced; the change is kept in `TargetChange` (who,
    when, before, after) and audited. Errors are raised per field (`ValidationError` with a
    dict keyed by form field)."""
    from pbc.indicators.models import Target, TargetChange

    errors: dict[str, str] = {}
    definition = defs.get(indicator_id)
    if definition is None:
        raise ValidationError({"indicator": "Choose an indicator from the list"})
    if definition.polarity == "neutral":
        errors["indicator"] = "This indicator has no direction of improvement, so no target"
    if level not in definition.levels:
        errors["level"] = f"{definition.title} is not reported at {level} level"
    try:
        start = year_start(financial_year)
    except ValueError as err:
        errors["financial_year"] = str(err).capitalize()
        start = None
    low, high = _target_bounds(definition)
    trajectory = sorted(trajectory or [])

    def out_of_range(v: float) -> bool:
        return v < low or (high is not None and v > high)

    if value is not None and out_of_range(value):
        errors["value"] = (
            f"A target must lie between {low:g} and {high:g}"
            if high is not None
            else "A target cannot be negative"
        )
    if start is not None:
        end = dt.date(start.year + 1, 3, 1)
        for month, v in trajectory:
            if not start <= month <= end:
                errors["trajectory"] = f"Trajectory months must fall in {financial_year}"
            elif out_of_range(v):
                errors["trajectory"] = f"Trajectory value {v:g} is out of range"
        if len({m for m, _v in trajectory}) != len(trajectory):
            errors["trajectory"] = "Give each month once"
        if value is None and trajectory and trajectory[0][0] != start:
            errors["value"] = "Give the year's target (from April) or start the trajectory in April"
    if errors:
        raise ValidationError(errors)
    assert start is not None
    end = dt.date(start.year + 1, 3, 1)
    existing = Target.objects.filter(
        indicator_id=indicator_id,
        level=level,
        org_code=org_code,
        valid_from__gte=start,
        valid_from__lte=end,
    ).order_by("valid_from")

    def describe(rows: Any) -> dict[str, Any] | None:
        points = [{"from": f"{r[0]:%Y-%m}", "value": r[1]} for r in rows]
        return {"points": points} if points else None

    before = describe([(t.valid_from, t.value) for t in existing])
    existing.delete()
    points: list[tuple[dt.date, float]] = []
    if value is not None:
        points.append((start, value))
    points += [
        (m.replace(day=1), v) for m, v in trajectory if not (value is not None and m == start)
    ]
    now = timezone.now()
    created = [
        Target.objects.create(
            indicator_id=indicator_id,
            level=level,
            org_code=org_code,
            valid_from=month,
            value=v,
            note=note,
            set_by=user,
            set_at=now,
        )
        for month, v in points
    ]
    after = describe(points)
    change = TargetChange.objects.create(
        indicator_id=indicator_id,
        level=level,
        org_code=org_code,
        financial_year=financial_year,
        before=before,
        after=after,
        note=note,
        changed_by=user,
    )
    audit.record(
        user,
        "delete" if not created else ("update" if before else "create"),
        change,
        before=before,
        after=after,
        detail=f"target {indicator_id} {level}{':' + org_code if org_code else ''} "
        f"{financial_year}",
    )
    return created


@transaction.atomic
def set_baseline(
    user: Any,
    indicator_id: str,
    level: str,
    org_code: str,
    period: str,
    value: float | None,
    source: str = "",
) -> Any:
    """Enter (or correct, or with `value=None` remove) one organisation's dated baseline of an
    indicator whose definition asks for an entered baseline (`baseline: {entered: true}`):
    the count of `period` (the definition's baseline year) the derived target halves, say.
    Audited with before and after. Errors per form field (`ValidationError` dict)."""
    from pbc.indicators.models import Baseline

    definition = defs.get(indicator_id)
    if definition is None or not definition.baseline_entered:
        raise ValidationError({"indicator": "This indicator takes no entered baseline"})
    errors: dict[str, str] = {}
    if level not in definition.levels:
        errors["level"] = f"{definition.title} is not reported at {level} level"
    if period != definition.baseline_period:
        errors["period"] = f"The baseline of {definition.title} is for {definition.baseline_period}"
    if value is not None and value < 0:
        errors["value"] = "A baseline cannot be negative"
    if errors:
        raise ValidationError(errors)
    existing = Baseline.objects.filter(
        indicator_id=indicator_id, level=level, org_code=org_code, period=period
    ).first()
    before = None if existing is None else {"value": existing.value, "source": existing.source}
    detail = f"baseline {indicator_id} {level}:{org_code} {period}"
    if value is None:
        if existing is not None:
            audit.record(user, "delete", existing, before=before, after=None, detail=detail)
            existing.delete()
        return None
    baseline, _ = Baseline.objects.update_or_create(
        indicator_id=indicator_id,
        level=level,
        org_code=org_code,
        period=period,
        defaults={"value": value, "source": source, "entered_by": user},
    )
    audit.record(
        user,
        "update" if existing else "create",
        baseline,
        before=before,
        after={"value": value, "source": source},
        detail=detail,
    )
    return baseline
