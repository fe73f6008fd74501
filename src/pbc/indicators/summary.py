"""The latest value of an indicator with its target and icons, for other pages (the plan's
board status report links outcomes to indicators by id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pbc.indicators import definitions as defs
from pbc.indicators import present
from pbc.indicators.models import Target


@dataclass(frozen=True)
class Status:
    indicator_id: str
    title: str
    unit: str
    month: dt.date | None
    value: float | None
    text: str  # the value formatted with the indicator's decimals and unit, or "No data yet"
    target: float | None
    variation_icon: str | None  # Making Data Count variation ("common cause", "concern high", ...)
    assurance: str | None  # "pass", "fail", "inconsistent" or None
    chart: present.Spc | None = None  # the SPC chart the icons come from (None: too few values)


def latest_status(
    indicator_id: str,
    level: str,
    org_code: str,
    month: dt.date | None = None,
    series: list[present.Row] | None = None,
    local_targets: list[Target] | None = None,
) -> Status | None:
    """The indicator at the organisation for the latest month up to `month` (None: latest
    of all); None when the id is not in the catalogue. `series`: its values, when the caller
    read them already (`present.series_by_indicator`); `local_targets` likewise
    (`present.local_targets_by_indicator`)."""
    definition = defs.get(indicator_id)
    if definition is None:
        return None
    rows = present.series(definition, level, org_code) if series is None else series
    if month is not None:
        rows = [r for r in rows if r.month <= month]
    latest = next((r for r in reversed(rows) if r.value is not None), None)
    target = (
        present.target_for(definition, level, org_code, latest.month, local_targets)
        if latest
        else definition.target
    )
    chart = present.spc(definition, rows, target)
    text = (
        f"{present.fmt(latest.value, definition.decimals)} {definition.unit}"
        if latest
        else "No data yet"
    )
    return Status(
        indicator_id=definition.id,
        title=definition.title,
        unit=definition.unit,
        month=latest.month if latest else None,
        value=latest.value if latest else None,
        text=text,
        target=target,
        variation_icon=chart.variation_icon if chart else None,
        assurance=chart.assurance if chart else None,
        chart=chart,
    )
