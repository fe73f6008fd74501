"""The one registry of services feeds: counts another app computes for a services-fed indicator.

An indicator definition names its feed (`numerator: {services: <name>}`); the app that owns the
data registers a `Feed` of that name when Django starts (its `AppConfig.ready`: the services
app registers `pbc.services.indicator_feeds.FEEDS`). The indicators refresh reads each feed
through `get(name)` and knows none of them by name. A name nobody registered is refused with
`UnknownFeed` (when a definition is parsed, and when a refresh asks for it): never an empty
result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Count:
    """A feed's figures for one organisation and quarter."""

    numerator: float
    denominator: float | None  # None: a count (no denominator)
    extra: dict[str, Any] = field(default_factory=dict)  # stored with the value


@dataclass(frozen=True)
class Feed:
    name: str
    # The financial years ("2008/09") the owning app has data for: quarters outside them are
    # left to hand-entered values.
    years: Callable[[], Collection[str]]
    # The count for a quarter (its first month) and an organisation ("pct" and a PCT code, or
    # "locality" and a locality slug); None where there is nothing to count (no practices).
    count: Callable[[dt.date, str, str], Count | None]


class UnknownFeed(LookupError):
    pass


_FEEDS: dict[str, Feed] = {}


def register(feed: Feed) -> None:
    """Add a feed. Registering a different feed under a name already taken is refused."""
    existing = _FEEDS.get(feed.name)
    if existing is not None and existing != feed:
        raise ValueError(f"a services feed named {feed.name!r} is already registered")
    _FEEDS[feed.name] = feed


def unregister(name: str) -> None:
    get(name)
    del _FEEDS[name]


def names() -> tuple[str, ...]:
    return tuple(sorted(_FEEDS))


def get(name: str) -> Feed:
    try:
        return _FEEDS[name]
    except KeyError:
        known = ", ".join(names()) or "none"
        raise UnknownFeed(
            f"no services feed named {name!r} is registered (registered feeds: {known})"
        ) from None
