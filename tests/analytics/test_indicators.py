"""Spec tests: every shipped computed indicator on a hand-made warehouse, on every engine.

The data and the hand-worked answers are in tests/indicators/handmade.py.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from indicators import handmade
from pbc.analytics.indicators import compute as cp
from pbc.analytics.indicators import expressions as ex
from pbc.indicators import definitions as defs

COMPUTED = sorted(d.id for d in defs.catalogue().values() if not d.manual)


def test_every_computed_indicator_has_a_spec_case() -> None:
    assert set(COMPUTED) == set(handmade.EXPECTED) | set(handmade.EXPECTED_PROVIDER)


def _values(engine: Any, indicator: str) -> list[cp.Value]:  # noqa: F811
    tables = handmade.tables()
    ctx = ex.Context(tables, handmade.MONTHS)
    units = cp.load_units(engine, tables["practices"], tables["providers"])
    return cp.compute(defs.get(indicator).compute_spec(), ctx, engine, units)  # type: ignore[union-attr]


@pytest.mark.parametrize("indicator", sorted(handmade.EXPECTED))
def test_practice_value(engine: Any, indicator: str) -> None:  # noqa: F811
    values = _values(engine, indicator)
    got = {(v.level, v.org_code, v.month): v for v in values}
    value = got[("practice", handmade.P1, handmade.NOV)].value
    assert value is not None
    assert math.isclose(value, handmade.EXPECTED[indicator], rel_tol=1e-9, abs_tol=1e-9)
    # every practice, locality and PCT has a row for every month (no gaps for zero activity)
    keys = {(v.level, v.org_code) for v in values}
    assert {("practice", handmade.P1), ("practice", handmade.P2), ("practice", handmade.P3),
            ("locality", "dacorum"), ("locality", "welwyn-hatfield"), ("pct", "5P3"),
            ("pct", "5P2")} <= keys  # fmt: skip
    assert len(values) == len(keys) * len(handmade.MONTHS)


def test_provider_smr(engine: Any) -> None:  # noqa: F811
    provider, expected = handmade.EXPECTED_PROVIDER["smr-by-provider"]
    values = {(v.org_code, v.month): v for v in _values(engine, "smr-by-provider")}
    rwg = values[(provider, handmade.NOV)]
    assert rwg.numerator == 1 and math.isclose(rwg.denominator or 0, 0.5)
    assert rwg.value is not None and math.isclose(rwg.value, expected)
    assert rwg.lower is not None and rwg.upper is not None and rwg.lower < 200 < rwg.upper
    assert values[("RAL", handmade.NOV)].value == 0.0
    assert values[("RWG", handmade.OCT)].value is None  # no spells: nothing expected


def test_localities_add_numerators_and_denominators(engine: Any) -> None:  # noqa: F811
    values = {(v.level, v.org_code, v.month): v for v in _values(engine, "gp-referral-rate")}
    dacorum = values[("locality", "dacorum", handmade.NOV)]
    # six referrals (all P1) over P1 + P2's weighted population (1000 + 2000)
    assert dacorum.numerator == 6 and dacorum.denominator == 3000
    assert dacorum.value is not None and math.isclose(dacorum.value, 24.0)
    assert values[("practice", handmade.P2, handmade.NOV)].value == 0.0
    # an interval around a rate (exact method below 10 events)
    p1 = values[("practice", handmade.P1, handmade.NOV)]
    assert p1.lower is not None and p1.upper is not None and p1.lower < 72 < p1.upper


def test_zero_denominator_means_no_value(engine: Any) -> None:  # noqa: F811
    values = {(v.level, v.org_code, v.month): v for v in _values(engine, "rtt-admitted-18-weeks")}
    assert values[("practice", handmade.P3, handmade.NOV)].value is None
    assert values[("practice", handmade.P1, handmade.OCT)].denominator == 0
