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

COMPUTED = sorted(d.id for d in defs.catalogue().values() if d.computed)


def test_every_computed_indicator_has_a_spec_case() -> None:
    assert set(COMPUTED) == (
        set(handmade.EXPECTED) | set(handmade.EXPECTED_PROVIDER) | set(handmade.EXPECTED_RETURNS)
    )


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


# --- second review of the catalogue (2026-11-22): fixes shown on hand-made data ---------------


def _values_with(
    engine: Any,  # noqa: F811
    indicator: str,
    replace: dict[str, list[dict[str, Any]]],
    months: tuple[Any, ...] = handmade.MONTHS,
) -> dict[tuple[str, str, Any], cp.Value]:
    """`indicator` computed on the hand-made warehouse with some tables' rows replaced."""
    import ibis

    arrow = handmade.arrow_tables()
    for name, rows in replace.items():
        arrow[name] = handmade._table(name, rows)
    tables = {name: ibis.memtable(t) for name, t in arrow.items()}
    ctx = ex.Context(tables, months)
    units = cp.load_units(engine, tables["practices"], tables["providers"])
    spec = defs.get(indicator).compute_spec()  # type: ignore[union-attr]
    return {(v.level, v.org_code, v.month): v for v in cp.compute(spec, ctx, engine, units)}


def test_two_week_wait_counts_referrals_in_the_month_first_seen(engine: Any) -> None:  # noqa: F811
    import datetime as dt

    d = dt.date
    dec = d(2008, 12, 1)
    refs = [
        handmade._ref(1, handmade.P1, "RWG", d(2008, 11, 3), "100", "3", seen=d(2008, 11, 10)),
        handmade._ref(2, handmade.P1, "RWG", d(2008, 11, 1), "100", "3", seen=d(2008, 11, 20)),
        # referred in November, seen in December after 12 days: a December success
        handmade._ref(3, handmade.P1, "RWG", d(2008, 11, 20), "100", "3", seen=d(2008, 12, 2)),
        # referred at the end of November and not seen yet: not (yet) a breach
        handmade._ref(4, handmade.P1, "RWG", d(2008, 11, 28), "100", "3"),
        # a routine referral is not a two-week wait
        handmade._ref(5, handmade.P1, "RWG", d(2008, 11, 5), "100", "1", seen=d(2008, 11, 6)),
    ]
    got = _values_with(engine, "two-week-wait-seen-14-days", {"referrals": refs},
                       (handmade.NOV, dec))  # fmt: skip
    nov = got[("practice", handmade.P1, handmade.NOV)]
    assert (nov.numerator, nov.denominator, nov.value) == (1, 2, 50.0)
    december = got[("practice", handmade.P1, dec)]
    assert (december.numerator, december.denominator, december.value) == (1, 1, 100.0)
    assert defs.get("two-week-wait-seen-14-days").target_for(dec) == 98  # type: ignore[union-attr]
    assert defs.get("two-week-wait-seen-14-days").target_for(d(2009, 4, 1)) == 93  # type: ignore[union-attr]


def test_acsc_admissions_cover_all_nineteen_conditions(engine: Any) -> None:  # noqa: F811
    spells = [
        handmade._spell(1, "21", 30, 2, "N73.9"),  # pelvic inflammatory disease
        handmade._spell(2, "21", 40, 1, "K12.2"),  # dental (stomatitis, cellulitis of mouth)
        handmade._spell(3, "21", 2, 3, "G00.0"),  # Haemophilus meningitis (vaccine-preventable)
        handmade._spell(4, "21", 50, 3, "B18.1"),  # chronic hepatitis B (vaccine-preventable)
        handmade._spell(5, "21", 60, 3, "J44.1"),  # COPD, as before
        handmade._spell(6, "11", 30, 0, "N73.9"),  # elective: not counted
        handmade._spell(7, "21", 60, 3, "I21.9"),  # myocardial infarction: not an ACSC
    ]
    got = _values_with(engine, "acsc-emergency-admissions", {"apc": spells})
    p1 = got[("practice", handmade.P1, handmade.NOV)]
    assert p1.numerator == 5
    assert p1.value is not None and math.isclose(p1.value, 5 / 1000 * 12000)


