"""Referral management for the redesign specialties (`pbc.analytics.referrals`) on the test-scale
warehouse equals a plain-Python recomputation, on every engine: age- and sex-standardised
referral ratios per practice for each specialty, new-to-follow-up ratios per practice and
treatment function, and referrals before and after a redesign's start date. The oracle below
reads the rules from the module's docstring and applies them row by row with dictionaries:
nothing shared with the Ibis code. The ratio's limits and the rate ratio are hand-worked."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pbc.analytics import referrals as rf
from pbc.stats import rate_ratio
from pbc.synth import demo_scale, generate

FIRST, LAST = dt.date(2008, 4, 1), dt.date(2009, 3, 1)
FIVE_YEAR = {f"{a}-{a + 4}": a for a in range(0, 90, 5)} | {"90+": 90}


@pytest.fixture(scope="module")
def demo() -> dict[str, pa.Table]:
    return generate(demo_scale("test"))


def on_engine(engine: ibis.BaseBackend, table: pa.Table, folder: Path, name: str) -> ibis.Table:
    """The table on the engine through a Parquet file, with a `period` column as the warehouse's
    tables have (their partition): the functions must not trip over columns they do not use."""
    table = table.append_column("period", pa.array(["2008-09"] * table.num_rows, pa.string()))
    path = folder / f"{name}.parquet"
    pq.write_table(table, path)
    return engine.read_parquet(str(path))


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    while first <= last:
        out.append(first)
        first = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return out


def quarter(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def population(demo: dict[str, pa.Table], span: list[dt.date]) -> dict[tuple[str, str, int], float]:
    by_quarter: dict[tuple[str, dt.date, str, int], float] = defaultdict(float)
    for r in demo["list_sizes"].to_pylist():
        if r["sex"] in ("M", "F") and r["age_band"] in FIVE_YEAR:
            key = (r["gp_practice_code"], r["quarter_start"], r["sex"], FIVE_YEAR[r["age_band"]])
            by_quarter[key] += r["registered_patients"]
    py: dict[tuple[str, str, int], float] = defaultdict(float)
    for (code, q, sex, band), n in by_quarter.items():
        in_span = sum(1 for m in span if quarter(m) == q)
        if in_span:
            py[(code, sex, band)] += n / 12 * in_span
    return py


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def oracle_standardised(
    demo: dict[str, pa.Table], codes: tuple[str, ...]
) -> dict[str, tuple[float, float, float]]:
    span = months(FIRST, LAST)
    py = population(demo, span)
    people = {r["nhs_number"]: (r["date_of_birth"], r["sex"]) for r in demo["patients"].to_pylist()}
    counts: dict[tuple[str, str, int], float] = defaultdict(float)
    end = dt.date(2009, 4, 1)
    for r in demo["referrals"].to_pylist():
        if r["treatment_function_code"] not in codes or not FIRST <= r["referral_date"] < end:
            continue
        if r["nhs_number"] not in people:
            continue
        born, sex = people[r["nhs_number"]]
        key = (r["gp_practice_code"], sex, min(age_on(born, r["referral_date"]) // 5 * 5, 90))
        if key in py:
            counts[key] += 1
    ref_n: dict[tuple[str, int], float] = defaultdict(float)
    ref_py: dict[tuple[str, int], float] = defaultdict(float)
    for (_, sex, band), n in counts.items():
        ref_n[(sex, band)] += n
    for (_, sex, band), p in py.items():
        ref_py[(sex, band)] += p
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for (code, sex, band), p in py.items():
        if ref_py[(sex, band)]:
            out[code][1] += p * ref_n[(sex, band)] / ref_py[(sex, band)]
        out[code][2] += p
    for (code, _, _), n in counts.items():
        out[code][0] += n
    return {code: (o, e, p) for code, (o, e, p) in out.items()}


@pytest.mark.parametrize("specialty", sorted(rf.REDESIGN_SPECIALTIES))
def test_standardised_referrals_equal_plain_python(
    engine: ibis.BaseBackend, demo: dict[str, pa.Table], specialty: str, tmp_path: Path
) -> None:
    codes = rf.REDESIGN_SPECIALTIES[specialty]
    expr = rf.standardised_referrals(
        on_engine(engine, demo["referrals"], tmp_path, "referrals"),
        on_engine(engine, demo["patients"], tmp_path, "patients"),
        on_engine(engine, demo["list_sizes"], tmp_path, "list_sizes"),
        codes,
        FIRST,
        LAST,
    )
    rows = engine.to_pyarrow(expr).to_pylist()
    want = oracle_standardised(demo, codes)
    assert {r["gp_practice_code"] for r in rows} == set(want) and len(rows) == len(want) > 5
    for r in rows:
        o, e, p = want[r["gp_practice_code"]]
        assert r["observed"] == o
        assert math.isclose(r["expected"], e, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(r["person_years"], p, rel_tol=1e-9)
    # Indirect standardisation: over all practices, observed and expected agree.
    total_o, total_e = sum(r["observed"] for r in rows), sum(r["expected"] for r in rows)
    assert math.isclose(total_o, total_e, rel_tol=1e-9, abs_tol=1e-9)
    if specialty in ("diabetes", "mental-health"):
        assert total_o == 0  # the synthetic data refers to neither (docs/data.md)
    else:
        assert total_o > 20


def test_new_to_follow_up_equals_plain_python(
    engine: ibis.BaseBackend, demo: dict[str, pa.Table], tmp_path: Path
) -> None:
    codes = sorted({c for cs in rf.REDESIGN_SPECIALTIES.values() for c in cs})
    expr = rf.new_to_follow_up(on_engine(engine, demo["op"], tmp_path, "op"), codes, FIRST, LAST)
    got = {
        (r["gp_practice_code"], r["treatment_function_code"]): (r["first"], r["follow_up"])
        for r in engine.to_pyarrow(expr).to_pylist()
    }
    want: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in demo["op"].to_pylist():
        if (
            r["attended_or_did_not_attend"] in ("5", "6")
            and r["treatment_function_code"] in codes
            and FIRST <= r["attendance_date"] < dt.date(2009, 4, 1)
        ):
            want[(r["gp_practice_code"], r["treatment_function_code"])][
                0 if r["first_attendance"] in ("1", "3") else 1
            ] += 1
    assert got == {k: tuple(v) for k, v in want.items()} and len(got) > 10

    lines = rf.against_benchmark(
        [{"gp_practice_code": p, "treatment_function_code": t, "first": f, "follow_up": u}
         for (p, t), (f, u) in got.items()],
        {"330": 1.5},
    )  # fmt: skip
    for line in lines:
        assert line.ratio == (line.follow_up / line.first if line.first else None)
        if line.treatment_function_code == "330":
            assert line.above_benchmark == max(line.follow_up - 1.5 * line.first, 0)
        else:
            assert line.benchmark is None and line.above_benchmark is None


def test_before_and_after_a_redesign_equal_plain_python(
    engine: ibis.BaseBackend, demo: dict[str, pa.Table], tmp_path: Path
) -> None:
    codes, start = ("330",), dt.date(2008, 10, 1)
    practices = sorted({r["gp_practice_code"] for r in demo["referrals"].to_pylist()})[:4]
    expr = rf.before_after(
        on_engine(engine, demo["referrals"], tmp_path, "referrals"),
        on_engine(engine, demo["list_sizes"], tmp_path, "list_sizes"),
        codes,
        start,
        6,
        practices,
    )
    got = {
        r["period"]: (r["referrals"], r["person_years"])
        for r in engine.to_pyarrow(expr).to_pylist()
    }
    windows = {"before": months(dt.date(2008, 4, 1), dt.date(2008, 9, 1)),
               "after": months(dt.date(2008, 10, 1), dt.date(2009, 3, 1))}  # fmt: skip
    for period, span in windows.items():
        n = sum(
            1
            for r in demo["referrals"].to_pylist()
            if r["gp_practice_code"] in practices
            and r["treatment_function_code"] in codes
            and r["referral_date"].replace(day=1) in span
        )
        py = sum(p for (code, _, _), p in population(demo, span).items() if code in practices)
        assert got[period][0] == n
        assert math.isclose(got[period][1], py, rel_tol=1e-9)


def test_ratio_limits_and_the_rate_ratio_are_hand_worked() -> None:
    (line,) = rf.referral_ratios(
        [{"gp_practice_code": "A81001", "observed": 12.0, "expected": 10.0,
          "person_years": 1500.0, "reference_referrals": 300.0,
          "reference_person_years": 50000.0}]
    )  # fmt: skip
    assert line.ratio is not None and line.standardised_rate is not None
    # Byar's limits for 12 events, over E = 10, × 100 (PHEindicatormethods' byars_lower/upper).
    z = 1.959963984540054
    lower = 12 * (1 - 1 / (9 * 12) - z / (3 * math.sqrt(12))) ** 3
    upper = 13 * (1 - 1 / (9 * 13) + z / (3 * math.sqrt(13))) ** 3
    assert math.isclose(line.ratio.value, 120.0)
    assert line.ratio.lower is not None and math.isclose(line.ratio.lower, lower * 10, rel_tol=1e-9)
    assert math.isclose(line.ratio.upper, upper * 10, rel_tol=1e-9)
    # the reference rate is 6 per 1,000 per year; the practice's standardised rate 1.2 × 6
    assert math.isclose(line.standardised_rate.value, 7.2)
    assert line.crude_rate is not None and math.isclose(line.crude_rate, 8.0)
    (none,) = rf.referral_ratios(
        [{"gp_practice_code": "A81002", "observed": 0.0, "expected": 0.0, "person_years": 10.0,
          "reference_referrals": 0.0, "reference_person_years": 10.0}]
    )  # fmt: skip
    assert none.ratio is None and none.standardised_rate is None

    # 50 referrals in 1,000 person-years after, 80 in 1,000 before: 0.625, limits
    # exp(ln 0.625 ± 1.96 × √(1/50 + 1/80)) = 0.4390 and 0.8899.
    change = rate_ratio(50, 1000, 80, 1000)
    assert change is not None and math.isclose(change.value, 0.625)
    assert change.lower is not None and round(change.lower, 4) == 0.4390
    assert round(change.upper, 4) == 0.8899
    assert rate_ratio(0, 1000, 80, 1000) is None
