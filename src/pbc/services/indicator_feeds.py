"""The services feeds of the services-fed indicators, registered with the indicators app's
feed registry (`pbc.indicators.feed_registry`) when the app starts (`ServicesConfig.ready`).

- `extended_hours_offered`: practices signed up to the extended hours LES at any time in the
  quarter ÷ practices (`pbc.services.feeds.extended_hours_offered`); nothing where the
  organisation has no practices.
- `smoking_quitters`: four-week quitters claimed in the quarter, stored with the quarter's
  target (`pbc.services.feeds.smoking_quitters`).

Each covers the financial years its service has a specification for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from pbc.indicators.feed_registry import Count, Feed
from pbc.services import feeds
from pbc.services.queries import specified_years


def _scope(level: str, code: str) -> dict[str, str]:
    if level not in ("pct", "locality"):
        raise ValueError(f"services feeds count for a PCT or a locality, not {level!r}")
    return {level: code}


def _extended_hours(quarter: dt.date, level: str, code: str) -> Count | None:
    got = feeds.extended_hours_offered(quarter, **_scope(level, code))
    denominator = float(got["denominator"])
    if denominator <= 0:
        return None
    return Count(float(got["numerator"]), denominator)


def _smoking_quitters(quarter: dt.date, level: str, code: str) -> Count | None:
    got = feeds.smoking_quitters(quarter, **_scope(level, code))
    return Count(float(got["quitters"]), None, {"services_target": got["target"]})


def _years_of(service_key: str) -> Collection[str]:
    return specified_years(service_key)


FEEDS = (
    Feed("extended_hours_offered", lambda: _years_of("extended-hours"), _extended_hours),
    Feed("smoking_quitters", lambda: _years_of("smoking-cessation"), _smoking_quitters),
)
