"""The national returns' indicator expressions on every engine (issue 19), over hand-made
returns (`handmade.return_tables`): pure analytics, no app database, so they run once per engine
and not again in the PostgreSQL lane (tests/test_national_returns.py loads the returns through
the imports page, on both databases)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from indicators import handmade
from pbc.analytics.indicators import compute as cp
from pbc.analytics.indicators import expressions as ex
from pbc.indicators import definitions as defs


@pytest.mark.parametrize("indicator", sorted(handmade.EXPECTED_RETURNS))
def test_each_return_indicator_on_every_engine(engine: Any, indicator: str) -> None:  # noqa: F811
    level, org, month, expected = handmade.EXPECTED_RETURNS[indicator]
    tables = handmade.return_tables()
    units = cp.load_units(engine, tables["practices"], tables["providers"])
    definition = defs.get(indicator)
    assert definition is not None
    got = cp.compute(definition.compute_spec(), ex.Context(tables, (month,)), engine, units)
    found = {(v.level, v.org_code, v.month): v for v in got}
    value = found[(level, org, month)].value
    assert value is not None and math.isclose(value, expected, rel_tol=1e-12)
    # only the organisations in the returns (5P300 read as 5P3; RAL's zero is a value)
    if level == "provider" and indicator.startswith("c-difficile"):
        assert set(found) == {("provider", "RWG", month), ("provider", "RAL", month)}
    elif indicator.startswith("cancer"):
        assert set(found) == {(level, org, month)}  # 5P3's return has the two-week wait only
    else:
        assert set(found) == {(level, org, month)}