def test_ics_laba_counts_combination_presentations_only(engine: Any) -> None:  # noqa: F811
    rx = [
        handmade._rx("0302000N0BBBABC", 10, "200.00"),  # Flixotide 250 Evohaler: steroid alone
        handmade._rx("0302000N0BCAFBG", 2, "70.00"),  # Seretide 250 Evohaler
        handmade._rx("0302000N0AAAYAY", 1, "40.00"),  # generic fluticasone/salmeterol 250/50
        handmade._rx("0302000K0BDABAM", 3, "90.00"),  # Symbicort 200/6 Turbohaler
        handmade._rx("0302000K0BBAHAG", 2, "20.00"),  # Pulmicort 200 Turbohaler: steroid alone
        handmade._rx("0302000C0BQAABX", 2, "60.00"),  # Fostair 100/6
        handmade._rx("0302000C0AAABAB", 10, "30.00"),  # beclometasone 100 inhaler
    ]
    got = _values_with(engine, "prescribing-ics-laba", {"prescribing": rx})
    p1 = got[("practice", handmade.P1, handmade.NOV)]
    assert (p1.numerator, p1.denominator) == (8, 30)
    assert p1.value is not None and math.isclose(p1.value, 800 / 30)


def test_statin_measure_denominator_is_statins_not_all_lipid_regulating_drugs(
    engine: Any,  # noqa: F811
) -> None:
    rx = [
        handmade._rx("0212000B0AAABAB", 4, "40.00"),  # atorvastatin
        handmade._rx("0212000AAAAABAB", 2, "50.00"),  # rosuvastatin
        handmade._rx("0212000Y0AAABAB", 10, "10.00"),  # simvastatin
        handmade._rx("0212000X0AAAAAA", 4, "8.00"),  # pravastatin
        handmade._rx("0212000ABAAAAAA", 20, "500.00"),  # BNF 2.12 but not a statin
    ]
    got = _values_with(engine, "prescribing-high-cost-statins", {"prescribing": rx})
    p1 = got[("practice", handmade.P1, handmade.NOV)]
    assert (p1.numerator, p1.denominator, p1.value) == (6, 20, 30.0)


def test_deciles_and_potential_saving_worked_by_hand() -> None:
    """OpenPrescribing's ratio measure arithmetic on hand-made practices.

    PCT Q1: five practices of 100 items with 10, 20, 30, 40 and 50 numerator items (ratios
    0.1 to 0.5), numerator items £2 and the others £0.50 each. Centiles interpolate between
    practices (PERCENTILE_CONT): the q-th is at h = 4q/100, so the 10th is 0.1 + 0.4 × 0.1 =
    0.14, the 20th 0.18, 30th 0.22, 50th 0.30, 80th 0.42, 90th 0.46; the deciles are 1, 3, 5,
    8 and 10. The saving at the 10th centile, denominator cost minus the cost at its ratio, is
    (ratio − 0.14) × 100 items × (£2 − £0.50): the 50% practice would switch 36 items at £1.50
    each, £54 (its £125 less 14 × £2 + 86 × £0.50 = £71). The 10% practice is below the centile
    (−£6): reported as 0, and left out of the total (£9 + £24 + £39 + £54 = £126).

    PCT Q2: practice A has no numerator items, so the PCT's cost per numerator item (£3) stands
    in for its own; B has only numerator items, so the PCT's cost per other item (£0.50) stands
    in. Ratios 0 and 1, 10th centile 0.1: A saves (0 − 0.1) × 10 × (3 − 0.5) = −£2.50, B
    (1 − 0.1) × 10 × (3 − 0.5) = £22.50.
    """
    import datetime as dt

    from pbc.analytics.indicators import prescribing as rx

    month = dt.date(2008, 11, 1)
    rows = [
        rx.PracticeMonth(f"Q1P{n}", "Q1", month, n, 100, n * 2.0, n * 2.0 + (100 - n) * 0.5)
        for n in (10, 20, 30, 40, 50)
    ]
    rows += [rx.PracticeMonth("Q2A", "Q2", month, 0, 10, 0.0, 5.0),
             rx.PracticeMonth("Q2B", "Q2", month, 10, 10, 30.0, 30.0)]  # fmt: skip
    ratios = [0.1, 0.2, 0.3, 0.4, 0.5]
    expected_centiles = {10: 0.14, 20: 0.18, 30: 0.22, 50: 0.30, 80: 0.42, 90: 0.46}
    cents = rx.centiles(ratios)
    for q, value in expected_centiles.items():
        assert math.isclose(cents[q], value, abs_tol=1e-12), q
    results = {r.practice: r for r in rx.measure_results(rows)}
    assert [results[f"Q1P{n}"].decile for n in (10, 20, 30, 40, 50)] == [1, 3, 5, 8, 10]
    savings = {code: r.saving_at_10th for code, r in results.items()}
    for n, pounds in ((10, -6.0), (20, 9.0), (30, 24.0), (40, 39.0), (50, 54.0)):
        assert math.isclose(savings[f"Q1P{n}"], pounds, abs_tol=1e-9), n  # type: ignore[arg-type]
        assert math.isclose(results[f"Q1P{n}"].ratio_at_10th, 0.14, abs_tol=1e-12)  # type: ignore[arg-type]
    assert math.isclose(savings["Q2A"], -2.5, abs_tol=1e-9)  # type: ignore[arg-type]
    assert math.isclose(savings["Q2B"], 22.5, abs_tol=1e-9)  # type: ignore[arg-type]
    assert [results[c].decile for c in ("Q2A", "Q2B")] == [1, 10]
    q1 = [r for r in results.values() if r.practice.startswith("Q1")]
    assert math.isclose(rx.total_saving(q1), 126.0, abs_tol=1e-9)
    assert rx.positive_saving(savings["Q1P10"]) == 0.0 and rx.positive_saving(None) is None
    assert rx.to_pence(54.0) == 5400 and rx.to_pence(14.4) == 1440 and rx.to_pence(0.005) == 1


