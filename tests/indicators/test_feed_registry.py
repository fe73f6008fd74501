"""The services feed registry (`pbc.indicators.feed_registry`): the refresh reads whatever
feed an app registered, and a feed nobody registered is refused by name, never read as empty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pbc.indicators import definitions as defs
from pbc.indicators import feed_registry, refresh
from pbc.orgs.models import Locality, Pct

SMOKING = defs.DEFINITIONS_DIR / "smoking-quitters.yaml"
FY = "2031/32"  # a year no demo data covers


def _raw(feed: str) -> dict[str, Any]:
    raw = yaml.safe_load(Path(SMOKING).read_text(encoding="utf-8"))
    raw["id"] = "test-visits"
    raw["numerator"]["services"] = feed
    return dict(raw)


def _count(quarter: dt.date, level: str, code: str) -> feed_registry.Count | None:
    if level == "pct":
        return None  # nothing to count: no value stored
    return feed_registry.Count(float(quarter.month + len(code)), None, {"level": level})


@pytest.fixture
def visits() -> Iterator[feed_registry.Feed]:
    feed = feed_registry.Feed("test_visits", lambda: {FY}, _count)
    feed_registry.register(feed)
    yield feed
    feed_registry.unregister(feed.name)


def test_the_services_app_registers_its_feeds() -> None:
    assert {"extended_hours_offered", "smoking_quitters"} <= set(feed_registry.names())
    assert defs.get("smoking-quitters") is not None  # the shipped definitions name them


@pytest.mark.django_db
def test_a_registered_feed_is_read_by_the_refresh(visits: feed_registry.Feed) -> None:
    definition = defs.parse(_raw("test_visits"), "test-visits.yaml")
    assert definition.services_feed == "test_visits"
    covered, outside = dt.date(2031, 7, 1), dt.date(2032, 4, 1)  # Q2 of 2031/32; 2032/33
    got = {
        (v.level, v.org_code, v.month): v
        for v in refresh.services_values(definition, [covered, outside])
    }
    assert Pct.objects.exists() and "pct" in definition.levels
    expected = {("locality", loc.slug) for loc in Locality.objects.all()}
    assert expected and {(level, code) for level, code, _ in got} == expected
    assert {month for _, _, month in got} == {covered}  # the feed's years only
    for (level, code, _), v in got.items():
        assert v.numerator == v.value == 7 + len(code) and v.denominator is None
        assert v.extra == {"level": level} and v.source == "services"


def test_an_unknown_feed_is_refused_by_name(visits: feed_registry.Feed) -> None:
    with pytest.raises(feed_registry.UnknownFeed, match=r"'test_vists'.*test_visits"):
        feed_registry.get("test_vists")
    with pytest.raises(defs.DefinitionError, match=r"test-visits.yaml.*'test_vists'"):
        defs.parse(_raw("test_vists"), "test-visits.yaml")
    with pytest.raises(ValueError, match="already registered"):
        feed_registry.register(feed_registry.Feed("test_visits", lambda: set(), _count))


@pytest.mark.django_db
def test_a_feed_gone_after_parsing_is_refused_by_the_refresh(visits: feed_registry.Feed) -> None:
    definition = defs.parse(_raw("test_visits"), "test-visits.yaml")
    feed_registry.unregister("test_visits")
    try:
        with pytest.raises(feed_registry.UnknownFeed, match="test_visits"):
            refresh.services_values(definition, [dt.date(2031, 7, 1)])
    finally:
        feed_registry.register(visits)
