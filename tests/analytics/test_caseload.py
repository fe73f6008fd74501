"""The matron caseload's before/after analytics by hand, on every engine: the windows (the day
before, the day of, a year after), emergency methods only, bed days, a comparison person
followed over their case's dates; the risk-score matching rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
from tests.analytics.test_population import _arrow, _spell

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from pbc.analytics.population import caseload as cl

D = dt.date
TAKEN_ON = D(2008, 4, 1)


def test_match_on_risk_is_nearest_without_replacement() -> None:
    cases = [("A", 0.5), ("B", 0.375), ("C", 0.75)]
    pool = [("A", 0.5), ("X", 0.4375), ("Y", 0.25), ("Z", 0.625), ("W", 0.875)]
    # Highest case first: C ties between W and Z (0.125 away each) and takes W (NHS number
    # order); A is never its own match and takes X; B is left Y (0.125) before Z (0.25).
    assert cl.match_on_risk(cases, pool) == {"C": "W", "A": "X", "B": "Y"}
    assert cl.match_on_risk(cases, pool, caliper=0.1) == {"C": None, "A": "X", "B": None}


def test_admissions_before_and_after_by_hand(engine: Any) -> None:  # noqa: F811
    spells = [
        _spell(1, "A", D(2007, 4, 1), "21", los=4),  # first day of the year before
        _spell(2, "A", D(2008, 3, 31), "2A", los=2),  # last day of the year before
        _spell(3, "A", D(2007, 3, 31), "21", los=9),  # too early
        _spell(4, "A", D(2008, 4, 1), "22", los=1),  # the day taken on: after
        _spell(5, "A", D(2008, 6, 1), "11", los=7),  # elective: not counted
        _spell(6, "A", D(2009, 4, 1), "21", los=5),  # a year after: outside
        _spell(7, "X", D(2008, 10, 1), "23", los=6),  # the comparison person, after
        _spell(8, "X", D(2007, 12, 1), "24", los=3),  # and before
        _spell(9, "Q", D(2008, 10, 1), "21", los=8),  # someone not followed
    ]
    people = cl.followed([("A", TAKEN_ON, 0.6)], [("X", 0.58), ("Q", 0.2)])
    assert [(p.nhs_number, p.group, p.index_date) for p in people] == [
        ("A", cl.CASE, TAKEN_ON),
        ("X", cl.COMPARISON, TAKEN_ON),
    ]
    apc = ibis.memtable(_arrow("apc", spells))
    got = engine.execute(cl.admissions_around(apc, cl.people_table(people)))
    rows = got.to_dict("records")
    keys = ("before_admissions", "before_bed_days", "after_admissions", "after_bed_days")
    assert [tuple(int(r[k]) for k in keys) for r in rows] == [(2, 6, 1, 1), (1, 3, 1, 6)]
    c = cl.compare(rows)
    assert (c.caseload.people, c.comparison.people, c.unmatched) == (1, 1, 0)
    assert c.admissions_difference == (1 - 2) - (1 - 1) == -1
    assert c.bed_days_difference == (1 - 6) - (6 - 3) == -8
    assert cl.observed_after(TAKEN_ON, D(2009, 3, 31)) == 365
    assert cl.observed_after(TAKEN_ON, D(2008, 4, 30)) == 30
