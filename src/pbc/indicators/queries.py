"""What other apps read of indicators, as plain data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pbc.indicators.models import IndicatorValue, ManualValue


def values_entered_since(since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many values were entered by hand after `since`, and when the latest was."""
    entered = ManualValue.objects.filter(entered_at__gt=since)
    latest: dt.datetime | None = (
        entered.order_by("-entered_at").values_list("entered_at", flat=True).first()
    )
    return entered.count(), latest


def flagged(level: str, org_code: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The indicators at the organisation that need attention, as (id, title): those whose
    latest value fails its target (SPC assurance "fail"), and those showing special-cause
    concern (Making Data Count variation "concern high" or "concern low")."""
    from pbc.indicators import definitions as defs
    from pbc.indicators.present import local_targets_by_indicator, series_by_indicator
    from pbc.indicators.summary import latest_status

    off_target, concern = [], []
    values = series_by_indicator(level, org_code)
    targets = local_targets_by_indicator(level, org_code)
    for definition in defs.catalogue().values():
        if level not in definition.levels:
            continue
        status = latest_status(
            definition.id,
            level,
            org_code,
            series=values.get(definition.id, []),
            local_targets=targets.get(definition.id, []),
        )
        if status is None or status.value is None:
            continue
        if status.assurance == "fail":
            off_target.append((definition.id, definition.title))
        if (status.variation_icon or "").startswith("concern"):
            concern.append((definition.id, definition.title))
    return off_target, concern


def indicator_titles() -> dict[str, str]:
    """Every indicator of the catalogue: id → title."""
    from pbc.indicators import definitions as defs

    return {d.id: d.title for d in defs.catalogue().values()}


def provider_monthly(
    indicator_id: str, provider_code: str, start: dt.date, end: dt.date
) -> dict[dt.date, tuple[float, float]]:
    """month -> (numerator, denominator) of the indicator at the provider, months start..end."""
    rows = IndicatorValue.objects.filter(
        indicator_id=indicator_id,
        level="provider",
        org_code=provider_code,
        month__gte=start,
        month__lte=end,
        numerator__isnull=False,
        denominator__isnull=False,
    ).values_list("month", "numerator", "denominator")
    return {m: (float(n), float(d)) for m, n, d in rows}


def indicator_catalogue() -> dict[str, tuple[str, str]]:
    """Every indicator of the catalogue: id → (title, what it is about: why it matters and
    the plan objectives it monitors), for matching plans' outcomes to indicators."""
    from pbc.indicators import definitions as defs

    return {
        d.id: (d.title, " ".join([d.why_it_matters, *d.plans])) for d in defs.catalogue().values()
    }


@dataclass(frozen=True)
class PublicLatest:
    """An indicator's latest publishable value at a locality (small numbers suppressed as on
    the published indicator pages), with the SPC chart its icons come from."""

    indicator_id: str
    text: str  # "12.3 %" or "–" when nothing is publishable
    month: dt.date | None
    spc: Any
    href: str  # the published indicator page for the locality
    derived_from: str  # the disclosure test's key: "indicator:<id>:locality:<slug>:<month>"


def public_latest(locality: Any) -> dict[str, PublicLatest]:
    """Every indicator reported for the locality, as its published dashboard shows it; an
    indicator reported only for PCTs (the national returns) as the PCT's published dashboard
    shows it, marked "PCT <code>". Small numbers are suppressed by the same rule either way."""
    from pbc.indicators import present
    from pbc.indicators.views import dashboard_lines, org_of

    out = {}
    local = org_of(locality)
    pct = org_of(locality.pct)
    for org in (local, pct):
        for line in dashboard_lines(org, public_page=True, link_name="indicators_public_indicator"):
            d, latest = line.definition, line.latest
            if d.id in out:
                continue  # the locality's own value first
            where = f" (PCT {org.code})" if org is pct and latest else ""
            out[d.id] = PublicLatest(
                d.id,
                f"{present.fmt(latest.value, d.decimals)} {d.unit}{where}" if latest else "–",
                latest.month if latest else None,
                line.spc,
                line.href,
                f"indicator:{d.id}:{org.level}:{org.code}:{latest.month.isoformat()}"
                if latest
                else "",
            )
    return out
