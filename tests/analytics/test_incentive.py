"""The prescribing incentive scheme's pure functions (`pbc.analytics.indicators.incentive`):
achievement and payment worked by hand; the switch list's savings against a plain pandas
recomputation from the raw prescribing rows."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import ibis
import pandas as pd
import pyarrow as pa

from pbc.analytics.indicators import incentive as inc
from pbc.warehouse import engine as wh_engine
from pbc.warehouse.datasets import dataset

ATORVA, SIMVA = "0212000B0AAABAB", "0212000Y0AAABAB"
LANSO, OMEP = "0103050L0AAAAAA", "0103050P0AAAAAA"
D = dt.date


def _target(practice: str, value: float = 25.0, rate: str = "0.50") -> inc.Target:
    return inc.Target(practice, "prescribing-high-cost-statins", value, Decimal(rate))


def test_achievement_and_payment_by_hand() -> None:
    # A: 30 of 120 statin items high-cost = 25.0%, exactly on the 25% target: met.
    # Paid 50p x 6,000 patients = £3,000.00.
    a = inc.achievement(_target("A"), 30, 120, 6000)
    assert (a.value, a.met, a.payment) == (25.0, True, Decimal("3000.00"))
    # B: 31 / 120 = 25.83%: missed, nothing paid (no part payment).
    b = inc.achievement(_target("B"), 31, 120, 6000)
    assert b.met is False and b.payment == Decimal("0.00")
    assert abs(b.value - 25.8333) < 1e-3  # type: ignore[operator]
    # C: no statin items: no value, neither met nor missed, nothing paid.
    c = inc.achievement(_target("C"), 0, 0, 4000)
    assert (c.value, c.met, c.payment) == (None, None, Decimal("0.00"))
    # D: 12.5p x 1,001 patients = £125.125, paid £125.13 (half up).
    d = inc.achievement(_target("D", rate="0.125"), 10, 100, 1001)
    assert d.payment == Decimal("125.13")
    # E: a measure where more is better: 70% against a 75% target is missed, 75% met.
    e = inc.achievement(_target("E", 75.0), 70, 100, 10, polarity="increase")
    f = inc.achievement(_target("F", 75.0), 3, 4, 10, polarity="increase")
    assert (e.met, f.met, f.payment) == (False, True, Decimal("5.00"))
    # Two targets for A (one met, one missed) and one for D: the payments per practice.
    other = inc.achievement(
        inc.Target("A", "prescribing-lansoprazole", 40.0, Decimal("0.25")), 50, 100, 6000
    )
    assert inc.practice_payments([a, other, d]) == {
        "A": Decimal("3000.00"),
        "D": Decimal("125.13"),
    }


def test_list_size_is_the_last_quarter_of_the_year() -> None:
    series = [(D(2008, 4, 1), 5900), (D(2008, 10, 1), 5950), (D(2009, 1, 1), 6000),
              (D(2009, 4, 1), 6100)]  # fmt: skip
    assert inc.list_size_at_year_end(series, 2008) == 6000
    assert inc.list_size_at_year_end(series, 2007) == 0


def _prescribing(rows: list[dict[str, object]]) -> ibis.Table:
    schema = wh_engine.stored_schema(dataset("prescribing"))
    full = [
        {"bnf_name": "x", "quantity": 28.0, "net_ingredient_cost": Decimal(0), **r} for r in rows
    ]
    return ibis.memtable(pa.Table.from_pylist(full, schema=schema))


def test_measure_items_sum_the_financial_year() -> None:
    rows = [
        # March 2008 and April 2009 fall outside 2008/09.
        {"gp_practice_code": "E82601", "month": D(2008, 3, 1), "bnf_code": ATORVA, "items": 100,
         "actual_cost": Decimal("1.00")},
        {"gp_practice_code": "E82601", "month": D(2008, 4, 1), "bnf_code": ATORVA, "items": 7,
         "actual_cost": Decimal("1.00")},
        {"gp_practice_code": "E82601", "month": D(2009, 3, 1), "bnf_code": SIMVA, "items": 5,
         "actual_cost": Decimal("1.00")},
        {"gp_practice_code": "E82601", "month": D(2009, 4, 1), "bnf_code": SIMVA, "items": 100,
         "actual_cost": Decimal("1.00")},
        {"gp_practice_code": "E82602", "month": D(2008, 6, 1), "bnf_code": LANSO, "items": 9,
         "actual_cost": Decimal("1.00")},
    ]  # fmt: skip
    t = _prescribing(rows)
    con = ibis.duckdb.connect()
    statins = con.execute(inc.measure_items(t, 2008, ["0212000"])).to_dict("records")
    assert statins == [{"gp_practice_code": "E82601", "items": 12}]
    minus = con.execute(inc.measure_items(t, 2008, ["0212000"], exclude=["0212000Y0"]))
    assert minus.to_dict("records") == [{"gp_practice_code": "E82601", "items": 7}]


def test_switch_savings_match_a_pandas_recomputation() -> None:
    rng = random.Random(19)
    practices = ["E82601", "E82602", "E82603"]
    codes = [ATORVA, SIMVA, LANSO, OMEP]
    unit = {ATORVA: 17.9, SIMVA: 1.3, LANSO: 1.8, OMEP: 1.9}  # omeprazole dearer: no saving
    rows = []
    for practice in practices:
        for m in range(15):  # February 2008 to April 2009: a year and a bit either side
            month = D(2008 + (m + 1) // 12, (m + 1) % 12 + 1, 1)
            for code in codes:
                if practice == "E82603" and code == ATORVA:
                    continue  # a practice with no atorvastatin saves nothing
                n = rng.randint(1, 60)
                cost = Decimal(str(round(n * unit[code] * rng.uniform(0.9, 1.1), 2)))
                rows.append({"gp_practice_code": practice, "month": month, "bnf_code": code,
                             "items": n, "actual_cost": cost})  # fmt: skip
    switches = [
        inc.Switch(ATORVA, "Atorvastatin 20mg tablets", SIMVA, "Simvastatin 40mg tablets"),
        inc.Switch(LANSO, "Lansoprazole 30mg capsules", OMEP, "Omeprazole 20mg capsules"),
    ]
    t = _prescribing(rows)
    totals = ibis.duckdb.connect().execute(inc.presentation_totals(t, 2008, codes))
    savings, per_practice = inc.switch_savings(switches, totals.to_dict("records"))

    # The plain recomputation: filter the year, cost per item over the PCT, items per practice.
    df = pd.DataFrame(rows)
    df = df[(df.month >= D(2008, 4, 1)) & (df.month < D(2009, 4, 1))]
    df["cost"] = df.actual_cost.astype(float)
    by_code = df.groupby("bnf_code").agg(items=("items", "sum"), cost=("cost", "sum"))
    per_item = by_code.cost / by_code["items"]
    own = df.groupby(["gp_practice_code", "bnf_code"])["items"].sum()
    for s, got in zip(switches, savings, strict=True):
        expected = per_item[s.from_code] - per_item[s.to_code]
        assert abs(float(got.saving_per_item) - expected) < 1e-9  # type: ignore[arg-type]
        for practice in practices:
            n = int(own.get((practice, s.from_code), 0))
            want = round(n * expected, 2) if expected > 0 else 0.0
            row = next(
                p for p in per_practice if (p.practice, p.from_code) == (practice, s.from_code)
            )
            assert row.from_items == n
            assert abs(float(row.potential_saving) - want) <= 0.005
    assert float(savings[0].saving_per_item) > 10  # type: ignore[arg-type]
    assert savings[1].saving_per_item < 0  # type: ignore[operator]
    assert all(p.potential_saving == 0 for p in per_practice if p.from_code == LANSO)
    assert [p.potential_saving for p in per_practice if p.practice == "E82603"] == [0, 0]