def test_measure_figures_per_practice_and_savings_summed_to_locality_and_pct() -> None:
    """The Q2 pair above (10th centile 0.1; savings −£2.50 and £22.50) in two localities of
    one PCT, as a percentage: deciles, the centile in the indicator's unit, savings in pence
    (none below the centile), summed to each locality and the PCT; a measure without costs has
    deciles and no savings."""
    import datetime as dt

    from pbc.analytics.indicators import prescribing as rx

    month = dt.date(2008, 11, 1)
    rows = [rx.PracticeMonth("Q2A", "Q2", month, 0, 10, 0.0, 5.0),
            rx.PracticeMonth("Q2B", "Q2", month, 10, 10, 30.0, 30.0)]  # fmt: skip
    parents = {"Q2A": [("locality", "L1"), ("pct", "Q2")],
               "Q2B": [("locality", "L2"), ("pct", "Q2")]}  # fmt: skip
    got = rx.measure_figures(rows, parents, 100.0, cost_measure=True)
    assert got[("practice", "Q2A", month)]["decile"] == 1
    assert got[("practice", "Q2B", month)]["decile"] == 10
    assert math.isclose(got[("practice", "Q2A", month)]["ratio_at_10th"], 10.0)
    assert got[("practice", "Q2A", month)]["saving_at_10th_pence"] == 0
    assert got[("practice", "Q2B", month)]["saving_at_10th_pence"] == 2250
    assert got[("locality", "L1", month)] == {"saving_at_10th_pence": 0}
    assert got[("locality", "L2", month)] == {"saving_at_10th_pence": 2250}
    assert got[("pct", "Q2", month)] == {"saving_at_10th_pence": 2250}
    safety = rx.measure_figures(rows, parents, 100.0, cost_measure=False)
    assert set(safety) == {("practice", "Q2A", month), ("practice", "Q2B", month)}
    assert all(v["saving_at_10th_pence"] is None for v in safety.values())
    assert [safety[("practice", p, month)]["decile"] for p in ("Q2A", "Q2B")] == [1, 10]


def test_the_aggregate_route_fills_in_where_the_patient_level_route_has_no_data() -> None:
    """Patient-level values win where they have data (a denominator above 0, or for a count
    any events); elsewhere the aggregate value for the same organisation and month replaces
    them; a value with no data and no aggregate value stays."""
    import datetime as dt

    from pbc.analytics.indicators import compute as cp

    jan, feb = dt.date(2009, 1, 1), dt.date(2009, 2, 1)

    def value(org: str, month: dt.date, num: float | None, den: float | None) -> cp.Value:
        return cp.Value("provider", org, month, num, den, None, None, None)

    primary = [
        value("RWG", jan, 80, 100),  # data: kept
        value("RWG", feb, 0, 0),  # no patients: the aggregate value replaces it
        value("RC9", jan, 0, 0),  # no data, no aggregate value: stays
        value("RC9", feb, 3, None),  # a count with events: kept
    ]
    aggregate = [
        value("RWG", jan, 900, 1000),
        value("RWG", feb, 850, 1000),
        value("RC9", feb, 7, None),
        value("RQW", jan, 40, 50),  # only in the published data: used
    ]
    kept, used = cp.with_fallback(primary, aggregate)
    assert kept == [primary[0], primary[2], primary[3]]
    assert used == [aggregate[1], aggregate[3]]
    assert not cp.has_data(value("X", jan, 5, 0)) and cp.has_data(value("X", jan, 0, 5))
    assert not cp.has_data(value("X", jan, 0, None)) and not cp.has_data(
        value("X", jan, None, None)
    )
